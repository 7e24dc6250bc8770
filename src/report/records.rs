//! The typed rows of the report's care queue and NPS change queries
//! (sql/report/care_*.sql, nps_change_overall.sql), each decoded by column
//! name and type ([`super::rows`]); [`super::data`] gathers them.

use chrono::{DateTime, Utc};

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
