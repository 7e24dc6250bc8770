//! One nightly run, start to end, as one straight line: storage (open the
//! locations, resolve D) → history (the committed dates D compares with) →
//! engine (a session and its policy for keeping step results) → contract
//! (list and check every file, the check steps, rejects and the quality
//! gate) → transform (`sql/1*`, `sql/2*`) → stage
//! (every output and `_rejects` table written under `_staging`) → publish
//! (each table in the configured format) → manifest. `validate` stops
//! before staging; `explain` stops after planning.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use datafusion::common::ParamValues;
use datafusion::logical_expr::col;
use tracing::info;

use crate::config::RunConfig;
use crate::contract::{self, Checked, TABLES};
use crate::engine::{self, Engine, Keep, Purpose, Session};
use crate::error::{Error, Result};
use crate::history::History;
use crate::manifest::{Manifest, OutputStats};
use crate::output::{self, Layout, WrittenFile};
use crate::publish::{Publisher, RunLock, Staging};
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

/// Everything a run has once its inputs are checked.
struct Prepared {
    session: Session,
    date: NaiveDate,
    output: Location,
    publisher: Publisher,
    history: History,
    params: ParamValues,
    checked: Checked,
}

/// Open the locations, resolve D, open a session for `purpose`, and run the
/// contract stage.
async fn prepare(
    cfg: &RunConfig,
    engine: &Engine,
    run_id: &str,
    explain: Option<Keep>,
) -> Result<Prepared> {
    let s = cfg.settings();
    let input = Location::open(&s.input, &s.storage)?;
    let output = Location::open(&s.output, &s.storage)?;
    if !output.writable() {
        return Err(Error::Usage(format!(
            "output {} is read-only (http(s) locations can only be read)",
            output.display(&output.prefix)
        )));
    }
    let date = contract::read::snapshot_date(cfg.date(), &input).await?;
    info!(snapshot_date = %date, input = %input.display(&input.prefix), output = %output.display(&output.prefix), "run");
    let publisher = Publisher::new(s, &output, cfg.pause);
    let history = History::find(&publisher, date, s).await?;
    let purpose = match explain {
        Some(keep) => Purpose::Explain(keep),
        None => Purpose::Run {
            run_id,
            work: (&output, Staging::new(&output, date, run_id).work_dir()),
        },
    };
    let session = engine.session(purpose).await?;
    input.register(&session.ctx);
    output.register(&session.ctx);
    history.register(&session.ctx, &publisher).await?;
    let params = transform::params(date, s, &history);
    let checked = contract::check_inputs(contract::Stage {
        ctx: &session.ctx,
        keep: &session.keep,
        params: &params,
        input: &input,
        date,
        settings: s,
        together: engine.together(),
    })
    .await?;
    Ok(Prepared {
        session,
        date,
        output,
        publisher,
        history,
        params,
        checked,
    })
}

/// A new run id: the UTC start time, then a few bits that differ between
/// runs started in the same millisecond.
fn new_run_id() -> String {
    let now = Utc::now();
    let nanos = now.timestamp_subsec_nanos();
    format!(
        "{}-{:08x}",
        now.format("%Y%m%dT%H%M%S%.3fZ"),
        nanos ^ std::process::id().rotate_left(16)
    )
}

/// Run (or validate) the pipeline for one snapshot date on an engine of
/// its own.
pub async fn execute(cfg: &RunConfig, mode: Mode) -> Result<Report> {
    execute_on(cfg, mode, &Engine::new(cfg.settings())?).await
}

/// Run (or validate) the pipeline for one snapshot date on `engine`, whose
/// runtime several runs may share (backfill `--concurrency`). Everything
/// before publishing is cancelled by the config's token (staging removed,
/// nothing published); publishing is not interrupted.
pub async fn execute_on(cfg: &RunConfig, mode: Mode, engine: &Engine) -> Result<Report> {
    run(cfg, mode, engine).await.map_err(|e| engine.map_err(e))
}

async fn run(cfg: &RunConfig, mode: Mode, engine: &Engine) -> Result<Report> {
    let started = Utc::now();
    let run_id = new_run_id();
    let p = tokio::select! {
        biased;
        _ = cfg.cancel.cancelled() => None,
        p = prepare(cfg, engine, &run_id, None) => Some(p?),
    };
    let Some(p) = p else {
        cfg.cancel.check()?;
        return Err(Error::Internal("cancelled".into()));
    };
    let lock = match mode {
        Mode::Run => Some(
            RunLock::acquire(
                &p.output,
                p.date,
                &run_id,
                cfg.settings().storage.lock_stale_secs,
            )
            .await?,
        ),
        Mode::Validate => None,
    };
    let output = p.output.clone();
    let result = stage_and_publish(cfg, mode, engine, p, &run_id, started).await;
    if let Some(lock) = lock {
        lock.release(&output).await;
    }
    result
}

/// What a run has once every file is staged: ready to publish.
struct Staged {
    manifest: Manifest,
    tables: Vec<(String, Vec<WrittenFile>)>,
    timings: BTreeMap<String, u64>,
}

/// Everything after `prepare`: stage (cancellable), then publish.
async fn stage_and_publish(
    cfg: &RunConfig,
    mode: Mode,
    engine: &Engine,
    p: Prepared,
    run_id: &str,
    started: chrono::DateTime<Utc>,
) -> Result<Report> {
    let staging = Staging::new(&p.output, p.date, run_id);
    let publisher = &p.publisher;
    let staged = tokio::select! {
        biased;
        _ = cfg.cancel.cancelled() => None,
        r = compute_and_stage(cfg, mode, engine, &p, run_id, started, &staging) => Some(r),
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
            cfg.cancel.check()?;
            return Err(Error::Internal("cancelled".into()));
        }
    };
    let gate = p.checked.gate;
    let report = |manifest| Report {
        manifest,
        output: p.output.display(&p.output.prefix),
    };
    if mode == Mode::Validate {
        return match gate {
            Some(err) => Err(err),
            None => Ok(report(staged.manifest)),
        };
    }
    let Staged {
        mut manifest,
        tables,
        mut timings,
    } = staged;
    let t = Instant::now();
    for (table, files) in &tables {
        let delta_version = publisher
            .publish(&staging, table, p.date, files, run_id)
            .await?;
        let rows = files.iter().map(|f| f.rows).sum();
        info!(table = %table, rows, files = files.len(), ?delta_version, "published");
        manifest.outputs.insert(
            table.clone(),
            OutputStats {
                committed: true,
                partition: p.output.display(&partition_path(&p.output, table, p.date)),
                files: if publisher.lists_files() {
                    files.clone()
                } else {
                    Vec::new()
                },
                rows,
                delta_version,
            },
        );
    }
    staging.remove(&p.output).await?;
    timings.insert("publish".into(), contract::elapsed_ms(t));
    if let Some(err) = &gate {
        manifest.fail(err);
    }
    manifest.finish(timings);
    manifest.write(&p.output).await?;
    match gate {
        Some(err) => Err(err),
        None => Ok(report(manifest)),
    }
}

/// Run the transforms (unless the quality gate failed) and stage every file
/// (Run), or count the output rows (Validate).
async fn compute_and_stage(
    cfg: &RunConfig,
    mode: Mode,
    engine: &Engine,
    p: &Prepared,
    run_id: &str,
    started: chrono::DateTime<Utc>,
    staging: &Staging,
) -> Result<Staged> {
    let s = cfg.settings();
    let ctx = &p.session.ctx;
    let passed = p.checked.gate.is_none();
    let mut timings: BTreeMap<String, u64> = p
        .checked
        .timings_ms
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    let t = Instant::now();
    if passed {
        transform::run_steps(ctx, &p.params, &p.session.keep).await?;
    }
    timings.insert("transform".into(), contract::elapsed_ms(t));
    let mut manifest = Manifest::begin(
        run_id,
        p.date,
        started,
        engine.describe(),
        s,
        p.checked.inputs.clone(),
    );
    manifest.compared_with(p.history.previous, p.history.baseline);

    if mode == Mode::Validate {
        if passed {
            for (table, _) in output::outputs() {
                let rows = ctx.table(table).await?.count().await? as u64;
                let delta_version = p.publisher.check_published(table, p.date, rows).await?;
                manifest.outputs.insert(
                    table.into(),
                    OutputStats {
                        rows,
                        delta_version,
                        ..Default::default()
                    },
                );
            }
        }
        manifest.finish(timings.clone());
        return Ok(Staged {
            manifest,
            tables: Vec::new(),
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
            contract::rejects_frame(ctx, engine, spec).await?,
            spec.reject_schema(),
        ));
    }
    if passed {
        for (table, schema) in output::outputs() {
            let order = output::sort_keys(table)
                .iter()
                .map(|c| col(*c).sort(true, false))
                .collect();
            let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            let df = ctx
                .table(table)
                .await
                .and_then(|df| df.sort(order))
                .and_then(|df| df.select_columns(&columns))
                .map_err(|e| Error::engine(table, e))?;
            frames.push((table.to_string(), df, schema));
        }
    }
    // every table at the same time (the small ones overlap the big one),
    // each in a task of its own: Parquet encoding is CPU work, and in one
    // task the tables would take turns on one core. Results in the order
    // above; a failed write, or a cancelled run dropping the set, aborts
    // the others.
    let mut queue = frames.into_iter().enumerate();
    let mut running = tokio::task::JoinSet::new();
    let mut written = Vec::new();
    loop {
        while running.len() < engine.together() {
            let Some((i, (table, df, schema))) = queue.next() else {
                break;
            };
            let (out, dir) = (p.output.clone(), staging.table_dir(&table));
            running.spawn(async move {
                let (stream, _) = engine::execute(&table, df).await?;
                let files =
                    output::write_parts(&out, &dir, stream, &schema, layout, &table).await?;
                Ok::<_, Error>((i, table, files))
            });
        }
        let Some(done) = running.join_next().await else {
            break;
        };
        written.push(done.map_err(|e| Error::Internal(format!("writing a table: {e}")))??);
    }
    written.sort_by_key(|(i, _, _)| *i);
    let tables = written.into_iter().map(|(_, t, f)| (t, f)).collect();
    timings.insert("write_staging".into(), contract::elapsed_ms(t));
    cfg.pause.wait().await;
    Ok(Staged {
        manifest,
        tables,
        timings,
    })
}

/// The logical and physical plans of every SQL step, as text. Each step is
/// planned on its own, reading the steps before it as tables (empty ones,
/// or with `analyze` the computed results: then each step is executed and
/// its operators' rows, time and memory shown).
pub async fn explain(cfg: &RunConfig, analyze: bool) -> Result<String> {
    let engine = Engine::new(cfg.settings())?;
    let plans = engine::Plans::default();
    let keep = Keep::Explain {
        analyze,
        plans: plans.clone(),
    };
    let p = prepare(cfg, &engine, "explain", Some(keep.clone())).await?;
    transform::run_steps(&p.session.ctx, &p.params, &keep).await?;
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
