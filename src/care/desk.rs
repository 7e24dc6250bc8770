//! `pulsetier queue`: a date's committed care queue as a care desk reads
//! it, from the published partition (through the [`Publisher`], so Hive
//! and Delta alike), never recomputed: filtered by lane and route, cut to
//! the first N, printed for an 80-column terminal or as JSON.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{Float64Type, Int32Type, Int64Type, TimestampMicrosecondType};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use datafusion::common::{ParamValues, ScalarValue};
use datafusion::prelude::SessionContext;
use serde::Serialize;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::config::{Settings, LANES};
use crate::error::{Error, Result};
use crate::publish::Publisher;
use crate::storage::Location;
use crate::tables::Output;

/// The published table a care desk reads.
const TABLE: Output = Output::CareQueue;

/// What `pulsetier queue` asks for.
#[derive(Debug, Clone, Default)]
pub struct DeskQuery {
    /// Snapshot date D of the queue.
    pub date: Option<NaiveDate>,
    /// Only this lane.
    pub lane: Option<String>,
    /// Only this route (team).
    pub route: Option<String>,
    /// At most this many rows, in queue order.
    pub limit: Option<usize>,
}

/// One shout of a committed queue, every column of `care_queue`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shout {
    /// 1 … n, the order to answer in.
    pub queue_rank: i64,
    /// The lane.
    pub lane: String,
    /// When the answer is due (RFC 3339, UTC).
    pub due_at: String,
    /// The mention.
    pub mention_id: String,
    /// Its platform.
    pub platform: Option<String>,
    /// When it was posted (RFC 3339, UTC).
    pub posted_at: String,
    /// The normalized author handle.
    pub author_handle: Option<String>,
    /// The trimmed text.
    pub text: Option<String>,
    /// Its sentiment.
    pub sentiment: Option<f64>,
    /// The topic of the first matching rule, or `other`.
    pub topic: String,
    /// The team.
    pub route: String,
    /// A churn-intent rule matched.
    pub churn_intent: bool,
    /// The author's scored account.
    pub account_id: Option<String>,
    /// The account's tier.
    pub tier: Option<String>,
    /// The account's value_score.
    pub value_score: Option<f64>,
    /// The account's care_priority.
    pub care_priority: Option<i32>,
    /// The author's influence_norm.
    pub influence_norm: Option<f64>,
}

/// A date's committed queue, filtered.
#[derive(Debug, Clone, Serialize)]
pub struct Desk {
    /// Snapshot date D.
    pub snapshot_date: String,
    /// Shouts in the whole committed queue of D.
    pub total: usize,
    /// The shouts asked for, in queue order.
    pub shouts: Vec<Shout>,
}

/// Read the committed `care_queue` of `q.date` under the output of `s`.
/// A date whose queue is not committed is a usage error (exit 2), as is an
/// unknown lane.
pub async fn read(s: &Settings, q: &DeskQuery) -> Result<Desk> {
    let date = q
        .date
        .ok_or_else(|| Error::Usage("queue: --date is required".into()))?;
    if let Some(lane) = q.lane.as_deref().filter(|l| !LANES.contains(l)) {
        return Err(Error::Usage(format!(
            "queue: --lane {lane:?} is no lane (lanes: {})",
            LANES.join(", ")
        )));
    }
    let out = Location::open(&s.output, &s.storage)?;
    let publisher = Publisher::new(s, &out);
    if !publisher.is_table_committed(TABLE.name(), date).await? {
        return Err(Error::Usage(format!(
            "queue: {TABLE} snapshot_date={date} is not committed under {}",
            out.display(&out.prefix)
        )));
    }
    let ctx = SessionContext::new();
    out.register(&ctx);
    let df = publisher.read_partition(&ctx, TABLE, Some(date)).await?;
    let err = |e| Error::engine(TABLE.name(), e);
    let total = df.clone().count().await.map_err(err)?;
    ctx.register_table("q", df.into_view()).map_err(err)?;
    let sql = "SELECT queue_rank, lane, due_at, mention_id, platform, posted_at, author_handle, \
               text, sentiment, topic, route, churn_intent, account_id, tier, value_score, \
               care_priority, influence_norm FROM q \
               WHERE ($lane IS NULL OR lane = $lane) AND ($route IS NULL OR route = $route) \
               ORDER BY queue_rank";
    let opt = |v: &Option<String>| ScalarValue::Utf8(v.clone());
    let params = ParamValues::Map(
        [("lane", opt(&q.lane)), ("route", opt(&q.route))]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.into()))
            .collect(),
    );
    let mut df = ctx
        .sql(sql)
        .await
        .and_then(|df| df.with_param_values(params))
        .map_err(err)?;
    if let Some(n) = q.limit {
        df = df.limit(0, Some(n)).map_err(err)?;
    }
    let batches = df.collect().await.map_err(err)?;
    let mut shouts = Vec::new();
    for b in &batches {
        shouts.extend(rows(b));
    }
    Ok(Desk {
        snapshot_date: date.to_string(),
        total,
        shouts,
    })
}

fn rows(b: &RecordBatch) -> Vec<Shout> {
    let s = |i: usize, r: usize| {
        let a = b.column(i).as_string::<i32>();
        (!a.is_null(r)).then(|| a.value(r).to_string())
    };
    let f = |i: usize, r: usize| {
        let a = b.column(i).as_primitive::<Float64Type>();
        (!a.is_null(r)).then(|| a.value(r))
    };
    let t = |i: usize, r: usize| {
        let a = b.column(i).as_primitive::<TimestampMicrosecondType>();
        DateTime::<Utc>::from_timestamp_micros(a.value(r))
            .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
            .unwrap_or_default()
    };
    (0..b.num_rows())
        .map(|r| Shout {
            queue_rank: b.column(0).as_primitive::<Int64Type>().value(r),
            lane: s(1, r).unwrap_or_default(),
            due_at: t(2, r),
            mention_id: s(3, r).unwrap_or_default(),
            platform: s(4, r),
            posted_at: t(5, r),
            author_handle: s(6, r),
            text: s(7, r),
            sentiment: f(8, r),
            topic: s(9, r).unwrap_or_default(),
            route: s(10, r).unwrap_or_default(),
            churn_intent: b.column(11).as_boolean().value(r),
            account_id: s(12, r),
            tier: s(13, r),
            value_score: f(14, r),
            care_priority: {
                let a = b.column(15).as_primitive::<Int32Type>();
                (!a.is_null(r)).then(|| a.value(r))
            },
            influence_norm: f(16, r),
        })
        .collect()
}

/// Width of a terminal line.
const WIDTH: usize = 80;

/// `text` cut to `width` terminal columns (wide characters count 2,
/// control characters and line breaks shown as one space), `…` marking a cut.
pub fn fit(text: &str, width: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.width() <= width {
        return flat;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in flat.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `YYYY-MM-DD HH:MM` of an RFC 3339 UTC time.
fn minute(t: &str) -> String {
    t.get(..16).unwrap_or(t).replace('T', " ")
}

/// The queue as text a care agent reads in an 80-column terminal: a
/// header, then three lines per shout (rank, due time, lane, topic → route;
/// author, account, influence, sentiment, churn intent; when and where it
/// was posted, and the text).
pub fn to_text(d: &Desk) -> String {
    let mut out = format!(
        "care queue of {} · {} of {} shouts · due times UTC\n",
        d.snapshot_date,
        d.shouts.len(),
        d.total
    );
    out.push_str(&fit(
        "rank  due               lane                 topic → route",
        WIDTH,
    ));
    out.push('\n');
    for s in &d.shouts {
        let line = format!(
            "{:>4}  {:<16}  {:<19}  {} → {}",
            s.queue_rank,
            minute(&s.due_at),
            s.lane,
            s.topic,
            s.route
        );
        out.push_str(&fit(&line, WIDTH));
        out.push('\n');
        let author = s
            .author_handle
            .as_deref()
            .map_or("(no handle)".to_string(), |h| format!("@{h}"));
        let mut who = vec![author];
        if let Some(a) = &s.account_id {
            let tier = s.tier.as_deref().unwrap_or("?");
            let value = s.value_score.map_or(String::new(), |v| format!(" {v:.2}"));
            who.push(format!("{a} {tier}{value}"));
        }
        if let Some(i) = s.influence_norm {
            who.push(format!("influence {i:.1}"));
        }
        who.push(
            s.sentiment
                .map_or("sentiment ?".into(), |v| format!("sentiment {v:+.2}")),
        );
        if s.churn_intent {
            who.push("CHURN".into());
        }
        out.push_str(&fit(&format!("      {}", who.join(" · ")), WIDTH));
        out.push('\n');
        let text = s
            .text
            .as_deref()
            .map_or("(no text)".into(), |t| format!("\"{t}\""));
        let posted = minute(&s.posted_at);
        let posted = posted.get(5..).unwrap_or(&posted);
        let platform = s.platform.as_deref().unwrap_or("unknown");
        out.push_str(&fit(&format!("      {posted} {platform}  {text}"), WIDTH));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_fit_80_columns_whatever_the_text() {
        assert_eq!(fit("short", 80), "short");
        let long = "x".repeat(200);
        let cut = fit(&long, 80);
        assert_eq!(cut.width(), 80);
        assert!(cut.ends_with('…'));
        // wide characters take two columns
        let wide = "界".repeat(100);
        assert!(fit(&wide, 80).width() <= 80);
        assert_eq!(fit("a\nb\tc", 80), "a b c");
    }
}
