//! The customer's circle (docs/SPEC.md §9): the one transform step written
//! in Rust. `sql/30_interaction_edges.sql` builds the interaction graph's
//! edges; this step streams them in, numbers the handles in byte order,
//! runs the weighted PageRank of §9.2 in fixed-point integers and
//! registers `network_ranks` (per handle: its node id, `network_influence`,
//! `mentions_received`, `circle_size`) and `circle_links` (`node_id`,
//! `linked_id`: the circles of §9.3 by node id), which the SQL steps after
//! it read, and, with `[influence] network_provider`, `network_scores`
//! (each handle's `network_influence` as a provider score). The PageRank
//! itself is in `circle/pagerank.rs`. Doing the numbering and the circles here, on
//! integers, is what keeps the circle cheap: the same work in SQL joined,
//! deduplicated and sorted handle strings several times (BENCHMARKS.md).
//!
//! Why integers: a sum of integers is the same in any order, so the ranks
//! do not depend on how the engine partitions or ships the edges (any
//! `target_partitions`, Ballista), and two handles in the same position of
//! the graph get exactly the same rank, so `network_influence`, a
//! percent rank, ties them as the mathematics does instead of by rounding
//! noise.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch, StringArray, UInt32Array,
};
use arrow::datatypes::{DataType, Field, Int64Type, Schema};
use datafusion::prelude::SessionContext;
use futures::StreamExt;

use crate::engine::{Keep, Materialize};
use crate::error::{Error, Result};

mod pagerank;
mod social;

pub use pagerank::{pagerank, pagerank_sorting, percent_ranks, UNIT};
pub use social::{
    circle_rank, circles, social_circle, Circles, CUSTOMERS, MAP, NODES, SOCIAL, TIERS,
};

/// The registered table the step reads its edges from (`30_interaction_edges`).
pub const EDGES: &str = "interaction_edges";
/// What the step registers: one row per handle of the graph.
pub const RANKS: &str = "network_ranks";
/// What the step registers: who is in whose circle, by node id.
pub const LINKS: &str = "circle_links";
/// What the step registers with `[influence] network_provider`: each
/// handle's `network_influence` as a provider score (`handle`,
/// `network_influence`), read by `14_handle_influence`. Without the
/// provider an empty one is registered before the steps start
/// ([`register_no_network_scores`]), so that step does not wait for the
/// graph.
pub const SCORES: &str = "network_scores";

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

/// The graph of the run as the step holds it: the handles in byte order
/// (node id = position), the edges by node id, and what each handle
/// received in mentions.
#[derive(Debug, Default)]
pub struct Graph {
    /// The handles, sorted by their bytes, once each.
    pub handles: Vec<String>,
    /// The edges, by position in `handles`.
    pub edges: Vec<Edge>,
    /// Per node: the sum of the mention weights of its in-edges
    /// (`mentions_received`, docs/SPEC.md §9.3).
    pub mentions_received: Vec<i64>,
}

impl Graph {
    /// Who is in whose circle (docs/SPEC.md §9.3): for each node, every
    /// other node linked to it either way, once; sorted by (node, linked),
    /// each pair packed in a u64 (node in the high half; [`unpack`]), the
    /// form they are sorted in, not copied again (tens of millions at L).
    pub fn links(&self) -> Vec<u64> {
        let mut pairs: Vec<u64> = self
            .edges
            .iter()
            .flat_map(|e| [pair(e.src, e.dst), pair(e.dst, e.src)])
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        pairs
    }
}

fn pair(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

/// A link of [`Graph::links`] as (node, linked).
pub fn unpack(link: u64) -> (u32, u32) {
    ((link >> 32) as u32, link as u32)
}

/// Collects the graph from `interaction_edges` batches as they stream
/// (`src`, `dst`, `weight`, `mentions`): each handle is stored once and
/// numbered as it comes, then renumbered in byte order, so what is held is
/// the handles and 24 bytes per edge. Weights must be ≥ 1, mentions ≥ 0,
/// and out-weights fit in u64.
#[derive(Debug, Default)]
struct GraphBuilder {
    ids: HashMap<String, u32, ahash::RandomState>,
    edges: Vec<Edge>,
    mentions: Vec<i64>,
}

impl GraphBuilder {
    fn id(&mut self, handle: &str) -> Result<u32> {
        if let Some(id) = self.ids.get(handle) {
            return Ok(*id);
        }
        let id = u32::try_from(self.ids.len())
            .map_err(|_| Error::Internal(format!("{EDGES}: more than {} handles", u32::MAX)))?;
        self.ids.insert(handle.to_string(), id);
        Ok(id)
    }

    fn add(&mut self, batch: &RecordBatch) -> Result<()> {
        let column = |name: &str| {
            batch.column_by_name(name).ok_or_else(|| {
                Error::Internal(format!("{EDGES}: no column {name} in the step's input"))
            })
        };
        let (src, dst) = (
            arrow::compute::cast(column("src")?, &DataType::Utf8)?,
            arrow::compute::cast(column("dst")?, &DataType::Utf8)?,
        );
        let weight = arrow::compute::cast(column("weight")?, &DataType::Int64)?;
        let mentions = arrow::compute::cast(column("mentions")?, &DataType::Int64)?;
        let (src, dst, weight, mentions) = (
            src.as_string::<i32>(),
            dst.as_string::<i32>(),
            weight.as_primitive::<Int64Type>(),
            mentions.as_primitive::<Int64Type>(),
        );
        for i in 0..batch.num_rows() {
            let w = u64::try_from(weight.value(i))
                .ok()
                .filter(|w| *w > 0 && weight.is_valid(i));
            let m = Some(mentions.value(i)).filter(|m| *m >= 0 && mentions.is_valid(i));
            let (true, true, Some(w), Some(m)) = (src.is_valid(i), dst.is_valid(i), w, m) else {
                return Err(Error::Internal(format!(
                    "{EDGES}: edge {:?} -> {:?} with weight {:?} and mentions {:?}: \
                     handles must be set, weights at least 1 and mentions at least 0",
                    src.is_valid(i).then(|| src.value(i)),
                    dst.is_valid(i).then(|| dst.value(i)),
                    weight.is_valid(i).then(|| weight.value(i)),
                    mentions.is_valid(i).then(|| mentions.value(i)),
                )));
            };
            let (s, d) = (self.id(src.value(i))?, self.id(dst.value(i))?);
            self.edges.push(Edge {
                src: s,
                dst: d,
                weight: w,
            });
            self.mentions.push(m);
        }
        Ok(())
    }

    /// The handles sorted by their bytes, the edges renumbered to match;
    /// out-weights checked, mentions received added up.
    fn finish(self) -> Result<Graph> {
        let mut handles: Vec<(String, u32)> = self.ids.into_iter().collect();
        handles.sort_unstable();
        let mut position = vec![0u32; handles.len()];
        for (pos, (_, id)) in handles.iter().enumerate() {
            position[*id as usize] = pos as u32;
        }
        let handles: Vec<String> = handles.into_iter().map(|(h, _)| h).collect();
        let mut out_weight = vec![0u64; handles.len()];
        let mut mentions_received = vec![0i64; handles.len()];
        let mut edges = self.edges;
        for (e, m) in edges.iter_mut().zip(self.mentions) {
            e.src = position[e.src as usize];
            e.dst = position[e.dst as usize];
            let overflow = |what: &str, node: u32| {
                Error::Internal(format!(
                    "{EDGES}: the {what} of {} overflows",
                    handles[node as usize]
                ))
            };
            let w = &mut out_weight[e.src as usize];
            *w = w
                .checked_add(e.weight)
                .ok_or_else(|| overflow("out-weight", e.src))?;
            let r = &mut mentions_received[e.dst as usize];
            *r = r
                .checked_add(m)
                .ok_or_else(|| overflow("mentions received", e.dst))?;
        }
        Ok(Graph {
            handles,
            edges,
            mentions_received,
        })
    }
}

/// Register an empty [`SCORES`] (`[influence] network_provider` off), kept
/// as the results of the steps are (as files on a cluster).
pub async fn register_no_network_scores(ctx: &SessionContext, keep: &Keep) -> Result<()> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("handle", DataType::Utf8, false),
        Field::new("network_influence", DataType::Float64, false),
    ]));
    let df = SessionContext::new()
        .read_batch(RecordBatch::new_empty(schema))
        .map_err(|e| Error::engine(SCORES, e))?;
    keep.for_step(Materialize::Always)
        .register(ctx, SCORES, df)
        .await
}

/// Rows per batch of the registered `circle_links`.
const LINK_BATCH: usize = 1 << 20;

/// The step (docs/SPEC.md §9.2, §9.3): stream `interaction_edges` into a
/// [`Graph`], rank it, and register
/// - `network_ranks`: one row per handle of the graph in byte order,
///   `handle`, `node_id` (UInt32, its position), `network_influence`,
///   `mentions_received` and `circle_size` (how many handles are linked
///   to it either way);
/// - `circle_links`: `node_id`, `linked_id` (UInt32), one row per handle
///   and each handle of its circle, sorted;
///
/// kept as the session keeps every step read by several others. The
/// results are built on a local context (a cluster cannot be sent
/// in-memory rows; kept as files, it reads them).
pub async fn circle_graph(
    ctx: &SessionContext,
    keep: &Keep,
    iterations: u32,
    network_provider: bool,
) -> Result<()> {
    let what = "circle_graph (interaction_edges)";
    let err = |e| Error::engine(what, e);
    let mut stream = ctx
        .table(EDGES)
        .await
        .map_err(err)?
        .execute_stream()
        .await
        .map_err(err)?;
    let started = std::time::Instant::now();
    let mut builder = GraphBuilder::default();
    while let Some(batch) = stream.next().await {
        builder.add(&batch.map_err(err)?)?;
    }
    let streamed = started.elapsed().as_millis();
    // seconds of CPU at scale: off the async workers, which the other
    // steps' plans run on
    // (the edges are sorted in place for the PageRank and dropped once
    // the links are made: at L they and the links are most of the memory
    // the step holds outside the engine's pool)
    let (graph, edges, influence, links, circle_size, numbered, ranked) =
        tokio::task::spawn_blocking(move || -> Result<_> {
            let mut graph = builder.finish()?;
            let numbered = started.elapsed().as_millis();
            let ranks = pagerank_sorting(graph.handles.len(), &mut graph.edges, iterations);
            let influence = percent_ranks(&ranks);
            let ranked = started.elapsed().as_millis();
            let links = graph.links();
            let edges = std::mem::take(&mut graph.edges).len();
            let mut circle_size = vec![0i64; graph.handles.len()];
            for link in &links {
                circle_size[unpack(*link).0 as usize] += 1;
            }
            Ok((
                graph,
                edges,
                influence,
                links,
                circle_size,
                numbered,
                ranked,
            ))
        })
        .await
        .map_err(|e| Error::Internal(format!("{what}: the graph's task ended: {e}")))??;
    tracing::debug!(
        handles = graph.handles.len(),
        edges,
        links = links.len(),
        streamed_ms = streamed,
        numbered_ms = numbered,
        ranked_ms = ranked,
        linked_ms = started.elapsed().as_millis(),
        "circle_graph"
    );

    let schema = Arc::new(Schema::new(vec![
        Field::new("handle", DataType::Utf8, false),
        Field::new("node_id", DataType::UInt32, false),
        Field::new("network_influence", DataType::Float64, false),
        Field::new("mentions_received", DataType::Int64, false),
        Field::new("circle_size", DataType::Int64, false),
    ]));
    let n = graph.handles.len() as u32;
    let figures = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from_iter_values(&graph.handles)) as ArrayRef,
            Arc::new(UInt32Array::from_iter_values(0..n)),
            Arc::new(Float64Array::from(influence)),
            Arc::new(Int64Array::from(graph.mentions_received)),
            Arc::new(Int64Array::from(circle_size)),
        ],
    )?;
    let local = SessionContext::new();
    let df = local
        .read_batch(figures)
        .map_err(|e| Error::engine(RANKS, e))?;
    keep.for_step(Materialize::Always)
        .register(ctx, RANKS, df)
        .await?;
    if network_provider {
        let scores = ctx
            .table(RANKS)
            .await
            .and_then(|df| df.select_columns(&["handle", "network_influence"]))
            .map_err(|e| Error::engine(SCORES, e))?;
        ctx.register_table(SCORES, scores.into_view())
            .map_err(|e| Error::engine(SCORES, e))?;
    }

    let schema = Arc::new(Schema::new(vec![
        Field::new("node_id", DataType::UInt32, false),
        Field::new("linked_id", DataType::UInt32, false),
    ]));
    let mut batches = Vec::with_capacity(links.len().div_ceil(LINK_BATCH).max(1));
    for chunk in links.chunks(LINK_BATCH) {
        let side = |pick: fn((u32, u32)) -> u32| -> ArrayRef {
            Arc::new(UInt32Array::from_iter_values(
                chunk.iter().map(|l| pick(unpack(*l))),
            ))
        };
        batches.push(RecordBatch::try_new(
            schema.clone(),
            vec![side(|l| l.0), side(|l| l.1)],
        )?);
    }
    drop(links);
    if batches.is_empty() {
        batches.push(RecordBatch::new_empty(schema));
    }
    let df = local
        .read_batches(batches)
        .map_err(|e| Error::engine(LINKS, e))?;
    keep.for_step(Materialize::Always)
        .register(ctx, LINKS, df)
        .await
}

#[cfg(test)]
mod tests {
    use super::pagerank::{divide, split_by_dst};
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

    /// The graph of `batches` of `interaction_edges`, as the step builds it.
    fn graph_of<'a>(batches: impl IntoIterator<Item = &'a RecordBatch>) -> Result<Graph> {
        let mut builder = GraphBuilder::default();
        for b in batches {
            builder.add(b)?;
        }
        builder.finish()
    }

    fn edges_batch(rows: &[(Option<&str>, Option<&str>, Option<i64>)]) -> RecordBatch {
        let rows: Vec<_> = rows.iter().map(|r| (r.0, r.1, r.2, Some(0))).collect();
        edges_with_mentions(&rows)
    }

    type Row<'a> = (Option<&'a str>, Option<&'a str>, Option<i64>, Option<i64>);

    fn edges_with_mentions(rows: &[Row]) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("src", DataType::Utf8, true),
            Field::new("dst", DataType::Utf8, true),
            Field::new("weight", DataType::Int64, true),
            Field::new("mentions", DataType::Int64, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from_iter(rows.iter().map(|r| r.0))),
                Arc::new(StringArray::from_iter(rows.iter().map(|r| r.1))),
                Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.2))),
                Arc::new(Int64Array::from_iter(rows.iter().map(|r| r.3))),
            ],
        )
        .unwrap()
    }

    /// Handles are numbered by their bytes whatever order the edges come
    /// in ("Zed" < "ann" < "bob" < "bo\u{e9}": upper case first, then
    /// the UTF-8 bytes of é after every ASCII letter), and across batches.
    #[test]
    fn handles_are_numbered_in_byte_order() {
        let first = edges_batch(&[(Some("bob"), Some("ann"), Some(2))]);
        let second = edges_batch(&[
            (Some("bo\u{e9}"), Some("Zed"), Some(1)),
            (Some("ann"), Some("bob"), Some(5)),
        ]);
        let graph = graph_of([&first, &second]).unwrap();
        assert_eq!(graph.handles, ["Zed", "ann", "bob", "bo\u{e9}"]);
        assert_eq!(graph.edges, [edge(2, 1, 2), edge(3, 0, 1), edge(1, 2, 5)]);
    }

    /// a → b and b → a are one link each way; c → a adds a and c.
    #[test]
    fn links_go_both_ways_once() {
        let graph = Graph {
            handles: vec!["a".into(), "b".into(), "c".into()],
            edges: vec![edge(0, 1, 1), edge(1, 0, 3), edge(2, 0, 1)],
            mentions_received: vec![0; 3],
        };
        let links: Vec<(u32, u32)> = graph.links().into_iter().map(unpack).collect();
        assert_eq!(links, [(0, 1), (0, 2), (1, 0), (2, 0)]);
        assert!(Graph::default().links().is_empty());
    }

    /// mentions_received adds the mention part of the in-edges only.
    #[test]
    fn mentions_received_adds_the_in_edges() {
        let batch = edges_with_mentions(&[
            (Some("a"), Some("c"), Some(3), Some(2)),
            (Some("b"), Some("c"), Some(1), Some(0)),
            (Some("c"), Some("a"), Some(4), Some(4)),
        ]);
        assert_eq!(graph_of([&batch]).unwrap().mentions_received, [4, 0, 2]);
    }

    /// The PageRank of §9.2 written the plain way: u128 everywhere, one
    /// pass over the edges in the order given.
    fn plain_pagerank(n: usize, edges: &[Edge], iterations: u32) -> Vec<u64> {
        let (nodes, unit) = (n as u128, u128::from(UNIT));
        let mut out_weight = vec![0u128; n];
        for e in edges {
            out_weight[e.src as usize] += u128::from(e.weight);
        }
        let mut rank = vec![unit / nodes; n];
        for _ in 0..iterations {
            let dangling: u128 = (0..n)
                .filter(|v| out_weight[*v] == 0)
                .map(|v| rank[v])
                .sum();
            let mut incoming = vec![dangling / nodes; n];
            for e in edges {
                let s = e.src as usize;
                incoming[e.dst as usize] += rank[s] * u128::from(e.weight) / out_weight[s];
            }
            for (r, inc) in rank.iter_mut().zip(incoming) {
                *r = 15 * unit / (100 * nodes) + 85 * inc / 100;
            }
        }
        rank.into_iter().map(|r| r as u64).collect()
    }

    /// A graph of 2,000 nodes with hubs, dangling nodes and weights up to
    /// 2^40 (so some products overflow u64): the split over cores, the
    /// u64 arithmetic and any edge order give exactly the plain result.
    #[test]
    fn pagerank_equals_the_plain_computation() {
        let n = 2_000u32;
        let mut x = 42u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut edges = Vec::new();
        for _ in 0..20_000 {
            let (a, b) = (next() % u64::from(n), next() % 50);
            let src = (a as u32) % (n - 300); // the last 300 nodes dangle
            let dst = if b < 10 {
                b as u32
            } else {
                (next() % u64::from(n)) as u32
            };
            let weight = if next() % 100 == 0 {
                1 << 40
            } else {
                1 + next() % 5
            };
            edges.push(edge(src, dst, weight));
        }
        let want = plain_pagerank(n as usize, &edges, 20);
        assert_eq!(pagerank(n as usize, &edges, 20), want);
        edges.reverse();
        assert_eq!(pagerank(n as usize, &edges, 20), want);
        for parts in [1, 2, 3, 7] {
            let mut by_dst = edges.clone();
            by_dst.sort_unstable_by_key(|e| (e.dst, e.src));
            let split = split_by_dst(&by_dst, n as usize, parts);
            assert!(split.len() <= parts);
            assert_eq!(
                split.iter().map(|(e, _)| e.len()).sum::<usize>(),
                edges.len()
            );
            let mut first = 0;
            for (run, end) in &split {
                assert!(run
                    .iter()
                    .all(|e| (first..*end).contains(&(e.dst as usize))));
                first = *end;
            }
            assert_eq!(first, n as usize);
        }
    }

    /// The division by multiplication equals `/` at its edges (d = 1, 2,
    /// powers of two and their neighbours, d near 2⁶⁴, p = 0, p < d,
    /// p = u64::MAX) and on a million pseudo-random pairs of every size.
    #[test]
    fn divide_equals_the_division() {
        let check = |p: u64, d: u64| {
            assert_eq!(divide(p, d, u64::MAX / d), p / d, "{p} / {d}");
        };
        let mut ds = vec![1, 2, 3, 5, 7, 10, 100, u64::MAX, u64::MAX - 1, u64::MAX / 2];
        for k in 1..64 {
            ds.extend([(1u64 << k) - 1, 1 << k, (1 << k) + 1]);
        }
        for &d in &ds {
            for p in [
                0,
                1,
                d - 1,
                d,
                d.saturating_add(1),
                u64::MAX,
                u64::MAX - 1,
                u64::MAX / 3,
            ] {
                check(p, d);
            }
        }
        let mut x = 7u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for _ in 0..1_000_000 {
            let (p, d) = (next() >> (next() % 64), next() >> (next() % 64));
            check(p, d.max(1));
        }
    }

    #[test]
    fn bad_edges_are_named() {
        for rows in [
            [(Some("a"), None, Some(1))],
            [(None, Some("b"), Some(1))],
            [(Some("a"), Some("b"), Some(0))],
            [(Some("a"), Some("b"), None)],
        ] {
            let e = graph_of([&edges_batch(&rows)]).unwrap_err().to_string();
            assert!(e.contains("interaction_edges"), "{e}");
        }
        let negative = edges_with_mentions(&[(Some("a"), Some("b"), Some(1), Some(-1))]);
        let e = graph_of([&negative]).unwrap_err().to_string();
        assert!(e.contains("mentions at least 0"), "{e}");
        let big = edges_batch(&[
            (Some("a"), Some("b"), Some(i64::MAX)),
            (Some("a"), Some("c"), Some(i64::MAX)),
            (Some("a"), Some("d"), Some(2)),
        ]);
        let e = graph_of([&big]).unwrap_err().to_string();
        assert!(e.contains("out-weight of a overflows"), "{e}");
    }
}
