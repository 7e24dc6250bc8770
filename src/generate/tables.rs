//! The synthetic world and its accounts. Every row is a pure function of
//! (seed, table, partition, row number) — an account of its index — so any
//! file can be generated alone, in any order, in parallel, and a mention can
//! name an account's handle without the accounts table being kept anywhere
//! ([`Model::handle_owner`], [`Model::valid_account`] recompute what they
//! need). Batches are built with arrow builders in the physical types of the
//! file's variant; the event tables are in `events.rs`.

use std::fmt::Write as _;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, Date32Array, Decimal128Array, Float64Array, Int32Array, Int64Array, StringBuilder,
    TimestampMicrosecondArray, TimestampMillisecondArray,
};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;

use super::rng::{key, scaled, Rng};
use crate::error::Result;

/// Mentions per account over the mentions window (30 days by default).
pub const MENTIONS_PER_ACCOUNT: f64 = 0.5;
/// Survey responses per account over the survey window (90 days by default).
pub const SURVEYS_PER_ACCOUNT: f64 = 0.3;
/// Share of accounts with a social handle.
pub const HANDLE_SHARE: f64 = 0.6;
/// Share of accounts that reuse the previous account's handle (ambiguous).
pub const SHARED_HANDLE: f64 = 0.005;
/// Share of mention / survey rows that redeliver an event of an earlier partition.
pub const REDELIVERY: f64 = 0.015;
/// Share of influence providers' coverage of handles: klout, kred, peerindex.
pub const COVERAGE: [f64; 3] = [0.5, 0.3, 0.25];
/// The influence providers, in file order.
pub const PROVIDERS: [&str; 3] = ["klout", "kred", "peerindex"];

pub(super) const T_KEYS: u64 = 1;
pub(super) const T_ACCOUNT: u64 = 2;
pub(super) const T_MENTION: u64 = 3;
pub(super) const T_MENTION_BASE: u64 = 4;
pub(super) const T_SURVEY: u64 = 5;
pub(super) const T_SURVEY_BASE: u64 = 6;
pub(super) const T_INFLUENCE: u64 = 7;
pub(super) const T_COVER: u64 = 8;
pub(super) const T_LEVEL: u64 = 9;
pub(super) const T_DAY: u64 = 10;
pub(super) const T_NAME: u64 = 11;
pub(super) const T_TEXT: u64 = 12;
pub(super) const T_LINK: u64 = 13;
pub(super) const T_TAG: u64 = 14;

pub(super) const DAY_MS: i64 = 86_400_000;
pub(super) const FIRST: [&str; 32] = [
    "nora", "liam", "maria", "omar", "yuki", "ana", "li", "sven", "aisha", "pedro", "eva", "noah",
    "ines", "kofi", "mia", "raj", "lena", "tom", "zoe", "ivan", "sara", "leo", "amir", "chloe",
    "jonas", "lucia", "ben", "fatima", "max", "elif", "hugo", "rosa",
];
pub(super) const SEGMENTS: [&str; 3] = ["consumer", "smb", "enterprise"];
pub(super) const REGIONS: [&str; 5] = ["north", "south", "east", "west", "central"];
pub(super) const PLANS: [&str; 5] = ["prepaid", "basic", "plus", "premium", "unlimited"];
pub(super) const STATUSES: [&str; 3] = ["active", "suspended", "closed"];
pub(super) const PLATFORMS: [&str; 5] = ["twitter", "facebook", "instagram", "reddit", "tiktok"];
pub(super) const CHANNELS: [&str; 4] = ["email", "sms", "web", "app"];
pub(super) const TEXTS: [&str; 8] = [
    "switched to the new plan, loving it",
    "network down again in my area",
    "billing support sorted it in five minutes",
    "why is my bill higher this month?",
    "5G speeds here are great",
    "40 minutes on hold, seriously",
    "roaming charges are a joke",
    "thanks for the quick fix",
];

/// An accounts rule a generated row breaks on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    NullKey,
    NullStatus,
    BadStatus,
    FutureSignup,
    NegativeSpend,
    NegativeServices,
    PaidOverDue,
}

/// Cumulative shares of the account faults (1.1 % of accounts), then 0.1 %
/// duplicated account ids (both copies are rejected).
const FAULTS: [(f64, Fault); 7] = [
    (0.002, Fault::NullKey),
    (0.001, Fault::NullStatus),
    (0.002, Fault::BadStatus),
    (0.002, Fault::FutureSignup),
    (0.0015, Fault::NegativeSpend),
    (0.001, Fault::NegativeServices),
    (0.0015, Fault::PaidOverDue),
];
const DUPLICATED: f64 = 0.001;

/// What decides an account's validity and handle, cheap to recompute.
#[derive(Debug, Clone, Copy)]
struct Keys {
    own_handle: bool,
    shares_prev: bool,
    fault: Option<Fault>,
    duplicated: bool,
}

/// The synthetic world: sizes, dates and the seed.
#[derive(Debug, Clone)]
pub struct Model {
    /// PRNG seed.
    pub seed: u64,
    /// Number of account indices.
    pub accounts: u64,
    /// Snapshot date D, in days since 1970-01-01.
    pub date: i32,
    /// Number of weekly influence deliveries.
    pub weeks: u64,
}

pub(super) fn ts(days: i32) -> i64 {
    i64::from(days) * DAY_MS
}

pub(super) fn opt_str(b: &mut StringBuilder, v: Option<&str>) {
    match v {
        Some(s) => b.append_value(s),
        None => b.append_null(),
    }
}

/// Write a code in one of its spellings: as is, Capitalized, or ` UPPER `.
pub(super) fn spelled(out: &mut String, code: &str, r: &mut Rng) {
    out.clear();
    match r.pick(&[0.85, 0.1, 0.05]) {
        0 => out.push_str(code),
        1 => {
            let mut c = code.chars();
            if let Some(f) = c.next() {
                out.extend(f.to_uppercase());
                out.push_str(c.as_str());
            }
        }
        _ => {
            out.push(' ');
            out.push_str(&code.to_uppercase());
            out.push(' ');
        }
    }
}

/// Write a handle in one of the spellings that normalize to `base`:
/// `base`, `@base`, ` base `, `BASE`, `@Base`, `@ base\t`.
pub fn handle_variant(out: &mut String, base: &str, r: &mut Rng) {
    out.clear();
    match r.pick(&[0.55, 0.2, 0.08, 0.07, 0.07, 0.03]) {
        0 => out.push_str(base),
        1 => {
            out.push('@');
            out.push_str(base);
        }
        2 => {
            out.push(' ');
            out.push_str(base);
            out.push(' ');
        }
        3 => out.push_str(&base.to_uppercase()),
        4 => {
            out.push('@');
            let mut c = base.chars();
            if let Some(f) = c.next() {
                out.extend(f.to_uppercase());
                out.push_str(c.as_str());
            }
        }
        _ => {
            out.push_str("@ ");
            out.push_str(base);
            out.push('\t');
        }
    }
}

impl Model {
    fn keys(&self, i: u64) -> Keys {
        let mut r = Rng::at(self.seed, T_KEYS, 0, i);
        let own_handle = r.chance(HANDLE_SHARE);
        let shares_prev = r.chance(SHARED_HANDLE);
        let u = r.unit();
        let mut acc = 0.0;
        let mut fault = None;
        for (p, f) in FAULTS {
            acc += p;
            if u < acc {
                fault = Some(f);
                break;
            }
        }
        let duplicated = fault.is_none() && u < acc + DUPLICATED;
        Keys {
            own_handle,
            shares_prev,
            fault,
            duplicated,
        }
    }

    /// Whether account `i` is valid (passes every rule, not duplicated).
    pub fn valid_account(&self, i: u64) -> bool {
        let k = self.keys(i);
        k.fault.is_none() && !k.duplicated
    }

    /// The account whose name is account `i`'s handle: itself, its
    /// predecessor (a shared, ambiguous handle), or none.
    pub fn handle_owner(&self, i: u64) -> Option<u64> {
        let k = self.keys(i);
        if k.shares_prev && i > 0 {
            let p = self.keys(i - 1);
            if p.own_handle && !p.shares_prev {
                return Some(i - 1);
            }
        }
        k.own_handle.then_some(i)
    }

    /// The normalized handle of an owner index, e.g. `nora_1234`.
    pub fn handle_name(&self, owner: u64, out: &mut String) {
        out.clear();
        let name = FIRST[(key(self.seed, T_NAME, owner, 0) % FIRST.len() as u64) as usize];
        let _ = write!(out, "{name}_{owner}");
    }

    /// Rows (before redeliveries are mixed in) of a daily partition.
    pub fn daily_rows(&self, table: u64, day: i32, per_account: f64, window_days: u32) -> u64 {
        let base = self.accounts as f64 * per_account / f64::from(window_days.max(1));
        let jitter = 0.85 + 0.3 * Rng::at(self.seed, T_DAY, table, day as u64).unit();
        (base * jitter + 0.5) as u64
    }

    /// `A00001234`.
    pub(super) fn account_id(out: &mut String, i: u64) {
        out.clear();
        let _ = write!(out, "A{i:08}");
    }
}

/// Columns of an accounts batch.
#[derive(Default)]
pub struct AccountCols {
    id: StringBuilder,
    segment: StringBuilder,
    region: StringBuilder,
    plan: StringBuilder,
    status: StringBuilder,
    signup: Vec<Option<i32>>,
    cents: Vec<Option<i64>>,
    nan: Vec<bool>,
    services: Vec<Option<i64>>,
    due: Vec<Option<i64>>,
    paid: Vec<Option<i64>>,
    handle: StringBuilder,
    crm: StringBuilder,
}

impl Model {
    /// Append account `i` (and its duplicate, if it has one).
    pub fn account(&self, i: u64, float_spend: bool, c: &mut AccountCols, buf: &mut String) {
        let k = self.keys(i);
        let mut r = Rng::at(self.seed, T_ACCOUNT, 0, i);
        let segment = r.pick(&[0.7, 0.2, 0.08, 0.02]);
        let region = r.pick(&[0.3, 0.25, 0.2, 0.15, 0.09, 0.01]);
        let plan = r.pick(&[0.25, 0.3, 0.25, 0.12, 0.07, 0.01]);
        let status = r.pick(&[0.85, 0.05, 0.10]);
        let ago = r.below(3650) as i32;
        let mut signup = (!r.chance(0.02)).then_some(self.date - ago);
        let spend_kind = r.pick(&[0.95, 0.03, 0.02]);
        let spend = r.log_normal(3.2 + 0.25 * plan.min(4) as f64, 0.6);
        let mut cents = match spend_kind {
            0 => Some(scaled(spend, 2).min(99_999_999)),
            1 => Some(0),
            _ => None,
        };
        let mut nan = false;
        let mut services =
            (!r.chance(0.01)).then(|| r.pick(&[0.3, 0.3, 0.2, 0.1, 0.06, 0.04]) as i64 + 1);
        let months = signup.map_or(12, |s| i64::from((self.date - s) / 30).min(12));
        let late = match r.pick(&[0.6, 0.2, 0.1, 0.1]) {
            0 => 0,
            1 => 1,
            2 => 2,
            _ => r.range(0, months),
        };
        let mut due = (!r.chance(0.01)).then_some(months);
        let mut paid = (!r.chance(0.01)).then_some((months - late).max(0));
        if due.is_none() {
            paid = None; // no billing data: both unknown (a paid count alone would break its rule)
        }
        let mut status_text = Some(String::new());
        if let Some(s) = status_text.as_mut() {
            spelled(s, STATUSES[status], &mut r);
        }
        let fault_pick = r.below(3);
        match k.fault {
            Some(Fault::NullKey) => {}
            Some(Fault::NullStatus) => {
                status_text =
                    [None, Some(String::new()), Some("  ".into())][fault_pick as usize].clone()
            }
            Some(Fault::BadStatus) => {
                status_text = Some(["pending", "Churned", "frozen"][fault_pick as usize].into())
            }
            Some(Fault::FutureSignup) => signup = Some(self.date + 1 + r.range(0, 30) as i32),
            Some(Fault::NegativeSpend) if float_spend && fault_pick == 0 => nan = true,
            Some(Fault::NegativeSpend) => cents = Some(-1 - r.range(0, 5000)),
            Some(Fault::NegativeServices) => services = Some(-1),
            Some(Fault::PaidOverDue) => {
                let d = due.unwrap_or(0);
                due = Some(d);
                paid = Some(d + 1 + r.range(0, 2));
            }
            None => {}
        }
        match k.fault {
            Some(Fault::NullKey) => opt_str(
                &mut c.id,
                [None, Some(""), Some("   ")][fault_pick as usize],
            ),
            _ => {
                Model::account_id(buf, i);
                c.id.append_value(buf.as_str());
            }
        }
        opt_str(&mut c.segment, SEGMENTS.get(segment).copied());
        opt_str(&mut c.region, REGIONS.get(region).copied());
        opt_str(&mut c.plan, PLANS.get(plan).copied());
        opt_str(&mut c.status, status_text.as_deref());
        c.signup.push(signup);
        c.cents.push(cents);
        c.nan.push(nan);
        c.services.push(services);
        c.due.push(due);
        c.paid.push(paid);
        match self.handle_owner(i) {
            Some(owner) => {
                let mut name = String::new();
                self.handle_name(owner, &mut name);
                handle_variant(buf, &name, &mut r);
                c.handle.append_value(buf.as_str());
            }
            None => c.handle.append_null(),
        }
        c.crm
            .append_value(["siebel", "salesforce", "legacy"][(i % 3) as usize]);
        if k.duplicated {
            // the same id again, padded, from another CRM extract: both are rejected
            buf.clear();
            let _ = write!(buf, " A{i:08} ");
            c.id.append_value(buf.as_str());
            opt_str(&mut c.segment, SEGMENTS.get(segment).copied());
            opt_str(&mut c.region, REGIONS.get(region).copied());
            opt_str(&mut c.plan, PLANS.get(plan).copied());
            c.status.append_value("active");
            c.signup.push(signup);
            c.cents.push(cents.map(|v| v + 500));
            c.nan.push(false);
            c.services.push(services);
            c.due.push(due);
            c.paid.push(paid);
            c.handle.append_null();
            c.crm.append_value("legacy");
        }
    }
}

pub(super) fn strs(b: &mut StringBuilder, large: bool) -> Result<ArrayRef> {
    let a: ArrayRef = Arc::new(b.finish());
    Ok(if large {
        cast(&a, &DataType::LargeUtf8)?
    } else {
        a
    })
}

pub(super) fn ints(v: &[Option<i64>], wide: bool) -> ArrayRef {
    if wide {
        Arc::new(Int64Array::from(v.to_vec()))
    } else {
        Arc::new(
            v.iter()
                .map(|x| x.map(|x| x as i32))
                .collect::<Int32Array>(),
        )
    }
}

/// Milliseconds → `Timestamp(ms, "UTC")`, or `Timestamp(µs)` without zone.
pub(super) fn stamps(v: &[Option<i64>], ms_utc: bool) -> ArrayRef {
    if ms_utc {
        Arc::new(TimestampMillisecondArray::from(v.to_vec()).with_timezone("UTC"))
    } else {
        Arc::new(
            v.iter()
                .map(|x| x.map(|ms| ms * 1000))
                .collect::<TimestampMicrosecondArray>(),
        )
    }
}

impl AccountCols {
    /// Finish the batch. Variant 0: Utf8, Int32, Decimal128(18,2);
    /// variant 1: LargeUtf8, Int64, Float64 spend, an extra column first.
    pub fn finish(&mut self, variant: u8) -> Result<RecordBatch> {
        let v1 = variant == 1;
        let spend: ArrayRef = if v1 {
            Arc::new(
                self.cents
                    .iter()
                    .zip(&self.nan)
                    .map(|(c, nan)| {
                        if *nan {
                            Some(f64::NAN)
                        } else {
                            c.map(|c| c as f64 / 100.0)
                        }
                    })
                    .collect::<Float64Array>(),
            )
        } else {
            Arc::new(
                self.cents
                    .iter()
                    .map(|c| c.map(i128::from))
                    .collect::<Decimal128Array>()
                    .with_precision_and_scale(18, 2)?,
            )
        };
        let mut cols: Vec<(&str, ArrayRef)> = Vec::new();
        let crm = strs(&mut self.crm, v1)?;
        if v1 {
            cols.push(("crm_source", crm));
        }
        cols.extend([
            ("account_id", strs(&mut self.id, v1)?),
            ("segment", strs(&mut self.segment, v1)?),
            ("region", strs(&mut self.region, v1)?),
            ("plan", strs(&mut self.plan, v1)?),
            ("status", strs(&mut self.status, v1)?),
            (
                "signup_date",
                Arc::new(Date32Array::from(std::mem::take(&mut self.signup))) as ArrayRef,
            ),
            ("monthly_spend", spend),
            ("services_count", ints(&self.services, v1)),
            ("invoices_due_12m", ints(&self.due, v1)),
            ("invoices_paid_on_time_12m", ints(&self.paid, v1)),
            ("social_handle", strs(&mut self.handle, v1)?),
        ]);
        *self = AccountCols::default();
        Ok(RecordBatch::try_from_iter(cols)?)
    }
}
