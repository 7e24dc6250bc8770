//! The engine seam. The contract and transform steps only need a DataFusion
//! `SessionContext` and a policy for keeping intermediate results; this
//! module owns both. It builds the runtime (memory pool, spilling), the
//! session for the configured engine — a local one (the default) or a
//! Ballista client whose queries run on a remote cluster — and decides how
//! step results are kept ([`Keep`]: in memory, as local scratch files under
//! a memory limit, as files in the run's staging for a cluster).
//!
//! The client always does the writing and the commit: results stream back
//! from the executors and are staged and published exactly as with the
//! local engine, so rejects, quality gate, manifest and commit protocol do
//! not change. What differs with Ballista lives here too: the order of the
//! rejects is applied on the client ([`Engine::sorted`]) and a failed query
//! names the scheduler ([`Engine::map_err`]). Every input and the output
//! root must be readable by the executors (a shared file system or an
//! object store they are configured for).

use std::sync::Arc;

use arrow::datatypes::Schema;
use datafusion::common::{DFSchema, ParamValues};
use datafusion::dataframe::DataFrame;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::logical_expr::{EmptyRelation, LogicalPlan, SortExpr};
use datafusion::prelude::{SessionConfig, SessionContext};
use object_store::path::Path;

use crate::config::{EngineKind, EngineSettings, Settings};
use crate::error::{Error, Result};
use crate::storage::Location;

#[cfg(feature = "ballista")]
mod ballista;
mod step_results;

#[cfg(feature = "ballista-standalone")]
pub use ballista::dev_cluster;
pub use step_results::{execute, Keep, Materialize, Plans};

/// The configured engine and its runtime (one memory pool, which several
/// runs may share: backfill `--concurrency`).
#[derive(Debug, Clone)]
pub struct Engine {
    settings: EngineSettings,
    runtime: Arc<RuntimeEnv>,
}

/// A session ready for a run: the context and how its step results are kept.
pub struct Session {
    /// The DataFusion context (local or Ballista).
    pub ctx: SessionContext,
    /// How step results are kept for the steps that read them.
    pub keep: Keep,
    /// Where a memory-limited local run keeps its intermediate results,
    /// removed when the session is dropped.
    _scratch: Option<step_results::Scratch>,
}

/// What a session is for.
pub enum Purpose<'a> {
    /// A run (or validation): intermediate results kept as the engine needs;
    /// a cluster reads them from `work` (a folder in the run's staging).
    Run {
        /// The run id (names the local scratch folder).
        run_id: &'a str,
        /// The output root and the staging folder a cluster can read.
        work: (&'a Location, Path),
    },
    /// `explain`: each step's own plan recorded (see [`Keep::Explain`]).
    Explain(Keep),
    /// Reading only (the benchmark's scan floor): nothing is kept.
    Read,
}

impl Engine {
    /// The engine of `s`, with a runtime of its own.
    pub fn new(s: &Settings) -> Result<Engine> {
        Ok(Engine::with_runtime(s, Engine::runtime(s)?))
    }

    /// The engine of `s` on a runtime shared with other runs.
    pub fn with_runtime(s: &Settings, runtime: Arc<RuntimeEnv>) -> Engine {
        Engine {
            settings: s.engine.clone(),
            runtime,
        }
    }

    /// A runtime for the settings: a spilling memory pool bounded by
    /// `memory_limit` (unbounded when unset) and a disk manager that spills
    /// into a temporary folder removed when the runtime is dropped.
    pub fn runtime(s: &Settings) -> Result<Arc<RuntimeEnv>> {
        let mut rt = RuntimeEnvBuilder::new();
        if let Some(bytes) = s.engine.memory_limit.bytes() {
            rt = rt.with_memory_pool(Arc::new(FairSpillPool::new(bytes)));
            hold_less_freed_memory();
        }
        rt.build_arc().map_err(|e| Error::engine("runtime", e))
    }

    /// A local DataFusion context on this engine's runtime (its memory
    /// pool) and session settings, whatever the engine: for the small
    /// queries the client runs itself (the audits of the staged outputs).
    pub fn local_context(&self) -> Result<SessionContext> {
        Ok(SessionContext::new_with_config_rt(
            self.config(SessionConfig::new())?,
            self.runtime.clone(),
        ))
    }

    /// Whether the SQL runs on a Ballista cluster.
    pub fn is_ballista(&self) -> bool {
        self.settings.kind == EngineKind::Ballista
    }

    /// The name of the engine for logs and the manifest.
    pub fn describe(&self) -> String {
        match self.settings.kind {
            EngineKind::Ballista => format!("ballista {}", self.settings.scheduler),
            EngineKind::DataFusion => "datafusion".into(),
        }
    }

    /// How many checks, steps or output writes run at the same time: all
    /// at once, or one at a time under a memory limit (they would share
    /// the pool).
    pub fn together(&self) -> usize {
        if self.settings.memory_limit.is_set() {
            1
        } else {
            usize::MAX
        }
    }

    /// A session for `purpose`, with its policy for keeping step results:
    /// in memory, unless a cluster must read them (the run's staging) or
    /// memory is limited (in-memory tables are outside the memory pool and
    /// cannot spill: local Parquet files in a scratch folder).
    pub async fn session(&self, purpose: Purpose<'_>) -> Result<Session> {
        let ctx = match self.settings.kind {
            EngineKind::DataFusion => SessionContext::new_with_config_rt(
                self.config(SessionConfig::new())?,
                self.runtime.clone(),
            ),
            #[cfg(feature = "ballista")]
            EngineKind::Ballista => ballista::session(self).await?,
            #[cfg(not(feature = "ballista"))]
            EngineKind::Ballista => {
                return Err(Error::Usage(
                    "this pulsetier was built without Ballista support; build with `--features ballista`"
                        .into(),
                ))
            }
        };
        let mut scratch = None;
        let keep = match purpose {
            Purpose::Explain(keep) => keep,
            Purpose::Read => Keep::View,
            Purpose::Run { work, .. } if self.is_ballista() => Keep::Files {
                loc: work.0.clone(),
                dir: work.1,
            },
            Purpose::Run { run_id, .. } if self.settings.memory_limit.is_set() => {
                let sc = step_results::Scratch::new(run_id)?;
                sc.loc.register(&ctx);
                let keep = Keep::Files {
                    loc: sc.loc.clone(),
                    dir: sc.loc.prefix.clone(),
                };
                scratch = Some(sc);
                keep
            }
            Purpose::Run { .. } => Keep::Memory,
        };
        Ok(Session {
            ctx,
            keep,
            _scratch: scratch,
        })
    }

    /// A session configuration from the engine settings: batch size, target
    /// partitions (one under a memory limit, see below), then the
    /// `[engine.datafusion]` options (full DataFusion keys; an unknown key
    /// or bad value is a usage error).
    fn config(&self, base: SessionConfig) -> Result<SessionConfig> {
        let e = &self.settings;
        let mut config = base
            .with_batch_size(e.batch_size)
            .with_information_schema(false);
        if e.target_partitions > 0 {
            config = config.with_target_partitions(e.target_partitions);
        }
        if e.memory_limit.is_set() && config.target_partitions() > 1 {
            // DataFusion 55's RepartitionExec can deadlock once it spills
            // under a memory limit (apache/datafusion#24883, fixed after 55):
            // one partition per step plans no repartitioning at all
            tracing::info!(
                target_partitions = config.target_partitions(),
                "memory limit set: every step runs on one partition"
            );
            config = config.with_target_partitions(1);
        }
        for (key, value) in &e.datafusion {
            config
                .options_mut()
                .set(key, value)
                .map_err(|e| Error::Usage(format!("engine.datafusion: {key} = {value:?}: {e}")))?;
        }
        Ok(config)
    }

    /// `df` ordered by `order`. Ballista: the cluster finds the rows and the
    /// client orders them (a sort on the per-file `source_file` once tripped
    /// Ballista's plan checks after the per-file branches were shuffled; the
    /// rejects are few).
    pub async fn sorted(
        &self,
        df: DataFrame,
        order: Vec<SortExpr>,
        what: &str,
    ) -> Result<DataFrame> {
        let err = |e| Error::engine(what, e);
        if !self.is_ballista() {
            return df.sort(order).map_err(err);
        }
        let schema = Arc::new(df.schema().as_arrow().clone());
        let mut batches = df.collect().await.map_err(err)?;
        if batches.is_empty() {
            // no row at all (a table without rejects, an input without
            // files): one empty batch keeps the columns to sort by
            batches.push(arrow::record_batch::RecordBatch::new_empty(schema));
        }
        SessionContext::new()
            .read_batches(batches)
            .and_then(|df| df.sort(order))
            .map_err(err)
    }

    /// A query that failed on a cluster names the scheduler.
    pub fn map_err(&self, e: Error) -> Error {
        match e {
            Error::Engine { context, source } if self.is_ballista() => Error::Scheduler {
                url: self.settings.scheduler.clone(),
                message: format!("{context}: {source}"),
            },
            other => other,
        }
    }
}

/// An empty table of `schema` as a plan node (not an in-memory table), so any
/// engine, a cluster included, can ship it: a table with no input file, no
/// earlier partition, no file name. `what` names it in errors.
pub fn empty_table(ctx: &SessionContext, schema: &Schema, what: &str) -> Result<DataFrame> {
    let schema = DFSchema::try_from(schema.clone()).map_err(|e| Error::engine(what, e))?;
    let plan = LogicalPlan::EmptyRelation(EmptyRelation {
        produce_one_row: false,
        schema: Arc::new(schema),
    });
    Ok(DataFrame::new(ctx.state(), plan))
}

/// Plan one SQL step (`file` names it in errors) with bound parameters.
pub async fn plan_sql(
    ctx: &SessionContext,
    file: &str,
    sql: &str,
    params: &ParamValues,
) -> Result<DataFrame> {
    let df = ctx.sql(sql).await.map_err(|e| Error::engine(file, e))?;
    df.with_param_values(params.clone())
        .map_err(|e| Error::engine(file, e))
}

/// Under a memory limit, make glibc's malloc give freed memory back: by
/// default every thread that meets contention gets its own arena (the local
/// store's blocking I/O threads are many) and the mmap threshold grows after
/// large frees, so the big Arrow buffers of one step stay in the heap and
/// are held (not returned to the system) long after the step: at 5 M
/// accounts under a 1 GiB limit that was 0.3–0.5 GiB of resident memory
/// beyond the pool (BENCHMARKS.md). Two arenas, and buffers of 256 KiB and
/// more always mapped on their own, keep the process close to the pool.
/// Not applied without a limit: mapping every large buffer costs time.
fn hold_less_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; glibc allows calling
    // it at any time from any thread.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 * 1024);
    }
}
