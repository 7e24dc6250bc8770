//! The order constraint of a backfill: a date's run compares with earlier
//! committed dates ([`crate::history`]: the newest committed one of D−1 …
//! D−`movement_lookback_days` for `tier_movements`, D − `nps_days` for
//! `nps_changes`, and every committed `care_queue` of D−(queue_days−1) …
//! D−1 for the care queue's exclusion), so, oldest first, a date starts only once every date of
//! the range it may compare with has finished (ok, skipped or failed),
//! whatever `--concurrency`. Then a backfill gives the same rows as running
//! the dates one at a time in date order, and a failed date is compared
//! with as it is left (not committed: the date before it is used).
//!
//! With `--newest-first` (a catch-up: the freshest date first) no date
//! waits: each compares with what is committed when it runs, which may be
//! an older date than a date-by-date run would use.

use chrono::{Days, NaiveDate};

use super::BackfillConfig;

/// The dates of the range that must finish before `date` starts.
pub(super) fn waits_for(cfg: &BackfillConfig, date: NaiveDate) -> Vec<NaiveDate> {
    if cfg.newest_first {
        return Vec::new();
    }
    let w = &cfg.run.settings().windows;
    let back = |n: u32| date.checked_sub_days(Days::new(u64::from(n)));
    let mut dates: Vec<NaiveDate> = (1..=w.movement_lookback_days).filter_map(back).collect();
    dates.extend(back(w.nps_days));
    let queue_days = cfg.run.settings().care.queue_days;
    dates.extend((1..queue_days).filter_map(back));
    dates.retain(|d| *d >= cfg.from && *d <= cfg.to);
    dates.sort();
    dates.dedup();
    dates
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{parse_date, RunConfig, Settings};

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    fn config(from: &str, to: &str, lookback: u32, nps_days: u32) -> BackfillConfig {
        let mut s = Settings::default();
        s.windows.movement_lookback_days = lookback;
        s.windows.nps_days = nps_days;
        BackfillConfig {
            from: d(from),
            to: d(to),
            newest_first: false,
            force: false,
            concurrency: 2,
            fail_fast: false,
            summary_json: None,
            progress_bar: false,
            run: RunConfig::new(None, s).unwrap(),
        }
    }

    #[test]
    fn a_date_waits_for_the_dates_of_the_range_it_compares_with() {
        let cfg = config("2026-03-01", "2026-03-10", 3, 5);
        let names = |v: Vec<NaiveDate>| v.iter().map(|d| d.to_string()).collect::<Vec<_>>();
        // the first date of the range waits for nothing
        assert!(waits_for(&cfg, d("2026-03-01")).is_empty());
        // lookback inside the range only
        assert_eq!(names(waits_for(&cfg, d("2026-03-02"))), ["2026-03-01"]);
        // D-1 … D-3, and the NPS baseline D-5
        assert_eq!(
            names(waits_for(&cfg, d("2026-03-10"))),
            ["2026-03-05", "2026-03-07", "2026-03-08", "2026-03-09"]
        );
        // the care queue reads D-1 … D-(queue_days-1), beyond the lookback
        let mut queue = config("2026-03-01", "2026-03-10", 1, 30);
        let mut s = queue.run.settings().clone();
        s.care.queue_days = 4;
        queue.run = RunConfig::new(None, s).unwrap();
        assert_eq!(
            names(waits_for(&queue, d("2026-03-10"))),
            ["2026-03-07", "2026-03-08", "2026-03-09"]
        );
        // newest first: nobody waits
        let mut newest = cfg.clone();
        newest.newest_first = true;
        assert!(waits_for(&newest, d("2026-03-10")).is_empty());
    }
}
