//! How step results are kept for the steps that read them ([`Keep`]), and
//! how one is executed and registered under its name.

use std::sync::Arc;

use datafusion::dataframe::DataFrame;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::logical_expr::SortExpr;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use object_store::path::Path;

use crate::config::StorageSettings;
use crate::error::{Error, Result};
use crate::part_files::{write_parts, Layout, PartFiles};
use crate::storage::Location;

/// Whether a step's result is computed once and kept (as [`Keep`] says) or
/// planned into the steps that read it (a view).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Materialize {
    /// Kept: read by several later steps.
    Always,
    /// Kept only when results are kept as files (a memory limit, or a
    /// Ballista cluster): a step split off to bound the memory one plan
    /// needs at once; otherwise a view.
    InFiles,
    /// A view (the last steps, read once by the writer).
    Never,
}

/// Plans collected by `explain`, by registered name.
pub type Plans = Arc<std::sync::Mutex<std::collections::BTreeMap<String, String>>>;

/// How a step's result is kept for the steps that read it.
#[derive(Debug, Clone)]
pub enum Keep {
    /// Planned into every reader (a step its [`Materialize`] does not keep).
    View,
    /// `explain`: record the step's own plan in `plans`, then stand in for
    /// its result with an empty table of its schema (or, with `analyze`,
    /// the computed result), so a later step's plan shows that step only.
    Explain {
        /// Execute and show metrics (`EXPLAIN ANALYZE`).
        analyze: bool,
        /// The plans, by registered name.
        plans: Plans,
    },
    /// Computed once into memory (the local engine).
    Memory,
    /// Computed once into Parquet files under `dir`: a local scratch folder
    /// under a memory limit (files are read back through the pool), or the
    /// run's staging, which a Ballista cluster's executors can read (an
    /// in-memory table cannot be shipped, and fully inlined plans get too
    /// deep to serialize).
    Files {
        /// The store of `dir`.
        loc: Location,
        /// The folder the results go under, one subfolder per step.
        dir: Path,
    },
}

impl Keep {
    /// How a step whose result is `m` is kept under this policy.
    pub fn for_step(&self, m: Materialize) -> &Keep {
        match (self, m) {
            (Keep::Explain { .. }, _) | (_, Materialize::Always) => self,
            (Keep::Files { .. }, Materialize::InFiles) => self,
            _ => &Keep::View,
        }
    }

    /// Whether steps run one at a time (results kept as files: steps
    /// running together would share the memory pool).
    pub fn one_at_a_time(&self) -> bool {
        matches!(self, Keep::Files { .. })
    }

    /// Register a Rust step's in-memory result as `name`: in memory as it
    /// is (the order it declares kept, so a reader needing that order does
    /// not sort again), or through [`Keep::register`] (as files on a
    /// cluster; a one-partition table's declared order becomes the files'
    /// order).
    pub async fn register_table(
        &self,
        ctx: &SessionContext,
        name: &str,
        table: Arc<datafusion::datasource::MemTable>,
    ) -> Result<()> {
        match self {
            Keep::Memory | Keep::View => {
                ctx.register_table(name, table)
                    .map_err(|e| Error::engine(name, e))?;
                Ok(())
            }
            Keep::Explain { .. } | Keep::Files { .. } => {
                let df = SessionContext::new()
                    .read_table(table)
                    .map_err(|e| Error::engine(name, e))?;
                self.register(ctx, name, df).await
            }
        }
    }

    /// Register `df` as `name`, kept as this policy says.
    pub async fn register(&self, ctx: &SessionContext, name: &str, df: DataFrame) -> Result<()> {
        let engine_err = |e| Error::engine(name, e);
        let started = std::time::Instant::now();
        match self {
            Keep::View => {
                ctx.register_table(name, df.into_view())
                    .map_err(engine_err)?;
            }
            Keep::Explain { analyze, plans } => {
                let text = explain_text(name, df.clone(), *analyze).await?;
                plans
                    .lock()
                    .map_err(|_| Error::Internal("explain: plans lock poisoned".into()))?
                    .insert(name.to_string(), text);
                let stand_in = if *analyze {
                    df.cache().await.map_err(engine_err)?.into_view()
                } else {
                    let schema = Arc::new(df.schema().as_arrow().clone());
                    Arc::new(
                        datafusion::datasource::MemTable::try_new(schema, vec![vec![]])
                            .map_err(engine_err)?,
                    )
                };
                ctx.register_table(name, stand_in).map_err(engine_err)?;
            }
            Keep::Memory => {
                let cached = df.cache().await.map_err(engine_err)?;
                ctx.register_table(name, cached.into_view())
                    .map_err(engine_err)?;
            }
            Keep::Files { loc, dir } => {
                let fields: Vec<_> = df
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.as_ref().clone().with_nullable(true))
                    .collect();
                let schema = Arc::new(arrow::datatypes::Schema::new(fields));
                let dir = dir.clone().join(name);
                let (stream, order) = execute(name, df).await?;
                let layout = Layout {
                    row_group_size: SCRATCH_ROW_GROUP,
                    rows_per_file: usize::MAX,
                };
                let to = PartFiles {
                    location: loc.clone(),
                    dir: dir.clone(),
                    schema,
                    layout,
                    table: name.to_string(),
                };
                write_parts(&to, stream).await?;
                let url = format!("{}/", loc.url_of(&dir));
                let options = ParquetReadOptions::default().file_sort_order(order);
                ctx.register_parquet(name, url.as_str(), options)
                    .await
                    .map_err(engine_err)?;
            }
        }
        tracing::debug!(
            step = name,
            ms = started.elapsed().as_millis() as u64,
            "step done"
        );
        Ok(())
    }
}

/// A local folder for the intermediate results of a memory-limited run
/// (under the system temp dir), removed when the run ends.
pub(super) struct Scratch {
    dir: std::path::PathBuf,
    pub(super) loc: Location,
}

impl Scratch {
    pub(super) fn new(run_id: &str) -> Result<Scratch> {
        let dir = std::env::temp_dir().join(format!("pulsetier-{run_id}"));
        std::fs::create_dir_all(&dir).map_err(|e| {
            Error::Io(std::io::Error::new(
                e.kind(),
                format!("create scratch folder {}: {e}", dir.display()),
            ))
        })?;
        let loc = Location::open(&dir.to_string_lossy(), &StorageSettings::default())?;
        Ok(Scratch { dir, loc })
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Rows per row group of a result kept as files: small enough that the
/// Parquet writer's buffered row group and a reader's fetched column chunks
/// stay a few tens of MB even for the widest step.
const SCRATCH_ROW_GROUP: usize = 128 * 1024;

/// The order of a result written to one file from `plan`, as the
/// `file_sort_order` of its table: a one-partition plan that ends in a sort
/// (`ORDER BY value_rank`) writes its rows in that order, so a reader that
/// needs it (the output writer) does not sort them again. Empty when the
/// plan has several partitions or its order is not on plain columns.
fn file_order(plan: &dyn datafusion::physical_plan::ExecutionPlan) -> Vec<Vec<SortExpr>> {
    use datafusion::physical_expr::expressions::Column;
    use datafusion::physical_plan::ExecutionPlanProperties;
    if plan.output_partitioning().partition_count() != 1 {
        return vec![];
    }
    let Some(ordering) = plan.output_ordering() else {
        return vec![];
    };
    let mut order = Vec::new();
    for sort in ordering.iter() {
        let Some(column) = sort.expr.downcast_ref::<Column>() else {
            return vec![];
        };
        order.push(
            datafusion::prelude::col(column.name())
                .sort(!sort.options.descending, sort.options.nulls_first),
        );
    }
    vec![order]
}

/// Execute `df` (the step or output `name`) as one stream; also returns the
/// stream's order as [`file_order`] gives it. The physical plan is logged at
/// trace level (`RUST_LOG=pulsetier=trace`).
pub async fn execute(
    name: &str,
    df: DataFrame,
) -> Result<(SendableRecordBatchStream, Vec<Vec<SortExpr>>)> {
    let engine_err = |e| Error::engine(name, e);
    let task_ctx = Arc::new(df.task_ctx());
    let plan = df.create_physical_plan().await.map_err(engine_err)?;
    tracing::trace!(
        step = name,
        plan = %datafusion::physical_plan::displayable(plan.as_ref()).indent(true),
        "physical plan"
    );
    let order = file_order(plan.as_ref());
    let stream = datafusion::physical_plan::execute_stream(plan, task_ctx).map_err(engine_err)?;
    Ok((stream, order))
}

/// The logical and physical plans of a planned step, as a text table; with
/// `analyze`, the executed plan with its metrics.
async fn explain_text(name: &str, df: DataFrame, analyze: bool) -> Result<String> {
    let batches = df
        .explain(false, analyze)
        .map_err(|e| Error::engine(name, e))?
        .collect()
        .await
        .map_err(|e| Error::engine(name, e))?;
    let table = arrow::util::pretty::pretty_format_batches(&batches)?;
    Ok(table.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::SessionConfig;

    /// The order a written result is read back with: only a one-partition
    /// plan's order on plain columns, never one DataFusion does not promise.
    #[tokio::test]
    async fn file_order_only_for_one_ordered_partition() {
        use datafusion::prelude::col;
        let order_of = |df: DataFrame| async move {
            let plan = df.create_physical_plan().await.unwrap();
            file_order(plan.as_ref())
        };
        let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(1));
        let ranked = "SELECT a, b FROM (VALUES (2, 'x'), (1, 'y')) t(a, b) ORDER BY a DESC, b";
        let want = vec![vec![col("a").sort(false, true), col("b").sort(true, false)]];
        assert_eq!(order_of(ctx.sql(ranked).await.unwrap()).await, want);
        // an order on an expression the result does not keep promises
        // nothing about its columns
        let computed = "SELECT a FROM (VALUES (2), (1), (3)) t(a) ORDER BY a % 2";
        assert!(order_of(ctx.sql(computed).await.unwrap()).await.is_empty());
        // no order at all
        let unordered = "SELECT a FROM (VALUES (2), (1)) t(a)";
        assert!(order_of(ctx.sql(unordered).await.unwrap()).await.is_empty());
        // two partitions, each sorted: written one after the other into one
        // file, the rows would not be in that order
        let schema = Arc::new(arrow::datatypes::Schema::new(vec![
            arrow::datatypes::Field::new("a", arrow::datatypes::DataType::Int64, false),
        ]));
        let part = |values: Vec<i64>| {
            let array = Arc::new(arrow::array::Int64Array::from(values));
            vec![arrow::record_batch::RecordBatch::try_new(schema.clone(), vec![array]).unwrap()]
        };
        let two = datafusion::datasource::MemTable::try_new(
            schema.clone(),
            vec![part(vec![1, 3]), part(vec![2, 4])],
        )
        .unwrap()
        .with_sort_order(vec![vec![col("a").sort(true, false)]]);
        let df = ctx.read_table(Arc::new(two)).unwrap();
        let plan = df.clone().create_physical_plan().await.unwrap();
        {
            use datafusion::physical_plan::ExecutionPlanProperties;
            // the case is real: two partitions that each keep the order
            assert_eq!(plan.output_partitioning().partition_count(), 2);
            assert!(plan.output_ordering().is_some());
        }
        assert!(order_of(df).await.is_empty());
    }
}
