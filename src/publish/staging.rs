//! Where a run stages its files: `<output>/_staging/snapshot_date=D/<run_id>/`,
//! one folder per output table, plus `_work/` for the intermediate results a
//! cluster reads back. Nothing under `_staging` is ever read as output.
//!
//! A staging also carries the crash tests' [`Pause`]: [`Staging::checkpoint`]
//! is the one place a run waits for a signal or SIGKILL to land (once
//! everything is staged and between the steps of every publish).

use chrono::NaiveDate;
use object_store::path::Path;

use crate::cancel::Pause;
use crate::error::Result;
use crate::storage::{partition_path, Location};

/// Where one run stages its files.
#[derive(Debug, Clone)]
pub struct Staging {
    /// `<output>/_staging/snapshot_date=D`: every run of D stages below it.
    pub date_dir: Path,
    /// `<date_dir>/<run_id>`: this run's files.
    pub run_dir: Path,
    /// Snapshot date D.
    pub date: NaiveDate,
    /// The run's id.
    pub run_id: String,
    /// The crash tests' pause at each checkpoint (zero in production).
    pause: Pause,
}

impl Staging {
    /// The staging folders of a run.
    pub fn new(out: &Location, date: NaiveDate, run_id: &str) -> Staging {
        let date_dir = partition_path(out, "_staging", date);
        let run_dir = date_dir.clone().join(run_id);
        Staging {
            date_dir,
            run_dir,
            date,
            run_id: run_id.to_string(),
            pause: Pause::default(),
        }
    }

    /// The same staging, waiting `pause` at every [`Staging::checkpoint`].
    pub fn pausing(self, pause: Pause) -> Staging {
        Staging { pause, ..self }
    }

    /// A point where a crash test may stop the run: waits the pause, if any.
    pub async fn checkpoint(&self) {
        self.pause.wait().await;
    }

    /// Where a table's files are staged.
    pub fn table_dir(&self, table: &str) -> Path {
        let mut p = self.run_dir.clone();
        for seg in table.split('/') {
            p = p.join(seg);
        }
        p
    }

    /// Scratch folder of this run (intermediate results an engine cluster
    /// reads back), removed with the rest of the staging.
    pub fn work_dir(&self) -> Path {
        self.run_dir.clone().join("_work")
    }

    /// Remove staging left by earlier (killed) runs of the same date, keeping
    /// this run's own.
    pub async fn clean_leftovers(&self, out: &Location) -> Result<()> {
        let own = self.run_dir.as_ref().to_string() + "/";
        let mut leftover_runs = std::collections::BTreeSet::new();
        for obj in out.list(&self.date_dir).await? {
            if !obj.location.as_ref().starts_with(&own) {
                out.delete(&obj.location).await?;
                let depth = self.date_dir.parts().count();
                if let Some(run) = obj.location.parts().nth(depth) {
                    leftover_runs.insert(self.date_dir.clone().join(run.as_ref()));
                }
            }
        }
        for run in leftover_runs {
            out.remove_empty_local_dirs(&run);
        }
        Ok(())
    }

    /// Remove this run's staging.
    pub async fn remove(&self, out: &Location) -> Result<()> {
        out.delete_prefix(&self.run_dir).await
    }
}
