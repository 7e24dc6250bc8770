//! The output tables of docs/SPEC.md §4, §6, §8 and §9, named once: [`Output`]
//! lists them with their exact schemas and the order their rows are
//! written in; [`rejects_table`] names the `_rejects/<input>` tables. Every
//! other module asks this one for a table's name, so a table is spelled in
//! one place.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

/// A published output table (the SQL step of the same name computes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Output {
    /// One row per scored account (§4).
    CustomerTiers,
    /// NPS per dimension (§4).
    NpsAggregates,
    /// Social listening per platform (§4).
    SocialPulse,
    /// Each account's tier against the previous committed date (§6).
    TierMovements,
    /// The from × to matrix of tier_movements (§6).
    TierMigration,
    /// D's NPS against the baseline window (§6).
    NpsChanges,
    /// The shouts to answer, in order (§8).
    CareQueue,
    /// Each scored account's circle in the interaction graph (§9).
    SocialCircle,
    /// Non-customers linked to several customers (§9).
    CircleProspects,
}

impl Output {
    /// Every output, in the order a run stages and publishes them.
    pub const ALL: [Output; 9] = [
        Output::CustomerTiers,
        Output::NpsAggregates,
        Output::SocialPulse,
        Output::TierMovements,
        Output::TierMigration,
        Output::NpsChanges,
        Output::CareQueue,
        Output::SocialCircle,
        Output::CircleProspects,
    ];

    /// The table's name: its folder under the output root, its registered
    /// query name and its key in the manifest.
    pub const fn name(self) -> &'static str {
        match self {
            Output::CustomerTiers => "customer_tiers",
            Output::NpsAggregates => "nps_aggregates",
            Output::SocialPulse => "social_pulse",
            Output::TierMovements => "tier_movements",
            Output::TierMigration => "tier_migration",
            Output::NpsChanges => "nps_changes",
            Output::CareQueue => "care_queue",
            Output::SocialCircle => "social_circle",
            Output::CircleProspects => "circle_prospects",
        }
    }

    /// The output called `name`, if any.
    pub fn from_name(name: &str) -> Option<Output> {
        Output::ALL.into_iter().find(|o| o.name() == name)
    }

    /// The exact columns, order and types of the published files.
    pub fn schema(self) -> SchemaRef {
        match self {
            Output::CustomerTiers => customer_tiers_schema(),
            Output::NpsAggregates => nps_aggregates_schema(),
            Output::SocialPulse => social_pulse_schema(),
            Output::TierMovements => tier_movements_schema(),
            Output::TierMigration => tier_migration_schema(),
            Output::NpsChanges => nps_changes_schema(),
            Output::CareQueue => care_queue_schema(),
            Output::SocialCircle => social_circle_schema(),
            Output::CircleProspects => circle_prospects_schema(),
        }
    }

    /// The order the rows are written in (docs/SPEC.md §4, §6): the sort
    /// is applied when the rows are written, since a kept (cached) result
    /// has several partitions whose order a reader does not preserve. A key
    /// may be a column the step computes only for the order
    /// (`tier_migration`'s `from_order`, `to_order`): the writer keeps the
    /// schema's columns only.
    pub fn sort_keys(self) -> &'static [&'static str] {
        match self {
            Output::CustomerTiers => &["value_rank"],
            Output::TierMovements => &["account_id"],
            Output::TierMigration => &["from_order", "to_order"],
            Output::CareQueue => &["queue_rank"],
            Output::SocialCircle => &["account_id"],
            Output::CircleProspects => &["prospect_order"],
            Output::NpsAggregates | Output::SocialPulse | Output::NpsChanges => {
                &["dimension", "dimension_value"]
            }
        }
    }
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The folder of an input table's rejected rows: `_rejects/<input>`.
pub fn rejects_table(input: &str) -> String {
    format!("{REJECTS_PREFIX}{input}")
}

/// What every rejects table's name starts with.
pub const REJECTS_PREFIX: &str = "_rejects/";

pub(crate) fn schema(cols: &[(&str, DataType)]) -> SchemaRef {
    Arc::new(Schema::new(
        cols.iter()
            .map(|(n, t)| Field::new(*n, t.clone(), true))
            .collect::<Vec<_>>(),
    ))
}

/// `customer_tiers` (docs/SPEC.md §4).
fn customer_tiers_schema() -> SchemaRef {
    use DataType::*;
    schema(&[
        ("account_id", Utf8),
        ("segment", Utf8),
        ("region", Utf8),
        ("plan", Utf8),
        ("status", Utf8),
        ("monthly_spend", Decimal128(18, 2)),
        ("spend_score", Float64),
        ("payment_score", Float64),
        ("services_score", Float64),
        ("tenure_score", Float64),
        ("influence_score", Float64),
        ("influence_norm", Float64),
        ("is_influencer", Boolean),
        ("value_score", Float64),
        ("tier", Utf8),
        ("value_rank", Int64),
        ("mentions_30d", Int64),
        ("negative_mentions_30d", Int64),
        ("avg_sentiment_30d", Float64),
        ("last_nps_score", Int32),
        ("nps_category", Utf8),
        ("care_priority", Int32),
    ])
}

/// `nps_aggregates` (docs/SPEC.md §4).
fn nps_aggregates_schema() -> SchemaRef {
    use DataType::*;
    schema(&[
        ("dimension", Utf8),
        ("dimension_value", Utf8),
        ("responses", Int64),
        ("promoters", Int64),
        ("passives", Int64),
        ("detractors", Int64),
        ("nps", Float64),
        ("margin_of_error_95", Float64),
        ("low_sample", Boolean),
    ])
}

/// `social_pulse` (docs/SPEC.md §4).
fn social_pulse_schema() -> SchemaRef {
    use DataType::*;
    schema(&[
        ("dimension", Utf8),
        ("dimension_value", Utf8),
        ("mentions", Int64),
        ("with_sentiment", Int64),
        ("positive", Int64),
        ("neutral", Int64),
        ("negative", Int64),
        ("unique_authors", Int64),
        ("matched_mentions", Int64),
        ("match_rate", Float64),
        ("avg_sentiment", Float64),
        ("social_nps", Float64),
    ])
}

/// `tier_movements` (docs/SPEC.md §6).
fn tier_movements_schema() -> SchemaRef {
    use DataType::*;
    schema(&[
        ("account_id", Utf8),
        ("previous_snapshot_date", Date32),
        ("previous_tier", Utf8),
        ("tier", Utf8),
        ("previous_value_score", Float64),
        ("value_score", Float64),
        ("score_change", Float64),
        ("movement", Utf8),
        ("tier_steps", Int32),
    ])
}

/// `tier_migration` (docs/SPEC.md §6).
fn tier_migration_schema() -> SchemaRef {
    use DataType::*;
    schema(&[
        ("previous_snapshot_date", Date32),
        ("from_tier", Utf8),
        ("to_tier", Utf8),
        ("movement", Utf8),
        ("accounts", Int64),
    ])
}

/// `nps_changes` (docs/SPEC.md §6).
fn nps_changes_schema() -> SchemaRef {
    use DataType::*;
    schema(&[
        ("dimension", Utf8),
        ("dimension_value", Utf8),
        ("baseline_snapshot_date", Date32),
        ("responses_before", Int64),
        ("responses_now", Int64),
        ("nps_before", Float64),
        ("nps_now", Float64),
        ("change", Float64),
        ("margin_of_error_95_change", Float64),
        ("significant", Boolean),
        ("low_sample", Boolean),
    ])
}

/// `social_circle` (docs/SPEC.md §9.3).
fn social_circle_schema() -> SchemaRef {
    use DataType::*;
    schema(&[
        ("account_id", Utf8),
        ("handle", Utf8),
        ("circle_size", Int64),
        ("circle_customers", Int64),
        ("circle_value", Float64),
        ("mentions_received", Int64),
        ("network_influence", Float64),
        ("circle_rank", Int64),
    ])
}

/// `circle_prospects` (docs/SPEC.md §9.4).
fn circle_prospects_schema() -> SchemaRef {
    use DataType::*;
    schema(&[
        ("handle", Utf8),
        ("customers_linked", Int64),
        ("customers_value", Float64),
        ("network_influence", Float64),
    ])
}

/// `care_queue` (docs/SPEC.md §8).
fn care_queue_schema() -> SchemaRef {
    use DataType::*;
    let micros_utc = || Timestamp(arrow::datatypes::TimeUnit::Microsecond, Some("UTC".into()));
    schema(&[
        ("mention_id", Utf8),
        ("platform", Utf8),
        ("posted_at", micros_utc()),
        ("author_handle", Utf8),
        ("text", Utf8),
        ("sentiment", Float64),
        ("topic", Utf8),
        ("route", Utf8),
        ("churn_intent", Boolean),
        ("account_id", Utf8),
        ("tier", Utf8),
        ("value_score", Float64),
        ("care_priority", Int32),
        ("influence_norm", Float64),
        ("lane", Utf8),
        ("due_at", micros_utc()),
        ("queue_rank", Int64),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_read_back() {
        for o in Output::ALL {
            assert_eq!(Output::from_name(o.name()), Some(o));
            assert!(o.schema().fields().len() > 2, "{o}");
        }
        let mut names: Vec<_> = Output::ALL.iter().map(|o| o.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Output::ALL.len());
        assert_eq!(Output::from_name("_rejects/accounts"), None);
        assert_eq!(rejects_table("mentions"), "_rejects/mentions");
    }
}
