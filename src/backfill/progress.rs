//! How a backfill shows itself: an indicatif progress bar on a terminal
//! (else one log line per finished date); log lines are printed above the
//! bar by [`crate::logging`].

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use tracing::{info, warn};

use super::{round3, DateResult, DateStatus};

/// Progress: an indicatif bar on a terminal, else one log line per date.
pub(super) struct Progress {
    bar: Option<ProgressBar>,
    total: usize,
    finished: usize,
    ok: usize,
    skipped: usize,
    failed: usize,
    rows: u64,
    started: Instant,
}

impl Progress {
    pub(super) fn new(draw: bool, total: usize) -> Progress {
        let bar = draw.then(|| {
            let bar = ProgressBar::new(total as u64);
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} dates · {msg} · ETA {eta}",
            ) {
                bar.set_style(style);
            }
            bar.set_message("0 ok, 0 skipped, 0 failed, 0 rows");
            bar.enable_steady_tick(Duration::from_millis(200));
            crate::logging::show_bar(Some(bar.clone()));
            bar
        });
        Progress {
            bar,
            total,
            finished: 0,
            ok: 0,
            skipped: 0,
            failed: 0,
            rows: 0,
            started: Instant::now(),
        }
    }

    pub(super) fn finished(&mut self, r: &DateResult) {
        self.finished += 1;
        match r.status {
            DateStatus::Ok => self.ok += 1,
            DateStatus::Skipped => self.skipped += 1,
            DateStatus::Failed | DateStatus::Interrupted => self.failed += 1,
            DateStatus::NotRun => {}
        }
        self.rows += r.customer_tiers_rows.unwrap_or(0);
        if let Some(err) = &r.error {
            warn!(
                snapshot_date = %r.snapshot_date,
                status = %r.status.as_str(),
                exit_code = r.exit_code,
                error = %err,
                "backfill date not done"
            );
        }
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                bar.set_message(format!(
                    "{} ok, {} skipped, {} failed, {} rows",
                    self.ok, self.skipped, self.failed, self.rows
                ));
            }
            None => {
                let elapsed = self.started.elapsed().as_secs_f64();
                let left = self.total.saturating_sub(self.finished);
                let eta_s = round3(elapsed / self.finished as f64 * left as f64);
                info!(
                    snapshot_date = %r.snapshot_date,
                    status = %r.status.as_str(),
                    rows = r.customer_tiers_rows.unwrap_or(0),
                    rejects = r.rejects.unwrap_or(0),
                    seconds = r.seconds,
                    done = self.finished,
                    total = self.total,
                    ok = self.ok,
                    skipped = self.skipped,
                    failed = self.failed,
                    elapsed_s = round3(elapsed),
                    eta_s,
                    "backfill date finished"
                );
            }
        }
    }

    pub(super) fn clear(&mut self) {
        if let Some(bar) = self.bar.take() {
            crate::logging::show_bar(None);
            bar.finish_and_clear();
        }
    }
}
