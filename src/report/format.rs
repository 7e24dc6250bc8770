//! Numbers as people read them (docs/report.md, "Reading it"): thousands
//! separators, one or two decimals, rates as percentages, a real minus
//! sign, dates as dates. The page prints these; the exact value each one
//! was made from stays beside it in a `data-value` attribute ([`Cell`]), so
//! a tool never parses the rounded text.

use chrono::{DateTime, NaiveDate, Utc};

/// One value of the page: the exact value (`data-value`) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// Exact: integers as they are, floating point numbers in their
    /// shortest form that reads back to the same double, booleans
    /// `true`/`false`, dates ISO 8601, anything else verbatim.
    pub value: String,
    /// What a person reads.
    pub text: String,
}

impl Cell {
    /// A value shown as it is.
    pub fn plain(v: impl ToString) -> Cell {
        let v = v.to_string();
        Cell {
            text: v.clone(),
            value: v,
        }
    }

    /// A count with thousands separators.
    pub fn int(v: i64) -> Cell {
        Cell {
            value: v.to_string(),
            text: int(v),
        }
    }

    /// A floating point value with `digits` decimals.
    pub fn float(v: f64, digits: usize) -> Cell {
        Cell {
            value: v.to_string(),
            text: dec(v, digits),
        }
    }

    /// A ratio (0 … 1) shown as a percentage with `digits` decimals.
    pub fn ratio(v: f64, digits: usize) -> Cell {
        Cell {
            value: v.to_string(),
            text: pct(v * 100.0, digits),
        }
    }

    /// A boolean, `yes`/`no`.
    pub fn boolean(v: bool) -> Cell {
        Cell {
            value: v.to_string(),
            text: if v { "yes" } else { "no" }.into(),
        }
    }

    /// A date, `Tue 10 Mar 2026`.
    pub fn date(d: NaiveDate) -> Cell {
        Cell {
            value: d.to_string(),
            text: long_date(d),
        }
    }
}

/// `1234567` → `1,234,567`; negative numbers with a minus sign.
pub fn int(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0 {
        format!("−{out}")
    } else {
        out
    }
}

/// `v` with exactly `digits` decimals and thousands separators; `−` for
/// negative values (never `−0.0`); an en dash when not finite.
pub fn dec(v: f64, digits: usize) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let s = format!("{:.digits$}", v.abs());
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    let whole = int(whole.parse::<i64>().unwrap_or(0));
    let negative = v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0');
    let sign = if negative { "−" } else { "" };
    match frac {
        "" => format!("{sign}{whole}"),
        f => format!("{sign}{whole}.{f}"),
    }
}

/// A signed change, `+1.5` / `−0.8` / `±0.0`.
pub fn signed(v: f64, digits: usize) -> String {
    let s = dec(v, digits);
    if !v.is_finite() || s.starts_with('−') {
        s
    } else if s.chars().all(|c| !c.is_ascii_digit() || c == '0') {
        format!("±{s}")
    } else {
        format!("+{s}")
    }
}

/// A percentage, `32.9 %`.
pub fn pct(v: f64, digits: usize) -> String {
    format!("{} %", dec(v, digits))
}

/// `Tue 10 Mar 2026`.
pub fn long_date(d: NaiveDate) -> String {
    d.format("%a %-d %b %Y").to_string()
}

/// `10 Mar`, for chart axes.
pub fn short_date(d: NaiveDate) -> String {
    d.format("%-d %b").to_string()
}

/// An RFC 3339 time of a manifest as `2026-03-11 02:00:05 UTC`; the text
/// itself when it does not parse.
pub fn time(rfc3339: &str) -> String {
    match DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => t
            .with_timezone(&Utc)
            .format("%Y-%m-%d %H:%M:%S UTC")
            .to_string(),
        Err(_) => rfc3339.to_string(),
    }
}

/// Milliseconds from `started` to `finished` (RFC 3339), if both parse.
pub fn duration_ms(started: &str, finished: &str) -> Option<i64> {
    let s = DateTime::parse_from_rfc3339(started).ok()?;
    let f = DateTime::parse_from_rfc3339(finished).ok()?;
    Some((f - s).num_milliseconds())
}

/// A duration as people say it: `850 ms`, `3.6 s`, `4 min 05 s`, `1 h 02 min`.
pub fn duration(ms: i64) -> String {
    let (sign, ms) = (if ms < 0 { "−" } else { "" }, ms.unsigned_abs());
    let s = ms / 1000;
    let text = match ms {
        0..=999 => format!("{ms} ms"),
        1_000..=59_999 => format!("{} s", dec(ms as f64 / 1000.0, 1)),
        60_000..=3_599_999 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    };
    format!("{sign}{text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(1_000), "1,000");
        assert_eq!(int(889_083), "889,083");
        assert_eq!(int(1_234_567), "1,234,567");
        assert_eq!(int(-12_345), "−12,345");
    }

    #[test]
    fn decimals_are_fixed_and_signed() {
        assert_eq!(dec(15.0, 1), "15.0");
        assert_eq!(dec(-9.8, 1), "−9.8");
        assert_eq!(dec(14.71, 1), "14.7");
        assert_eq!(dec(0.3287292817679558, 2), "0.33");
        assert_eq!(dec(-0.04, 1), "0.0"); // never −0.0
        assert_eq!(dec(12_345.678, 2), "12,345.68");
        assert_eq!(dec(f64::NAN, 1), "–");
        assert_eq!(signed(1.5, 1), "+1.5");
        assert_eq!(signed(-0.8, 1), "−0.8");
        assert_eq!(signed(0.01, 1), "±0.0");
        assert_eq!(pct(32.87, 1), "32.9 %");
    }

    #[test]
    fn cells_keep_the_exact_value() {
        let c = Cell::ratio(0.3287292817679558, 1);
        assert_eq!(
            (c.value.as_str(), c.text.as_str()),
            ("0.3287292817679558", "32.9 %")
        );
        let c = Cell::float(0.1 + 0.2, 2);
        assert_eq!(c.value, "0.30000000000000004");
        assert_eq!(Cell::int(1_500).text, "1,500");
        assert_eq!(Cell::boolean(true).value, "true");
        let d = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        assert_eq!(Cell::date(d).text, "Tue 10 Mar 2026");
        assert_eq!(Cell::date(d).value, "2026-03-10");
        assert_eq!(short_date(d), "10 Mar");
    }

    #[test]
    fn times_and_durations_read_naturally() {
        assert_eq!(time("2026-12-05T23:38:58.641Z"), "2026-12-05 23:38:58 UTC");
        assert_eq!(time("not a time"), "not a time");
        let ms = duration_ms("2026-12-05T23:38:58.641Z", "2026-12-05T23:39:00.259Z");
        assert_eq!(ms, Some(1_618));
        assert_eq!(duration(850), "850 ms");
        assert_eq!(duration(1_618), "1.6 s");
        assert_eq!(duration(245_000), "4 min 05 s");
        assert_eq!(duration(3_720_000), "1 h 02 min");
    }
}
