//! The fourth stage: every `_rejects` table (when the inputs are fresh) and
//! every output (when they passed) written as Parquet part files under the
//! run's staging folder, each table in a task of its own; then the audits
//! and anomaly checks of the staged files, read back, so what is audited
//! is what would be published.

use std::time::Instant;

use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::col;

use super::compute::Computed;
use crate::audit;
use crate::contract::{self, elapsed_ms, TABLES};
use crate::engine;
use crate::error::{Error, Result};
use crate::part_files::{write_parts, Layout, PartFiles, WrittenFile};
use crate::tables::{rejects_table, Output};

/// A run whose tables are all staged and audited: ready to commit.
pub(crate) struct Staged<'a> {
    pub c: Computed<'a>,
    /// Each staged table with its part files, in publishing order.
    pub tables: Vec<(String, Vec<WrittenFile>)>,
}

/// Stage every table, then audit what was staged.
pub(crate) async fn stage(mut c: Computed<'_>) -> Result<Staged<'_>> {
    let t = Instant::now();
    let p = &c.p;
    p.staging.clean_leftovers(&p.output).await?;
    let frames = frames(&c).await?;
    let tables = write_all(&c, frames).await?;
    c.timings.insert("write_staging".into(), elapsed_ms(t));
    c.p.staging.checkpoint().await;
    if c.passed {
        let t = Instant::now();
        let local = c.p.run.engine.local_context()?;
        let staging = &c.p.staging;
        let audited = audit::staged(local, &c.p.output, |t| staging.table_dir(t)).await?;
        audit::run(
            &audited,
            &c.p.output,
            c.p.run.cfg.settings(),
            &mut c.manifest,
        )
        .await?;
        c.timings.insert("audit".into(), elapsed_ms(t));
    }
    Ok(Staged { c, tables })
}

/// One table to stage: its name, its rows in order, its schema.
type Frame = (String, DataFrame, arrow::datatypes::SchemaRef);

/// The rejects (fresh inputs) and the outputs (passed inputs), in
/// publishing order.
async fn frames(c: &Computed<'_>) -> Result<Vec<Frame>> {
    let (p, s) = (&c.p, c.p.run.cfg.settings());
    let ctx = &p.session.ctx;
    let mut frames = Vec::new();
    for spec in TABLES.iter().filter(|_| c.fresh()) {
        frames.push((
            rejects_table(spec.name),
            contract::rejects_frame(ctx, p.run.engine, spec, &s.rejects, &p.run.id).await?,
            contract::rejects::schema(spec, &s.rejects),
        ));
    }
    for table in Output::ALL.into_iter().filter(|_| c.passed) {
        let order = table
            .sort_keys()
            .iter()
            .map(|c| col(*c).sort(true, false))
            .collect();
        let schema = table.schema();
        let columns: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let df = ctx
            .table(table.name())
            .await
            .and_then(|df| df.sort(order))
            .and_then(|df| df.select_columns(&columns))
            .map_err(|e| Error::engine(table.name(), e))?;
        frames.push((table.name().to_string(), df, schema));
    }
    Ok(frames)
}

/// Write every frame under the staging at the same time (the small ones
/// overlap the big one), each in a task of its own: Parquet encoding is
/// CPU work, and in one task the tables would take turns on one core.
/// Results in the order given; a failed write, or a cancelled run dropping
/// the set, aborts the others.
async fn write_all(
    c: &Computed<'_>,
    frames: Vec<Frame>,
) -> Result<Vec<(String, Vec<WrittenFile>)>> {
    let (p, s) = (&c.p, c.p.run.cfg.settings());
    let layout = Layout {
        row_group_size: s.engine.row_group_size,
        rows_per_file: s.engine.rows_per_file,
    };
    let mut queue = frames.into_iter().enumerate();
    let mut running = tokio::task::JoinSet::new();
    let mut written = Vec::new();
    loop {
        while running.len() < p.run.engine.together() {
            let Some((i, (table, df, schema))) = queue.next() else {
                break;
            };
            let to = PartFiles {
                location: p.output.clone(),
                dir: p.staging.table_dir(&table),
                schema,
                layout,
                table,
            };
            running.spawn(async move {
                let (stream, _) = engine::execute(&to.table, df).await?;
                let files = write_parts(&to, stream).await?;
                Ok::<_, Error>((i, to.table, files))
            });
        }
        let Some(done) = running.join_next().await else {
            break;
        };
        written.push(done.map_err(|e| Error::Internal(format!("writing a table: {e}")))??);
    }
    written.sort_by_key(|(i, _, _)| *i);
    Ok(written.into_iter().map(|(_, t, f)| (t, f)).collect())
}
