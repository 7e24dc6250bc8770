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

use super::circle::{Circle, BANDS, BAND_WIDTH, PROSPECT_ROWS};
pub use super::records::{Care, CareLane, CareRow, CareTopic, NpsChange};
use super::rows::{decode, Columns, FromRow};
use crate::config::LANES;
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
/// Shouts of the care queue listed in full, in queue order.
pub const CARE_ROWS: i64 = 20;
/// Characters of a shout's text the page shows; a longer text is cut.
pub const TEXT_CHARS: i64 = 140;

/// One report query: its file under `sql/report/` and its text.
pub(super) type Query = (&'static str, &'static str);

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
const NPS_CHANGE_OVERALL: Query = (
    "nps_change_overall.sql",
    include_str!("../../sql/report/nps_change_overall.sql"),
);
const CARE_LANES: Query = (
    "care_lanes.sql",
    include_str!("../../sql/report/care_lanes.sql"),
);
const CARE_TOPICS: Query = (
    "care_topics.sql",
    include_str!("../../sql/report/care_topics.sql"),
);
const CARE_FIRST: Query = (
    "care_first.sql",
    include_str!("../../sql/report/care_first.sql"),
);

/// One date of the charts over time (and the headline's previous date).
#[derive(Debug, Clone)]
pub struct DateRow {
    /// The snapshot date.
    pub date: NaiveDate,
    /// The newest run of the date, if any ran.
    pub run: Option<Manifest>,
    /// Accounts per tier of its committed `customer_tiers` (`None`: not committed).
    pub tiers: Option<BTreeMap<String, u64>>,
    /// The overall NPS (`all`/`all`) of its committed `nps_aggregates`.
    pub nps: Option<f64>,
    /// Accounts per movement of its committed `tier_migration`.
    pub movements: Option<BTreeMap<String, u64>>,
    /// Its committed `care_queue` per lane, every lane of [`LANES`].
    pub lanes: Option<Vec<CareLane>>,
}

impl DateRow {
    /// Accounts scored: rows of its `customer_tiers`.
    pub fn accounts(&self) -> Option<u64> {
        self.tiers.as_ref().map(|t| t.values().sum())
    }

    /// Shouts queued and those past due when the date ended.
    pub fn shouts(&self) -> Option<(i64, i64)> {
        let lanes = self.lanes.as_ref()?;
        Some(
            lanes
                .iter()
                .fold((0, 0), |(n, late), l| (n + l.shouts, late + l.past_due)),
        )
    }

    /// Rejected rows of its newest run, all input tables.
    pub fn rejected(&self) -> Option<u64> {
        let run = self.run.as_ref()?;
        Some(run.inputs.values().map(|s| s.rejected).sum())
    }

    /// Milliseconds from start to end of its newest run.
    pub fn duration_ms(&self) -> Option<i64> {
        let run = self.run.as_ref()?;
        super::format::duration_ms(&run.started_at, &run.finished_at)
    }
}

pub use super::records::{MigrationRow, NpsRow, PulseRow};

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
    /// P, the previous committed date D's run compared with (manifest
    /// `previous_snapshot_date`), when there is one.
    pub previous: Option<DateRow>,
    /// The overall row of D's `nps_changes`, when committed.
    pub nps_change: Option<NpsChange>,
    /// D's `care_queue`, when committed.
    pub care: Option<Care>,
    /// D's `social_circle` and `circle_prospects`, when both are committed
    /// (a date published before the circle existed has neither).
    pub circle: Option<Circle>,
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
        Some(m) if m.succeeded() && outputs_committed(publisher, &m, date).await? => m,
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
        dates.push(q.date_row(d, run).await?);
    }
    let previous = match manifest
        .previous_snapshot_date
        .as_deref()
        .and_then(|p| NaiveDate::parse_from_str(p, "%Y-%m-%d").ok())
    {
        Some(p) => Some(q.date_row(p, manifest::newest(out, p).await?).await?),
        None => None,
    };
    let bins: Vec<Bin> = q.rows(Output::CustomerTiers, date, VALUE_HISTOGRAM).await?;
    let mut histogram = vec![0; BINS];
    for b in bins {
        let bin = b.bin.clamp(0, BINS as i64 - 1) as usize;
        histogram[bin] += b.accounts as u64;
    }
    let nps = q.rows(Output::NpsAggregates, date, NPS_AGGREGATES).await?;
    let pulse = q.rows(Output::SocialPulse, date, SOCIAL_PULSE).await?;
    // a date committed before tier_migration existed has no such table
    let migration = match q.committed(Output::TierMigration, date).await? {
        true => {
            let rows: Vec<MigrationRow> =
                q.rows(Output::TierMigration, date, TIER_MIGRATION).await?;
            Some(rows).filter(|r| !r.is_empty())
        }
        false => None,
    };
    let nps_change = match q.committed(Output::NpsChanges, date).await? {
        true => {
            let rows: Vec<NpsChange> = q.rows(Output::NpsChanges, date, NPS_CHANGE_OVERALL).await?;
            rows.into_iter().next()
        }
        false => None,
    };
    let care = match q.committed(Output::CareQueue, date).await? {
        true => Some(Care {
            lanes: q.lanes(date).await?,
            topics: q.rows(Output::CareQueue, date, CARE_TOPICS).await?,
            first: q.rows(Output::CareQueue, date, CARE_FIRST).await?,
        }),
        false => None,
    };
    let circle = super::circle::read(&q, date, manifest.config.influence.network_provider).await?;
    Ok(ReportData {
        date,
        manifest,
        dates,
        previous,
        histogram,
        nps,
        nps_change,
        pulse,
        migration,
        care,
        circle,
    })
}

/// Every output D's run `m` published is committed. A date published
/// before an output existed (an older pulsetier: no `social_circle` in its
/// manifest) is committed with the outputs it has; the page says what it
/// lacks.
async fn outputs_committed(publisher: &Publisher, m: &Manifest, date: NaiveDate) -> Result<bool> {
    for table in m.outputs.keys() {
        if !publisher.is_table_committed(table, date).await? {
            return Ok(false);
        }
    }
    Ok(!m.outputs.is_empty())
}

/// The report's queries: a local session reading published partitions.
pub(super) struct Queries<'a> {
    ctx: SessionContext,
    publisher: &'a Publisher,
}

impl Queries<'_> {
    pub(super) async fn committed(&self, table: Output, date: NaiveDate) -> Result<bool> {
        self.publisher.is_table_committed(table.name(), date).await
    }

    /// What the charts over time show of `date`, whose newest run is `run`.
    async fn date_row(&self, date: NaiveDate, run: Option<Manifest>) -> Result<DateRow> {
        let tiers = match self.committed(Output::CustomerTiers, date).await? {
            true => {
                let counts: Vec<TierCount> =
                    self.rows(Output::CustomerTiers, date, TIER_COUNTS).await?;
                Some(
                    counts
                        .into_iter()
                        .map(|c| (c.tier, c.accounts as u64))
                        .collect(),
                )
            }
            false => None,
        };
        let nps = match self.committed(Output::NpsAggregates, date).await? {
            true => {
                let rows: Vec<NpsRow> = self
                    .rows(Output::NpsAggregates, date, NPS_AGGREGATES)
                    .await?;
                rows.iter()
                    .find(|r| r.dimension == "all" && r.dimension_value == "all")
                    .map(|r| r.nps)
            }
            false => None,
        };
        let movements = match self.committed(Output::TierMigration, date).await? {
            true => {
                let rows: Vec<MigrationRow> = self
                    .rows(Output::TierMigration, date, TIER_MIGRATION)
                    .await?;
                let mut by: BTreeMap<String, u64> = BTreeMap::new();
                for r in rows {
                    *by.entry(r.movement).or_default() += r.accounts.max(0) as u64;
                }
                Some(by)
            }
            false => None,
        };
        let lanes = match self.committed(Output::CareQueue, date).await? {
            true => Some(self.lanes(date).await?),
            false => None,
        };
        Ok(DateRow {
            date,
            run,
            tiers,
            nps,
            movements,
            lanes,
        })
    }

    /// Every lane of the committed `care_queue` of `date`, in queue order.
    async fn lanes(&self, date: NaiveDate) -> Result<Vec<CareLane>> {
        let found: Vec<CareLane> = self.rows(Output::CareQueue, date, CARE_LANES).await?;
        let mut lanes: Vec<CareLane> = LANES
            .iter()
            .map(|lane| {
                found
                    .iter()
                    .find(|l| l.lane == *lane)
                    .cloned()
                    .unwrap_or(CareLane {
                        lane: lane.to_string(),
                        shouts: 0,
                        past_due: 0,
                        churn_intent: 0,
                    })
            })
            .collect();
        // a lane this version does not know still counts
        lanes.extend(
            found
                .into_iter()
                .filter(|l| !LANES.contains(&l.lane.as_str())),
        );
        Ok(lanes)
    }

    /// Run `query` over partition `date` of the published `table`,
    /// registered as `t`, and decode its rows.
    pub(super) async fn rows<T: FromRow>(
        &self,
        table: Output,
        date: NaiveDate,
        query: Query,
    ) -> Result<Vec<T>> {
        self.rows_over(&[("t", table)], date, query).await
    }

    /// Run `query` over partition `date` of each published table, each
    /// registered under its name, and decode its rows (errors name the
    /// tables).
    pub(super) async fn rows_over<T: FromRow>(
        &self,
        tables: &[(&str, Output)],
        date: NaiveDate,
        query: Query,
    ) -> Result<Vec<T>> {
        let (file, sql) = query;
        let over: Vec<&str> = tables.iter().map(|(_, t)| t.name()).collect();
        let over = over.join(" and ");
        let err = |e| Error::engine(format!("report {file} over {over}"), e);
        for (name, table) in tables {
            let df = self
                .publisher
                .read_partition(&self.ctx, *table, Some(date))
                .await?;
            self.ctx.deregister_table(*name).map_err(err)?;
            self.ctx
                .register_table(*name, df.into_view())
                .map_err(err)?;
        }
        let batches: Vec<RecordBatch> = self
            .ctx
            .sql(sql)
            .await
            .and_then(|df| df.with_param_values(params(date)))
            .map_err(err)?
            .collect()
            .await
            .map_err(err)?;
        decode(&over, &batches)
    }
}

/// The bound parameters of the report's queries over partition `date`:
/// `$day_end` is day_start(date + 1), the end of the date (UTC).
fn params(date: NaiveDate) -> ParamValues {
    let day_end = date
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_micros());
    ParamValues::Map(
        [
            ("bin_width", ScalarValue::Float64(Some(BIN_WIDTH))),
            ("last_bin", ScalarValue::Int64(Some(BINS as i64 - 1))),
            (
                "day_end",
                ScalarValue::TimestampMicrosecond(day_end, Some("UTC".into())),
            ),
            ("text_chars", ScalarValue::Int64(Some(TEXT_CHARS))),
            ("first_rows", ScalarValue::Int64(Some(CARE_ROWS))),
            ("band_width", ScalarValue::Float64(Some(BAND_WIDTH))),
            ("last_band", ScalarValue::Int64(Some(BANDS as i64 - 1))),
            ("prospect_rows", ScalarValue::Int64(Some(PROSPECT_ROWS))),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.into()))
        .collect(),
    )
}
