//! The customer's circle in the synthetic inputs (docs/SPEC.md §9): the
//! @-handles mention texts name, and the `connections` table. Both are
//! heavy-tailed: a handle is picked as the account (or fan) of index
//! ⌊n·u³⌋ for a uniform u, so low indices are named and followed far more
//! often than the rest, as a few accounts are in real networks. Every row
//! is a pure function of the seed and its coordinates, drawn from PRNG
//! streams of their own, so the scoring columns of the other tables do
//! not change.

use std::fmt::Write as _;

use arrow::array::StringBuilder;
use arrow::record_batch::RecordBatch;

use super::rng::Rng;
use super::tables::*;
use crate::error::Result;

/// Connections per account per weekly delivery.
pub const CONNECTIONS_PER_ACCOUNT_WEEK: f64 = 0.4;

/// The operator's own handle named in some texts (`[circle] own_handles`).
pub const OWN_HANDLE: &str = "Operator";

const KINDS: [&str; 5] = ["follows", "retweet", "reply", "other", "likes"];

impl Model {
    /// An account index, heavy-tailed towards 0.
    fn popular(&self, r: &mut Rng) -> u64 {
        let u = r.unit();
        ((u * u * u * self.accounts as f64) as u64).min(self.accounts.saturating_sub(1))
    }

    /// A handle as a mention or a connection names it: 70 % a customer's
    /// handle (when the account has one), else a fan's (`fan_<n>`, the
    /// non-customer authors of the mentions); written in one of the
    /// spellings of [`handle_variant`] when `spell`.
    fn linked_handle(&self, r: &mut Rng, out: &mut String) {
        let j = self.popular(r);
        out.clear();
        match self.handle_owner(j).filter(|_| r.chance(0.7)) {
            Some(owner) => self.handle_name(owner, out),
            None => {
                let _ = write!(out, "fan_{}", j * 2);
            }
        }
    }

    /// Append to the text of mention `k` of `day` (`out`, the text of
    /// `texts::mention_text`), 45 % of the time: a handle (a customer's or a
    /// fan's, `@` + the name, upper-cased now and then), the operator's own
    /// handle ([`OWN_HANDLE`]) or an e-mail address (which names nobody). A
    /// stream of its own ([`T_TAG`]), so the texts before it do not change.
    pub fn tag_handles(&self, day: i32, k: u64, out: &mut String) {
        let mut r = Rng::at(self.seed, T_TAG, day as u64, k);
        let mut name = String::new();
        match r.pick(&[0.55, 0.25, 0.1, 0.05, 0.05]) {
            1 => {
                self.linked_handle(&mut r, &mut name);
                let upper = r.chance(0.2);
                let _ = write!(out, " @{}", if upper { name.to_uppercase() } else { name });
            }
            2 => {
                self.linked_handle(&mut r, &mut name);
                let _ = write!(out, " cc @{name}, thanks!");
            }
            3 => {
                let _ = write!(out, " @{OWN_HANDLE}");
            }
            4 => {
                self.linked_handle(&mut r, &mut name);
                let _ = write!(out, " (mail {name}@example.com)");
            }
            _ => {}
        }
    }

    /// Append connection `k` of the delivery of `day`.
    pub fn connection(&self, day: i32, k: u64, c: &mut ConnectionCols, buf: &mut String) {
        let mut r = Rng::at(self.seed, T_LINK, day as u64, k);
        self.linked_handle(&mut r, buf);
        handle_variant_of(buf, &mut r);
        c.handle.append_value(buf.as_str());
        self.linked_handle(&mut r, buf);
        c.connected.append_value(buf.as_str());
        let kind = r.pick(&[0.5, 0.25, 0.17, 0.075, 0.005]);
        c.kind.append_value(KINDS[kind]);
        c.observed
            .push(Some(ts(day) + r.below(DAY_MS as u64) as i64));
    }
}

/// Respell the handle in `buf` as accounts spell theirs.
fn handle_variant_of(buf: &mut String, r: &mut Rng) {
    let base = buf.clone();
    handle_variant(buf, &base, r);
}

/// Columns of a connections batch.
#[derive(Default)]
pub struct ConnectionCols {
    handle: StringBuilder,
    connected: StringBuilder,
    kind: StringBuilder,
    observed: Vec<Option<i64>>,
}

impl ConnectionCols {
    /// Finish the batch. Variant 0: Utf8, `Timestamp(ms, UTC)`; variant 1:
    /// LargeUtf8, `Timestamp(µs)` without zone.
    pub fn finish(&mut self, variant: u8) -> Result<RecordBatch> {
        let v1 = variant == 1;
        let cols = vec![
            ("handle", strs(&mut self.handle, v1)?),
            ("connected_handle", strs(&mut self.connected, v1)?),
            ("kind", strs(&mut self.kind, v1)?),
            ("observed_at", stamps(&self.observed, !v1)),
        ];
        *self = ConnectionCols::default();
        Ok(RecordBatch::try_from_iter(cols)?)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use arrow::array::AsArray;

    use super::*;

    fn links(seed: u64) -> RecordBatch {
        let m = Model {
            seed,
            accounts: 10_000,
            date: 20_522,
            weeks: 13,
        };
        let mut c = ConnectionCols::default();
        let mut buf = String::new();
        for k in 0..20_000 {
            m.connection(20_522, k, &mut c, &mut buf);
        }
        c.finish(0).unwrap()
    }

    /// u³ picks: the lowest 1 % of indices get 0.01^(1/3) ≈ 21.5 % of the
    /// links, so the most linked 1 % of handles hold well over 15 %.
    #[test]
    fn links_are_heavy_tailed_and_pure_functions_of_the_seed() {
        let batch = links(42);
        assert_eq!(batch, links(42));
        assert_ne!(batch, links(43));
        let mut degree: HashMap<&str, u64> = HashMap::new();
        let targets = batch.column(1).as_string::<i32>();
        for t in targets.iter().flatten() {
            *degree.entry(t).or_default() += 1;
        }
        let mut counts: Vec<u64> = degree.into_values().collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let top: u64 = counts.iter().take(counts.len().div_ceil(100)).sum();
        assert!(top as f64 > 0.15 * 20_000.0, "top 1 %: {top} of 20000");
        let median = counts[counts.len() / 2];
        assert!(counts[0] > 50 * median, "max {} median {median}", counts[0]);
        let kinds = batch.column(2).as_string::<i32>();
        let unknown = kinds.iter().flatten().filter(|k| *k == "likes").count();
        assert!((20..200).contains(&unknown), "{unknown} unknown kinds");
    }

    #[test]
    fn some_texts_name_handles_and_the_base_text_stays() {
        let m = Model {
            seed: 42,
            accounts: 1_000,
            date: 20_522,
            weeks: 13,
        };
        let mut out = String::new();
        let mut named = 0;
        for k in 0..1_000 {
            out.clear();
            out.push_str("network down");
            m.tag_handles(20_522, k, &mut out);
            assert!(out.starts_with("network down"), "{out}");
            named += usize::from(out.contains(" @") || out.contains("cc @"));
        }
        assert!((300..600).contains(&named), "{named} of 1000 name a handle");
    }
}
