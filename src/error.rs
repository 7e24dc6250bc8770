//! One error type for the library. Every variant says where (table, file,
//! column, URL) and what, and maps to exactly one process exit code, so a
//! scheduler can tell a bad delivery (3), a failed quality gate or audit (4)
//! or a stale or incomplete input (5) from an outage (1) without parsing
//! text.

use std::process::ExitCode;

/// Result alias used across pulsetier.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can stop a pulsetier run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad command line or configuration value.
    #[error("usage: {0}")]
    Usage(String),

    /// The configuration file could not be read or parsed.
    #[error("config file {path}: {message}")]
    Config {
        /// Path of the TOML file.
        path: String,
        /// What is wrong with it.
        message: String,
    },

    /// A partition the run must read does not exist.
    #[error("input contract: table {table}: required partition {url} is missing")]
    MissingPartition {
        /// Input table.
        table: String,
        /// URL of the partition folder.
        url: String,
    },

    /// A file lacks a column of the contract or has it with an incompatible type.
    #[error(
        "input contract: table {table}: file {file}: column {column}: expected {expected}, found {found}"
    )]
    SchemaMismatch {
        /// Input table.
        table: String,
        /// URL of the offending file.
        file: String,
        /// Contract column.
        column: String,
        /// What the contract accepts.
        expected: String,
        /// What the file has (`missing` when absent).
        found: String,
    },

    /// A file in an input partition is not readable Parquet.
    #[error("input contract: table {table}: file {file} is not readable Parquet: {message}")]
    UnreadableFile {
        /// Input table.
        table: String,
        /// URL of the offending file.
        file: String,
        /// The reader's complaint.
        message: String,
    },

    /// Too many rejected rows in an input table.
    #[error(
        "quality gate: table {table}: {rejected} of {read} rows rejected ({ratio:.4} > max_reject_ratio {limit})"
    )]
    QualityGate {
        /// Input table.
        table: String,
        /// Rejected rows.
        rejected: u64,
        /// Rows read.
        read: u64,
        /// rejected / read.
        ratio: f64,
        /// Configured limit.
        limit: f64,
    },

    /// `explain-account`: no row of the accounts snapshot, valid or
    /// rejected, has this account_id.
    #[error("account {account} is not in the accounts snapshot of {date} (no row has that account_id, valid or rejected)")]
    UnknownAccount {
        /// The account_id asked for.
        account: String,
        /// Snapshot date D.
        date: String,
    },

    /// A reject threshold of one table or one reason (`[quality.<table>]`) is crossed.
    #[error("quality gate: table {table}: {check}: {detail}")]
    Threshold {
        /// Input table.
        table: String,
        /// The threshold (`max_reject_count`, `reasons.unknown_account.max_ratio`, …).
        check: String,
        /// The figure against the limit.
        detail: String,
    },

    /// A windowed input is incomplete or stale at level `error` (`[checks.<table>]`).
    #[error("freshness check failed: table {table}: {check}: {detail}")]
    Freshness {
        /// Input table.
        table: String,
        /// The check (`max_missing_days`, `newest_partition_max_age_days`, …).
        check: String,
        /// The figure against the limit.
        detail: String,
    },

    /// A blocking audit of the staged outputs, or an anomaly check at level
    /// `error`, failed: nothing is published.
    #[error("audit failed: table {table}: {check}: {detail}")]
    Audit {
        /// Output (or, for a row count anomaly, input) table.
        table: String,
        /// The audit (`unique_account_id`, `row_count_change`, …).
        check: String,
        /// What was found.
        detail: String,
    },

    /// An object store operation failed.
    #[error("storage: {op} {url}: {source}")]
    Storage {
        /// The operation (list, get, put, copy, delete).
        op: &'static str,
        /// Redacted URL of the object or prefix.
        url: String,
        /// The store's error.
        #[source]
        source: object_store::Error,
    },

    /// An object store operation failed deep inside a reader (the Parquet
    /// reader, the query engine): the store's error as it came out, with
    /// the operation and URL the store wrapper put on it.
    #[error("storage: {op} {url}: {message}")]
    StoreFault {
        /// The operation (list, get, put, …).
        op: String,
        /// Redacted URL of the object or prefix.
        url: String,
        /// The store's error.
        message: String,
    },

    /// A published partition read back (history, the report) does not have
    /// the shape its table's contract gives: another program wrote there.
    #[error("published table {table}: column {column}: {message}")]
    Published {
        /// The output table.
        table: String,
        /// The column.
        column: String,
        /// What is wrong with it.
        message: String,
    },

    /// A Delta table of the output cannot be read or committed (a table of
    /// another shape or partitioning, a failed commit, a store that cannot
    /// commit safely).
    #[error("Delta table {table}: {message}")]
    Delta {
        /// The output table.
        table: String,
        /// What went wrong (credentials redacted).
        message: String,
    },

    /// Writing a Parquet file to the store failed.
    #[error("writing Parquet under {url}: {source}")]
    Write {
        /// Redacted URL of the folder written.
        url: String,
        /// The writer's or the store's error.
        #[source]
        source: parquet::errors::ParquetError,
    },

    /// The Ballista scheduler cannot be reached or a job failed on the cluster.
    #[error("ballista scheduler {url}: {message}")]
    Scheduler {
        /// The scheduler URL.
        url: String,
        /// What went wrong.
        message: String,
    },

    /// Another run of the same date holds the publish lock.
    #[error("another run is publishing this date: lock {url} held by {holder}")]
    Locked {
        /// URL of the lock object.
        url: String,
        /// Who holds it.
        holder: String,
    },

    /// The run was interrupted by a signal.
    #[error("interrupted by {0}; staging removed, no partition published")]
    Interrupted(Signal),

    /// A DataFusion planning or execution error.
    #[error("query engine: {context}: {source}")]
    Engine {
        /// The step that failed (e.g. the SQL file name).
        context: String,
        /// DataFusion's error.
        #[source]
        source: datafusion::error::DataFusionError,
    },

    /// Arrow error (casting, building batches).
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),

    /// Parquet writer error.
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),

    /// Local I/O error.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),

    /// Manifest (de)serialisation error.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),

    /// Any other internal failure.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<datafusion::error::DataFusionError> for Error {
    fn from(source: datafusion::error::DataFusionError) -> Self {
        Error::engine("query", source)
    }
}

/// A store operation that failed, with the (redacted) URL of its object or
/// prefix. Carried inside `object_store::Error::Generic`, so it travels
/// through Parquet and DataFusion errors to [`located`]. Made by
/// the store wrapper of `storage::guarded`.
#[derive(Debug)]
pub struct Located {
    /// The operation: `list`, `get`, `put`, `copy`, `rename`, `delete`.
    pub op: &'static str,
    /// Redacted URL of the object or prefix.
    pub url: String,
    /// The store's error.
    pub source: object_store::Error,
}

impl std::fmt::Display for Located {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.op, self.url, self.source)
    }
}

impl std::error::Error for Located {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// The store operation behind an error, when an object store wrapped by
/// `storage::guarded` failed somewhere down its chain of sources.
pub fn located<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a Located> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(found) = err.downcast_ref::<Located>() {
            return Some(found);
        }
        cur = err.source();
    }
    None
}

impl Error {
    /// The documented process exit code of this error: 1 internal or I/O,
    /// 2 usage, 3 input contract violation, 4 quality gate, threshold or
    /// audit, 5 stale or incomplete input, 6 account not in the snapshot
    /// (`explain-account`); 130 / 143 when
    /// stopped by SIGINT / SIGTERM (the shell convention, 128 + signal).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) | Error::Config { .. } => 2,
            Error::MissingPartition { .. }
            | Error::SchemaMismatch { .. }
            | Error::UnreadableFile { .. } => 3,
            Error::QualityGate { .. } | Error::Threshold { .. } | Error::Audit { .. } => 4,
            Error::Freshness { .. } => 5,
            Error::UnknownAccount { .. } => 6,
            Error::Interrupted(signal) => signal.exit_code(),
            _ => 1,
        }
    }

    /// [`Self::exit_code`] as an [`ExitCode`].
    pub fn to_exit_code(&self) -> ExitCode {
        ExitCode::from(self.exit_code())
    }

    /// Wrap a DataFusion error with the step it came from; a store that
    /// failed under the engine is a [`Error::StoreFault`] naming the object
    /// instead (an outage, exit 1, not the step's fault).
    pub fn engine(context: impl Into<String>, source: datafusion::error::DataFusionError) -> Self {
        Error::store_fault(&source).unwrap_or_else(|| Error::Engine {
            context: context.into(),
            source,
        })
    }

    /// The [`Error::StoreFault`] of an error (a Parquet, Arrow or DataFusion
    /// one) whose chain holds a failed store operation, if it does.
    pub fn store_fault(e: &(dyn std::error::Error + 'static)) -> Option<Error> {
        located(e).map(|l| Error::StoreFault {
            op: l.op.to_string(),
            url: l.url.clone(),
            message: l.source.to_string(),
        })
    }
}

/// A signal that stops a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C): exit 130.
    Interrupt,
    /// SIGTERM (a scheduler stopping the job): exit 143.
    Terminate,
}

impl Signal {
    /// The signal's number.
    pub fn number(self) -> u8 {
        match self {
            Signal::Interrupt => 2,
            Signal::Terminate => 15,
        }
    }

    /// The shell's exit code for a process stopped by it (128 + number).
    pub fn exit_code(self) -> u8 {
        128 + self.number()
    }
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        })
    }
}
