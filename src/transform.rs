//! Runs the `sql/` steps. Rust only wires them: each step is one SQL file
//! whose result is registered under a name the later steps read. Parameters
//! (`$snapshot_date`, window bounds, weights, thresholds) are bound as typed
//! values, never formatted into the SQL text.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveTime};
use datafusion::common::{ParamValues, ScalarValue};
use datafusion::dataframe::DataFrame;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::logical_expr::SortExpr;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use object_store::path::Path;

use crate::storage::Location;

use crate::config::{parse_size, Settings};
use crate::contract::{days_since_epoch, TableSpec};
use crate::error::{Error, Result};

/// One SQL step of the pipeline.
#[derive(Debug)]
pub struct Step {
    /// File name under `sql/`.
    pub file: &'static str,
    /// The SQL text.
    pub sql: &'static str,
    /// The name later steps read the result under.
    pub output: &'static str,
    /// Whether the result is computed once and kept, or planned into its
    /// readers.
    pub materialize: Materialize,
    /// Steps of the same wave read none of each other's results and run at
    /// the same time; waves run in order (`STEPS` lists them in wave order).
    pub wave: u8,
}

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

/// The transform steps of docs/SPEC.md §3–4, in pipeline order (after the checks).
pub const STEPS: &[Step] = &[
    Step {
        file: "10_valid_accounts.sql",
        sql: include_str!("../sql/10_valid_accounts.sql"),
        output: "valid_accounts",
        materialize: Materialize::Always,
        wave: 0,
    },
    Step {
        file: "11_handle_map.sql",
        sql: include_str!("../sql/11_handle_map.sql"),
        output: "handle_map",
        materialize: Materialize::Always,
        wave: 1,
    },
    Step {
        file: "13_handle_scores.sql",
        sql: include_str!("../sql/13_handle_scores.sql"),
        output: "handle_scores",
        materialize: Materialize::InFiles,
        wave: 1,
    },
    Step {
        file: "12_window_mentions.sql",
        sql: include_str!("../sql/12_window_mentions.sql"),
        output: "window_mentions",
        materialize: Materialize::Always,
        wave: 2,
    },
    Step {
        file: "14_influence.sql",
        sql: include_str!("../sql/14_influence.sql"),
        output: "account_influence",
        materialize: Materialize::Always,
        wave: 2,
    },
    Step {
        file: "15_latest_response.sql",
        sql: include_str!("../sql/15_latest_response.sql"),
        output: "latest_response",
        materialize: Materialize::Always,
        wave: 2,
    },
    Step {
        file: "16_mention_features.sql",
        sql: include_str!("../sql/16_mention_features.sql"),
        output: "mention_features",
        materialize: Materialize::InFiles,
        wave: 3,
    },
    Step {
        file: "17_scored_accounts.sql",
        sql: include_str!("../sql/17_scored_accounts.sql"),
        output: "scored_accounts",
        materialize: Materialize::InFiles,
        wave: 3,
    },
    Step {
        file: "18_scored_influence.sql",
        sql: include_str!("../sql/18_scored_influence.sql"),
        output: "scored_influence",
        materialize: Materialize::InFiles,
        wave: 4,
    },
    Step {
        file: "19_scored_mentions.sql",
        sql: include_str!("../sql/19_scored_mentions.sql"),
        output: "scored_mentions",
        materialize: Materialize::InFiles,
        wave: 5,
    },
    Step {
        file: "20_account_features.sql",
        sql: include_str!("../sql/20_account_features.sql"),
        output: "account_features",
        materialize: Materialize::Always,
        wave: 6,
    },
    Step {
        file: "21_spend_ranks.sql",
        sql: include_str!("../sql/21_spend_ranks.sql"),
        output: "spend_ranks",
        materialize: Materialize::InFiles,
        wave: 7,
    },
    Step {
        file: "22_customer_tiers.sql",
        sql: include_str!("../sql/22_customer_tiers.sql"),
        output: "customer_tiers",
        materialize: Materialize::Always,
        wave: 8,
    },
    Step {
        file: "23_nps_population.sql",
        sql: include_str!("../sql/23_nps_population.sql"),
        output: "nps_population",
        materialize: Materialize::Always,
        wave: 9,
    },
    Step {
        file: "24_nps_aggregates.sql",
        sql: include_str!("../sql/24_nps_aggregates.sql"),
        output: "nps_aggregates",
        materialize: Materialize::Never,
        wave: 10,
    },
    Step {
        file: "25_social_pulse.sql",
        sql: include_str!("../sql/25_social_pulse.sql"),
        output: "social_pulse",
        materialize: Materialize::Never,
        wave: 10,
    },
];

/// The SQL parameters of a run for snapshot date `date`.
pub fn params(date: NaiveDate, s: &Settings) -> ParamValues {
    let day_start = |d: NaiveDate| {
        let micros = d.and_time(NaiveTime::MIN).and_utc().timestamp_micros();
        ScalarValue::TimestampMicrosecond(Some(micros), Some("UTC".into()))
    };
    let days_back = |n: u32| date - chrono::Days::new(u64::from(n.saturating_sub(1)));
    let w = &s.scoring;
    let f = |v: f64| ScalarValue::Float64(Some(v));
    let total = w.weight_spend
        + w.weight_payment
        + w.weight_services
        + w.weight_tenure
        + w.weight_influence;
    let map: HashMap<String, ScalarValue> = [
        ("ws", ScalarValue::Utf8(Some(" \t\n\r".into()))),
        (
            "snapshot_date",
            ScalarValue::Date32(Some(days_since_epoch(date))),
        ),
        (
            "mentions_start",
            day_start(days_back(s.windows.mentions_days)),
        ),
        ("surveys_start", day_start(days_back(s.windows.nps_days))),
        (
            "influence_start",
            day_start(days_back(s.windows.influence_max_age_days)),
        ),
        ("window_end", day_start(date + chrono::Days::new(1))),
        ("w_spend", f(w.weight_spend)),
        ("w_payment", f(w.weight_payment)),
        ("w_services", f(w.weight_services)),
        ("w_tenure", f(w.weight_tenure)),
        ("w_influence", f(w.weight_influence)),
        ("w_total", f(total)),
        ("tier_platinum", f(w.tier_platinum)),
        ("tier_gold", f(w.tier_gold)),
        ("tier_silver", f(w.tier_silver)),
        ("influencer_threshold", f(w.influencer_threshold)),
        ("positive_sentiment", f(w.positive_sentiment)),
        ("negative_sentiment", f(w.negative_sentiment)),
        (
            "min_responses",
            ScalarValue::Int64(Some(s.quality.min_responses)),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    ParamValues::Map(map.into_iter().map(|(k, v)| (k, v.into())).collect())
}

/// The engine's runtime: a spilling memory pool bounded by
/// `memory_limit` (unbounded when empty) and a disk manager that spills into
/// a temporary folder removed when the runtime is dropped. Several runs may
/// share one runtime, and so one memory limit (backfill `--concurrency`).
pub fn runtime(s: &Settings) -> Result<Arc<RuntimeEnv>> {
    let mut rt = RuntimeEnvBuilder::new();
    if !s.engine.memory_limit.is_empty() {
        let bytes = parse_size(&s.engine.memory_limit)?;
        rt = rt.with_memory_pool(Arc::new(FairSpillPool::new(bytes)));
        hold_less_freed_memory();
    }
    rt.build_arc().map_err(|e| Error::engine("runtime", e))
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

/// A DataFusion session configured from the engine settings (target
/// partitions, batch size, `[engine.datafusion]` options) on a runtime from
/// [`runtime`].
pub fn session(s: &Settings, runtime: Arc<RuntimeEnv>) -> Result<SessionContext> {
    let mut config = SessionConfig::new()
        .with_batch_size(s.engine.batch_size)
        .with_information_schema(false);
    if s.engine.target_partitions > 0 {
        config = config.with_target_partitions(s.engine.target_partitions);
    }
    if !s.engine.memory_limit.is_empty() && config.target_partitions() > 1 {
        // DataFusion 55's RepartitionExec can deadlock once it spills under
        // a memory limit (apache/datafusion#24883, fixed after 55): one
        // partition per step plans no repartitioning at all
        tracing::info!(
            target_partitions = config.target_partitions(),
            "memory limit set: every step runs on one partition"
        );
        config = config.with_target_partitions(1);
    }
    let config = apply_options(config, s)?;
    Ok(SessionContext::new_with_config_rt(config, runtime))
}

/// Apply the `[engine.datafusion]` options (full DataFusion keys) to a
/// session configuration; an unknown key or bad value is a usage error.
pub fn apply_options(mut config: SessionConfig, s: &Settings) -> Result<SessionConfig> {
    for (key, value) in &s.engine.datafusion {
        config
            .options_mut()
            .set(key, value)
            .map_err(|e| Error::Usage(format!("engine.datafusion: {key} = {value:?}: {e}")))?;
    }
    Ok(config)
}

/// Plan one SQL step with bound parameters.
pub async fn plan(
    ctx: &SessionContext,
    file: &str,
    sql: &str,
    params: &ParamValues,
) -> Result<DataFrame> {
    let df = ctx.sql(sql).await.map_err(|e| Error::engine(file, e))?;
    df.with_param_values(params.clone())
        .map_err(|e| Error::engine(file, e))
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
    /// Computed once into Parquet files under `dir`, which a Ballista
    /// cluster's executors can read (an in-memory table cannot be shipped,
    /// and fully inlined plans get too deep to serialize).
    Files {
        /// The store of `dir` (the output root).
        loc: Location,
        /// Scratch folder inside this run's staging.
        dir: Path,
    },
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

/// Register a step's result under `name`, kept as `keep` says.
pub async fn register(ctx: &SessionContext, name: &str, df: DataFrame, keep: &Keep) -> Result<()> {
    let engine_err = |e| Error::engine(name, e);
    let started = std::time::Instant::now();
    match keep {
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
            let layout = crate::output::Layout {
                row_group_size: SCRATCH_ROW_GROUP,
                rows_per_file: usize::MAX,
            };
            crate::output::write_parts(loc, &dir, stream, &schema, layout, name).await?;
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

/// Run a table's check step (`sql/0*_check_*.sql`) into `checked_<table>`.
pub async fn run_check(
    ctx: &SessionContext,
    spec: &TableSpec,
    params: &ParamValues,
    keep: &Keep,
) -> Result<()> {
    let raw = format!("raw_{}", spec.name);
    let in_memory = matches!(keep, Keep::Memory);
    if in_memory {
        // the check reads its input several times (rules, repeated keys,
        // contested copies): read and cast the files once
        let df = ctx
            .table(raw.as_str())
            .await
            .map_err(|e| Error::engine(&raw, e))?;
        ctx.deregister_table(raw.as_str())
            .map_err(|e| Error::engine(&raw, e))?;
        register(ctx, &raw, df, keep).await?;
    }
    let (file, sql) = spec.check_sql;
    let df = plan(ctx, file, sql, params).await?;
    register(ctx, &format!("checked_{}", spec.name), df, keep).await?;
    if in_memory {
        // nothing reads it any more: free the memory
        ctx.deregister_table(raw.as_str())
            .map_err(|e| Error::engine(&raw, e))?;
    }
    Ok(())
}

/// Run the transform steps; each is kept as `keep` says, or stays a view as
/// its [`Materialize`] says.
pub async fn run_steps(ctx: &SessionContext, params: &ParamValues, keep: &Keep) -> Result<()> {
    // with a memory limit (results kept as files), one step at a time: steps
    // running together would share the pool
    let one_at_a_time = matches!(keep, Keep::Files { .. });
    for wave in STEPS.chunk_by(|a, b| a.wave == b.wave && !one_at_a_time) {
        let runs = wave.iter().map(|step| async move {
            let df = plan(ctx, step.file, step.sql, params).await?;
            let keep = match (keep, step.materialize) {
                (Keep::Explain { .. }, _) | (_, Materialize::Always) => keep,
                (Keep::Files { .. }, Materialize::InFiles) => keep,
                _ => &Keep::View,
            };
            register(ctx, step.output, df, keep).await
        });
        futures::future::try_join_all(runs).await?;
    }
    Ok(())
}

/// The logical and physical plans of a planned step, as a text table; with
/// `analyze`, the executed plan with its metrics.
pub async fn explain_text(name: &str, df: DataFrame, analyze: bool) -> Result<String> {
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

    /// A step may only read results of earlier waves, and `STEPS` must list
    /// the waves in order (`run_steps` groups neighbours).
    #[test]
    fn steps_read_only_earlier_waves() {
        for pair in STEPS.windows(2) {
            assert!(
                pair[0].wave <= pair[1].wave,
                "{} before {}",
                pair[0].file,
                pair[1].file
            );
        }
        for step in STEPS {
            let later = STEPS
                .iter()
                .filter(|o| o.wave >= step.wave && !std::ptr::eq(*o, step));
            for other in later {
                let reads = step
                    .sql
                    .lines()
                    .map(|line| line.split("--").next().unwrap_or(""))
                    .flat_map(|code| code.split(|c: char| !(c.is_alphanumeric() || c == '_')))
                    .any(|word| word == other.output);
                assert!(
                    !reads,
                    "{} (wave {}) reads {} of wave {}",
                    step.file, step.wave, other.output, other.wave
                );
            }
        }
    }

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
