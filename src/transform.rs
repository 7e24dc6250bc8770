//! Runs the `sql/` transform steps. Rust only wires them: each step is one
//! SQL file whose result is registered under a name the later steps read,
//! kept as the engine's policy says. Parameters (`$snapshot_date`, window
//! bounds, weights, thresholds, the dates compared with) are bound as typed
//! values, never formatted
//! into the SQL text; the check steps (`sql/0*`) use the same parameters.

use std::collections::HashMap;

use chrono::NaiveDate;
use datafusion::common::{ParamValues, ScalarValue};
use datafusion::prelude::SessionContext;

use futures::future::FutureExt;

use crate::calendar::{day_start_micros, days_since_epoch};
use crate::config::{Settings, OTHER_TOPIC};
use crate::engine::{plan_sql, Keep, Materialize};
use crate::error::Result;
use crate::history::History;
use crate::tables::Output;

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

/// The transform steps of docs/SPEC.md §3, §4, §6, §8, §9, in pipeline
/// order (after the checks). Besides them, two steps are Rust:
/// [`CIRCLE_GRAPH`] and [`SOCIAL_CIRCLE`].
pub const STEPS: &[Step] = &[
    Step {
        file: "10_valid_accounts.sql",
        sql: include_str!("../sql/10_valid_accounts.sql"),
        output: "valid_accounts",
        materialize: Materialize::Always,
        wave: 0,
    },
    Step {
        file: "12_window_influence.sql",
        sql: include_str!("../sql/12_window_influence.sql"),
        output: "window_influence",
        materialize: Materialize::Never,
        wave: 0,
    },
    Step {
        file: "30_interaction_edges.sql",
        sql: include_str!("../sql/30_interaction_edges.sql"),
        output: "interaction_edges",
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
        file: "14_handle_influence.sql",
        sql: include_str!("../sql/14_handle_influence.sql"),
        output: "handle_influence",
        materialize: Materialize::Always,
        wave: 4,
    },
    Step {
        file: "14_influence.sql",
        sql: include_str!("../sql/14_influence.sql"),
        output: "account_influence",
        materialize: Materialize::Always,
        wave: 5,
    },
    Step {
        file: "18_scored_influence.sql",
        sql: include_str!("../sql/18_scored_influence.sql"),
        output: "scored_influence",
        materialize: Materialize::InFiles,
        wave: 6,
    },
    Step {
        file: "19_scored_mentions.sql",
        sql: include_str!("../sql/19_scored_mentions.sql"),
        output: "scored_mentions",
        materialize: Materialize::InFiles,
        wave: 7,
    },
    Step {
        file: "20_account_features.sql",
        sql: include_str!("../sql/20_account_features.sql"),
        output: "account_features",
        materialize: Materialize::Always,
        wave: 8,
    },
    Step {
        file: "21_spend_ranks.sql",
        sql: include_str!("../sql/21_spend_ranks.sql"),
        output: "spend_ranks",
        materialize: Materialize::InFiles,
        wave: 9,
    },
    Step {
        file: "22_customer_tiers.sql",
        sql: include_str!("../sql/22_customer_tiers.sql"),
        output: Output::CustomerTiers.name(),
        materialize: Materialize::Always,
        wave: 10,
    },
    Step {
        file: "23_nps_population.sql",
        sql: include_str!("../sql/23_nps_population.sql"),
        output: "nps_population",
        materialize: Materialize::Always,
        wave: 11,
    },
    Step {
        file: "26_tier_movements.sql",
        sql: include_str!("../sql/26_tier_movements.sql"),
        output: Output::TierMovements.name(),
        materialize: Materialize::Always,
        wave: 11,
    },
    Step {
        file: "29_care_queue.sql",
        sql: include_str!("../sql/29_care_queue.sql"),
        output: Output::CareQueue.name(),
        materialize: Materialize::Never,
        wave: 11,
    },
    Step {
        file: "24_nps_aggregates.sql",
        sql: include_str!("../sql/24_nps_aggregates.sql"),
        output: Output::NpsAggregates.name(),
        materialize: Materialize::Always,
        wave: 12,
    },
    Step {
        file: "25_social_pulse.sql",
        sql: include_str!("../sql/25_social_pulse.sql"),
        output: Output::SocialPulse.name(),
        materialize: Materialize::Never,
        wave: 12,
    },
    Step {
        file: "36_circle_prospects.sql",
        sql: include_str!("../sql/36_circle_prospects.sql"),
        output: Output::CircleProspects.name(),
        materialize: Materialize::Never,
        wave: 12,
    },
    Step {
        file: "27_tier_migration.sql",
        sql: include_str!("../sql/27_tier_migration.sql"),
        output: Output::TierMigration.name(),
        materialize: Materialize::Never,
        wave: 12,
    },
    Step {
        file: "28_nps_changes.sql",
        sql: include_str!("../sql/28_nps_changes.sql"),
        output: Output::NpsChanges.name(),
        materialize: Materialize::Never,
        wave: 13,
    },
];

/// The SQL parameters of a run for snapshot date `date`, comparing with
/// the dates of `history`.
pub fn params(date: NaiveDate, s: &Settings, history: &History) -> ParamValues {
    let day_start = |d: NaiveDate| {
        ScalarValue::TimestampMicrosecond(Some(day_start_micros(d)), Some("UTC".into()))
    };
    let days_back = |n: u32| date - chrono::Days::new(u64::from(n.saturating_sub(1)));
    let w = &s.scoring;
    let f = |v: f64| ScalarValue::Float64(Some(v));
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
        ("queue_start", day_start(days_back(s.care.queue_days))),
        ("other_topic", ScalarValue::Utf8(Some(OTHER_TOPIC.into()))),
        (
            "other_route",
            ScalarValue::Utf8(Some(s.care.other_route.trim().into())),
        ),
        ("w_spend", f(w.weight_spend)),
        ("w_payment", f(w.weight_payment)),
        ("w_services", f(w.weight_services)),
        ("w_tenure", f(w.weight_tenure)),
        ("w_influence", f(w.weight_influence)),
        ("w_total", f(w.weight_total())),
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
        ("circle_start", day_start(days_back(s.windows.circle_days))),
        (
            "own_handles",
            ScalarValue::Utf8(Some(s.circle.normalized_own_handles().join(","))),
        ),
        (
            "prospect_min_customers",
            ScalarValue::Int64(Some(i64::from(s.circle.prospect_min_customers))),
        ),
        (
            "network_provider",
            ScalarValue::Boolean(Some(s.influence.network_provider)),
        ),
    ]
    .into_iter()
    .chain(history.params())
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    ParamValues::Map(map.into_iter().map(|(k, v)| (k, v.into())).collect())
}

/// A Rust step of the pipeline (docs/SPEC.md §9.2, §9.3,
/// [`crate::circle`]): [`CIRCLE_GRAPH`] and [`SOCIAL_CIRCLE`].
#[derive(Debug)]
pub struct RustStep {
    /// Its name in logs and errors.
    pub name: &'static str,
    /// The registered results it reads (for [`CIRCLE_GRAPH`], the SQL
    /// steps registering them run with it, on a branch of their own: see
    /// [`run_steps`]).
    pub reads: &'static [&'static str],
    /// The names later steps read its results under.
    pub outputs: &'static [&'static str],
}

/// The interaction graph: its PageRank and its circles.
pub const CIRCLE_GRAPH: RustStep = RustStep {
    name: "circle_graph",
    reads: &[crate::circle::EDGES],
    outputs: &[
        crate::circle::RANKS,
        crate::circle::LINKS,
        crate::circle::SCORES,
    ],
};

/// `social_circle` (docs/SPEC.md §9.3, [`crate::circle::social_circle`]):
/// every scored account with its figures, in account_id order, ranked, and
/// each circle's customers (`circle_customers`, read by
/// `36_circle_prospects`); it plans `sql/33_handle_nodes.sql` itself. It
/// runs with the steps of wave [`SOCIAL_CIRCLE_WAVE`], which waits for the
/// circle's branch first.
pub const SOCIAL_CIRCLE: RustStep = RustStep {
    name: "social_circle",
    reads: &[
        crate::circle::TIERS,
        crate::circle::MAP,
        crate::circle::RANKS,
        crate::circle::LINKS,
    ],
    outputs: &[
        crate::circle::NODES,
        crate::circle::CUSTOMERS,
        crate::circle::SOCIAL,
    ],
};

/// The wave [`SOCIAL_CIRCLE`] runs with: the first after `customer_tiers`.
pub const SOCIAL_CIRCLE_WAVE: u8 = 11;

/// Whether `step` feeds the Rust step (runs on its branch).
fn feeds_rust_step(step: &Step) -> bool {
    CIRCLE_GRAPH.reads.contains(&step.output)
}

/// Whether the SQL text `sql` names any of `names` (a word of its code,
/// comments left out).
fn reads_any(sql: &str, names: &[&str]) -> bool {
    sql.lines()
        .map(|line| line.split("--").next().unwrap_or(""))
        .flat_map(|code| code.split(|c: char| !(c.is_alphanumeric() || c == '_')))
        .any(|word| names.contains(&word))
}

/// The names the circle's branch registers that the other steps must wait
/// for: `network_scores` only with `[influence] network_provider` (without
/// it an empty one is registered before the steps start, so
/// `14_handle_influence` need not wait for the graph).
fn branch_outputs(network_provider: bool) -> Vec<&'static str> {
    CIRCLE_GRAPH
        .outputs
        .iter()
        .copied()
        .filter(|o| network_provider || *o != crate::circle::SCORES)
        .collect()
}

/// Run the transform steps on `ctx`; each is kept as `keep` says for its
/// [`Materialize`]. Steps of one wave run together, unless the policy runs
/// them one at a time.
///
/// The customer's circle is a branch of its own: the steps feeding the
/// Rust step (`30_interaction_edges`), then the Rust step, run beside the
/// waves from the start and are waited for just before the first wave
/// that reads what they register (`34_circle_customers`; `14_handle_influence`
/// with `[influence] network_provider`). The graph reads only the checked
/// inputs, and nothing it computes depends on when it runs, so the
/// results are the same; what changes is that its work overlaps the
/// accounts' steps instead of holding every later wave back. When the
/// policy runs steps one at a time, the branch runs first, alone.
pub async fn run_steps(
    ctx: &SessionContext,
    params: &ParamValues,
    keep: &Keep,
    settings: &Settings,
) -> Result<()> {
    let provider = settings.influence.network_provider;
    if !provider {
        crate::circle::register_no_network_scores(ctx, keep).await?;
    }
    let branch = circle_branch(
        ctx.clone(),
        params.clone(),
        keep.clone(),
        settings.circle.iterations,
        provider,
    );
    let one_at_a_time = keep.one_at_a_time();
    let mut branch = if one_at_a_time {
        branch.await?;
        None
    } else {
        Some(Branch(tokio::spawn(branch)))
    };
    let waited_by = branch_outputs(provider);
    let main: Vec<&Step> = STEPS.iter().filter(|s| !feeds_rust_step(s)).collect();
    let last = main.iter().map(|s| s.wave).max().unwrap_or(0);
    for wave in 0..=last {
        let steps: Vec<&Step> = main.iter().copied().filter(|s| s.wave == wave).collect();
        if wave == SOCIAL_CIRCLE_WAVE || steps.iter().any(|s| reads_any(s.sql, &waited_by)) {
            if let Some(b) = branch.take() {
                b.join().await?;
            }
        }
        let mut runs: Vec<_> = steps
            .into_iter()
            .map(|step| run_step(ctx, step, params, keep).boxed())
            .collect();
        if wave == SOCIAL_CIRCLE_WAVE {
            runs.push(crate::circle::social_circle(ctx, keep, params).boxed());
        }
        if one_at_a_time {
            for run in runs {
                run.await?;
            }
        } else {
            futures::future::try_join_all(runs).await?;
        }
    }
    if let Some(b) = branch.take() {
        b.join().await?;
    }
    Ok(())
}

/// Plan one SQL step and register its result as `keep` says.
async fn run_step(
    ctx: &SessionContext,
    step: &Step,
    params: &ParamValues,
    keep: &Keep,
) -> Result<()> {
    let df = plan_sql(ctx, step.file, step.sql, params).await?;
    keep.for_step(step.materialize)
        .register(ctx, step.output, df)
        .await
}

/// The circle's branch: the SQL steps feeding the Rust step, then the
/// Rust step. Owns what it uses, so it can run as a task of its own.
async fn circle_branch(
    ctx: SessionContext,
    params: ParamValues,
    keep: Keep,
    iterations: u32,
    network_provider: bool,
) -> Result<()> {
    for step in STEPS.iter().filter(|s| feeds_rust_step(s)) {
        run_step(&ctx, step, &params, &keep).await?;
    }
    crate::circle::circle_graph(&ctx, &keep, iterations, network_provider).await
}

/// The circle's branch running as a task; stopped if dropped before it is
/// joined (a failed wave, a cancelled run), so it never outlives the run.
struct Branch(tokio::task::JoinHandle<Result<()>>);

impl Branch {
    async fn join(mut self) -> Result<()> {
        let handle = &mut self.0;
        handle.await.map_err(|e| {
            crate::error::Error::Internal(format!("{}: the task ended: {e}", CIRCLE_GRAPH.name))
        })?
    }
}

impl Drop for Branch {
    fn drop(&mut self) {
        self.0.abort();
    }
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
                assert!(
                    !reads_any(step.sql, &[other.output]),
                    "{} (wave {}) reads {} of wave {}",
                    step.file,
                    step.wave,
                    other.output,
                    other.wave
                );
            }
        }
    }

    /// The circle's branch runs beside the waves from the start: the steps
    /// feeding the Rust step may read only the checked inputs (no other
    /// step's result), no other step reads what they register (only the
    /// Rust step does), and nothing else registers the Rust step's names.
    #[test]
    fn the_circle_branch_reads_only_the_checked_inputs() {
        let rust = &CIRCLE_GRAPH;
        let feeders: Vec<&Step> = STEPS.iter().filter(|s| feeds_rust_step(s)).collect();
        assert_eq!(
            feeders.len(),
            rust.reads.len(),
            "every name {} reads has a step",
            rust.name
        );
        for feeder in &feeders {
            for other in STEPS.iter().filter(|o| !std::ptr::eq(*o, *feeder)) {
                assert!(
                    !reads_any(feeder.sql, &[other.output]),
                    "{} (the circle's branch) reads {} of {}",
                    feeder.file,
                    other.output,
                    other.file
                );
                assert!(
                    !reads_any(other.sql, &[feeder.output]),
                    "{} reads {}, which only {} may read",
                    other.file,
                    feeder.output,
                    rust.name
                );
            }
        }
        for step in STEPS {
            assert!(
                !rust.outputs.contains(&step.output),
                "{} and {} both register {}",
                step.file,
                rust.name,
                step.output
            );
        }
    }

    /// What the Rust step social_circle registers is read only by steps
    /// of later waves (36_circle_prospects reads circle_customers), and
    /// nothing else registers it.
    #[test]
    fn social_circle_outputs_are_read_after_its_wave() {
        let readers: Vec<&Step> = STEPS
            .iter()
            .filter(|s| reads_any(s.sql, SOCIAL_CIRCLE.outputs))
            .collect();
        assert!(readers.iter().any(|s| s.file == "36_circle_prospects.sql"));
        for step in readers {
            assert!(step.wave > SOCIAL_CIRCLE_WAVE, "{}", step.file);
        }
        for step in STEPS {
            assert!(
                !SOCIAL_CIRCLE.outputs.contains(&step.output),
                "{}",
                step.file
            );
        }
    }

    /// What the main waves wait for: the graph's ranks and links always
    /// (the Rust step social_circle reads them, at its wave, which waits;
    /// the first SQL step reading them, 36_circle_prospects, comes after
    /// it), `network_scores` only with the network provider, and
    /// `14_handle_influence` reads nothing else of the branch (so without
    /// the provider it never waits).
    #[test]
    fn the_waves_wait_for_the_branch_only_where_they_read_it() {
        let first_reader = |names: &[&str]| {
            STEPS
                .iter()
                .filter(|s| reads_any(s.sql, names))
                .map(|s| (s.wave, s.file))
                .min()
        };
        let off = first_reader(&branch_outputs(false));
        let on = first_reader(&branch_outputs(true)).map(|r| r.1);
        assert!(SOCIAL_CIRCLE
            .reads
            .iter()
            .any(|r| branch_outputs(false).contains(r)));
        assert!(
            off.is_some_and(|(wave, _)| wave > SOCIAL_CIRCLE_WAVE),
            "{off:?}"
        );
        // social_circle reads customer_tiers, registered the wave before
        let tiers = STEPS.iter().find(|s| s.output == crate::circle::TIERS);
        assert_eq!(tiers.map(|s| s.wave + 1), Some(SOCIAL_CIRCLE_WAVE));
        assert_eq!(on, Some("14_handle_influence.sql"));
        assert!(!reads_any(
            include_str!("../sql/14_handle_influence.sql"),
            &branch_outputs(false)
        ));
    }
}
