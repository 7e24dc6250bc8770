//! The run manifest (docs/SPEC.md §4): one JSON document per run at
//! `<output>/_manifests/snapshot_date=D/<run_id>.json`. Schedulers and BI
//! tools read it, so its shape is versioned (`manifest_version`) and
//! documented in docs/manifest.md; fields are only ever added. This module
//! is the one place that writes and reads manifests: everything else
//! (publish, backfill, the audits, the report, lineage) gets a typed
//! [`Manifest`] from [`read`] or [`newest`], never raw JSON.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use object_store::ObjectStoreExt;
use serde::{Deserialize, Serialize};

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::findings::Findings;
use crate::part_files::WrittenFile;
use crate::redact::redact_secrets;
use crate::storage::{partition_path, Location};

/// Current manifest shape version.
pub const MANIFEST_VERSION: u32 = 1;

/// How a run ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every output committed.
    Success,
    /// Stopped by the quality gate or a reject threshold: rejects
    /// committed, outputs untouched.
    QualityGateFailed,
    /// Stopped by a freshness or completeness check: nothing published.
    FreshnessFailed,
    /// Stopped by a blocking audit of the staged outputs: nothing published.
    AuditFailed,
    /// A status this version does not know, or none (a document written
    /// by another program or by hand): never counts as committed.
    #[default]
    #[serde(other)]
    Unknown,
}

impl Status {
    /// The name the manifest writes (`success`, `quality_gate_failed`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::QualityGateFailed => "quality_gate_failed",
            Status::FreshnessFailed => "freshness_failed",
            Status::AuditFailed => "audit_failed",
            Status::Unknown => "unknown",
        }
    }
}

/// One input file read.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileRead {
    /// Redacted URL.
    pub path: String,
    /// Partition date.
    pub snapshot_date: String,
    /// Bytes.
    pub size: u64,
    /// RFC 3339 time of last modification.
    pub last_modified: String,
}

/// Per input table.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct InputStats {
    /// Partition dates the run read (those that existed).
    pub partitions_read: Vec<String>,
    /// Files read.
    pub files: Vec<FileRead>,
    /// Every row of every partition read.
    pub rows_read: u64,
    /// Rows written to `_rejects/<table>`.
    pub rejected: u64,
    /// `rejected` by `reject_reason`.
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Redelivered copies dropped (mentions, surveys).
    pub duplicates_dropped: u64,
    /// rejected / rows_read (0 when nothing was read).
    pub reject_ratio: f64,
}

/// Per output table.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct OutputStats {
    /// Whether partition D of this table was published by this run.
    pub committed: bool,
    /// Redacted URL of partition D.
    pub partition: String,
    /// Files written (names inside the partition).
    pub files: Vec<WrittenFile>,
    /// Rows written.
    pub rows: u64,
    /// Delta table version this run committed (`--table-format delta` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta_version: Option<i64>,
}

/// The manifest document. Read back, a field the document lacks (an older
/// version, a partial document) is empty or `Unknown`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Manifest {
    /// Shape version.
    pub manifest_version: u32,
    /// Unique id of the run (also the file name).
    pub run_id: String,
    /// Snapshot date D.
    pub snapshot_date: String,
    /// P: the committed date `tier_movements` compared with (`null`: none
    /// in the lookback, every account `new`).
    #[serde(default)]
    pub previous_snapshot_date: Option<String>,
    /// B = D − nps_days, the committed date `nps_changes` compared with
    /// (`null`: B not committed).
    #[serde(default)]
    pub baseline_snapshot_date: Option<String>,
    /// The dates of D−(queue_days−1) … D−1 whose committed `care_queue` the
    /// care queue of D excluded (oldest first; empty: none committed).
    #[serde(default)]
    pub queued_snapshot_dates: Vec<String>,
    /// How the run ended.
    pub status: Status,
    /// Process exit code the run ended with.
    pub exit_code: u8,
    /// Error message when not successful.
    pub error: Option<String>,
    /// RFC 3339 start time.
    pub started_at: String,
    /// RFC 3339 end time.
    pub finished_at: String,
    /// pulsetier version.
    pub pulsetier_version: String,
    /// Engine that ran the SQL.
    pub engine: String,
    /// Effective configuration (no secrets: storage options are not included).
    pub config: Settings,
    /// Per input table.
    pub inputs: BTreeMap<String, InputStats>,
    /// Per output table (`customer_tiers`, …, `_rejects/<table>`).
    pub outputs: BTreeMap<String, OutputStats>,
    /// Milliseconds per stage.
    pub timings_ms: BTreeMap<String, u64>,
    /// Every freshness check, threshold, audit and anomaly check, with its
    /// level and figures (docs/checks.md).
    #[serde(default)]
    pub checks: Findings,
}

/// An RFC 3339 time in UTC with milliseconds, as the manifest writes times.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Which run a manifest is of.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// The run's id (also the manifest's file name).
    pub run_id: String,
    /// Snapshot date D.
    pub date: NaiveDate,
    /// When it started.
    pub started: DateTime<Utc>,
    /// The engine that ran its SQL.
    pub engine: String,
}

impl Manifest {
    /// The manifest of a run that has checked its inputs: successful until
    /// [`Manifest::fail`] says otherwise, no outputs yet.
    pub fn begin(
        run: &RunInfo,
        settings: &Settings,
        inputs: BTreeMap<String, InputStats>,
    ) -> Manifest {
        let RunInfo {
            run_id,
            date,
            started,
            engine,
        } = run.clone();
        Manifest {
            manifest_version: MANIFEST_VERSION,
            run_id,
            snapshot_date: date.to_string(),
            previous_snapshot_date: None,
            baseline_snapshot_date: None,
            queued_snapshot_dates: Vec::new(),
            status: Status::Success,
            exit_code: 0,
            error: None,
            started_at: timestamp(started),
            finished_at: String::new(),
            pulsetier_version: env!("CARGO_PKG_VERSION").into(),
            engine,
            config: settings.redacted(),
            inputs,
            outputs: BTreeMap::new(),
            timings_ms: BTreeMap::new(),
            checks: Findings::default(),
        }
    }

    /// Record the committed dates the run compared with.
    pub fn compared_with(&mut self, previous: Option<NaiveDate>, baseline: Option<NaiveDate>) {
        self.previous_snapshot_date = previous.map(|d| d.to_string());
        self.baseline_snapshot_date = baseline.map(|d| d.to_string());
    }

    /// Record the failure of the quality gate, a freshness check or an audit.
    pub fn fail(&mut self, err: &Error) {
        self.status = match err {
            Error::Freshness { .. } => Status::FreshnessFailed,
            Error::Audit { .. } => Status::AuditFailed,
            _ => Status::QualityGateFailed,
        };
        self.exit_code = err.exit_code();
        self.error = Some(redact_secrets(&err.to_string()));
    }

    /// Stamp the end time and the stage timings.
    pub fn finish(&mut self, timings_ms: BTreeMap<String, u64>) {
        self.finished_at = timestamp(Utc::now());
        self.timings_ms = timings_ms;
    }

    /// Whether the run ended with every output committed.
    pub fn succeeded(&self) -> bool {
        self.status == Status::Success
    }

    /// Rows rejected over every input table.
    pub fn rejects(&self) -> u64 {
        self.inputs.values().map(|t| t.rejected).sum()
    }

    /// `snapshot_date` as a date (`None` only for a document edited by hand).
    pub fn date(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(&self.snapshot_date, "%Y-%m-%d").ok()
    }

    /// Write the manifest to `_manifests/snapshot_date=D/<run_id>.json`.
    pub async fn write(&self, out: &Location) -> Result<()> {
        let date = self
            .date()
            .ok_or_else(|| Error::Internal(format!("manifest date {}", self.snapshot_date)))?;
        let path = partition_path(out, "_manifests", date).join(format!("{}.json", self.run_id));
        out.put(&path, serde_json::to_vec_pretty(self)?).await?;
        tracing::info!(manifest = %out.display(&path), status = ?self.status, "manifest written");
        Ok(())
    }
}

/// The manifests of date D (`_manifests/snapshot_date=D/<run_id>.json`),
/// newest first: run ids start with their UTC start time, so names sort by
/// run.
pub async fn of_date(out: &Location, date: NaiveDate) -> Result<Vec<object_store::path::Path>> {
    let mut paths: Vec<_> = out
        .list(&partition_path(out, "_manifests", date))
        .await?
        .into_iter()
        .map(|o| o.location)
        .filter(|p| {
            p.filename()
                .is_some_and(|n| n.ends_with(".json") && !n.starts_with(['_', '.']))
        })
        .collect();
    paths.sort_unstable_by(|a, b| b.cmp(a));
    Ok(paths)
}

/// A manifest read back; `None` when it is gone or not a manifest (not
/// JSON, or a field of the wrong type).
pub async fn read(out: &Location, path: &object_store::path::Path) -> Result<Option<Manifest>> {
    let bytes = match out.store.get(path).await {
        Ok(got) => got.bytes().await.map_err(out.storage_err("get", path))?,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(out.storage_err("get", path)(e)),
    };
    match serde_json::from_slice(&bytes) {
        Ok(m) => Ok(Some(m)),
        Err(e) => {
            tracing::warn!(manifest = %out.display(path), error = %e, "not a manifest, left out");
            Ok(None)
        }
    }
}

/// The newest manifest of date D, or `None` when there is none or it is
/// not a manifest.
pub async fn newest(out: &Location, date: NaiveDate) -> Result<Option<Manifest>> {
    match of_date(out, date).await?.first() {
        Some(path) => read(out, path).await,
        None => Ok(None),
    }
}
