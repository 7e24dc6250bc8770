//! The input contract (docs/SPEC.md §1–2), one stage of the pipeline:
//! [`spec`] says what the contract is (tables, kinds, windows, partition
//! dates), [`read`] lists and checks the files and registers their typed
//! views, [`check`] applies the row rules and counts the rejects, [`gate`]
//! applies the quality gate and the per-table and per-reason thresholds,
//! and [`freshness`] the completeness and freshness limits of the windowed
//! inputs. [`check_inputs`] runs the whole stage and returns one value,
//! [`Checked`], that the pipeline passes on.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::NaiveDate;
use datafusion::common::ParamValues;
use datafusion::prelude::SessionContext;

pub mod check;
pub mod freshness;
pub mod gate;
pub mod read;
pub mod rejects;
pub mod spec;

pub use check::rejects_frame;
pub use spec::{partition_dates, Kind, TableSpec, Window, TABLES};

use crate::config::Settings;
use crate::engine::Keep;
use crate::error::{Error, Result};
use crate::findings::{self, Findings};
use crate::manifest::InputStats;
use crate::storage::Location;

/// What the contract stage hands on: per input table the files read, rows
/// read, rejects by reason and duplicates dropped (the manifest's `inputs`),
/// and the quality gate's verdict. `checked_<table>` and `files_<table>`
/// are registered in the session for the transforms and the rejects.
#[derive(Debug)]
pub struct Checked {
    /// Per input table, by name.
    pub inputs: BTreeMap<String, InputStats>,
    /// The quality gate's failure, if a table is over one of its limits.
    pub gate: Option<Error>,
    /// The first freshness or completeness check failed at level `error`.
    pub freshness: Option<Error>,
    /// Completeness figures and every freshness and threshold finding.
    pub findings: Findings,
    /// Milliseconds of each part of the stage, for the manifest.
    pub timings_ms: Vec<(&'static str, u64)>,
}

/// Everything the contract stage needs from the run.
pub struct Stage<'a> {
    /// The session the checks run in.
    pub ctx: &'a SessionContext,
    /// How `checked_<table>` results are kept.
    pub keep: &'a Keep,
    /// The bound SQL parameters of the run.
    pub params: &'a ParamValues,
    /// The input root.
    pub input: &'a Location,
    /// Snapshot date D.
    pub date: NaiveDate,
    /// The validated settings.
    pub settings: &'a Settings,
    /// How many checks run at the same time.
    pub together: usize,
}

/// List and check every input file, register the typed views, run the
/// check steps, count rejects and apply the quality gate.
pub async fn check_inputs(st: Stage<'_>) -> Result<Checked> {
    gate::validate_reasons(st.settings)?;
    let mut timings_ms = Vec::new();
    let t = Instant::now();
    let mut inputs = BTreeMap::new();
    let mut checked = Vec::new();
    let mut findings = Findings::default();
    for spec in TABLES {
        let (files, stats) = read::list_table(st.input, spec, st.date, st.settings).await?;
        let files = read::check_files(st.input, spec, files).await?;
        let rows = files.rows_per_day();
        let figures =
            freshness::completeness(spec, st.date, st.settings, &stats.partitions_read, &rows);
        if let (Some(c), Some(limits)) = (figures, st.settings.checks.table(spec.name)) {
            findings.extend(freshness::evaluate(spec.name, &c, limits));
            findings.inputs.insert(spec.name.to_string(), c);
        }
        checked.push((spec, files));
        inputs.insert(spec.name.to_string(), stats);
    }
    timings_ms.push(("list_and_check_files", elapsed_ms(t)));

    let t = Instant::now();
    for (spec, files) in &checked {
        read::register_raw(st.ctx, spec, files).await?;
    }
    check::run_checks(&st, &checked).await?;
    timings_ms.push(("check_rows", elapsed_ms(t)));

    let t = Instant::now();
    for spec in TABLES {
        if let Some(stats) = inputs.get_mut(spec.name) {
            check::count_rows(st.ctx, spec, stats).await?;
            tracing::info!(table = spec.name, rows_read = stats.rows_read, rejected = stats.rejected, duplicates_dropped = stats.duplicates_dropped, reasons = ?stats.rejected_by_reason, "checked");
        }
    }
    timings_ms.push(("count_rejects", elapsed_ms(t)));
    let (thresholds, gate) = gate::evaluate(&inputs, &st.settings.quality);
    findings.extend(thresholds);
    Ok(Checked {
        inputs,
        gate,
        freshness: findings.first_error(&[findings::Kind::Freshness]),
        findings,
        timings_ms,
    })
}

/// Milliseconds since `t`.
pub(crate) fn elapsed_ms(t: Instant) -> u64 {
    t.elapsed().as_millis() as u64
}
