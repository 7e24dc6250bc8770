//! The `explain-account --json` document: every type of its stable shape
//! (docs/explain-account.md), field by field in output order. Filled by
//! [`super::explain`]; the text for a care agent is in `text`.

use serde::{Deserialize, Serialize};

/// What the care_priority rules read of an account's published row.
#[derive(Debug, Clone, Copy)]
pub struct CareFacts<'a> {
    /// `tier`.
    pub tier: &'a str,
    /// `negative_mentions_30d`.
    pub negative_mentions_30d: i64,
    /// `nps_category` = `detractor`.
    pub detractor: bool,
    /// `is_influencer`.
    pub is_influencer: bool,
}

/// One care_priority rule: the text explain-account shows, and the rule
/// itself, which a test holds against `sql/22_customer_tiers.sql` on every
/// combination of the facts (so the text cannot drift from the SQL).
#[derive(Debug)]
pub struct CareRule {
    /// The rule in words (docs/SPEC.md §3).
    pub text: &'static str,
    /// Whether it holds.
    pub holds: fn(&CareFacts<'_>) -> bool,
}

fn top(f: &CareFacts<'_>) -> bool {
    matches!(f.tier, "platinum" | "gold")
}

/// The care_priority rules of docs/SPEC.md §3 (22_customer_tiers.sql), by
/// priority: the first that holds gives the priority.
pub const CARE_RULES: [CareRule; 4] = [
    CareRule {
        text: "tier in (platinum, gold) and (negative_mentions_30d ≥ 1 or detractor)",
        holds: |f| top(f) && (f.negative_mentions_30d >= 1 || f.detractor),
    },
    CareRule {
        text: "tier in (platinum, gold), or (is_influencer and negative_mentions_30d ≥ 1)",
        holds: |f| top(f) || (f.is_influencer && f.negative_mentions_30d >= 1),
    },
    CareRule {
        text: "tier = silver, or negative_mentions_30d ≥ 1, or detractor",
        holds: |f| f.tier == "silver" || f.negative_mentions_30d >= 1 || f.detractor,
    },
    CareRule {
        text: "otherwise (none of rules 1–3 holds)",
        holds: |_| true,
    },
];

/// The priority (1–4) the first rule of [`CARE_RULES`] that holds gives.
pub fn care_priority(facts: &CareFacts<'_>) -> i32 {
    let first = CARE_RULES.iter().position(|r| (r.holds)(facts));
    first.map_or(4, |i| i as i32 + 1)
}

/// How one account's score came about: the `--json` document.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// Snapshot date D.
    pub snapshot_date: String,
    /// The account asked for (trimmed).
    pub account_id: String,
    /// Scored, valid but not scored (closed), or rejected.
    pub outcome: Outcome,
    /// Rows of the accounts snapshot with this id that were rejected.
    pub rejected_rows: Vec<RejectedRow>,
    /// The valid row (null when every row was rejected).
    pub account: Option<Account>,
    /// The published customer_tiers row (null unless scored).
    pub customer_tiers: Option<TierRow>,
    /// Each component with its inputs and weight (null unless scored).
    pub components: Option<Components>,
    /// The value_score arithmetic, tier and rank (null unless scored).
    pub value: Option<ValueScore>,
    /// Which care_priority rule fired, and the facts it reads (null unless scored).
    pub care_priority: Option<CarePriority>,
    /// The normalized handle and whom it maps to (null without a handle).
    pub handle: Option<Handle>,
    /// Per provider, the influence row behind the handle's score.
    pub influence_rows: Vec<InfluenceRow>,
    /// The matched mentions (null unless scored).
    pub mentions: Option<Mentions>,
    /// The account's shouts in D's care queue, in queue order (empty unless
    /// scored; docs/SPEC.md §8).
    pub shouts: Vec<CareShout>,
    /// The account's circle (docs/SPEC.md §9.3): its social_circle row and
    /// the top linked handles (null unless scored).
    pub circle: Option<Circle>,
    /// The latest survey response in the window (null when none).
    pub survey: Option<Survey>,
    /// The run's windows.
    pub windows: Windows,
}

/// The account's row of D's social_circle, with the top handles of its
/// circle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Circle {
    /// The account's handle in the handle map (null without one or when
    /// ambiguous).
    pub handle: Option<String>,
    /// Handles linked to it either way.
    pub circle_size: i64,
    /// Of those, handles of scored accounts.
    pub circle_customers: i64,
    /// The sum of their value_score.
    pub circle_value: f64,
    /// Distinct mentions by others naming the handle.
    pub mentions_received: i64,
    /// Weighted PageRank as a 0–100 percent rank (null outside the graph).
    pub network_influence: Option<f64>,
    /// 1 = the most influential scored account.
    pub circle_rank: i64,
    /// Up to 10 linked handles, the most strongly linked first.
    #[serde(default)]
    pub top_linked: Vec<LinkedHandle>,
}

/// A handle of the account's circle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkedHandle {
    /// The linked handle.
    pub handle: String,
    /// Weight of the edge from the account's handle to it (0 when none).
    pub weight_out: i64,
    /// Weight of the edge from it to the account's handle (0 when none).
    pub weight_in: i64,
    /// The scored account it maps to (null: not a customer).
    pub account_id: Option<String>,
    /// Its network_influence.
    pub network_influence: Option<f64>,
}

/// One of the account's shouts in D's care queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CareShout {
    /// Its place in the whole queue.
    pub queue_rank: i64,
    /// The mention.
    pub mention_id: String,
    /// When it was posted (UTC).
    pub posted_at: String,
    /// The lane (customer_p1 … customer_p4).
    pub lane: String,
    /// When the answer is due (UTC).
    pub due_at: String,
    /// The topic of the first matching rule, or `other`.
    pub topic: String,
    /// The team.
    pub route: String,
    /// A churn-intent rule matched.
    pub churn_intent: bool,
    /// The post's sentiment.
    pub sentiment: Option<f64>,
}

/// What the snapshot says about the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Valid, active or suspended: in customer_tiers.
    Scored,
    /// Valid but closed: not in the scored population.
    NotScored,
    /// Every row with this id was rejected.
    Rejected,
}

/// A rejected row of the accounts snapshot.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RejectedRow {
    /// The reject reason.
    pub reject_reason: String,
    /// The file it came from.
    pub source_file: String,
}

/// The account's valid row (10_valid_accounts).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    #[allow(missing_docs)]
    pub segment: Option<String>,
    #[allow(missing_docs)]
    pub region: Option<String>,
    #[allow(missing_docs)]
    pub plan: Option<String>,
    #[allow(missing_docs)]
    pub status: String,
    /// YYYY-MM-DD.
    pub signup_date: Option<String>,
    /// D − signup_date in days (null without a signup date).
    pub tenure_days: Option<i64>,
    /// Decimal text, e.g. `88.80` (null in the input = `0.00`).
    pub monthly_spend: String,
    #[allow(missing_docs)]
    pub services_count: i64,
    #[allow(missing_docs)]
    pub invoices_due_12m: i64,
    #[allow(missing_docs)]
    pub invoices_paid_on_time_12m: i64,
    /// Normalized handle.
    pub social_handle: Option<String>,
}

/// A customer_tiers row, every column of docs/SPEC.md §4 in order.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TierRow {
    pub account_id: String,
    pub segment: Option<String>,
    pub region: Option<String>,
    pub plan: Option<String>,
    pub status: String,
    pub monthly_spend: String,
    pub spend_score: f64,
    pub payment_score: f64,
    pub services_score: f64,
    pub tenure_score: f64,
    pub influence_score: f64,
    pub influence_norm: Option<f64>,
    pub is_influencer: bool,
    pub value_score: f64,
    pub tier: String,
    pub value_rank: i64,
    pub mentions_30d: i64,
    pub negative_mentions_30d: i64,
    pub avg_sentiment_30d: Option<f64>,
    pub last_nps_score: Option<i64>,
    pub nps_category: Option<String>,
    pub care_priority: i64,
}

/// One component: the published score, its weight, their product and the
/// inputs behind the score.
#[derive(Debug, Clone, Serialize)]
pub struct Component<I> {
    /// The component in [0, 1], as published.
    pub score: f64,
    /// Its weight.
    pub weight: f64,
    /// weight × score.
    pub weighted: f64,
    /// The inputs behind the score.
    #[serde(flatten)]
    pub inputs: I,
}

/// The five components.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize)]
pub struct Components {
    pub spend: Component<SpendInputs>,
    pub payment: Component<PaymentInputs>,
    pub services: Component<ServicesInputs>,
    pub tenure: Component<TenureInputs>,
    pub influence: Component<InfluenceInputs>,
}

/// Behind spend_score = (rank − 1) / (n − 1).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SpendInputs {
    /// Decimal text.
    #[serde(default)]
    pub monthly_spend: String,
    /// Rank of the spend among the scored accounts (equal spends share it).
    pub rank: i64,
    /// Scored accounts.
    pub n: i64,
}

/// Behind payment_score.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize)]
pub struct PaymentInputs {
    pub invoices_paid_on_time_12m: i64,
    pub invoices_due_12m: i64,
}

/// Behind services_score.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize)]
pub struct ServicesInputs {
    pub services_count: i64,
}

/// Behind tenure_score.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize)]
pub struct TenureInputs {
    pub signup_date: Option<String>,
    pub tenure_days: Option<i64>,
}

/// Behind influence_score = influence_norm / 100.
#[derive(Debug, Clone, Serialize)]
pub struct InfluenceInputs {
    /// The average of the providers' scaled scores (null: none).
    pub influence_norm: Option<f64>,
    /// How many providers' rows it averages (`influence_rows` used).
    pub providers: usize,
    /// influence_norm ≥ this is an influencer.
    pub influencer_threshold: f64,
    /// As published.
    pub is_influencer: bool,
}

/// value_score = round(100 × Σ wᵢ·componentᵢ / Σ wᵢ, 2), its tier and rank.
#[derive(Debug, Clone, Serialize)]
pub struct ValueScore {
    /// Σ wᵢ.
    pub weight_total: f64,
    /// Σ wᵢ·componentᵢ (the components' `weighted`, added in order).
    pub weighted_sum: f64,
    /// 100 × weighted_sum / weight_total, before rounding.
    pub unrounded: f64,
    /// As published (rounded to 2 decimals).
    pub value_score: f64,
    /// As published.
    pub tier: String,
    /// The lower bounds of the tiers (bronze below silver).
    pub tier_thresholds: TierThresholds,
    /// As published: by value_score desc, account_id asc.
    pub value_rank: i64,
}

/// Lower bounds of the tiers.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize)]
pub struct TierThresholds {
    pub platinum: f64,
    pub gold: f64,
    pub silver: f64,
}

/// The care_priority rule that fired and the facts the rules read.
#[derive(Debug, Clone, Serialize)]
pub struct CarePriority {
    /// As published (1 = served first).
    pub priority: i64,
    /// The rule of that priority ([`CARE_RULES`]); earlier rules do not hold.
    pub rule: String,
    #[allow(missing_docs)]
    pub tier: String,
    #[allow(missing_docs)]
    pub negative_mentions_30d: i64,
    /// Category of the latest survey (null: none).
    pub nps_category: Option<String>,
    #[allow(missing_docs)]
    pub is_influencer: bool,
}

/// The account's normalized handle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Handle {
    /// Normalized handle.
    pub handle: String,
    /// The scored account 11_handle_map maps it to (null: nobody).
    pub mapped_to: Option<String>,
    /// Scored accounts only: the handle maps to nobody because two or more
    /// scored accounts hold it (no mentions, no influence).
    #[serde(default)]
    pub ambiguous: Option<bool>,
    /// The other valid accounts holding it.
    #[serde(default)]
    pub held_by: Vec<Holder>,
}

/// Another valid account holding the same handle.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Holder {
    pub account_id: String,
    pub status: String,
    /// Active or suspended: counts for ambiguity.
    pub scored: bool,
}

/// A provider's latest row in the influence window for the handle.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InfluenceRow {
    /// klout, kred or peerindex.
    pub provider: String,
    /// The score as delivered.
    pub score: f64,
    /// Its provider's divisor to 0–100.
    pub divisor: f64,
    /// score / divisor.
    pub norm: f64,
    /// RFC 3339, UTC.
    pub scored_at: String,
    #[allow(missing_docs)]
    pub source_file: String,
    /// Whether it counts for this account (the handle maps to it).
    #[serde(default)]
    pub used: bool,
}

/// The mention features and the mentions behind them.
#[derive(Debug, Clone, Serialize)]
pub struct Mentions {
    #[allow(missing_docs)]
    pub mentions_30d: i64,
    #[allow(missing_docs)]
    pub negative_mentions_30d: i64,
    #[allow(missing_docs)]
    pub avg_sentiment_30d: Option<f64>,
    /// A mention at or below this sentiment is negative.
    pub negative_sentiment: f64,
    /// The matched mentions, by posted_at.
    pub matched: Vec<Mention>,
}

/// A mention matched to the account.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mention {
    pub mention_id: String,
    pub platform: String,
    pub author_handle: Option<String>,
    pub posted_at: String,
    pub sentiment: Option<f64>,
    pub source_file: String,
}

/// The latest survey response in the window.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Survey {
    pub response_id: String,
    pub responded_at: String,
    pub score: i64,
    pub channel: Option<String>,
    /// As published in customer_tiers (null for an account not scored).
    #[serde(default)]
    pub nps_category: Option<String>,
    pub source_file: String,
}

/// The run's half-open windows `[from, until)`.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize)]
pub struct Windows {
    pub mentions: Window,
    pub surveys: Window,
    pub influence: Window,
}

/// A half-open window, RFC 3339 UTC.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub from: String,
    pub until: String,
}
