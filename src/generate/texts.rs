//! Mention texts of the synthetic inputs: what people write about an
//! operator, so the care queue (docs/SPEC.md §8) has topics, churn phrases,
//! @handles, emoji, non-ASCII text, empty texts and a few very long ones at
//! every scale. Each text is a pure function of its event's coordinates (a
//! generator of its own, so no other column of the mention changes).

use std::fmt::Write as _;

use super::rng::Rng;
use super::tables::TEXTS;

/// Sentences that name a default topic's keyword (whole words), some in
/// another case or with more white space.
const TOPICAL: [&str; 14] = [
    "another outage in the city centre",
    "No signal at home since Monday",
    "dropped calls   all afternoon",
    "slow data on the train again",
    "I was charged twice this month",
    "where is my refund?",
    "my Bill went up by 20%",
    "new phone will not activate",
    "the router keeps rebooting",
    "sim card not recognised",
    "the agent hung up on me",
    "on hold for 50 minutes",
    "the store could not help",
    "overcharged AGAIN",
];

/// Churn-intent phrases.
const CHURN: [&str; 5] = [
    "I am switching to another provider",
    "going to cancel my contract",
    "leaving as soon as my contract ends",
    "how do I port out my number",
    "Cancel. Done.",
];

/// Non-ASCII texts (accents, CJK, right-to-left), some with a keyword.
const WORLD: [&str; 6] = [
    "¡Otra vez sin servicio! outage en Málaga",
    "Réseau coupé depuis ce matin, aucune réponse",
    "電波が悪い、no signal in Shibuya",
    "Straße ohne Netz, die Rechnung (bill) stimmt nicht",
    "الخدمة سيئة جدا",
    "ÉBILL pas reçu — billing_dept injoignable",
];

/// Emoji endings.
const EMOJI: [&str; 6] = [" 😡", " 📱❌", " 🙏", " 👍", " 🤬🤬", " 📶?"];

/// Bytes a very long text reaches.
const LONG_BYTES: usize = 100 * 1024;

/// Write the text of mention event `(day, k)` into `out`; `None` for a null
/// text. `base` is the event's draw from the base texts (`TEXTS.len()`
/// means null), kept from before texts had topics.
pub(super) fn mention_text(
    seed: u64,
    day: i32,
    k: u64,
    base: usize,
    out: &mut String,
) -> Option<()> {
    out.clear();
    let plain = TEXTS.get(base)?;
    let mut r = Rng::at(seed, super::tables::T_TEXT, day as u64, k);
    let kind = r.pick(&[0.02, 0.0002, 0.25, 0.05, 0.08, 0.5998]);
    match kind {
        // empty, or white space only (trimmed to null)
        0 => out.push_str(["", "   ", "\t\n"][r.below(3) as usize]),
        1 => {
            let _ = write!(out, "@operator thread {day}-{k}: ");
            while out.len() < LONG_BYTES {
                out.push_str(TOPICAL[r.below(TOPICAL.len() as u64) as usize]);
                out.push_str(". ");
            }
        }
        2 => out.push_str(TOPICAL[r.below(TOPICAL.len() as u64) as usize]),
        3 => out.push_str(CHURN[r.below(CHURN.len() as u64) as usize]),
        4 => out.push_str(WORLD[r.below(WORLD.len() as u64) as usize]),
        _ => out.push_str(plain),
    }
    if kind >= 2 {
        if r.chance(0.3) {
            out.insert_str(0, "@operator ");
        }
        if r.chance(0.2) {
            out.push_str(EMOJI[r.below(EMOJI.len() as u64) as usize]);
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_deterministic_and_varied() {
        let mut a = String::new();
        let mut b = String::new();
        let mut long = 0;
        let mut empty = 0;
        let mut seen = std::collections::BTreeSet::new();
        for k in 0..20_000 {
            let got = mention_text(42, 20_000, k, (k % 9) as usize, &mut a);
            mention_text(42, 20_000, k, (k % 9) as usize, &mut b);
            assert_eq!(a, b);
            match got {
                None => assert_eq!(k % 9, 8),
                Some(()) if a.len() >= LONG_BYTES => long += 1,
                Some(()) if a.trim().is_empty() => empty += 1,
                Some(()) => {
                    seen.insert(a.clone());
                }
            }
        }
        assert!(long >= 1, "a very long text in 20 000");
        assert!(empty > 100, "{empty}");
        assert!(seen.iter().any(|t| t.contains('😡') || t.contains('📱')));
        assert!(seen.iter().any(|t| t.contains("port out")));
        assert!(seen.iter().any(|t| t.starts_with("@operator")));
    }
}
