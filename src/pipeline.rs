//! One nightly run, start to end, as one straight line:
//! storage (list the partitions D needs) → contract (check every file,
//! typed views) → checks (`sql/0*`) → quality gate → transforms (`sql/1*`,
//! `sql/2*`) → stage → publish → manifest. `validate` stops before staging;
//! `explain` stops after planning.

use std::collections::BTreeMap;
use std::time::Instant;

use arrow::array::{Array, AsArray};
use arrow::datatypes::Int64Type;
use chrono::{NaiveDate, SecondsFormat, Utc};
use datafusion::functions_aggregate::expr_fn::{count, sum};
use datafusion::logical_expr::{case, col, lit, Expr, JoinType, SortExpr};
use datafusion::prelude::SessionContext;
use futures::{StreamExt, TryStreamExt};
use tracing::info;

use std::sync::Arc;

use datafusion::execution::runtime_env::RuntimeEnv;

use crate::cancel;
use crate::commit::{self, Staging};
use crate::config::{RunConfig, Settings};
use crate::contract::{self, CheckedFiles, TableSpec, Window, TABLES};
use crate::engine;
use crate::error::{Error, Result};
use crate::manifest::{FileRead, InputStats, Manifest, OutputStats, Status, MANIFEST_VERSION};
use crate::output::{self, Layout};
use crate::storage::{partition_path, Location};
use crate::transform;

/// What to do with a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Check, transform, stage and publish.
    Run,
    /// Check and transform; write nothing.
    Validate,
}

/// The result of a run or validation that did not fail.
#[derive(Debug)]
pub struct Report {
    /// The manifest (written for `Run`, only returned for `Validate`).
    pub manifest: Manifest,
    /// Redacted URL of the output root.
    pub output: String,
}

/// Everything a run has once its inputs are checked and registered.
struct Prepared {
    ctx: SessionContext,
    keep: transform::Keep,
    /// Where a memory-limited local run keeps its intermediate results.
    _scratch: Option<Scratch>,
    /// How many checks or output writes run at the same time.
    together: usize,
    date: NaiveDate,
    output: Location,
    inputs: BTreeMap<String, InputStats>,
    params: datafusion::common::ParamValues,
}

/// A local folder for the intermediate results of a memory-limited run
/// (under the system temp dir), removed when the run ends.
struct Scratch {
    dir: std::path::PathBuf,
    loc: Location,
}

impl Scratch {
    fn new(run_id: &str, s: &Settings) -> Result<Scratch> {
        let dir = std::env::temp_dir().join(format!("pulsetier-{run_id}"));
        std::fs::create_dir_all(&dir).map_err(|e| {
            Error::Io(std::io::Error::new(
                e.kind(),
                format!("create scratch folder {}: {e}", dir.display()),
            ))
        })?;
        let loc = Location::open(&dir.to_string_lossy(), &s.storage)?;
        Ok(Scratch { dir, loc })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The partition dates a table reads for snapshot date `date`.
pub fn partition_dates(spec: &TableSpec, date: NaiveDate, s: &Settings) -> Vec<NaiveDate> {
    let days = match spec.window {
        Window::Snapshot => 1,
        Window::Mentions => s.windows.mentions_days,
        Window::Surveys => s.windows.nps_days,
        Window::Influence => s.windows.influence_max_age_days,
    };
    (0..days)
        .rev()
        .map(|back| date - chrono::Days::new(u64::from(back)))
        .collect()
}

fn elapsed_ms(t: Instant) -> u64 {
    t.elapsed().as_millis() as u64
}

/// The snapshot date of a run: `--date`, or else the newest accounts
/// partition under `input` (none is a missing partition, naming the URL).
pub(crate) async fn snapshot_date(cfg: &RunConfig, input: &Location) -> Result<NaiveDate> {
    match cfg.date {
        Some(d) => Ok(d),
        None => input
            .newest_partition("accounts")
            .await?
            .ok_or_else(|| Error::MissingPartition {
                table: "accounts".into(),
                url: input.display(&input.child(&["accounts", "snapshot_date=*"])),
            }),
    }
}

/// Open the locations, resolve D, list and check every input file, and
/// register the typed views and checked tables.
async fn prepare(
    cfg: &RunConfig,
    timings: &mut BTreeMap<String, u64>,
    explain: Option<transform::Keep>,
    run_id: &str,
    runtime: Arc<RuntimeEnv>,
) -> Result<Prepared> {
    let s = &cfg.settings;
    s.validate()?;
    let input = Location::open(&s.input, &s.storage)?;
    let output = Location::open(&s.output, &s.storage)?;
    if !output.writable() {
        return Err(Error::Usage(format!(
            "output {} is read-only (http(s) locations can only be read)",
            output.display(&output.prefix)
        )));
    }
    let date = snapshot_date(cfg, &input).await?;
    info!(snapshot_date = %date, input = %input.display(&input.prefix), output = %output.display(&output.prefix), "run");
    let ctx = crate::engine::session(s, runtime).await?;
    input.register(&ctx);
    output.register(&ctx);
    // Intermediate results: in memory, unless a cluster must read them (the
    // run's staging) or memory is limited (in-memory tables are outside the
    // memory pool and cannot spill: local Parquet files in a scratch folder).
    let mut scratch = None;
    let keep = match (explain, engine::is_ballista(s)) {
        (Some(keep), _) => keep,
        (None, true) => transform::Keep::Files {
            loc: output.clone(),
            dir: Staging::new(&output, date, run_id).work_dir(),
        },
        (None, false) if !s.engine.memory_limit.is_empty() => {
            let sc = Scratch::new(run_id, s)?;
            sc.loc.register(&ctx);
            let keep = transform::Keep::Files {
                loc: sc.loc.clone(),
                dir: sc.loc.prefix.clone(),
            };
            scratch = Some(sc);
            keep
        }
        (None, false) => transform::Keep::Memory,
    };

    let t = Instant::now();
    let mut inputs = BTreeMap::new();
    let mut checked: Vec<(&TableSpec, CheckedFiles)> = Vec::new();
    for spec in TABLES {
        let mut stats = InputStats::default();
        let mut files = Vec::new();
        for d in partition_dates(spec, date, s) {
            match input.list_partition(spec.name, d).await? {
                Some(found) => {
                    stats.partitions_read.push(d.to_string());
                    files.extend(found);
                }
                None if spec.window == Window::Snapshot => {
                    return Err(Error::MissingPartition {
                        table: spec.name.into(),
                        url: input.display(&partition_path(&input, spec.name, d)),
                    })
                }
                None => {}
            }
        }
        stats.files = files
            .iter()
            .map(|f| FileRead {
                path: crate::storage::redact(&f.url),
                snapshot_date: f.snapshot_date.to_string(),
                size: f.size,
                last_modified: f.last_modified.to_rfc3339_opts(SecondsFormat::Millis, true),
            })
            .collect();
        checked.push((spec, contract::check_files(&input, spec, files).await?));
        inputs.insert(spec.name.to_string(), stats);
    }
    timings.insert("list_and_check_files".into(), elapsed_ms(t));

    let t = Instant::now();
    let params = transform::params(date, s);
    for (spec, files) in &checked {
        contract::register_raw(&ctx, spec, files).await?;
    }
    // the checks that read no other checked table first, then those that do
    // (surveys reads checked_accounts); checks and output writes run all at
    // once, or one at a time under a memory limit (they would share the pool)
    let together = if s.engine.memory_limit.is_empty() {
        usize::MAX
    } else {
        1
    };
    for dependent in [false, true] {
        let mut wave = Vec::new();
        for (spec, files) in checked
            .iter()
            .filter(|(spec, _)| spec.reads_checked.is_empty() != dependent)
        {
            wave.push({
                let (ctx, params, keep, input) = (&ctx, &params, &keep, &input);
                async move {
                    match transform::run_check(ctx, spec, params, keep).await {
                        Ok(()) => Ok(()),
                        // name the damaged file when a data page (not the footer) is bad
                        Err(e) => Err(contract::diagnose(input, spec, files).await.unwrap_or(e)),
                    }
                }
            });
        }
        futures::stream::iter(wave)
            .buffered(together)
            .try_collect::<Vec<()>>()
            .await?;
    }
    timings.insert("check_rows".into(), elapsed_ms(t));
    Ok(Prepared {
        ctx,
        keep,
        _scratch: scratch,
        together,
        date,
        output,
        inputs,
        params,
    })
}

/// Count rows read, rejects by reason and dropped duplicates of a checked table.
async fn table_stats(ctx: &SessionContext, spec: &TableSpec, stats: &mut InputStats) -> Result<()> {
    let name = format!("checked_{}", spec.name);
    let dup = case(col("is_duplicate"))
        .when(lit(true), lit(1i64))
        .otherwise(lit(0i64))
        .map_err(|e| Error::engine(&name, e))?;
    let batches = ctx
        .table(name.as_str())
        .await
        .and_then(|df| {
            df.aggregate(
                vec![col("reject_reason")],
                vec![count(lit(1)).alias("n"), sum(dup).alias("dups")],
            )
        })
        .map_err(|e| Error::engine(&name, e))?
        .collect()
        .await
        .map_err(|e| Error::engine(&name, e))?;
    for b in &batches {
        // Utf8 from memory, Utf8View when read back from Parquet files
        let reasons = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8)?;
        let reasons = reasons.as_string::<i32>();
        let n = b.column(1).as_primitive::<Int64Type>();
        let dups = b.column(2).as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            let rows = n.value(i) as u64;
            stats.rows_read += rows;
            if !dups.is_null(i) {
                stats.duplicates_dropped += dups.value(i) as u64;
            }
            if !reasons.is_null(i) {
                stats.rejected += rows;
                *stats
                    .rejected_by_reason
                    .entry(reasons.value(i).to_string())
                    .or_default() += rows;
            }
        }
    }
    stats.reject_ratio = if stats.rows_read == 0 {
        0.0
    } else {
        stats.rejected as f64 / stats.rows_read as f64
    };
    Ok(())
}

/// The first table (contract order) over the reject limit.
fn quality_gate(inputs: &BTreeMap<String, InputStats>, limit: f64) -> Option<Error> {
    TABLES.iter().find_map(|spec| {
        let st = inputs.get(spec.name)?;
        (st.reject_ratio > limit).then(|| Error::QualityGate {
            table: spec.name.into(),
            rejected: st.rejected,
            read: st.rows_read,
            ratio: st.reject_ratio,
            limit,
        })
    })
}

/// The rejects of a table, in `_rejects/<table>` shape and order.
async fn rejects_frame(
    ctx: &SessionContext,
    spec: &TableSpec,
    sort_on_client: bool,
) -> Result<datafusion::dataframe::DataFrame> {
    let name = format!("checked_{}", spec.name);
    let mut cols: Vec<Expr> = spec.columns.iter().map(|(c, _)| col(*c)).collect();
    cols.push(col("reject_reason"));
    cols.push(col("source_file"));
    let mut order: Vec<SortExpr> = vec![
        col("source_file").sort(true, false),
        col(spec.key).sort(true, false),
        col("reject_reason").sort(true, false),
    ];
    order.extend(
        spec.columns
            .iter()
            .filter(|(c, _)| *c != spec.key)
            .map(|(c, _)| col(*c).sort(true, false)),
    );
    let what = format!("_rejects/{}", spec.name);
    let err = |e| Error::engine(&what, e);
    // file ids → URLs: the (few) files are the join's build side
    let files = ctx
        .table(format!("files_{}", spec.name).as_str())
        .await
        .map_err(err)?;
    let rows = ctx
        .table(name.as_str())
        .await
        .and_then(|df| df.filter(col("reject_reason").is_not_null()))
        .and_then(|df| files.join(df, JoinType::Inner, &["file_id"], &["file_id"], None))
        .and_then(|df| df.select(cols))
        .map_err(err)?;
    if !sort_on_client {
        return rows.sort(order).map_err(err);
    }
    // Ballista: a sort on `source_file` tripped Ballista's plan checks once
    // the per-file branches were shuffled (when it was a constant of each
    // branch; now it comes from the join with files_<table>, not re-tested),
    // so the cluster finds the rejects and the client orders them.
    let batches = rows.collect().await.map_err(err)?;
    SessionContext::new()
        .read_batches(batches)
        .and_then(|df| df.sort(order))
        .map_err(err)
}

fn new_run_id() -> String {
    let now = Utc::now();
    let nanos = now.timestamp_subsec_nanos();
    format!(
        "{}-{:08x}",
        now.format("%Y%m%dT%H%M%S%.3fZ"),
        nanos ^ std::process::id().rotate_left(16)
    )
}

/// Run (or validate) the pipeline for one snapshot date, on its own runtime.
pub async fn execute(cfg: &RunConfig, mode: Mode) -> Result<Report> {
    execute_in(cfg, mode, None).await
}

/// What a run has once every file is staged: ready to publish.
struct Staged {
    manifest: Manifest,
    tables: Vec<(String, Vec<output::WrittenFile>)>,
    gate: Option<Error>,
    staging: Staging,
    timings: BTreeMap<String, u64>,
}

/// Run (or validate) the pipeline for one snapshot date. `runtime` lets
/// several runs share one memory pool (backfill `--concurrency`); `None`
/// builds one from the settings. Everything before publishing is cancelled
/// by SIGINT/SIGTERM (staging removed, nothing published); publishing is
/// not interrupted.
pub async fn execute_in(
    cfg: &RunConfig,
    mode: Mode,
    runtime: Option<Arc<RuntimeEnv>>,
) -> Result<Report> {
    let result = execute_inner(cfg, mode, runtime).await;
    match result {
        // a query that failed on the cluster names the scheduler
        Err(Error::Engine { context, source }) if engine::is_ballista(&cfg.settings) => {
            Err(Error::Scheduler {
                url: cfg.settings.engine.scheduler.clone(),
                message: format!("{context}: {source}"),
            })
        }
        other => other,
    }
}

async fn execute_inner(
    cfg: &RunConfig,
    mode: Mode,
    runtime: Option<Arc<RuntimeEnv>>,
) -> Result<Report> {
    let started = Utc::now();
    let run_id = new_run_id();
    let runtime = match runtime {
        Some(rt) => rt,
        None => transform::runtime(&cfg.settings)?,
    };
    let mut timings = BTreeMap::new();
    let p = tokio::select! {
        biased;
        _ = cancel::cancelled() => None,
        p = prepare(cfg, &mut timings, None, &run_id, runtime) => Some(p?),
    };
    let Some(p) = p else {
        cancel::check()?;
        return Err(Error::Internal("cancelled".into()));
    };
    let lock = match mode {
        Mode::Run => Some(
            commit::RunLock::acquire(
                &p.output,
                p.date,
                &run_id,
                cfg.settings.storage.lock_stale_secs,
            )
            .await?,
        ),
        Mode::Validate => None,
    };
    let result = stage_and_publish(cfg, mode, &p, &run_id, started, timings).await;
    if let Some(lock) = lock {
        lock.release(&p.output).await;
    }
    result
}

/// Everything after `prepare`: stage (cancellable), then publish.
async fn stage_and_publish(
    cfg: &RunConfig,
    mode: Mode,
    p: &Prepared,
    run_id: &str,
    started: chrono::DateTime<Utc>,
    timings: BTreeMap<String, u64>,
) -> Result<Report> {
    let staging = Staging::new(&p.output, p.date, run_id);
    let staged = tokio::select! {
        biased;
        _ = cancel::cancelled() => None,
        r = compute_and_stage(cfg, mode, p, run_id, started, staging.clone(), timings) => Some(r),
    };
    let staged = match staged {
        Some(Ok(staged)) => staged,
        other => {
            if mode == Mode::Run {
                // best effort: a leftover is also removed by the next run of D
                let _ = staging.remove(&p.output).await;
            }
            if let Some(Err(e)) = other {
                return Err(e);
            }
            cancel::check()?;
            return Err(Error::Internal("cancelled".into()));
        }
    };
    if mode == Mode::Validate {
        return match staged.gate {
            Some(err) => Err(err),
            None => Ok(Report {
                manifest: staged.manifest,
                output: p.output.display(&p.output.prefix),
            }),
        };
    }
    publish_all(p, staged).await
}

/// Count rejects, apply the quality gate, run the transforms and stage every
/// file (Run), or count the output rows (Validate).
async fn compute_and_stage(
    cfg: &RunConfig,
    mode: Mode,
    p: &Prepared,
    run_id: &str,
    started: chrono::DateTime<Utc>,
    staging: Staging,
    mut timings: BTreeMap<String, u64>,
) -> Result<Staged> {
    let s = &cfg.settings;
    let mut inputs = p.inputs.clone();
    let t = Instant::now();
    for spec in TABLES {
        if let Some(st) = inputs.get_mut(spec.name) {
            table_stats(&p.ctx, spec, st).await?;
            info!(table = spec.name, rows_read = st.rows_read, rejected = st.rejected, duplicates_dropped = st.duplicates_dropped, reasons = ?st.rejected_by_reason, "checked");
        }
    }
    timings.insert("count_rejects".into(), elapsed_ms(t));
    let gate = quality_gate(&inputs, s.quality.max_reject_ratio);

    let t = Instant::now();
    if gate.is_none() {
        transform::run_steps(&p.ctx, &p.params, &p.keep).await?;
    }
    timings.insert("transform".into(), elapsed_ms(t));

    let mut manifest = Manifest {
        manifest_version: MANIFEST_VERSION,
        run_id: run_id.to_string(),
        snapshot_date: p.date.to_string(),
        status: Status::Success,
        exit_code: 0,
        error: None,
        started_at: started.to_rfc3339_opts(SecondsFormat::Millis, true),
        finished_at: String::new(),
        pulsetier_version: env!("CARGO_PKG_VERSION").into(),
        engine: engine::describe(s),
        config: s.redacted(),
        inputs,
        outputs: BTreeMap::new(),
        timings_ms: BTreeMap::new(),
    };
    let mut tables = Vec::new();

    if mode == Mode::Validate {
        if gate.is_none() {
            for (table, _) in output::outputs() {
                let n = p.ctx.table(table).await?.count().await?;
                let delta_version = if s.is_delta() {
                    check_published_delta(p, table, n as u64).await?
                } else {
                    None
                };
                manifest.outputs.insert(
                    table.into(),
                    OutputStats {
                        rows: n as u64,
                        delta_version,
                        ..Default::default()
                    },
                );
            }
        }
        manifest.finished_at = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        manifest.timings_ms = timings.clone();
        return Ok(Staged {
            manifest,
            tables,
            gate,
            staging,
            timings,
        });
    }

    let t = Instant::now();
    staging.clean_leftovers(&p.output).await?;
    let layout = Layout {
        row_group_size: s.engine.row_group_size,
        rows_per_file: s.engine.rows_per_file,
    };
    let mut frames = Vec::new();
    for spec in TABLES {
        frames.push((
            format!("_rejects/{}", spec.name),
            rejects_frame(&p.ctx, spec, engine::is_ballista(s)).await?,
            spec.reject_schema(),
        ));
    }
    if gate.is_none() {
        for (table, schema) in output::outputs() {
            let order = output::sort_keys(table)
                .iter()
                .map(|c| col(*c).sort(true, false))
                .collect();
            let df = p
                .ctx
                .table(table)
                .await
                .and_then(|df| df.sort(order))
                .map_err(|e| Error::engine(table, e))?;
            frames.push((table.to_string(), df, schema));
        }
    }
    // every table at the same time (the small ones overlap the big one);
    // results in the order above
    let writes = frames.into_iter().map(|(table, df, schema)| {
        let dir = staging.table_dir(&table);
        async move {
            let (stream, _) = transform::execute(&table, df).await?;
            let files =
                output::write_parts(&p.output, &dir, stream, &schema, layout, &table).await?;
            Ok::<_, Error>((table, files))
        }
    });
    tables.extend(
        futures::stream::iter(writes)
            .buffered(p.together)
            .try_collect::<Vec<_>>()
            .await?,
    );
    timings.insert("write_staging".into(), elapsed_ms(t));
    commit::test_pause().await;
    Ok(Staged {
        manifest,
        tables,
        gate,
        staging,
        timings,
    })
}

/// Publish every staged table, remove staging, write the manifest.
async fn publish_all(p: &Prepared, staged: Staged) -> Result<Report> {
    let Staged {
        mut manifest,
        tables,
        gate,
        staging,
        mut timings,
    } = staged;
    let t = Instant::now();
    for (table, files) in &tables {
        let delta_version = if manifest.config.is_delta() {
            Some(publish_delta(p, &staging, table, files, &manifest).await?)
        } else {
            commit::publish(&p.output, &staging, table, p.date, files).await?;
            None
        };
        let rows = files.iter().map(|f| f.rows).sum();
        info!(table = %table, rows, files = files.len(), ?delta_version, "published");
        manifest.outputs.insert(
            table.clone(),
            OutputStats {
                committed: true,
                partition: p.output.display(&partition_path(&p.output, table, p.date)),
                // Delta names its own data files: the table's log lists them
                files: if delta_version.is_some() {
                    Vec::new()
                } else {
                    files.clone()
                },
                rows,
                delta_version,
            },
        );
    }
    staging.remove(&p.output).await?;
    timings.insert("publish".into(), elapsed_ms(t));

    if let Some(err) = &gate {
        manifest.status = Status::QualityGateFailed;
        manifest.exit_code = err.exit_code();
        manifest.error = Some(crate::storage::redact_secrets(&err.to_string()));
    }
    manifest.finished_at = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    manifest.timings_ms = timings;
    let path =
        partition_path(&p.output, "_manifests", p.date).join(format!("{}.json", manifest.run_id));
    commit::put_bytes(&p.output, &path, serde_json::to_vec_pretty(&manifest)?).await?;
    info!(manifest = %p.output.display(&path), status = ?manifest.status, "manifest written");
    match gate {
        Some(err) => Err(err),
        None => Ok(Report {
            manifest,
            output: p.output.display(&p.output.prefix),
        }),
    }
}

/// `--table-format delta`: replace partition D of a table's Delta table in
/// one commit; the version written.
#[cfg(feature = "delta")]
async fn publish_delta(
    p: &Prepared,
    staging: &Staging,
    table: &str,
    files: &[output::WrittenFile],
    manifest: &Manifest,
) -> Result<i64> {
    commit::test_pause().await;
    let layout = Layout {
        row_group_size: manifest.config.engine.row_group_size,
        rows_per_file: manifest.config.engine.rows_per_file,
    };
    crate::delta::publish(
        &p.output,
        staging,
        table,
        p.date,
        files,
        &manifest.run_id,
        layout,
    )
    .await
}

/// `validate --table-format delta` of a published date: partition D of the
/// output's Delta table (latest version) must hold the rows the inputs give;
/// the version read, or `None` when D is not published (no successful
/// manifest) or the table does not exist yet.
#[cfg(feature = "delta")]
async fn check_published_delta(p: &Prepared, table: &str, rows: u64) -> Result<Option<i64>> {
    if !crate::backfill::is_committed_delta(&p.output, p.date).await? {
        return Ok(None); // D not published yet: nothing to compare
    }
    match crate::delta::published_rows(&p.output, table, p.date).await? {
        Some((version, published)) if published != rows => Err(Error::Internal(format!(
            "validate: {table} partition snapshot_date={} holds {published} rows in Delta version {version}, the inputs give {rows}",
            p.date
        ))),
        Some((version, _)) => Ok(Some(version)),
        None => Ok(None),
    }
}

#[cfg(not(feature = "delta"))]
async fn check_published_delta(_p: &Prepared, _table: &str, _rows: u64) -> Result<Option<i64>> {
    Ok(None)
}

/// Without the `delta` feature `--table-format delta` is refused by
/// `Settings::validate`; this is never reached.
#[cfg(not(feature = "delta"))]
async fn publish_delta(
    _p: &Prepared,
    _staging: &Staging,
    _table: &str,
    _files: &[output::WrittenFile],
    _manifest: &Manifest,
) -> Result<i64> {
    Err(Error::Usage(
        "--table-format delta needs pulsetier built with `--features delta`".into(),
    ))
}

/// The logical and physical plans of every SQL step, as text. Each step is
/// planned on its own, reading the steps before it as tables (empty ones,
/// or with `analyze` the computed results: then each step is executed and
/// its operators' rows, time and memory shown).
pub async fn explain(cfg: &RunConfig, analyze: bool) -> Result<String> {
    let mut timings = BTreeMap::new();
    let runtime = transform::runtime(&cfg.settings)?;
    let plans = transform::Plans::default();
    let keep = transform::Keep::Explain {
        analyze,
        plans: plans.clone(),
    };
    let p = prepare(cfg, &mut timings, Some(keep.clone()), "explain", runtime).await?;
    transform::run_steps(&p.ctx, &p.params, &keep).await?;
    let plans = plans
        .lock()
        .map_err(|_| Error::Internal("explain: plans lock poisoned".into()))?;
    let checks = TABLES
        .iter()
        .map(|spec| (spec.check_sql.0, format!("checked_{}", spec.name)));
    let steps = transform::STEPS
        .iter()
        .map(|step| (step.file, step.output.to_string()));
    let mut text = String::new();
    for (file, name) in checks.chain(steps) {
        let plan = plans
            .get(&name)
            .map(String::as_str)
            .unwrap_or("(not planned)");
        text.push_str(&format!("=== {file} ({name}) ===\n{plan}\n"));
    }
    Ok(text)
}
