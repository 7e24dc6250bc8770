//! `[circle]` and `[influence]`: the settings of the customer's circle
//! (docs/SPEC.md §9) — the operator's own handles, PageRank iterations,
//! the prospect minimum — and whether its `network_influence` joins the
//! vendor providers of `influence_norm`.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// `[influence]`: the providers averaged into `influence_norm`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Influence {
    /// Average the in-house `network_influence` (docs/SPEC.md §9) into
    /// `influence_norm` as a fourth provider, `network`. Off by default.
    pub network_provider: bool,
}

/// `[circle]`: the customer's circle (docs/SPEC.md §9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Circle {
    /// The operator's own handles: edges from or to them are dropped
    /// (written as handles are, normalized like them).
    pub own_handles: Vec<String>,
    /// PageRank iterations (1..=1000).
    pub iterations: u32,
    /// Fewest scored customers a handle is linked to to be a prospect.
    pub prospect_min_customers: u32,
}

impl Default for Circle {
    fn default() -> Self {
        Circle {
            own_handles: Vec::new(),
            iterations: 20,
            prospect_min_customers: 2,
        }
    }
}

impl Circle {
    /// The own handles normalized as docs/SPEC.md §2 normalizes handles.
    pub fn normalized_own_handles(&self) -> Vec<String> {
        self.own_handles
            .iter()
            .map(|h| normalize_handle(h))
            .collect()
    }

    /// Each own handle must be a handle a mention can name (docs/SPEC.md
    /// §9.1) once normalized; iterations and the prospect minimum in range.
    pub(super) fn validate(&self) -> Result<()> {
        for (raw, h) in self.own_handles.iter().zip(self.normalized_own_handles()) {
            if !is_text_handle(&h) {
                return Err(Error::Usage(format!(
                    "circle.own_handles: {raw:?} is not a handle (letters, digits and '_', \
                     single dots between them, after an optional '@')"
                )));
            }
        }
        if self.iterations == 0 || self.iterations > 1000 {
            return Err(Error::Usage(format!(
                "circle.iterations must be in 1..=1000, got {}",
                self.iterations
            )));
        }
        if self.prospect_min_customers == 0 {
            return Err(Error::Usage(
                "circle.prospect_min_customers must be ≥ 1, got 0".into(),
            ));
        }
        Ok(())
    }
}

/// A handle normalized as docs/SPEC.md §2 says: `lower(trim(h))`, one
/// leading `@` removed, trimmed again (the white space of the SQL's `$ws`:
/// space, tab, newline, carriage return).
pub fn normalize_handle(h: &str) -> String {
    let ws: &[char] = &[' ', '\t', '\n', '\r'];
    let lower = h.trim_matches(ws).to_lowercase();
    let rest = lower.strip_prefix('@').unwrap_or(&lower);
    rest.trim_matches(ws).to_string()
}

/// Whether `h` is a handle as docs/SPEC.md §9.1 finds them in a text,
/// lower-cased: runs of `[a-z0-9_]` joined by single dots.
fn is_text_handle(h: &str) -> bool {
    h.split('.').all(|part| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    })
}
