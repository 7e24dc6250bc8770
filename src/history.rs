//! What a run compares with (docs/SPEC.md §6): the previous committed date
//! P, whose published `customer_tiers` `tier_movements` compares D's with,
//! and the NPS baseline date B = D − nps_days, whose published
//! `nps_aggregates` `nps_changes` compares D's with. Both are asked of the
//! [`Publisher`], so they work alike for Hive and Delta outputs, and their
//! files are registered as `previous_tiers` and `baseline_nps` (an empty
//! table of the output's schema when there is none) before the transform
//! steps run. A rerun of D finds the same P and B, so it gives the same rows.
//! Likewise the care queue's exclusion (docs/SPEC.md §8): the committed
//! `care_queue` partitions of D−(queue_days−1) … D−1, registered together
//! as `queued_before`.

use chrono::{Days, NaiveDate};
use datafusion::common::ScalarValue;
use datafusion::prelude::SessionContext;

use crate::calendar::days_since_epoch;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::publish::Publisher;
use crate::tables::Output;

/// The table `tier_movements` reads P's `customer_tiers` as.
pub const PREVIOUS_TIERS: &str = "previous_tiers";
/// The table `nps_changes` reads B's `nps_aggregates` as.
pub const BASELINE_NPS: &str = "baseline_nps";
/// The table `care_queue` reads the earlier committed queues of its window as.
pub const QUEUED_BEFORE: &str = "queued_before";

/// The earlier committed dates a run of D compares with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// P: the newest date in D−1 … D−`movement_lookback_days` whose
    /// `customer_tiers` partition is committed.
    pub previous: Option<NaiveDate>,
    /// B = D − `nps_days`, when its `nps_aggregates` partition is committed.
    pub baseline: Option<NaiveDate>,
    /// The dates of D−(queue_days−1) … D−1 whose `care_queue` partition is
    /// committed, oldest first: their shouts are not queued again.
    pub queued: Vec<NaiveDate>,
}

impl History {
    /// Find P and B for a run of `date` (a few small reads per date looked at).
    pub async fn find(publisher: &Publisher, date: NaiveDate, s: &Settings) -> Result<History> {
        let mut previous = None;
        for back in 1..=u64::from(s.windows.movement_lookback_days) {
            let Some(p) = date.checked_sub_days(Days::new(back)) else {
                break;
            };
            if publisher
                .is_table_committed(Output::CustomerTiers.name(), p)
                .await?
            {
                previous = Some(p);
                break;
            }
        }
        let mut baseline = None;
        if let Some(b) = date.checked_sub_days(Days::new(u64::from(s.windows.nps_days))) {
            if publisher
                .is_table_committed(Output::NpsAggregates.name(), b)
                .await?
            {
                baseline = Some(b);
            }
        }
        let mut queued = Vec::new();
        for back in (1..u64::from(s.care.queue_days)).rev() {
            let Some(q) = date.checked_sub_days(Days::new(back)) else {
                continue;
            };
            if publisher
                .is_table_committed(Output::CareQueue.name(), q)
                .await?
            {
                queued.push(q);
            }
        }
        tracing::info!(previous = ?previous, baseline = ?baseline, queued = ?queued, "compared with");
        Ok(History {
            previous,
            baseline,
            queued,
        })
    }

    /// Register `previous_tiers`, `baseline_nps` and `queued_before` in
    /// `ctx`: the published files of P, B and the queued dates, or empty
    /// tables of the same schemas.
    pub async fn register(&self, ctx: &SessionContext, publisher: &Publisher) -> Result<()> {
        let tables = [
            (PREVIOUS_TIERS, Output::CustomerTiers, self.previous),
            (BASELINE_NPS, Output::NpsAggregates, self.baseline),
        ];
        for (name, table, date) in tables {
            let df = publisher.read_partition(ctx, table, date).await?;
            ctx.register_table(name, df.into_view())
                .map_err(|e| Error::engine(name, e))?;
        }
        // every queued date's partition, one relation (empty when none)
        let mut queued = publisher
            .read_partition(ctx, Output::CareQueue, None)
            .await?;
        for d in &self.queued {
            let part = publisher
                .read_partition(ctx, Output::CareQueue, Some(*d))
                .await?;
            queued = queued
                .union(part)
                .map_err(|e| Error::engine(QUEUED_BEFORE, e))?;
        }
        ctx.register_table(QUEUED_BEFORE, queued.into_view())
            .map_err(|e| Error::engine(QUEUED_BEFORE, e))?;
        Ok(())
    }

    /// The SQL parameters `$previous_snapshot_date` and
    /// `$baseline_snapshot_date`: DATE values, null when there is none.
    pub fn params(&self) -> [(&'static str, ScalarValue); 2] {
        let date = |d: Option<NaiveDate>| ScalarValue::Date32(d.map(days_since_epoch));
        [
            ("previous_snapshot_date", date(self.previous)),
            ("baseline_snapshot_date", date(self.baseline)),
        ]
    }
}
