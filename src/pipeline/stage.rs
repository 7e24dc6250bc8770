//! Staging a run: the transforms (unless the quality gate failed), then
//! every output and `_rejects` table written under the run's staging folder
//! (`Run`), or the output rows counted (`Validate`).

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::Utc;
use datafusion::logical_expr::col;

use super::{Mode, Prepared, Staged};
use crate::audit;
use crate::config::RunConfig;
use crate::contract::{self, TABLES};
use crate::engine::{self, Engine};
use crate::error::{Error, Result};
use crate::manifest::{Manifest, OutputStats};
use crate::output::{self, Layout};
use crate::publish::Staging;
use crate::transform;

/// Run the transforms (unless the quality gate failed) and stage every file
/// (Run), or count the output rows (Validate).
pub(super) async fn compute_and_stage(
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
    let fresh = p.checked.freshness.is_none();
    let passed = fresh && p.checked.gate.is_none();
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
    manifest.checks = p.checked.findings.clone();
    manifest.compared_with(p.history.previous, p.history.baseline);
    manifest.queued_snapshot_dates = p.history.queued.iter().map(|d| d.to_string()).collect();

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
    for spec in TABLES.iter().filter(|_| fresh) {
        frames.push((
            format!("_rejects/{}", spec.name),
            contract::rejects_frame(ctx, engine, spec, &s.rejects, run_id).await?,
            contract::rejects::schema(spec, &s.rejects),
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
    let tables: Vec<_> = written.into_iter().map(|(_, t, f)| (t, f)).collect();
    timings.insert("write_staging".into(), contract::elapsed_ms(t));
    cfg.pause.wait().await;
    if passed {
        // audit what would be published: the staged files, read back
        let t = Instant::now();
        let local = engine.local_context()?;
        let audited = audit::staged(local, &p.output, |t| staging.table_dir(t)).await?;
        let inputs = &p.checked.inputs;
        audit::run(&audited, &p.output, p.date, inputs, s, &mut manifest.checks).await?;
        timings.insert("audit".into(), contract::elapsed_ms(t));
    }
    Ok(Staged {
        manifest,
        tables,
        timings,
    })
}
