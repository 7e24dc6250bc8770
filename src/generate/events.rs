//! The event tables of the synthetic inputs: mentions, surveys and
//! influence scores, each row a pure function of its coordinates (see
//! `tables.rs`), built into Arrow batches in the file variant's physical types.

use std::fmt::Write as _;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, StringBuilder};
use arrow::record_batch::RecordBatch;

use super::rng::{scaled, Rng};
use super::tables::*;
use crate::error::Result;

/// Columns of a mentions batch.
#[derive(Default)]
pub struct MentionCols {
    /// Scratch text the row being built is spelled in.
    buf: String,
    id: StringBuilder,
    platform: StringBuilder,
    author: StringBuilder,
    posted: Vec<Option<i64>>,
    sentiment: Vec<Option<f64>>,
    text: StringBuilder,
    lang: StringBuilder,
}

impl Model {
    /// Append mention `k` of the partition `day`: usually its own event,
    /// sometimes a redelivery of an event of 1–3 days earlier (possibly
    /// re-scored for sentiment).
    pub fn mention(&self, day: i32, k: u64, days: u32, c: &mut MentionCols) {
        let mut r = Rng::at(self.seed, T_MENTION, day as u64, k);
        if r.chance(REDELIVERY) {
            let from = day - r.range(1, 3) as i32;
            let n = self.daily_rows(T_MENTION, from, MENTIONS_PER_ACCOUNT, days);
            let rescore = r
                .chance(0.5)
                .then(|| f64::from(r.range(-1000, 1000) as i32) / 1000.0);
            self.mention_event(from, r.below(n.max(1)), rescore, c);
        } else {
            self.mention_event(day, k, None, c);
        }
    }

    fn mention_event(&self, day: i32, k: u64, rescore: Option<f64>, c: &mut MentionCols) {
        let mut text = std::mem::take(&mut c.buf);
        let buf = &mut text;
        let mut r = Rng::at(self.seed, T_MENTION_BASE, day as u64, k);
        let fault = r.pick(&[0.987, 0.003, 0.001, 0.003, 0.003, 0.003]);
        // id
        match fault {
            1 => c.id.append_value(""),
            2 => c.id.append_value("  "),
            _ => {
                buf.clear();
                ymd(buf, day);
                let _ = write!(buf, "-{k:08}");
                buf.insert(0, 'M');
                c.id.append_value(buf.as_str());
            }
        }
        // platform
        let p = r.pick(&[0.5, 0.2, 0.15, 0.07, 0.05, 0.03]);
        match PLATFORMS.get(p) {
            Some(code) => {
                spelled(buf, code, &mut r);
                c.platform.append_value(buf.as_str());
            }
            None => c.platform.append_null(),
        }
        // author: an account's handle (30 % of those from the 5 % most active posters),
        // someone who is not a customer, or nobody
        match r.pick(&[0.78, 0.17, 0.05]) {
            0 => {
                let n = self.accounts.max(1);
                let j = if r.chance(0.3) {
                    (r.below(n.div_ceil(20)) * 20).min(n - 1)
                } else {
                    r.below(n)
                };
                match self.handle_owner(j) {
                    Some(owner) => {
                        let mut name = String::new();
                        self.handle_name(owner, &mut name);
                        handle_variant(buf, &name, &mut r);
                        c.author.append_value(buf.as_str());
                    }
                    None => {
                        buf.clear();
                        let _ = write!(buf, "@guest_{}", r.below(n * 4));
                        c.author.append_value(buf.as_str());
                    }
                }
            }
            1 => {
                buf.clear();
                let _ = write!(buf, "fan_{}", r.below(self.accounts.max(1) * 2));
                handle_variant_in_place(buf, &mut r);
                c.author.append_value(buf.as_str());
            }
            _ => opt_str(
                &mut c.author,
                [None, Some(""), Some("@")][r.below(3) as usize],
            ),
        }
        // posted_at: the delivery day, or 1–7 days late
        let late = if r.chance(0.08) {
            r.range(1, 7) as i32
        } else {
            0
        };
        let posted = ts(day - late) + r.below(DAY_MS as u64) as i64;
        c.posted.push((fault != 3).then_some(posted));
        // sentiment: a mixture of negative, neutral and positive voices, 3 decimals
        let mood = r.pick(&[0.3, 0.45, 0.25]);
        let (mu, sd) = [(-0.55, 0.2), (0.0, 0.15), (0.55, 0.2)][mood];
        let s = (mu + sd * r.normal()).clamp(-1.0, 1.0);
        let mut sentiment = (!r.chance(0.08)).then(|| scaled(s, 3) as f64 / 1000.0);
        if let Some(v) = rescore {
            sentiment = Some(v);
        }
        match fault {
            4 => sentiment = Some(if r.chance(0.5) { 1.5 } else { -1.25 }),
            5 => sentiment = Some(f64::NAN),
            _ => {}
        }
        c.sentiment.push(sentiment);
        let t = r.below(TEXTS.len() as u64 + 1) as usize;
        let mut text = String::new();
        let written = super::texts::mention_text(self.seed, day, k, t, &mut text);
        if written.is_some() && text.len() < 1024 {
            // the @-handles of the circle (docs/SPEC.md §9), a stream of their own
            self.tag_handles(day, k, &mut text);
        }
        opt_str(&mut c.text, written.map(|()| text.as_str()));
        c.lang.append_value(if r.chance(0.8) { "en" } else { "es" });
        c.buf = text;
    }
}

/// Respell a handle already in `buf` (non-customer authors).
fn handle_variant_in_place(buf: &mut String, r: &mut Rng) {
    let base = buf.clone();
    handle_variant(buf, &base, r);
}

/// Write `YYYYMMDD` of a day number (days since 1970-01-01) into `out`.
pub fn ymd(out: &mut String, day: i32) {
    use chrono::Datelike;
    out.clear();
    let d = chrono::NaiveDate::from_num_days_from_ce_opt(day + 719_163).unwrap_or_default();
    let _ = write!(out, "{:04}{:02}{:02}", d.year(), d.month(), d.day());
}

impl MentionCols {
    /// Finish the batch. Variant 0: Utf8, `Timestamp(ms, UTC)`;
    /// variant 1: LargeUtf8, `Timestamp(µs)` without zone, an extra column.
    pub fn finish(&mut self, variant: u8) -> Result<RecordBatch> {
        let v1 = variant == 1;
        let mut cols: Vec<(&str, ArrayRef)> = vec![
            ("mention_id", strs(&mut self.id, v1)?),
            ("platform", strs(&mut self.platform, v1)?),
            ("author_handle", strs(&mut self.author, v1)?),
            ("posted_at", stamps(&self.posted, !v1)),
            (
                "sentiment",
                Arc::new(Float64Array::from(std::mem::take(&mut self.sentiment))),
            ),
            ("text", strs(&mut self.text, v1)?),
        ];
        let lang = strs(&mut self.lang, false)?;
        if v1 {
            cols.push(("lang", lang));
        }
        *self = MentionCols::default();
        Ok(RecordBatch::try_from_iter(cols)?)
    }
}

/// Columns of a surveys batch.
#[derive(Default)]
pub struct SurveyCols {
    /// Scratch text the row being built is spelled in.
    buf: String,
    id: StringBuilder,
    account: StringBuilder,
    responded: Vec<Option<i64>>,
    score: Vec<Option<i64>>,
    channel: StringBuilder,
}

impl Model {
    /// Append response `k` of the partition `day` (or a redelivery of one
    /// of the 5 days before).
    pub fn survey(&self, day: i32, k: u64, days: u32, c: &mut SurveyCols) {
        let mut r = Rng::at(self.seed, T_SURVEY, day as u64, k);
        if r.chance(REDELIVERY) {
            let from = day - r.range(1, 5) as i32;
            let n = self.daily_rows(T_SURVEY, from, SURVEYS_PER_ACCOUNT, days);
            self.survey_event(from, r.below(n.max(1)), c);
        } else {
            self.survey_event(day, k, c);
        }
    }

    fn survey_event(&self, day: i32, k: u64, c: &mut SurveyCols) {
        let mut text = std::mem::take(&mut c.buf);
        let buf = &mut text;
        let mut r = Rng::at(self.seed, T_SURVEY_BASE, day as u64, k);
        let fault = r.pick(&[0.987, 0.003, 0.002, 0.002, 0.002, 0.002, 0.002]);
        match fault {
            1 => opt_str(&mut c.id, [None, Some(""), Some(" ")][r.below(3) as usize]),
            _ => {
                buf.clear();
                ymd(buf, day);
                let _ = write!(buf, "-{k:07}");
                buf.insert(0, 'R');
                c.id.append_value(buf.as_str());
            }
        }
        // a valid account of the snapshot (a few draws skip the invalid ones)
        let n = self.accounts.max(1);
        let mut j = r.below(n);
        for _ in 0..8 {
            if self.valid_account(j) {
                break;
            }
            j = r.below(n);
        }
        buf.clear();
        match fault {
            2 => {}
            6 => {
                let _ = write!(buf, "Z{:08}", r.below(n));
            }
            _ if r.chance(0.03) => {
                let _ = write!(buf, " A{j:08}  ");
            }
            _ => Model::account_id(buf, j),
        }
        if fault == 2 {
            c.account.append_null();
        } else {
            c.account.append_value(buf.as_str());
        }
        let late = if r.chance(0.07) {
            r.range(1, 5) as i32
        } else {
            0
        };
        let at = ts(day - late) + r.below(DAY_MS as u64) as i64;
        c.responded.push((fault != 3).then_some(at));
        let score = match r.pick(&[0.25, 0.35, 0.4]) {
            0 => r.range(0, 6),
            1 => r.range(7, 8),
            _ => r.range(9, 10),
        };
        c.score.push(match fault {
            4 => None,
            5 => Some(if r.chance(0.5) { 11 } else { -1 }),
            _ => Some(score),
        });
        match CHANNELS.get(r.pick(&[0.4, 0.25, 0.2, 0.1, 0.05])) {
            Some(code) => {
                spelled(buf, code, &mut r);
                c.channel.append_value(buf.as_str());
            }
            None => c.channel.append_null(),
        }
        c.buf = text;
    }
}

impl SurveyCols {
    /// Finish the batch. Variant 0: Utf8, Int32, `Timestamp(ms, UTC)`;
    /// variant 1: LargeUtf8, Int64, `Timestamp(µs)` without zone.
    pub fn finish(&mut self, variant: u8) -> Result<RecordBatch> {
        let v1 = variant == 1;
        let cols: Vec<(&str, ArrayRef)> = vec![
            ("response_id", strs(&mut self.id, v1)?),
            ("account_id", strs(&mut self.account, v1)?),
            ("responded_at", stamps(&self.responded, !v1)),
            ("score", ints(&self.score, v1)),
            ("channel", strs(&mut self.channel, v1)?),
        ];
        *self = SurveyCols::default();
        Ok(RecordBatch::try_from_iter(cols)?)
    }
}

/// Columns of an influence_scores batch (one provider per file).
#[derive(Default)]
pub struct InfluenceCols {
    /// Scratch text the row being built is spelled in (the handle).
    buf: String,
    handle: StringBuilder,
    provider: StringBuilder,
    score: Vec<Option<f64>>,
    scored: Vec<Option<i64>>,
}

impl Model {
    /// Append the rows of account index `i` in the delivery of `week`
    /// (0 = D, 1 = D-7, …) of provider `p`: the account's handle when the
    /// provider covers it and scores it that week (each covered handle once
    /// per window, 20 % of them twice), and now and then a non-customer.
    pub fn influence(&self, week: u64, p: usize, i: u64, c: &mut InfluenceCols) {
        let mut cov = Rng::at(self.seed, T_COVER, p as u64, i);
        let covered = cov.chance(COVERAGE[p]);
        let slot = cov.below(self.weeks);
        let rescored = cov.chance(0.2);
        let extra = cov.chance(0.004);
        let due = slot == week || (rescored && (slot + self.weeks / 2) % self.weeks == week);
        if covered && due {
            if let Some(owner) = self.handle_owner(i) {
                let mut r = Rng::at(self.seed, T_INFLUENCE, week * 3 + p as u64, i);
                let mut name = String::new();
                self.handle_name(owner, &mut name);
                handle_variant(&mut c.buf, &name, &mut r);
                let level = Rng::at(self.seed, T_LEVEL, 0, owner).log_normal(3.2, 0.45);
                self.influence_row((week, p), level, &mut r, c);
            }
        }
        if extra {
            let mut r = Rng::at(self.seed, T_INFLUENCE, week * 3 + p as u64, i ^ (1 << 62));
            c.buf.clear();
            let _ = write!(c.buf, "fan_{}", r.below(self.accounts.max(1) * 2));
            let level = r.log_normal(2.8, 0.5);
            self.influence_row((week, p), level, &mut r, c);
        }
    }

    /// One row of provider `p`'s delivery of `week` for the handle in
    /// `c.buf`.
    fn influence_row(
        &self,
        (week, p): (u64, usize),
        level: f64,
        r: &mut Rng,
        c: &mut InfluenceCols,
    ) {
        let owned = std::mem::take(&mut c.buf);
        let handle = owned.as_str();
        let fault = r.pick(&[0.987, 0.003, 0.002, 0.002, 0.003, 0.001, 0.002]);
        match fault {
            1 => opt_str(
                &mut c.handle,
                [None, Some(""), Some("@")][r.below(3) as usize],
            ),
            _ => c.handle.append_value(handle),
        }
        let mut code = String::new();
        match fault {
            2 => c.provider.append_null(),
            3 => c.provider.append_value("myspace"),
            _ => {
                spelled(&mut code, PROVIDERS[p], r);
                c.provider.append_value(code.as_str());
            }
        }
        let noise = r.normal();
        let score = match p {
            0 => (scaled(level + 3.0 * noise, 0) as f64).clamp(1.0, 100.0),
            1 => (scaled(level * 10.0 + 40.0 * noise, 0) as f64).clamp(0.0, 1000.0),
            _ => (scaled(level * 0.9 + 4.0 * noise, 1) as f64 / 10.0).clamp(0.0, 100.0),
        };
        let bad = [150.0, 1200.0, 100.5][p];
        c.score.push(Some(match fault {
            4 => bad,
            5 if p == 2 => f64::NAN,
            5 => -5.0,
            _ => score,
        }));
        let day = self.date - 7 * week as i32;
        let back = if r.chance(0.03) {
            r.range(5, 10)
        } else {
            r.range(0, 2)
        };
        let at = ts(day - back as i32) + r.below(DAY_MS as u64) as i64;
        c.scored.push((fault != 6).then_some(at));
        c.buf = owned;
    }
}

impl InfluenceCols {
    /// Finish the batch: klout `Int32` scores and `Timestamp(ms, UTC)`;
    /// kred LargeUtf8, `Int64`, `Timestamp(µs)`; peerindex `Float64`, `Timestamp(µs)`.
    pub fn finish(&mut self, p: usize) -> Result<RecordBatch> {
        let score: ArrayRef = match p {
            2 => Arc::new(Float64Array::from(std::mem::take(&mut self.score))),
            _ => ints(
                &self
                    .score
                    .iter()
                    .map(|s| s.map(|v| v as i64))
                    .collect::<Vec<_>>(),
                p == 1,
            ),
        };
        let cols: Vec<(&str, ArrayRef)> = vec![
            ("handle", strs(&mut self.handle, p == 1)?),
            ("provider", strs(&mut self.provider, p == 1)?),
            ("score", score),
            ("scored_at", stamps(&self.scored, p == 0)),
        ];
        *self = InfluenceCols::default();
        Ok(RecordBatch::try_from_iter(cols)?)
    }
}
