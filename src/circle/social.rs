//! `social_circle` and `circle_customers` (docs/SPEC.md §9.3, §9.4) as a
//! Rust step, run with the first wave after `customer_tiers`.
//!
//! It reads the scored accounts (`customer_tiers`: `account_id`,
//! `value_score`), the handle map's accounts with their handle's node and
//! figures (`33_handle_nodes`) and the circles by node id (`circle_links`,
//! from [`super::circle_graph`]). Both account lists are sorted by
//! account_id once ([`byte_order`]) and merged; a node is a customer
//! when a scored account's handle is that node; each circle's customers
//! are counted and their value_score added as exact decimals (cents in an
//! i128) over the links; the few accounts in the graph are ranked among
//! themselves and every other account takes the next rank in account_id
//! order, the order the output is written in. `social_circle` is
//! registered with that order declared, so the writer does not sort it
//! again; `circle_customers` (per node with a customer in its circle:
//! `node_id`, `customers_linked`, `customers_value`) is what
//! `36_circle_prospects` reads.
//!
//! The same in SQL joined every scored account to its figures by
//! account_id (a hash join reshuffling every row), counted the circles'
//! customers in a step of its own, and sorted every account for a window
//! (BENCHMARKS.md, "The circle's accounts in one Rust step").

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Decimal128Array, Float64Array, Int64Array, RecordBatch, StringArray,
    UInt32Array,
};
use arrow::compute::{cast, concat_batches, take};
use arrow::datatypes::{DataType, Decimal128Type, Float64Type, Int64Type};
use arrow::datatypes::{SchemaRef, UInt32Type};
use datafusion::datasource::MemTable;
use datafusion::prelude::{col, SessionContext};

use datafusion::common::ParamValues;

use crate::engine::{plan_sql, Keep, Materialize};
use crate::error::{Error, Result};
use crate::tables::{schema, Output};

/// The registered scored accounts the step reads.
pub const TIERS: &str = "customer_tiers";
/// The handle map the step reads (through `33_handle_nodes`).
pub const MAP: &str = "handle_map";
/// The handle map's accounts with their handle's node: `33_handle_nodes`,
/// which the step plans and registers (a view) before reading it.
pub const NODES: &str = "handle_nodes";
/// `33_handle_nodes`' file name and SQL.
const NODES_FILE: &str = "33_handle_nodes.sql";
const NODES_SQL: &str = include_str!("../../sql/33_handle_nodes.sql");
/// What the step registers: the output `social_circle`.
pub const SOCIAL: &str = "social_circle";
/// What the step registers: each circle's customers, by node id.
pub const CUSTOMERS: &str = "circle_customers";

/// Rows per batch of the registered results.
const BATCH: usize = 64 * 1024;

/// Scale of the decimals value_score is added up in (cents).
const SCALE: i8 = 2;

/// `33_handle_nodes`' columns, in this order, with the types read.
const NODE_COLUMNS: [(&str, DataType); 6] = [
    ("account_id", DataType::Utf8),
    ("handle", DataType::Utf8),
    ("node_id", DataType::UInt32),
    ("circle_size", DataType::Int64),
    ("mentions_received", DataType::Int64),
    ("network_influence", DataType::Float64),
];

/// What the step computes: `social_circle`'s columns in account_id order
/// (docs/SPEC.md §9.3) and `circle_customers`.
#[derive(Debug)]
pub struct Circles {
    /// `account_id, handle, circle_size, circle_customers, circle_value,
    /// mentions_received, network_influence, circle_rank`.
    pub social: Vec<ArrayRef>,
    /// `node_id` (UInt32), `customers_linked` (Int64), `customers_value`
    /// (Decimal128(38, 2)), one row per node whose circle holds a scored
    /// customer, by node id.
    pub customers: Vec<ArrayRef>,
}

/// The figures of every scored account from `tiers` (`account_id`,
/// `value_score`), `nodes` (the columns of [`NODE_COLUMNS`]) and the
/// circles `links` (`node_id`, `linked_id` batches).
pub fn circles(tiers: &RecordBatch, nodes: &RecordBatch, links: &[RecordBatch]) -> Result<Circles> {
    let ids = tiers.column(0).as_string::<i32>();
    let node_ids = nodes.column(0).as_string::<i32>();
    if ids.null_count() > 0 || node_ids.null_count() > 0 {
        return Err(Error::Internal(format!(
            "{SOCIAL}: {TIERS} or {NODES} has a null account_id"
        )));
    }
    // value_score as SQL's CAST(value_score AS DECIMAL(18, 2)) gives it
    let cents = cast(tiers.column(1), &DataType::Decimal128(18, SCALE))?;
    let cents = cents.as_primitive::<Decimal128Type>();

    // both lists in account_id order (byte order, as SQL's ORDER BY), merged
    // (the two sorts on two threads: when the step runs, the wave's other
    // steps are mostly done)
    let (order, by_id) = std::thread::scope(|s| {
        let nodes_sorted = s.spawn(|| byte_order(node_ids));
        let order = byte_order(ids);
        let by_id = nodes_sorted
            .join()
            .map_err(|_| Error::Internal(format!("{SOCIAL}: sorting {NODES} panicked")));
        (order, by_id)
    });
    let (order, by_id) = (UInt32Array::from(order), UInt32Array::from(by_id?));
    let mut pick: Vec<Option<u32>> = Vec::with_capacity(order.len());
    let mut j = 0;
    for i in order.values() {
        let id = ids.value(*i as usize);
        while j < by_id.len() && node_ids.value(by_id.value(j) as usize) < id {
            j += 1;
        }
        let hit = j < by_id.len() && node_ids.value(by_id.value(j) as usize) == id;
        pick.push(hit.then(|| by_id.value(j)));
    }
    let pick = UInt32Array::from(pick);
    let node = take(nodes.column(2).as_ref(), &pick, None)?;
    let node = node.as_primitive::<UInt32Type>();

    // the customers' nodes, then each circle's customers over the links
    let size = links
        .iter()
        .flat_map(|b| [b.column(0), b.column(1)])
        .filter_map(|c| arrow::compute::max(c.as_primitive::<UInt32Type>()))
        .chain(node.iter().flatten())
        .max()
        .map_or(0, |m| m as usize + 1);
    let mut customer: Vec<Option<i128>> = vec![None; size];
    for (row, n) in node.iter().enumerate() {
        if let Some(n) = n {
            customer[n as usize] = Some(cents.value(order.value(row) as usize));
        }
    }
    let mut linked = vec![0i64; size];
    let mut value = vec![0i128; size];
    for batch in links {
        let (from, to) = (
            batch.column(0).as_primitive::<UInt32Type>(),
            batch.column(1).as_primitive::<UInt32Type>(),
        );
        for (a, b) in from.values().iter().zip(to.values()) {
            if let Some(c) = customer[*b as usize] {
                linked[*a as usize] += 1;
                value[*a as usize] += c;
            }
        }
    }
    let with: Vec<u32> = (0..size as u32)
        .filter(|n| linked[*n as usize] > 0)
        .collect();
    let customers: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from(with.clone())),
        Arc::new(Int64Array::from_iter_values(
            with.iter().map(|n| linked[*n as usize]),
        )),
        Arc::new(
            Decimal128Array::from_iter_values(with.iter().map(|n| value[*n as usize]))
                .with_precision_and_scale(38, SCALE)?,
        ),
    ];

    // every scored account's figures, in account_id order
    let of_node = |pick_value: &dyn Fn(usize) -> i64| -> Int64Array {
        pick.iter()
            .map(|p| Some(p.map_or(0, |r| pick_value(r as usize))))
            .collect()
    };
    let (sizes, received) = (
        nodes.column(3).as_primitive::<Int64Type>(),
        nodes.column(4).as_primitive::<Int64Type>(),
    );
    let circle_value =
        Decimal128Array::from_iter_values(node.iter().map(|n| n.map_or(0, |n| value[n as usize])))
            .with_precision_and_scale(38, SCALE)?;
    let circle_value = cast(&circle_value, &DataType::Float64)?;
    let influence = take(nodes.column(5).as_ref(), &pick, None)?;
    let rank = circle_rank(
        influence.as_primitive::<Float64Type>(),
        circle_value.as_primitive::<Float64Type>(),
    );
    let social: Vec<ArrayRef> = vec![
        take(ids, &order, None)?,
        take(nodes.column(1).as_ref(), &pick, None)?,
        Arc::new(of_node(&|r| sizes.value(r))),
        Arc::new(Int64Array::from_iter_values(
            node.iter().map(|n| n.map_or(0, |n| linked[n as usize])),
        )),
        circle_value,
        Arc::new(of_node(&|r| received.value(r))),
        influence,
        Arc::new(Int64Array::from(rank)),
    ];
    Ok(Circles { social, customers })
}

/// The positions of `strings`' values in byte order (SQL's `ORDER BY` of
/// a string; equal values by position). Sorted on their first 16 bytes
/// as one integer (zero-padded), then each run of equal prefixes on the
/// whole value: account ids are short, so nearly every comparison is one
/// of integers.
pub fn byte_order(strings: &StringArray) -> Vec<u32> {
    let prefix = |i: usize| {
        let bytes = strings.value(i).as_bytes();
        let mut key = [0u8; 16];
        let n = bytes.len().min(16);
        key[..n].copy_from_slice(&bytes[..n]);
        u128::from_be_bytes(key)
    };
    let mut keyed: Vec<(u128, u32)> = (0..strings.len()).map(|i| (prefix(i), i as u32)).collect();
    keyed.sort_unstable();
    let mut order: Vec<u32> = keyed.iter().map(|(_, i)| *i).collect();
    let mut start = 0;
    while start < keyed.len() {
        let end = start + keyed[start..].partition_point(|(k, _)| *k == keyed[start].0);
        if end - start > 1 {
            order[start..end].sort_unstable_by(|a, b| {
                strings
                    .value(*a as usize)
                    .cmp(strings.value(*b as usize))
                    .then(a.cmp(b))
            });
        }
        start = end;
    }
    order
}

/// `circle_rank` of rows already in account_id order: row_number() by
/// network_influence desc (null last), circle_value desc, account_id. The
/// G rows with an influence (the graph's) are ranked 1…G among
/// themselves; a row without one ranks after them, and among those by
/// account_id alone (their circle_value is 0: no handle in the graph, no
/// circle), so it is G + how many such rows come up to it.
pub fn circle_rank(influence: &Float64Array, value: &Float64Array) -> Vec<i64> {
    let mut graph: Vec<usize> = (0..influence.len())
        .filter(|i| influence.is_valid(*i))
        .collect();
    graph.sort_unstable_by(|a, b| {
        let (ia, ib) = (influence.value(*a), influence.value(*b));
        ib.total_cmp(&ia)
            .then(value.value(*b).total_cmp(&value.value(*a)))
            .then(a.cmp(b))
    });
    let mut rank = vec![0i64; influence.len()];
    for (position, row) in graph.iter().enumerate() {
        rank[*row] = position as i64 + 1;
    }
    let mut next = graph.len() as i64;
    for (row, r) in rank.iter_mut().enumerate() {
        if influence.is_null(row) {
            next += 1;
            *r = next;
        }
    }
    rank
}

/// Collect `table`'s `columns`, each batch cast to their types.
async fn collect_batches(
    ctx: &SessionContext,
    table: &str,
    columns: &[(&str, DataType)],
) -> Result<Vec<RecordBatch>> {
    let what = format!("{SOCIAL} ({table})");
    let err = |e| Error::engine(&what, e);
    let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
    let batches = ctx
        .table(table)
        .await
        .and_then(|df| df.select_columns(&names))
        .map_err(err)?
        .collect()
        .await
        .map_err(err)?;
    let schema = schema(columns);
    batches
        .iter()
        .map(|b| {
            let cols = b
                .columns()
                .iter()
                .zip(columns)
                .map(|(c, (_, t))| cast(c, t))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            Ok(RecordBatch::try_new(schema.clone(), cols)?)
        })
        .collect()
}

/// [`collect_batches`] as one batch.
async fn collect(
    ctx: &SessionContext,
    table: &str,
    columns: &[(&str, DataType)],
) -> Result<RecordBatch> {
    let batches = collect_batches(ctx, table, columns).await?;
    Ok(concat_batches(&schema(columns), &batches)?)
}

/// `arrays` as a table of `schema` in `BATCH`-row batches, `order` declared.
fn table(schema: SchemaRef, arrays: Vec<ArrayRef>, order: &str) -> Result<MemTable> {
    let whole = RecordBatch::try_new(schema.clone(), arrays)?;
    let mut batches: Vec<RecordBatch> = (0..whole.num_rows())
        .step_by(BATCH)
        .map(|at| whole.slice(at, BATCH.min(whole.num_rows() - at)))
        .collect();
    if batches.is_empty() {
        batches.push(RecordBatch::new_empty(schema.clone()));
    }
    Ok(MemTable::try_new(schema, vec![batches])
        .map_err(|e| Error::engine(SOCIAL, e))?
        .with_sort_order(vec![vec![col(order).sort(true, false)]]))
}

/// The step: plan `33_handle_nodes` (a view), collect its three inputs
/// (`customer_tiers`, `33_handle_nodes`, `circle_links`), compute
/// [`circles`] and register
/// `circle_customers` and `social_circle` (each with its order declared),
/// kept as the session keeps every step read by others (in files on a
/// cluster).
pub async fn social_circle(ctx: &SessionContext, keep: &Keep, params: &ParamValues) -> Result<()> {
    let started = std::time::Instant::now();
    let df = plan_sql(ctx, NODES_FILE, NODES_SQL, params).await?;
    keep.for_step(Materialize::Never)
        .register(ctx, NODES, df)
        .await?;
    let tiers = collect(
        ctx,
        TIERS,
        &[
            ("account_id", DataType::Utf8),
            ("value_score", DataType::Float64),
        ],
    )
    .await?;
    let nodes = collect(ctx, NODES, &NODE_COLUMNS).await?;
    // (the links as they come: one copy fewer than one batch, tens of
    // millions of rows at L)
    let links = collect_batches(ctx, super::LINKS, &LINK_COLUMNS).await?;
    let collected = started.elapsed().as_millis();
    let circles = tokio::task::spawn_blocking(move || circles(&tiers, &nodes, &links))
        .await
        .map_err(|e| Error::Internal(format!("{SOCIAL}: the step's task ended: {e}")))??;
    tracing::debug!(
        accounts = circles.social[0].len(),
        collected_ms = collected,
        computed_ms = started.elapsed().as_millis(),
        "social_circle"
    );
    let keep = keep.for_step(Materialize::Always);
    let customers = table(schema(&CUSTOMER_COLUMNS), circles.customers, "node_id")?;
    keep.register_table(ctx, CUSTOMERS, Arc::new(customers))
        .await?;
    let social = table(Output::SocialCircle.schema(), circles.social, "account_id")?;
    keep.register_table(ctx, SOCIAL, Arc::new(social)).await
}

const LINK_COLUMNS: [(&str, DataType); 2] = [
    ("node_id", DataType::UInt32),
    ("linked_id", DataType::UInt32),
];

const CUSTOMER_COLUMNS: [(&str, DataType); 3] = [
    ("node_id", DataType::UInt32),
    ("customers_linked", DataType::Int64),
    ("customers_value", DataType::Decimal128(38, SCALE)),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Byte order whatever the prefixes: values longer than the 16-byte
    /// key that share it, a value that is a prefix of another, the empty
    /// string, a NUL byte (which the zero padding also gives), non-ASCII
    /// (UTF-8 bytes above every ASCII one), duplicates.
    #[test]
    fn byte_order_is_the_order_of_the_bytes() {
        let values = [
            "ACCOUNT-00000000000042",
            "ACCOUNT-00000000000041",
            "ACCOUNT-0000000000004",
            "",
            "A\0",
            "A",
            "Ä1",
            "B",
            "ACCOUNT-00000000000042",
            "ACCOUNT-0000000000000a",
        ];
        let array = StringArray::from(values.to_vec());
        let got: Vec<&str> = byte_order(&array)
            .iter()
            .map(|i| values[*i as usize])
            .collect();
        let mut want = values.to_vec();
        want.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        assert_eq!(got, want);
    }

    /// Rows in account_id order; three in the graph. By hand: the graph's
    /// rows by influence desc, then circle_value desc, then position: row 3
    /// (90) is 1, row 1 (50, value 7) 2, row 4 (50, value 7) 3 — the tie
    /// kept in account_id order; rows 0, 2, 5 without influence follow in
    /// their order: 4, 5, 6.
    #[test]
    fn circle_rank_puts_the_graph_first_then_account_order() {
        let influence =
            Float64Array::from(vec![None, Some(50.0), None, Some(90.0), Some(50.0), None]);
        let value = Float64Array::from(vec![0.0, 7.0, 0.0, 1.0, 7.0, 0.0]);
        assert_eq!(circle_rank(&influence, &value), [4, 2, 5, 1, 3, 6]);
        let value = Float64Array::from(vec![0.0, 7.0, 0.0, 1.0, 8.0, 0.0]);
        assert_eq!(circle_rank(&influence, &value), [4, 3, 5, 1, 2, 6]);
    }
}
