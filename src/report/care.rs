//! The care queue section of the report (docs/SPEC.md §7, §8): D's
//! published `care_queue` by lane and by topic, how many shouts carry churn
//! intent and how many are already past due when D ends (`due_at <
//! day_start(D + 1)`), and its first [`CARE_ROWS`] shouts in queue order,
//! texts cut to [`TEXT_CHARS`] characters.

use chrono::{DateTime, SecondsFormat, Utc};

use super::charts::{self, Series};
use super::data::{Care, CareRow, ReportData, CARE_ROWS, TEXT_CHARS};
use super::format::{self, Cell};
use super::html::{figure, section, HtmlTable};

/// A timestamp: exact RFC 3339 (UTC) in `data-value`, `11 Mar 01:59 UTC` shown.
fn when(t: &DateTime<Utc>) -> Cell {
    Cell {
        value: t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        text: t.format("%-d %b %H:%M UTC").to_string(),
    }
}

/// The cells of one listed shout, in [`FIRST_FIELDS`] order.
fn cells(r: &CareRow) -> Vec<Option<Cell>> {
    let cut = r.text_chars.is_some_and(|n| n > TEXT_CHARS);
    let text = r.text.as_ref().map(|t| Cell {
        value: t.clone(),
        text: if cut { format!("{t}…") } else { t.clone() },
    });
    vec![
        Some(Cell::plain(&r.lane)),
        Some(when(&r.due_at)),
        Some(Cell::boolean(r.past_due)),
        Some(Cell::plain(&r.mention_id)),
        r.platform.as_ref().map(Cell::plain),
        Some(when(&r.posted_at)),
        r.author_handle.as_ref().map(Cell::plain),
        text,
        r.text_chars.map(Cell::int),
        r.sentiment.map(|v| Cell::float(v, 2)),
        Some(Cell::plain(&r.topic)),
        Some(Cell::plain(&r.route)),
        Some(Cell::boolean(r.churn_intent)),
        r.account_id.as_ref().map(Cell::plain),
        r.tier.as_ref().map(Cell::plain),
        r.care_priority.map(Cell::int),
        r.influence_norm.map(|v| Cell::float(v, 1)),
    ]
}

/// The columns of the table of the first shouts.
const FIRST_FIELDS: [&str; 17] = [
    "lane",
    "due_at",
    "past_due",
    "mention_id",
    "platform",
    "posted_at",
    "author_handle",
    "text",
    "text_chars",
    "sentiment",
    "topic",
    "route",
    "churn_intent",
    "account_id",
    "tier",
    "care_priority",
    "influence_norm",
];

/// The section.
pub fn render(out: &mut String, d: &ReportData, care: &Care) {
    let total = |f: fn(&super::data::CareLane) -> i64| care.lanes.iter().map(f).sum::<i64>();
    let (shouts, past_due, churn) = (
        total(|l| l.shouts),
        total(|l| l.past_due),
        total(|l| l.churn_intent),
    );
    let day_end = d.date.succ_opt().unwrap_or(d.date);
    let facts = format!(
        "<ul class=\"facts\" data-facts=\"care_queue\">\
         <li><span data-field=\"shouts\" data-value=\"{shouts}\">{}</span> shouts queued</li>\
         <li><span data-field=\"past_due\" data-value=\"{past_due}\">{}</span> already past due when {} ends (due before {} 00:00 UTC)</li>\
         <li><span data-field=\"churn_intent\" data-value=\"{churn}\">{}</span> with churn intent</li></ul>\n",
        format::int(shouts),
        format::int(past_due),
        d.date,
        day_end,
        format::int(churn),
    );

    let mut lanes = HtmlTable::new(
        "care_lanes",
        &["lane"],
        &["shouts", "past_due", "churn_intent"],
    );
    for l in &care.lanes {
        lanes.row(
            &[&l.lane],
            &[
                Some(Cell::int(l.shouts)),
                Some(Cell::int(l.past_due)),
                Some(Cell::int(l.churn_intent)),
            ],
        );
    }
    let labels: Vec<String> = care.lanes.iter().map(|l| l.lane.clone()).collect();
    let parts = [
        Series {
            name: "past due when D ends".into(),
            values: care.lanes.iter().map(|l| l.past_due as f64).collect(),
            color: charts::PAST_DUE,
        },
        Series {
            name: "due later".into(),
            values: care
                .lanes
                .iter()
                .map(|l| (l.shouts - l.past_due) as f64)
                .collect(),
            color: charts::INK,
        },
    ];
    let title = "Shouts per lane";
    let lane_chart = figure(
        charts::stacked_bars(title, &labels, &parts, "shouts"),
        title,
        "Shouts of D's care queue per lane in queue order, split into those already past due when D ends and those due later.",
    );

    let mut topics = HtmlTable::new(
        "care_topics",
        &["topic", "route"],
        &["shouts", "past_due", "churn_intent"],
    );
    for t in &care.topics {
        topics.row(
            &[&t.topic, &t.route],
            &[
                Some(Cell::int(t.shouts)),
                Some(Cell::int(t.past_due)),
                Some(Cell::int(t.churn_intent)),
            ],
        );
    }
    let labels: Vec<String> = care
        .topics
        .iter()
        .map(|t| format!("{} → {}", t.topic, t.route))
        .collect();
    let values: Vec<f64> = care.topics.iter().map(|t| t.shouts as f64).collect();
    let title = "Shouts per topic";
    let topic_chart = figure(
        charts::hbars(title, &labels, &values, "shouts"),
        title,
        "Shouts of D's care queue per topic and the team it routes to, the busiest first.",
    );

    let mut first = HtmlTable::new("care_queue_first", &["queue-rank"], &FIRST_FIELDS);
    for r in &care.first {
        first.row_with(
            &[&r.queue_rank.to_string()],
            &cells(r),
            &format!(" data-past-due=\"{}\"", r.past_due),
        );
    }
    let body = format!(
        "{facts}{lane_chart}{}{topic_chart}{}<h3>The first {CARE_ROWS} shouts in queue order</h3>\n\
         <p class=\"note\">Texts longer than {TEXT_CHARS} characters are cut to their first {TEXT_CHARS} (marked …; \
         text_chars is the whole length); due times past due when D ends are red. <code>pulsetier queue --date {}</code> lists them all.</p>\n{}",
        lanes.collapsed(),
        topics.collapsed(),
        d.date,
        first.render()
    );
    section(
        out,
        "care-queue",
        &format!(
            "Care queue: {} shout{}, {} past due",
            format::int(shouts),
            if shouts == 1 { "" } else { "s" },
            format::int(past_due)
        ),
        "care_queue of D: shouts by lane (queue order) and by topic; past due = due_at before the end of D (day_start(D + 1), UTC), the time this report describes.",
        &body,
    );
}
