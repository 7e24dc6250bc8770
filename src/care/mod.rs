//! The care queue (docs/SPEC.md §8): which shouts a care desk answers
//! first, by which team, by when. The rules are SQL (`sql/29_care_queue.sql`);
//! this module hands that step what comes from the settings as registered
//! tables (never as SQL text): `care_topics`, one row per `[[care.topics]]`
//! rule with its keywords as one whole-word regular expression, and
//! `care_lanes`, the lanes in queue order with their answer times. The
//! earlier queues a run excludes are registered by `history`; reading a
//! committed queue back for a care desk is [`desk`].

use arrow::datatypes::{DataType, Field, IntervalMonthDayNano, IntervalUnit, Schema};
use datafusion::common::ScalarValue;
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::{lit, LogicalPlanBuilder};
use datafusion::prelude::{col, SessionContext};

use crate::config::{CareSettings, LANES};
use crate::engine::empty_table;
use crate::error::{Error, Result};

pub mod desk;

/// The table the topic rules are registered as.
pub const TOPICS: &str = "care_topics";
/// The table the lanes and their answer times are registered as.
pub const LANES_TABLE: &str = "care_lanes";

/// The characters `regex` treats as syntax (its `escape` set): a keyword's
/// own characters are matched literally.
const REGEX_META: &str = "\\.+*?()|[]{}^$#&-~";

/// One keyword as a regular expression: its words (split on Unicode white
/// space) escaped, joined by `\s+` (one or more white-space characters).
fn keyword_regex(keyword: &str) -> String {
    let words: Vec<String> = keyword
        .split_whitespace()
        .map(|w| {
            let mut out = String::with_capacity(w.len());
            for c in w.chars() {
                if REGEX_META.contains(c) {
                    out.push('\\');
                }
                out.push(c);
            }
            out
        })
        .collect();
    words.join(r"\s+")
}

/// A rule's keywords as one regular expression that matches a text holding
/// any of them as a whole word or phrase, case-insensitively (Unicode simple
/// case folding): not preceded or followed by a word character (`\w`:
/// Unicode Alphabetic, Mark, Decimal_Number, Connector_Punctuation,
/// Join_Control), the text's start and end counting as non-word.
pub fn keywords_pattern(keywords: &[String]) -> String {
    let alternatives: Vec<String> = keywords.iter().map(|k| keyword_regex(k)).collect();
    format!(r"(?i)(?:^|\W)(?:{})(?:\W|$)", alternatives.join("|"))
}

fn values(ctx: &SessionContext, rows: Vec<Vec<ScalarValue>>, schema: &Schema) -> Result<DataFrame> {
    let what = "care settings";
    if rows.is_empty() {
        return empty_table(ctx, schema, what);
    }
    let rows = rows
        .into_iter()
        .map(|r| r.into_iter().map(lit).collect())
        .collect();
    let plan = LogicalPlanBuilder::values(rows)
        .and_then(|b| b.build())
        .map_err(|e| Error::engine(what, e))?;
    // VALUES names its columns column1, column2, …
    let named = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| col(format!("column{}", i + 1)).alias(f.name()))
        .collect::<Vec<_>>();
    DataFrame::new(ctx.state(), plan)
        .select(named)
        .map_err(|e| Error::engine(what, e))
}

/// The schema of `care_topics`.
pub fn topics_schema() -> Schema {
    Schema::new(vec![
        Field::new("rule_order", DataType::Int32, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("route", DataType::Utf8, false),
        Field::new("pattern", DataType::Utf8, false),
        Field::new("churn_intent", DataType::Boolean, false),
        Field::new("shout", DataType::Boolean, false),
    ])
}

/// The schema of `care_lanes`.
pub fn lanes_schema() -> Schema {
    Schema::new(vec![
        Field::new("lane_order", DataType::Int32, false),
        Field::new("lane", DataType::Utf8, false),
        Field::new("sla", DataType::Interval(IntervalUnit::MonthDayNano), false),
    ])
}

/// `care_topics`: one row per rule in config order (rule_order 1, 2, …),
/// names and routes trimmed. A plan node (VALUES), so a cluster can ship it.
pub fn topics_table(ctx: &SessionContext, c: &CareSettings) -> Result<DataFrame> {
    let rows = c
        .topics
        .iter()
        .enumerate()
        .map(|(i, t)| {
            vec![
                ScalarValue::Int32(Some(i as i32 + 1)),
                ScalarValue::Utf8(Some(t.name.trim().to_string())),
                ScalarValue::Utf8(Some(t.route.trim().to_string())),
                ScalarValue::Utf8(Some(keywords_pattern(&t.keywords))),
                ScalarValue::Boolean(Some(t.churn_intent)),
                ScalarValue::Boolean(Some(t.shout)),
            ]
        })
        .collect();
    values(ctx, rows, &topics_schema())
}

/// `care_lanes`: the lanes in queue order (lane_order 1 … 6) with their
/// answer time as an interval.
pub fn lanes_table(ctx: &SessionContext, c: &CareSettings) -> Result<DataFrame> {
    let rows = LANES
        .iter()
        .enumerate()
        .map(|(i, lane)| {
            let nanos = i64::from(c.sla(lane)) * 60 * 1_000_000_000;
            vec![
                ScalarValue::Int32(Some(i as i32 + 1)),
                ScalarValue::Utf8(Some(lane.to_string())),
                ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(0, 0, nanos))),
            ]
        })
        .collect();
    values(ctx, rows, &lanes_schema())
}

/// Register `care_topics` and `care_lanes` in `ctx`.
pub fn register(ctx: &SessionContext, c: &CareSettings) -> Result<()> {
    for (name, df) in [
        (TOPICS, topics_table(ctx, c)?),
        (LANES_TABLE, lanes_table(ctx, c)?),
    ] {
        ctx.register_table(name, df.into_view())
            .map_err(|e| Error::engine(name, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_become_one_whole_word_pattern() {
        let k = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            keywords_pattern(&k(&["outage", " no  signal "])),
            r"(?i)(?:^|\W)(?:outage|no\s+signal)(?:\W|$)"
        );
        // regex syntax in a keyword is matched literally
        assert_eq!(
            keywords_pattern(&k(&["a.b (c)", "x|y", "$5"])),
            r"(?i)(?:^|\W)(?:a\.b\s+\(c\)|x\|y|\$5)(?:\W|$)"
        );
    }

    #[tokio::test]
    async fn the_tables_hold_the_rules_in_config_order() {
        let ctx = SessionContext::new();
        register(&ctx, &CareSettings::default()).unwrap();
        let batches = ctx
            .sql("SELECT rule_order, name, route, churn_intent, shout FROM care_topics ORDER BY rule_order")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let text = arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string();
        for want in [
            "| 1          | churn   | retention        | true         | true  |",
            "| 2          | network | network_ops      | false        | false |",
            "| 5          | service | customer_service | false        | false |",
        ] {
            assert!(text.contains(want), "{text}");
        }
        let lanes = ctx
            .sql("SELECT lane_order, lane, arrow_typeof(sla) AS t FROM care_lanes ORDER BY lane_order")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let text = arrow::util::pretty::pretty_format_batches(&lanes)
            .unwrap()
            .to_string();
        assert!(
            text.contains("| 5          | influencer_prospect |"),
            "{text}"
        );
        assert!(text.contains("Interval(MonthDayNano)"), "{text}");
        // no rules: an empty table of the same schema
        let mut none = CareSettings::default();
        none.topics.clear();
        let df = topics_table(&ctx, &none).unwrap();
        assert_eq!(df.count().await.unwrap(), 0);
    }
}
