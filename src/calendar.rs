//! Dates as the outputs and the SQL hold them: Arrow's `Date32` counts days
//! since 1970-01-01, and every window starts at `day_start(X)` =
//! `X 00:00:00` UTC (docs/SPEC.md §3). One definition for the partition
//! filters, the SQL parameters, Delta's partition values and the generator.

use chrono::{NaiveDate, NaiveTime};

/// Days since 1970-01-01 of a date (Date32's representation).
pub fn days_since_epoch(d: NaiveDate) -> i32 {
    (d - NaiveDate::default()).num_days() as i32
}

/// `day_start(d)` in microseconds since the epoch, UTC.
pub fn day_start_micros(d: NaiveDate) -> i64 {
    d.and_time(NaiveTime::MIN).and_utc().timestamp_micros()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_days_and_day_starts() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(NaiveDate::default(), d("1970-01-01"));
        assert_eq!(days_since_epoch(d("1970-01-01")), 0);
        assert_eq!(days_since_epoch(d("1969-12-31")), -1);
        // 2026-03-10: 56 years of which 14 leap (1972 … 2024) = 20454 days,
        // then 31 + 28 + 9 days into 2026
        assert_eq!(days_since_epoch(d("2026-03-10")), 20454 + 68);
        assert_eq!(day_start_micros(d("1970-01-02")), 86_400_000_000);
    }
}
