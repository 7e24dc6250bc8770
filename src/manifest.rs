//! The run manifest (docs/SPEC.md §4): one JSON document per run at
//! `<output>/_manifests/snapshot_date=D/<run_id>.json`. Schedulers and BI
//! tools read it, so its shape is versioned (`manifest_version`) and
//! documented in the README; fields are only ever added.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::Settings;
use crate::output::WrittenFile;

/// Current manifest shape version.
pub const MANIFEST_VERSION: u32 = 1;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every output committed.
    Success,
    /// Stopped by the quality gate: rejects committed, outputs untouched.
    QualityGateFailed,
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

/// The manifest document.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// Shape version.
    pub manifest_version: u32,
    /// Unique id of the run (also the file name).
    pub run_id: String,
    /// Snapshot date D.
    pub snapshot_date: String,
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
}
