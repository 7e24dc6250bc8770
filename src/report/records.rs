//! The typed rows the report reads from the committed outputs: NPS, pulse
//! and tier migration rows, the care queue's lanes, topics and shouts, and
//! the overall NPS change (sql/report/*.sql), each decoded by column name and
//! type ([`super::rows`]); [`super::data`] gathers them.

use chrono::{DateTime, Utc};

use super::format::Cell;
use super::rows::{Columns, FromRow};
use crate::error::Result;

/// The shouts of one lane of a committed `care_queue` (care_lanes.sql).
#[derive(Debug, Clone, PartialEq)]
pub struct CareLane {
    #[allow(missing_docs)]
    pub lane: String,
    #[allow(missing_docs)]
    pub shouts: i64,
    /// Due before the date ended: `due_at < day_start(D + 1)`.
    pub past_due: i64,
    #[allow(missing_docs)]
    pub churn_intent: i64,
}

impl FromRow for CareLane {
    fn from_row(c: &Columns<'_>, i: usize) -> Result<CareLane> {
        Ok(CareLane {
            lane: c.text("lane", i)?,
            shouts: c.int("shouts", i)?,
            past_due: c.int("past_due", i)?,
            churn_intent: c.int("churn_intent", i)?,
        })
    }
}

/// The shouts of one topic and route of D's `care_queue` (care_topics.sql).
#[derive(Debug, Clone, PartialEq)]
pub struct CareTopic {
    #[allow(missing_docs)]
    pub topic: String,
    #[allow(missing_docs)]
    pub route: String,
    #[allow(missing_docs)]
    pub shouts: i64,
    #[allow(missing_docs)]
    pub past_due: i64,
    #[allow(missing_docs)]
    pub churn_intent: i64,
}

impl FromRow for CareTopic {
    fn from_row(c: &Columns<'_>, i: usize) -> Result<CareTopic> {
        Ok(CareTopic {
            topic: c.text("topic", i)?,
            route: c.text("route", i)?,
            shouts: c.int("shouts", i)?,
            past_due: c.int("past_due", i)?,
            churn_intent: c.int("churn_intent", i)?,
        })
    }
}

/// One of the first shouts of D's `care_queue` (care_first.sql).
#[derive(Debug, Clone, PartialEq)]
pub struct CareRow {
    #[allow(missing_docs)]
    pub queue_rank: i64,
    #[allow(missing_docs)]
    pub lane: String,
    #[allow(missing_docs)]
    pub due_at: DateTime<Utc>,
    /// `due_at < day_start(D + 1)`.
    pub past_due: bool,
    #[allow(missing_docs)]
    pub mention_id: String,
    #[allow(missing_docs)]
    pub platform: Option<String>,
    #[allow(missing_docs)]
    pub posted_at: DateTime<Utc>,
    #[allow(missing_docs)]
    pub author_handle: Option<String>,
    /// The text, cut to its first [`super::data::TEXT_CHARS`] characters.
    pub text: Option<String>,
    /// Characters of the whole text.
    pub text_chars: Option<i64>,
    #[allow(missing_docs)]
    pub sentiment: Option<f64>,
    #[allow(missing_docs)]
    pub topic: String,
    #[allow(missing_docs)]
    pub route: String,
    #[allow(missing_docs)]
    pub churn_intent: bool,
    #[allow(missing_docs)]
    pub account_id: Option<String>,
    #[allow(missing_docs)]
    pub tier: Option<String>,
    #[allow(missing_docs)]
    pub care_priority: Option<i64>,
    #[allow(missing_docs)]
    pub influence_norm: Option<f64>,
}

impl FromRow for CareRow {
    fn from_row(c: &Columns<'_>, i: usize) -> Result<CareRow> {
        Ok(CareRow {
            queue_rank: c.int("queue_rank", i)?,
            lane: c.text("lane", i)?,
            due_at: c.timestamp("due_at", i)?,
            past_due: c.boolean("past_due", i)?,
            mention_id: c.text("mention_id", i)?,
            platform: c.text_opt("platform", i)?,
            posted_at: c.timestamp("posted_at", i)?,
            author_handle: c.text_opt("author_handle", i)?,
            text: c.text_opt("text", i)?,
            text_chars: c.int_opt("text_chars", i)?,
            sentiment: c.float_opt("sentiment", i)?,
            topic: c.text("topic", i)?,
            route: c.text("route", i)?,
            churn_intent: c.boolean("churn_intent", i)?,
            account_id: c.text_opt("account_id", i)?,
            tier: c.text_opt("tier", i)?,
            care_priority: c.int_opt("care_priority", i)?,
            influence_norm: c.float_opt("influence_norm", i)?,
        })
    }
}

/// D's care queue as the report shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Care {
    /// Every lane of [`crate::config::LANES`], in queue order (0 when it has no shout).
    pub lanes: Vec<CareLane>,
    /// Per topic and route, the busiest first.
    pub topics: Vec<CareTopic>,
    /// The first [`super::data::CARE_ROWS`] shouts, in queue order.
    pub first: Vec<CareRow>,
}

/// The overall row of D's `nps_changes` (nps_change_overall.sql).
#[derive(Debug, Clone, PartialEq)]
pub struct NpsChange {
    #[allow(missing_docs)]
    pub baseline_snapshot_date: Option<String>,
    #[allow(missing_docs)]
    pub responses_before: Option<i64>,
    #[allow(missing_docs)]
    pub responses_now: i64,
    #[allow(missing_docs)]
    pub nps_before: Option<f64>,
    #[allow(missing_docs)]
    pub nps_now: f64,
    #[allow(missing_docs)]
    pub change: Option<f64>,
    #[allow(missing_docs)]
    pub margin_of_error_95_change: Option<f64>,
    #[allow(missing_docs)]
    pub significant: Option<bool>,
}

impl FromRow for NpsChange {
    fn from_row(c: &Columns<'_>, i: usize) -> Result<NpsChange> {
        Ok(NpsChange {
            baseline_snapshot_date: c.text_opt("baseline_snapshot_date", i)?,
            responses_before: c.int_opt("responses_before", i)?,
            responses_now: c.int("responses_now", i)?,
            nps_before: c.float_opt("nps_before", i)?,
            nps_now: c.float("nps_now", i)?,
            change: c.float_opt("change", i)?,
            margin_of_error_95_change: c.float_opt("margin_of_error_95_change", i)?,
            significant: c.boolean_opt("significant", i)?,
        })
    }
}

/// One group of D's `nps_aggregates`, as published.
#[derive(Debug, Clone, PartialEq)]
pub struct NpsRow {
    #[allow(missing_docs)]
    pub dimension: String,
    #[allow(missing_docs)]
    pub dimension_value: String,
    #[allow(missing_docs)]
    pub responses: i64,
    #[allow(missing_docs)]
    pub promoters: i64,
    #[allow(missing_docs)]
    pub passives: i64,
    #[allow(missing_docs)]
    pub detractors: i64,
    #[allow(missing_docs)]
    pub nps: f64,
    #[allow(missing_docs)]
    pub margin_of_error_95: f64,
    #[allow(missing_docs)]
    pub low_sample: bool,
}

impl NpsRow {
    /// The table's value columns.
    pub const FIELDS: [&'static str; 7] = [
        "responses",
        "promoters",
        "passives",
        "detractors",
        "nps",
        "margin_of_error_95",
        "low_sample",
    ];

    /// The cells of [`NpsRow::FIELDS`], as the page prints them.
    pub fn cells(&self) -> Vec<Option<Cell>> {
        vec![
            Some(Cell::int(self.responses)),
            Some(Cell::int(self.promoters)),
            Some(Cell::int(self.passives)),
            Some(Cell::int(self.detractors)),
            Some(Cell::float(self.nps, 1)),
            Some(Cell::float(self.margin_of_error_95, 1)),
            Some(Cell::boolean(self.low_sample)),
        ]
    }
}

impl FromRow for NpsRow {
    fn from_row(c: &Columns<'_>, i: usize) -> Result<NpsRow> {
        Ok(NpsRow {
            dimension: c.text("dimension", i)?,
            dimension_value: c.text("dimension_value", i)?,
            responses: c.int("responses", i)?,
            promoters: c.int("promoters", i)?,
            passives: c.int("passives", i)?,
            detractors: c.int("detractors", i)?,
            nps: c.float("nps", i)?,
            margin_of_error_95: c.float("margin_of_error_95", i)?,
            low_sample: c.boolean("low_sample", i)?,
        })
    }
}

/// One group of D's `social_pulse`, as published.
#[derive(Debug, Clone, PartialEq)]
pub struct PulseRow {
    #[allow(missing_docs)]
    pub dimension: String,
    #[allow(missing_docs)]
    pub dimension_value: String,
    #[allow(missing_docs)]
    pub mentions: i64,
    #[allow(missing_docs)]
    pub with_sentiment: i64,
    #[allow(missing_docs)]
    pub positive: i64,
    #[allow(missing_docs)]
    pub neutral: i64,
    #[allow(missing_docs)]
    pub negative: i64,
    #[allow(missing_docs)]
    pub unique_authors: i64,
    #[allow(missing_docs)]
    pub matched_mentions: i64,
    #[allow(missing_docs)]
    pub match_rate: f64,
    #[allow(missing_docs)]
    pub avg_sentiment: Option<f64>,
    #[allow(missing_docs)]
    pub social_nps: Option<f64>,
}

impl PulseRow {
    /// The table's value columns.
    pub const FIELDS: [&'static str; 10] = [
        "mentions",
        "with_sentiment",
        "positive",
        "neutral",
        "negative",
        "unique_authors",
        "matched_mentions",
        "match_rate",
        "avg_sentiment",
        "social_nps",
    ];

    /// The cells of [`PulseRow::FIELDS`], as the page prints them.
    pub fn cells(&self) -> Vec<Option<Cell>> {
        vec![
            Some(Cell::int(self.mentions)),
            Some(Cell::int(self.with_sentiment)),
            Some(Cell::int(self.positive)),
            Some(Cell::int(self.neutral)),
            Some(Cell::int(self.negative)),
            Some(Cell::int(self.unique_authors)),
            Some(Cell::int(self.matched_mentions)),
            Some(Cell::ratio(self.match_rate, 1)),
            self.avg_sentiment.map(|v| Cell::float(v, 2)),
            self.social_nps.map(|v| Cell::float(v, 1)),
        ]
    }
}

impl FromRow for PulseRow {
    fn from_row(c: &Columns<'_>, i: usize) -> Result<PulseRow> {
        Ok(PulseRow {
            dimension: c.text("dimension", i)?,
            dimension_value: c.text("dimension_value", i)?,
            mentions: c.int("mentions", i)?,
            with_sentiment: c.int("with_sentiment", i)?,
            positive: c.int("positive", i)?,
            neutral: c.int("neutral", i)?,
            negative: c.int("negative", i)?,
            unique_authors: c.int("unique_authors", i)?,
            matched_mentions: c.int("matched_mentions", i)?,
            match_rate: c.float("match_rate", i)?,
            avg_sentiment: c.float_opt("avg_sentiment", i)?,
            social_nps: c.float_opt("social_nps", i)?,
        })
    }
}

/// One cell of D's `tier_migration`, as published.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationRow {
    #[allow(missing_docs)]
    pub from_tier: String,
    #[allow(missing_docs)]
    pub to_tier: String,
    #[allow(missing_docs)]
    pub movement: String,
    #[allow(missing_docs)]
    pub accounts: i64,
}

impl FromRow for MigrationRow {
    fn from_row(c: &Columns<'_>, i: usize) -> Result<MigrationRow> {
        Ok(MigrationRow {
            from_tier: c.text("from_tier", i)?,
            to_tier: c.text("to_tier", i)?,
            movement: c.text("movement", i)?,
            accounts: c.int("accounts", i)?,
        })
    }
}
