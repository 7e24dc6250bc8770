//! `explain-account`: how one account's score, tier and care priority came
//! about on snapshot D, for a care agent (text) or a tool (JSON, the
//! [`Explanation`] shape, documented in docs/explain-account.md).
//!
//! Nothing here computes a rule. The run is checked and transformed exactly
//! as `validate` does it ([`pipeline::transformed`]: nothing written,
//! nothing published), then the small queries of `sql/explain_account/`
//! select that account's rows from the registered step results: its
//! `checked_accounts` rows (valid or rejected, with their files),
//! `valid_accounts`, the published `customer_tiers` row (every component,
//! `value_score`, `tier`, `care_priority`), `spend_ranks`, `handle_map`,
//! `window_influence` / `handle_scores`, `window_mentions` and
//! `latest_response`, the account's rows of `care_queue`, its `social_circle` row and
//! the top handles of its circle (`interaction_edges`, `network_ranks`). The only arithmetic done here is for display: each
//! published component times its weight, their sum, and `100 × sum / Σw`
//! before rounding (the rounded `value_score` is the step's).

use serde::Deserialize;

use crate::config::{RunConfig, Scoring, Settings};
use crate::error::{Error, Result};
use crate::pipeline::{self, Transformed};

mod document;
mod rows;
mod text;

pub use document::*;

use rows::{one, param_time, rows, Query};

/// A query of `sql/explain_account/`, by file name.
macro_rules! query {
    ($file:literal) => {
        (
            $file,
            include_str!(concat!("../sql/explain_account/", $file)),
        )
    };
}

const ACCOUNT_ROWS: Query = query!("account_rows.sql");
const ACCOUNT: Query = query!("account.sql");
const TIER_ROW: Query = query!("tier_row.sql");
const SPEND_RANK: Query = query!("spend_rank.sql");
const HANDLE: Query = query!("handle.sql");
const HOLDERS: Query = query!("holders.sql");
const INFLUENCE: Query = query!("influence.sql");
const MENTIONS: Query = query!("mentions.sql");
const SURVEY: Query = query!("survey.sql");
const SHOUTS: Query = query!("shouts.sql");
const CIRCLE: Query = query!("circle.sql");
const CIRCLE_LINKS: Query = query!("circle_links.sql");

/// A row of the accounts snapshot with the account's id (account_rows.sql).
#[derive(Deserialize)]
struct AccountRow {
    reject_reason: Option<String>,
    source_file: String,
}

/// Check and transform the run of `cfg` as `validate` does, then explain
/// `account`. An account no row of the snapshot has is
/// [`Error::UnknownAccount`] (exit 6).
pub async fn explain(cfg: &RunConfig, account: &str) -> Result<Explanation> {
    let account = account.trim();
    if account.is_empty() {
        return Err(Error::Usage("--account must not be empty".into()));
    }
    let t = pipeline::transformed(cfg).await?;
    let result = cfg
        .cancel
        .guard(gather(&t, cfg.settings(), account))
        .await
        .map_err(|e| t.engine.map_err(e));
    t.close().await;
    result
}

/// Every query for `account`, put together.
async fn gather(t: &Transformed, s: &Settings, account: &str) -> Result<Explanation> {
    let ctx = &t.session.ctx;
    let p = rows::with_account(&t.params, account);
    let found: Vec<AccountRow> = rows(ctx, ACCOUNT_ROWS, &p).await?;
    if found.is_empty() {
        return Err(Error::UnknownAccount {
            account: account.into(),
            date: t.date.to_string(),
        });
    }
    let rejected_rows = found
        .into_iter()
        .filter_map(|r| {
            r.reject_reason.map(|reject_reason| RejectedRow {
                reject_reason,
                source_file: r.source_file,
            })
        })
        .collect();
    let window = |from: &str| -> Result<Window> {
        Ok(Window {
            from: param_time(&t.params, from)?,
            until: param_time(&t.params, "window_end")?,
        })
    };
    let mut e = Explanation {
        snapshot_date: t.date.to_string(),
        account_id: account.into(),
        outcome: Outcome::Rejected,
        rejected_rows,
        account: None,
        customer_tiers: None,
        components: None,
        value: None,
        care_priority: None,
        handle: None,
        influence_rows: Vec::new(),
        mentions: None,
        shouts: Vec::new(),
        circle: None,
        survey: None,
        windows: Windows {
            mentions: window("mentions_start")?,
            surveys: window("surveys_start")?,
            influence: window("influence_start")?,
        },
    };
    let Some(valid) = one::<Account>(ctx, ACCOUNT, &p).await? else {
        return Ok(e);
    };
    let tier: Option<TierRow> = one(ctx, TIER_ROW, &p).await?;
    e.outcome = match tier {
        Some(_) => Outcome::Scored,
        None => Outcome::NotScored,
    };
    if let Some(mut handle) = one::<Handle>(ctx, HANDLE, &p).await? {
        handle.held_by = rows(ctx, HOLDERS, &p).await?;
        let used = handle.mapped_to.as_deref() == Some(account);
        handle.ambiguous = tier.as_ref().map(|_| handle.mapped_to.is_none());
        e.influence_rows = rows::<InfluenceRow>(ctx, INFLUENCE, &p)
            .await?
            .into_iter()
            .map(|r| InfluenceRow { used, ..r })
            .collect();
        e.handle = Some(handle);
    }
    e.survey = one::<Survey>(ctx, SURVEY, &p).await?.map(|s| Survey {
        nps_category: tier.as_ref().and_then(|r| r.nps_category.clone()),
        ..s
    });
    if let Some(row) = tier {
        let spend: SpendInputs = one(ctx, SPEND_RANK, &p)
            .await?
            .ok_or_else(|| Error::Internal(format!("{}: no row for {account}", SPEND_RANK.0)))?;
        let matched = rows(ctx, MENTIONS, &p).await?;
        e.shouts = rows(ctx, SHOUTS, &p).await?;
        e.circle = one::<Circle>(ctx, CIRCLE, &p).await?;
        if let Some(circle) = e.circle.as_mut() {
            circle.top_linked = rows(ctx, CIRCLE_LINKS, &p).await?;
        }
        scored(&mut e, &s.scoring, &valid, row, (spend, matched))?;
    }
    e.account = Some(valid);
    Ok(e)
}

/// The sections of a scored account: components, value, care priority,
/// mentions; every figure from its published row except the display
/// arithmetic (weight × component, their sum, before rounding).
fn scored(
    e: &mut Explanation,
    w: &Scoring,
    valid: &Account,
    row: TierRow,
    (spend, matched): (SpendInputs, Vec<Mention>),
) -> Result<()> {
    fn term<I>(score: f64, weight: f64, inputs: I) -> Component<I> {
        Component {
            score,
            weight,
            weighted: weight * score,
            inputs,
        }
    }
    let providers = e.influence_rows.iter().filter(|r| r.used).count();
    let components = Components {
        spend: term(
            row.spend_score,
            w.weight_spend,
            SpendInputs {
                monthly_spend: row.monthly_spend.clone(),
                ..spend
            },
        ),
        payment: term(
            row.payment_score,
            w.weight_payment,
            PaymentInputs {
                invoices_paid_on_time_12m: valid.invoices_paid_on_time_12m,
                invoices_due_12m: valid.invoices_due_12m,
            },
        ),
        services: term(
            row.services_score,
            w.weight_services,
            ServicesInputs {
                services_count: valid.services_count,
            },
        ),
        tenure: term(
            row.tenure_score,
            w.weight_tenure,
            TenureInputs {
                signup_date: valid.signup_date.clone(),
                tenure_days: valid.tenure_days,
            },
        ),
        influence: term(
            row.influence_score,
            w.weight_influence,
            InfluenceInputs {
                influence_norm: row.influence_norm,
                providers,
                influencer_threshold: w.influencer_threshold,
                is_influencer: row.is_influencer,
            },
        ),
    };
    let c = &components;
    // the order 22_customer_tiers adds them in
    let weighted_sum = c.spend.weighted
        + c.payment.weighted
        + c.services.weighted
        + c.tenure.weighted
        + c.influence.weighted;
    let weight_total = w.weight_total();
    e.value = Some(ValueScore {
        weight_total,
        weighted_sum,
        unrounded: 100.0 * weighted_sum / weight_total,
        value_score: row.value_score,
        tier: row.tier.clone(),
        tier_thresholds: TierThresholds {
            platinum: w.tier_platinum,
            gold: w.tier_gold,
            silver: w.tier_silver,
        },
        value_rank: row.value_rank,
    });
    let rule = usize::try_from(row.care_priority - 1)
        .ok()
        .and_then(|i| CARE_RULES.get(i))
        .ok_or_else(|| Error::Internal(format!("care_priority {}", row.care_priority)))?;
    e.care_priority = Some(CarePriority {
        priority: row.care_priority,
        rule: rule.text.to_string(),
        tier: row.tier.clone(),
        negative_mentions_30d: row.negative_mentions_30d,
        nps_category: row.nps_category.clone(),
        is_influencer: row.is_influencer,
    });
    e.mentions = Some(Mentions {
        mentions_30d: row.mentions_30d,
        negative_mentions_30d: row.negative_mentions_30d,
        avg_sentiment_30d: row.avg_sentiment_30d,
        negative_sentiment: w.negative_sentiment,
        matched,
    });
    e.components = Some(components);
    e.customer_tiers = Some(row);
    Ok(())
}
