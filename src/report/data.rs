//! What the report shows, read back from what a run left: the published
//! partitions (through [`Publisher::read_partition`], so Hive and Delta
//! alike) and the manifests. Nothing is recomputed from the inputs; a table
//! the report shows has exactly the rows a BI tool reading that partition
//! sees. Each query is a file of `sql/report/` with bound parameters; its
//! rows are decoded into the typed rows below ([`super::rows`]).

use std::collections::BTreeMap;

use arrow::array::RecordBatch;
use chrono::{Days, NaiveDate};
use datafusion::common::{ParamValues, ScalarValue};
use datafusion::prelude::SessionContext;

use super::rows::{cell, cell_opt, decode, Columns, FromRow};
use crate::error::{Error, Result};
use crate::manifest::{self, Manifest};
use crate::publish::Publisher;
use crate::storage::Location;
use crate::tables::Output;

/// The tiers in the order the report lists them.
pub const TIERS: [&str; 4] = ["platinum", "gold", "silver", "bronze"];
/// Width of a value_score histogram bin.
pub const BIN_WIDTH: f64 = 5.0;
/// Bins over 0 … 100; the last one holds 100 too.
pub const BINS: usize = 20;

/// One report query: its file under `sql/report/` and its text.
type Query = (&'static str, &'static str);

const TIER_COUNTS: Query = (
    "tier_counts.sql",
    include_str!("../../sql/report/tier_counts.sql"),
);
const VALUE_HISTOGRAM: Query = (
    "value_histogram.sql",
    include_str!("../../sql/report/value_histogram.sql"),
);
const NPS_AGGREGATES: Query = (
    "nps_aggregates.sql",
    include_str!("../../sql/report/nps_aggregates.sql"),
);
const SOCIAL_PULSE: Query = (
    "social_pulse.sql",
    include_str!("../../sql/report/social_pulse.sql"),
);
const TIER_MIGRATION: Query = (
    "tier_migration.sql",
    include_str!("../../sql/report/tier_migration.sql"),
);

/// One date of the charts over time.
#[derive(Debug, Clone)]
pub struct DateRow {
    /// The snapshot date.
    pub date: NaiveDate,
    /// The newest run of the date, if any ran.
    pub run: Option<Manifest>,
    /// Accounts per tier of its committed `customer_tiers` (`None`: not committed).
    pub tiers: Option<BTreeMap<String, u64>>,
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
    pub fn cells(&self) -> Vec<Option<String>> {
        vec![
            cell(self.responses),
            cell(self.promoters),
            cell(self.passives),
            cell(self.detractors),
            cell(self.nps),
            cell(self.margin_of_error_95),
            cell(self.low_sample),
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
    pub fn cells(&self) -> Vec<Option<String>> {
        vec![
            cell(self.mentions),
            cell(self.with_sentiment),
            cell(self.positive),
            cell(self.neutral),
            cell(self.negative),
            cell(self.unique_authors),
            cell(self.matched_mentions),
            cell(self.match_rate),
            cell_opt(self.avg_sentiment),
            cell_opt(self.social_nps),
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

/// Accounts of one tier (tier_counts.sql).
struct TierCount {
    tier: String,
    accounts: i64,
}

impl FromRow for TierCount {
    fn from_row(c: &Columns<'_>, i: usize) -> Result<TierCount> {
        Ok(TierCount {
            tier: c.text("tier", i)?,
            accounts: c.int("accounts", i)?,
        })
    }
}

/// Accounts of one value_score bin (value_histogram.sql).
struct Bin {
    bin: i64,
    accounts: i64,
}

impl FromRow for Bin {
    fn from_row(c: &Columns<'_>, i: usize) -> Result<Bin> {
        Ok(Bin {
            bin: c.int("bin", i)?,
            accounts: c.int("accounts", i)?,
        })
    }
}

/// Everything the report shows for snapshot date D.
#[derive(Debug, Clone)]
pub struct ReportData {
    /// D.
    pub date: NaiveDate,
    /// D's newest (successful) run.
    pub manifest: Manifest,
    /// D−days+1 … D, oldest first.
    pub dates: Vec<DateRow>,
    /// Accounts of D per value_score bin (`BINS` bins of `BIN_WIDTH`).
    pub histogram: Vec<u64>,
    /// D's `nps_aggregates`, as published.
    pub nps: Vec<NpsRow>,
    /// D's `social_pulse`, as published.
    pub pulse: Vec<PulseRow>,
    /// D's `tier_migration`, when that table is committed for D.
    pub migration: Option<Vec<MigrationRow>>,
}

/// Snapshot date D of the report: `date`, or the newest date with a
/// manifest under the output. D's newest run must have succeeded.
pub async fn resolve_date(out: &Location, date: Option<NaiveDate>) -> Result<NaiveDate> {
    match date {
        Some(d) => Ok(d),
        None => out.newest_partition("_manifests").await?.ok_or_else(|| {
            Error::Usage(format!(
                "report: no run manifest under {}",
                out.display(&out.child(&["_manifests"]))
            ))
        }),
    }
}

/// Read what the report of D shows, over `days` dates ending on D.
pub async fn gather(
    publisher: &Publisher,
    out: &Location,
    date: NaiveDate,
    days: u32,
) -> Result<ReportData> {
    let manifest = match manifest::newest(out, date).await? {
        Some(m) if m.succeeded() && publisher.is_committed(date).await? => m,
        other => {
            return Err(Error::Usage(format!(
                "report: snapshot_date={date} is not committed under {} ({}); pass --date of a committed date",
                out.display(&out.prefix),
                other.map_or("no run".to_string(), |m| format!("newest run {} ended {}", m.run_id, m.status.as_str()))
            )))
        }
    };
    let q = Queries {
        ctx: SessionContext::new(),
        publisher,
    };
    out.register(&q.ctx);
    let mut dates = Vec::new();
    for back in (0..u64::from(days)).rev() {
        let Some(d) = date.checked_sub_days(Days::new(back)) else {
            continue;
        };
        let run = if d == date {
            Some(manifest.clone())
        } else {
            manifest::newest(out, d).await?
        };
        let tiers = if publisher
            .is_table_committed(Output::CustomerTiers.name(), d)
            .await?
        {
            let counts: Vec<TierCount> = q.rows(Output::CustomerTiers, d, TIER_COUNTS).await?;
            Some(
                counts
                    .into_iter()
                    .map(|c| (c.tier, c.accounts as u64))
                    .collect(),
            )
        } else {
            None
        };
        dates.push(DateRow {
            date: d,
            run,
            tiers,
        });
    }
    let bins: Vec<Bin> = q.rows(Output::CustomerTiers, date, VALUE_HISTOGRAM).await?;
    let mut histogram = vec![0; BINS];
    for b in bins {
        let bin = b.bin.clamp(0, BINS as i64 - 1) as usize;
        histogram[bin] += b.accounts as u64;
    }
    let nps = q.rows(Output::NpsAggregates, date, NPS_AGGREGATES).await?;
    let pulse = q.rows(Output::SocialPulse, date, SOCIAL_PULSE).await?;
    // a date committed before tier_migration existed has no such table
    let migration = if publisher
        .is_table_committed(Output::TierMigration.name(), date)
        .await?
    {
        let rows: Vec<MigrationRow> = q.rows(Output::TierMigration, date, TIER_MIGRATION).await?;
        Some(rows).filter(|r| !r.is_empty())
    } else {
        None
    };
    Ok(ReportData {
        date,
        manifest,
        dates,
        histogram,
        nps,
        pulse,
        migration,
    })
}

/// The report's queries: a local session reading published partitions.
struct Queries<'a> {
    ctx: SessionContext,
    publisher: &'a Publisher,
}

impl Queries<'_> {
    /// Run `query` over partition `date` of the published `table`,
    /// registered as `t`, and decode its rows.
    async fn rows<T: FromRow>(
        &self,
        table: Output,
        date: NaiveDate,
        query: Query,
    ) -> Result<Vec<T>> {
        let (file, sql) = query;
        let err = |e| Error::engine(format!("report {file} over {table}"), e);
        let df = self
            .publisher
            .read_partition(&self.ctx, table, Some(date))
            .await?;
        self.ctx.deregister_table("t").map_err(err)?;
        self.ctx.register_table("t", df.into_view()).map_err(err)?;
        let batches: Vec<RecordBatch> = self
            .ctx
            .sql(sql)
            .await
            .and_then(|df| df.with_param_values(params()))
            .map_err(err)?
            .collect()
            .await
            .map_err(err)?;
        decode(table.name(), &batches)
    }
}

/// The bound parameters of the report's queries.
fn params() -> ParamValues {
    ParamValues::Map(
        [
            ("bin_width", ScalarValue::Float64(Some(BIN_WIDTH))),
            ("last_bin", ScalarValue::Int64(Some(BINS as i64 - 1))),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into()))
        .collect(),
    )
}
