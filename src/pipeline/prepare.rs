//! The first stage of a run: open the input and output locations, resolve
//! snapshot date D, find the committed dates D compares with
//! ([`History`]), open a session on the engine and register in it the
//! stores, the history tables and nothing else yet.

use chrono::NaiveDate;
use datafusion::common::ParamValues;
use tracing::info;

use super::Run;
use crate::contract;
use crate::engine::{Purpose, Session};
use crate::error::{Error, Result};
use crate::history::History;
use crate::publish::{Publisher, RunLock, Staging};
use crate::storage::Location;
use crate::transform;

/// Everything a run has before it reads an input file.
pub(crate) struct Prepared<'a> {
    pub run: &'a Run<'a>,
    pub date: NaiveDate,
    pub input: Location,
    pub output: Location,
    pub publisher: Publisher,
    pub history: History,
    /// Where this run stages its files (and where a cluster keeps its
    /// intermediate results).
    pub staging: Staging,
    pub session: Session,
    /// The run's bound SQL parameters.
    pub params: ParamValues,
}

/// Open the locations, resolve D, find P and B, open a session.
pub(crate) async fn prepare<'a>(run: &'a Run<'a>) -> Result<Prepared<'a>> {
    let s = run.cfg.settings();
    let input = Location::open(&s.input, &s.storage)?;
    let output = Location::open(&s.output, &s.storage)?;
    if !output.writable() {
        return Err(Error::Usage(format!(
            "output {} is read-only (http(s) locations can only be read)",
            output.display(&output.prefix)
        )));
    }
    let date = contract::read::snapshot_date(run.cfg.date(), &input).await?;
    info!(snapshot_date = %date, input = %input.display(&input.prefix), output = %output.display(&output.prefix), "run");
    let publisher = Publisher::new(s, &output);
    let history = History::find(&publisher, date, s).await?;
    let staging = Staging::new(&output, date, &run.id).pausing(run.cfg.pause);
    let purpose = match &run.plans {
        Some(keep) => Purpose::Explain(keep.clone()),
        None => Purpose::Run {
            run_id: &run.id,
            work: (&output, staging.work_dir()),
        },
    };
    let session = run.engine.session(purpose).await?;
    input.register(&session.ctx);
    output.register(&session.ctx);
    history.register(&session.ctx, &publisher).await?;
    crate::care::register(&session.ctx, &s.care)?;
    let params = transform::params(date, s, &history);
    Ok(Prepared {
        run,
        date,
        input,
        output,
        publisher,
        history,
        staging,
        session,
        params,
    })
}

impl Prepared<'_> {
    /// Take the lock of partition D for this run (publishing runs only).
    pub async fn lock(&self) -> Result<RunLock> {
        let stale = self.run.cfg.settings().storage.lock_stale_secs;
        RunLock::acquire(&self.output, self.date, &self.run.id, stale).await
    }

    /// The output root as the user may see it (redacted).
    pub fn output_url(&self) -> String {
        self.output.display(&self.output.prefix)
    }
}
