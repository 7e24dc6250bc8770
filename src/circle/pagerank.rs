//! The weighted PageRank of the customer's circle (docs/SPEC.md §9.2) in
//! fixed-point integers, and the percent ranks that scale it to
//! `network_influence`.

use super::Edge;

/// One unit of rank: a rank of 1 is `UNIT` (10^18).
pub const UNIT: u64 = 1_000_000_000_000_000_000;

/// The damping factor, in hundredths (0.85).
const DAMPING_PERCENT: u64 = 85;

/// Weighted PageRank of docs/SPEC.md §9.2 over nodes `0..n`, in units of
/// 1/[`UNIT`]: r₀(v) = ⌊U/N⌋; each iteration
/// r'(v) = ⌊15U/(100N)⌋ + ⌊85·(⌊D/N⌋ + Σ_{u→v} ⌊r(u)·w(u,v)/W(u)⌋)/100⌋,
/// D the rank of the nodes without out-edges, W(u) the out-weight of u.
/// Every step is an integer operation, so the order of the edges does not
/// matter. Out-weights must fit in u64 (checked when the graph is built).
///
/// Everything fits in u64: the ranks add up to at most U at every
/// iteration (N·⌊U/N⌋ ≤ U, and N·⌊15U/100N⌋ + 0.85·Σ incoming ≤ 0.15U +
/// 0.85U), so does what a node receives. The edges are split by
/// destination over the machine's cores; each core adds into its own
/// nodes, and the sums are exact, so the split does not change a unit.
pub fn pagerank(n: usize, edges: &[Edge], iterations: u32) -> Vec<u64> {
    pagerank_sorting(n, &mut edges.to_vec(), iterations)
}

/// [`pagerank`] on edges it may reorder: it sorts them by destination in
/// place instead of sorting a copy (the step's edges, whose order nothing
/// after it reads).
pub fn pagerank_sorting(n: usize, edges: &mut [Edge], iterations: u32) -> Vec<u64> {
    if n == 0 {
        return Vec::new();
    }
    let nodes = n as u64;
    let mut sources = vec![Source::default(); n];
    for e in edges.iter() {
        sources[e.src as usize].total += e.weight;
    }
    for s in &mut sources {
        s.inverse = u64::MAX / s.total.max(1);
    }
    edges.sort_unstable_by_key(|e| (e.dst, e.src));
    let by_dst = &*edges;
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get().min(8));
    let parts = split_by_dst(by_dst, n, cores);
    let base = ((15 * u128::from(UNIT)) / (100 * u128::from(nodes))) as u64;
    let mut rank = vec![UNIT / nodes; n];
    let mut incoming = vec![0u64; n];
    for _ in 0..iterations {
        let mut dangling = 0u64;
        for (s, r) in sources.iter_mut().zip(&rank) {
            s.rank = *r;
            if s.total == 0 {
                dangling += *r;
            }
        }
        incoming.fill(dangling / nodes);
        let sources = &sources;
        std::thread::scope(|scope| {
            let mut rest = incoming.as_mut_slice();
            let mut first = 0usize;
            for (edges, end) in &parts {
                let (mine, tail) = std::mem::take(&mut rest).split_at_mut(end - first);
                let offset = first;
                scope.spawn(move || {
                    for e in *edges {
                        mine[e.dst as usize - offset] += sources[e.src as usize].share(e.weight);
                    }
                });
                rest = tail;
                first = *end;
            }
        });
        for (r, inc) in rank.iter_mut().zip(&incoming) {
            // ⌊85·inc/100⌋ without overflowing: inc = 100q + m
            let (q, m) = (inc / 100, inc % 100);
            *r = base + DAMPING_PERCENT * q + DAMPING_PERCENT * m / 100;
        }
    }
    rank
}

/// What a node's out-edges need in an iteration, together so that an
/// edge reads one place: its rank, its out-weight W and ⌊(2⁶⁴−1)/W⌋.
#[derive(Debug, Clone, Copy, Default)]
struct Source {
    rank: u64,
    total: u64,
    inverse: u64,
}

impl Source {
    /// ⌊r·w/W⌋ (at most r) for an out-edge of weight `w`: r itself for
    /// the only out-edge; in u64 when the product fits (the common case),
    /// else in u128.
    fn share(&self, w: u64) -> u64 {
        if w == self.total {
            return self.rank;
        }
        match self.rank.checked_mul(w) {
            Some(p) => divide(p, self.total, self.inverse),
            None => (u128::from(self.rank) * u128::from(w) / u128::from(self.total)) as u64,
        }
    }
}

/// ⌊p/d⌋ for d ≥ 1, with `inverse` = ⌊(2⁶⁴−1)/d⌋, by a multiplication
/// instead of a division (the PageRank's inner loop divides by the same
/// out-weights every iteration). q = ⌊p·inverse/2⁶⁴⌋ is at most ⌊p/d⌋
/// and at most two short of it (p < 2⁶⁴), so adding 1 while the
/// remainder is at least d makes it exact.
pub(super) fn divide(p: u64, d: u64, inverse: u64) -> u64 {
    let mut q = ((u128::from(p) * u128::from(inverse)) >> 64) as u64;
    let mut rem = p - q * d;
    while rem >= d {
        q += 1;
        rem -= d;
    }
    q
}

/// `edges` sorted by destination cut into at most `parts` runs of about
/// the same length that never split one destination's edges, each with
/// the end (exclusive) of the node range it writes; the last ends at `n`.
pub(super) fn split_by_dst(edges: &[Edge], n: usize, parts: usize) -> Vec<(&[Edge], usize)> {
    let mut out = Vec::with_capacity(parts);
    let mut rest = edges;
    for part in (1..=parts.max(1)).rev() {
        if part == 1 || rest.is_empty() {
            out.push((rest, n));
            break;
        }
        let mut cut = rest.len() / part;
        let dst = rest[cut].dst;
        while cut < rest.len() && rest[cut].dst == dst {
            cut += 1;
        }
        let end = rest.get(cut).map_or(n, |e| e.dst as usize);
        let (mine, tail) = rest.split_at(cut);
        out.push((mine, end));
        rest = tail;
    }
    out
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
