//! The customer's circle (docs/SPEC.md §9): the one transform step written
//! in Rust. The SQL steps build the interaction graph
//! (`sql/30_interaction_edges.sql` … `32_graph_edges.sql`); this step
//! collects its edge list by node id, runs the weighted PageRank of §9.2 in
//! fixed-point integers and registers `node_influence` (`node_id`,
//! `network_influence`), which the SQL steps after it read.
//!
//! Why integers: a sum of integers is the same in any order, so the ranks
//! do not depend on how the engine partitions or ships the edges (any
//! `target_partitions`, Ballista), and two handles in the same position of
//! the graph get exactly the same rank, so `network_influence`, a
//! percent rank, ties them as the mathematics does instead of by rounding
//! noise.

use std::sync::Arc;

use arrow::array::{Array, AsArray, Float64Array, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Int64Type, Schema};
use datafusion::prelude::SessionContext;

use crate::engine::{Keep, Materialize};
use crate::error::{Error, Result};

/// One unit of rank: a rank of 1 is `UNIT` (10^18).
pub const UNIT: u64 = 1_000_000_000_000_000_000;

/// The damping factor, in hundredths (0.85).
const DAMPING_PERCENT: u128 = 85;

/// The registered table the step reads its edges from (`32_graph_edges`).
pub const EDGES: &str = "graph_edges";
/// The registered table of the graph's handles (`31_graph_handles`).
pub const HANDLES: &str = "graph_handles";
/// What the step registers.
pub const OUTPUT: &str = "node_influence";

/// One weighted edge by node ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// Source node (`0..n`).
    pub src: u32,
    /// Destination node (`0..n`).
    pub dst: u32,
    /// Weight (≥ 1).
    pub weight: u64,
}

/// Weighted PageRank of docs/SPEC.md §9.2 over nodes `0..n`, in units of
/// 1/[`UNIT`]: r₀(v) = ⌊U/N⌋; each iteration
/// r'(v) = ⌊15U/(100N)⌋ + ⌊85·(⌊D/N⌋ + Σ_{u→v} ⌊r(u)·w(u,v)/W(u)⌋)/100⌋,
/// D the rank of the nodes without out-edges, W(u) the out-weight of u.
/// Every step is an integer operation, so the order of the edges does not
/// matter. Out-weights must fit in u64 (checked by [`network_rank`]).
pub fn pagerank(n: usize, edges: &[Edge], iterations: u32) -> Vec<u64> {
    if n == 0 {
        return Vec::new();
    }
    let nodes = n as u128;
    let mut out_weight = vec![0u64; n];
    for e in edges {
        out_weight[e.src as usize] += e.weight;
    }
    let base = (15 * u128::from(UNIT)) / (100 * nodes);
    let mut rank = vec![(u128::from(UNIT) / nodes) as u64; n];
    let mut incoming = vec![0u128; n];
    for _ in 0..iterations {
        let dangling: u128 = rank
            .iter()
            .zip(&out_weight)
            .filter(|(_, w)| **w == 0)
            .map(|(r, _)| u128::from(*r))
            .sum();
        incoming.fill(dangling / nodes);
        for e in edges {
            let (r, w) = (rank[e.src as usize], out_weight[e.src as usize]);
            incoming[e.dst as usize] += share(r, e.weight, w);
        }
        for (r, inc) in rank.iter_mut().zip(&incoming) {
            *r = (base + DAMPING_PERCENT * inc / 100) as u64;
        }
    }
    rank
}

/// ⌊r·w/W⌋: in u64 when the product fits (the common case), else in u128.
fn share(r: u64, w: u64, total: u64) -> u128 {
    if w == total {
        return u128::from(r);
    }
    match r.checked_mul(w) {
        Some(p) => u128::from(p / total),
        None => u128::from(r) * u128::from(w) / u128::from(total),
    }
}

/// `network_influence` of each node: 100 × below / (N − 1), below = how
/// many nodes have a strictly lower rank (equal ranks tie), computed as
/// `(100·below) / (N − 1)` in binary64; 0 when N = 1 (docs/SPEC.md §9.2).
pub fn percent_ranks(ranks: &[u64]) -> Vec<f64> {
    let n = ranks.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| ranks[i]);
    let mut out = vec![0.0; n];
    let mut below = 0usize;
    for (pos, &i) in order.iter().enumerate() {
        if pos > 0 && ranks[i] != ranks[order[pos - 1]] {
            below = pos;
        }
        out[i] = if n == 1 {
            0.0
        } else {
            (100.0 * below as f64) / (n - 1) as f64
        };
    }
    out
}

/// The step: collect `graph_edges` and the number of `graph_handles`, rank,
/// and register `node_influence`, kept as the session keeps every step
/// read by several others. The result is built on a local context (a
/// cluster cannot be sent in-memory rows; kept as files, it reads them).
pub async fn network_rank(ctx: &SessionContext, keep: &Keep, iterations: u32) -> Result<()> {
    let what = "network_rank (graph_edges)";
    let err = |e| Error::engine(what, e);
    let n = ctx
        .table(HANDLES)
        .await
        .map_err(err)?
        .count()
        .await
        .map_err(err)?;
    let batches = ctx
        .table(EDGES)
        .await
        .map_err(err)?
        .collect()
        .await
        .map_err(err)?;
    let edges = edges_of(&batches, n)?;
    let ranks = pagerank(n, &edges, iterations);
    let influence = percent_ranks(&ranks);
    let schema = Arc::new(Schema::new(vec![
        Field::new("node_id", DataType::Int64, false),
        Field::new("network_influence", DataType::Float64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from_iter_values(0..n as i64)),
            Arc::new(Float64Array::from(influence)),
        ],
    )?;
    let df = SessionContext::new()
        .read_batch(batch)
        .map_err(|e| Error::engine(OUTPUT, e))?;
    keep.for_step(Materialize::Always)
        .register(ctx, OUTPUT, df)
        .await
}

/// The edges of `graph_edges` batches (`src_id`, `dst_id`, `weight`, any
/// integer type), checked: ids in `0..n`, weights ≥ 1, out-weights within
/// u64.
fn edges_of(batches: &[RecordBatch], n: usize) -> Result<Vec<Edge>> {
    let rows = batches.iter().map(|b| b.num_rows()).sum();
    let mut edges = Vec::with_capacity(rows);
    let mut out_weight = vec![0u64; n];
    for b in batches {
        let column = |i: usize| arrow::compute::cast(b.column(i), &DataType::Int64);
        let (src, dst, weight) = (column(0)?, column(1)?, column(2)?);
        let (src, dst, weight) = (
            src.as_primitive::<Int64Type>(),
            dst.as_primitive::<Int64Type>(),
            weight.as_primitive::<Int64Type>(),
        );
        for i in 0..b.num_rows() {
            let (sv, dv, wv) = (src.value(i), dst.value(i), weight.value(i));
            let null = src.is_null(i) || dst.is_null(i) || weight.is_null(i);
            let id = |v: i64| usize::try_from(v).ok().filter(|v| *v < n);
            let w = u64::try_from(wv).ok().filter(|w| *w > 0 && !null);
            let (Some(s), Some(d), Some(w)) = (id(sv), id(dv), w) else {
                return Err(bad_edge(sv, dv, wv, n));
            };
            out_weight[s] = out_weight[s].checked_add(w).ok_or_else(|| {
                Error::Internal(format!("graph_edges: out-weight of node {s} overflows"))
            })?;
            edges.push(Edge {
                src: s as u32,
                dst: d as u32,
                weight: w,
            });
        }
    }
    Ok(edges)
}

fn bad_edge(src: i64, dst: i64, weight: i64, n: usize) -> Error {
    Error::Internal(format!(
        "graph_edges: edge {src} -> {dst} (weight {weight}) outside the graph of {n} handles"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(src: u32, dst: u32, weight: u64) -> Edge {
        Edge { src, dst, weight }
    }

    fn as_f64(ranks: &[u64]) -> Vec<f64> {
        ranks.iter().map(|r| *r as f64 / UNIT as f64).collect()
    }

    fn assert_close(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-9, "got {got:?}, want {want:?}");
        }
    }

    /// a → b, b has no out-edge (N = 2). By hand, d = 0.85:
    /// iteration 1 from (½, ½): D = ½, a = 0.075 + 0.85·(½/2) = 0.2875,
    /// b = 0.075 + 0.85·(½ + ½/2) = 0.7125; iteration 2: D = 0.7125,
    /// a = 0.075 + 0.85·0.35625 = 0.3778125, b = 0.075 + 0.85·(0.2875 +
    /// 0.35625) = 0.6221875. Converged: a = 0.075 + 0.425·(1 − a), so
    /// a = 0.5/1.425 = 20/57, b = 37/57.
    #[test]
    fn a_dangling_node_spreads_its_rank_evenly() {
        let edges = [edge(0, 1, 1)];
        assert_close(&as_f64(&pagerank(2, &edges, 1)), &[0.2875, 0.7125]);
        assert_close(&as_f64(&pagerank(2, &edges, 2)), &[0.3778125, 0.6221875]);
        assert_close(
            &as_f64(&pagerank(2, &edges, 300)),
            &[20.0 / 57.0, 37.0 / 57.0],
        );
    }

    /// Three leaves → a centre without out-edges (N = 4, k = 3). At the
    /// fixed point a leaf gets only the centre's spread rank:
    /// x = 0.15/N + 0.85·y/N with y = 1 − kx, so x = 1/(N + 0.85k) =
    /// 1/6.55 and y = 3.55/6.55.
    #[test]
    fn a_star_converges_to_its_closed_form() {
        let edges = [edge(1, 0, 1), edge(2, 0, 1), edge(3, 0, 1)];
        let x = 1.0 / 6.55;
        assert_close(&as_f64(&pagerank(4, &edges, 300)), &[3.55 / 6.55, x, x, x]);
    }

    /// A cycle keeps every node at 1/N at every iteration:
    /// 0.15/3 + 0.85/3 = 1/3.
    #[test]
    fn a_cycle_stays_uniform() {
        let edges = [edge(0, 1, 1), edge(1, 2, 1), edge(2, 0, 1)];
        for iterations in [1, 20] {
            assert_close(&as_f64(&pagerank(3, &edges, iterations)), &[1.0 / 3.0; 3]);
        }
        let percent = percent_ranks(&pagerank(3, &edges, 20));
        assert_eq!(percent, [0.0, 0.0, 0.0], "equal ranks tie exactly");
    }

    /// Weights split a node's rank: a → b (1), a → c (3), b → a, c → a.
    /// b = 0.05 + 0.85·a/4, c = 0.05 + 0.85·3a/4, a = 0.05 + 0.85·(b + c)
    /// = 0.05 + 0.85·(0.1 + 0.85a), so a = 0.135/0.2775 = 18/37,
    /// b = (1.85 + 3.825)/37 = 5.675/37, c = (1.85 + 11.475)/37 = 13.325/37.
    #[test]
    fn weights_split_the_rank() {
        let edges = [edge(0, 1, 1), edge(0, 2, 3), edge(1, 0, 1), edge(2, 0, 1)];
        let ranks = pagerank(3, &edges, 300);
        assert_close(&as_f64(&ranks), &[18.0 / 37.0, 5.675 / 37.0, 13.325 / 37.0]);
        // the edge order does not change a single unit
        let mut reversed = edges;
        reversed.reverse();
        assert_eq!(pagerank(3, &reversed, 300), ranks);
        assert_eq!(percent_ranks(&ranks), [100.0, 0.0, 50.0]);
    }

    #[test]
    fn percent_ranks_tie_equal_ranks() {
        let got = percent_ranks(&[5, 3, 5, 1]);
        assert_eq!(got, [200.0 / 3.0, 100.0 / 3.0, 200.0 / 3.0, 0.0]);
        assert_eq!(percent_ranks(&[7]), [0.0]);
        assert!(percent_ranks(&[]).is_empty());
    }

    #[test]
    fn bad_edges_are_named() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("src_id", DataType::Int64, true),
            Field::new("dst_id", DataType::Int64, true),
            Field::new("weight", DataType::Int64, true),
        ]));
        let batch = |s: i64, d: i64, w: i64| {
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(Int64Array::from(vec![s])),
                    Arc::new(Int64Array::from(vec![d])),
                    Arc::new(Int64Array::from(vec![w])),
                ],
            )
            .unwrap()
        };
        assert_eq!(edges_of(&[batch(0, 1, 2)], 2).unwrap(), [edge(0, 1, 2)]);
        for b in [batch(0, 2, 1), batch(-1, 0, 1), batch(0, 1, 0)] {
            let e = edges_of(&[b], 2).unwrap_err().to_string();
            assert!(e.contains("graph_edges"), "{e}");
        }
    }
}
