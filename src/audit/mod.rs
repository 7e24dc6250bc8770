//! Audits of the outputs before they are published (docs/checks.md): the
//! row rules check the inputs, these check what the transforms made of
//! them — unique accounts and ranks 1..n in customer_tiers, ranks 1..n in
//! care_queue, NPS within its
//! range with consistent counts, social pulse counts and match rates that
//! add up — plus the anomaly checks against the newest successful run of
//! an earlier date ([`anomaly`]). Each audit is a query in `sql/audits/`
//! over `audited_<table>`: in a run, the STAGED Parquet folders (so what is
//! audited is what would be published, read back), in `pulsetier checks`
//! the computed tables. An audit at level `error` that finds anything
//! fails the run before anything is published (exit 4).

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray};
use arrow::datatypes::Int64Type;
use arrow::record_batch::RecordBatch;
use datafusion::prelude::{ParquetReadOptions, SessionContext};

pub mod anomaly;

use crate::config::{Audits, Level, Settings};
use crate::error::{Error, Result};
use crate::findings::{Finding, Kind, Outcome};
use crate::manifest::Manifest;
use crate::storage::Location;
use crate::tables::Output;

/// The outputs whose rows the anomaly checks compare with the earlier run,
/// in publishing order.
pub const OUTPUTS: [Output; 3] = [
    Output::CustomerTiers,
    Output::NpsAggregates,
    Output::SocialPulse,
];

/// The audited outputs: those, and `care_queue` (its size moves with the
/// day's complaints, so no row-count band applies to it).
const AUDITED: [Output; 4] = [OUTPUTS[0], OUTPUTS[1], OUTPUTS[2], Output::CareQueue];

/// One audit: a query giving one row (`violations`, `example`).
#[derive(Debug)]
pub struct Audit {
    /// Its name, also its key under `[audits]`.
    pub name: &'static str,
    /// The output it reads.
    pub table: Output,
    /// What it checks, for messages.
    pub rule: &'static str,
    /// What one violation is, for messages.
    pub unit: &'static str,
    /// File name under `sql/audits/`, and its text.
    pub sql: (&'static str, &'static str),
    /// Its level in the settings.
    pub level: fn(&Audits) -> Level,
}

/// Every structural audit, in the order they run.
pub const AUDITS: [Audit; 8] = [
    Audit {
        name: "unique_account_id",
        table: Output::CustomerTiers,
        rule: "account_id is unique",
        unit: "account_id value(s) appearing more than once",
        sql: (
            "unique_account_id.sql",
            include_str!("../../sql/audits/unique_account_id.sql"),
        ),
        level: |a| a.unique_account_id,
    },
    Audit {
        name: "value_rank",
        table: Output::CustomerTiers,
        rule: "value_rank is exactly 1..n",
        unit: "value_rank value(s) repeated, missing from 1..n or outside it",
        sql: (
            "value_rank.sql",
            include_str!("../../sql/audits/value_rank.sql"),
        ),
        level: |a| a.value_rank,
    },
    Audit {
        name: "queue_rank",
        table: Output::CareQueue,
        rule: "queue_rank is exactly 1..n, each mention queued once",
        unit: "queue_rank value(s) repeated, missing from 1..n or outside it, or mention(s) queued twice",
        sql: (
            "queue_rank.sql",
            include_str!("../../sql/audits/queue_rank.sql"),
        ),
        level: |a| a.queue_rank,
    },
    Audit {
        name: "nps_range",
        table: Output::NpsAggregates,
        rule: "nps is within [-100, 100]",
        unit: "group(s) with nps outside [-100, 100]",
        sql: (
            "nps_range.sql",
            include_str!("../../sql/audits/nps_range.sql"),
        ),
        level: |a| a.nps_range,
    },
    Audit {
        name: "nps_margin",
        table: Output::NpsAggregates,
        rule: "margin_of_error_95 is ≥ 0",
        unit: "group(s) with a negative or missing margin_of_error_95",
        sql: (
            "nps_margin.sql",
            include_str!("../../sql/audits/nps_margin.sql"),
        ),
        level: |a| a.nps_margin,
    },
    Audit {
        name: "nps_counts",
        table: Output::NpsAggregates,
        rule: "promoters + passives + detractors = responses",
        unit: "group(s) whose promoters + passives + detractors ≠ responses",
        sql: (
            "nps_counts.sql",
            include_str!("../../sql/audits/nps_counts.sql"),
        ),
        level: |a| a.nps_counts,
    },
    Audit {
        name: "pulse_counts",
        table: Output::SocialPulse,
        rule: "positive + neutral + negative + unknown = mentions",
        unit: "group(s) whose sentiment counts do not add up to mentions (or with more matched mentions or authors than mentions)",
        sql: (
            "pulse_counts.sql",
            include_str!("../../sql/audits/pulse_counts.sql"),
        ),
        level: |a| a.pulse_counts,
    },
    Audit {
        name: "pulse_match_rate",
        table: Output::SocialPulse,
        rule: "match_rate is within [0, 1] and = matched_mentions / mentions",
        unit: "group(s) with a match_rate outside [0, 1] or ≠ matched_mentions / mentions",
        sql: (
            "pulse_match_rate.sql",
            include_str!("../../sql/audits/pulse_match_rate.sql"),
        ),
        level: |a| a.pulse_match_rate,
    },
];

/// The figures query of customer_tiers (rows per tier).
const TIER_COUNTS: (&str, &str) = (
    "tier_counts.sql",
    include_str!("../../sql/audits/tier_counts.sql"),
);

/// `ctx` (a local session) reading the staged Parquet folders of the
/// outputs as `audited_<table>` (every `*.parquet` there, whoever wrote it).
pub async fn staged(
    ctx: SessionContext,
    out: &Location,
    table_dir: impl Fn(&str) -> object_store::path::Path,
) -> Result<SessionContext> {
    out.register(&ctx);
    for table in AUDITED {
        let url = format!("{}/", out.url_of(&table_dir(table.name())));
        let name = format!("audited_{table}");
        ctx.register_parquet(name.as_str(), url.as_str(), ParquetReadOptions::default())
            .await
            .map_err(|e| {
                Error::engine(
                    format!("audit: staged {table} at {}", crate::redact::redact(&url)),
                    e,
                )
            })?;
    }
    Ok(ctx)
}

/// Register the computed outputs of `ctx` as `audited_<table>`
/// (`pulsetier checks`).
pub async fn computed(ctx: &SessionContext) -> Result<()> {
    for table in AUDITED {
        let df = ctx
            .table(table.name())
            .await
            .map_err(|e| Error::engine(table.name(), e))?;
        ctx.register_table(format!("audited_{table}").as_str(), df.into_view())
            .map_err(|e| Error::engine(table.name(), e))?;
    }
    Ok(())
}

async fn collect(ctx: &SessionContext, (file, sql): (&str, &str)) -> Result<Vec<RecordBatch>> {
    let err = |e| Error::engine(format!("audit {file}"), e);
    ctx.sql(sql)
        .await
        .map_err(err)?
        .collect()
        .await
        .map_err(err)
}

/// Run the structural audits that are not `off`.
pub async fn structural(ctx: &SessionContext, a: &Audits) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    for audit in &AUDITS {
        let level = (audit.level)(a);
        if level == Level::Off {
            continue;
        }
        let batches = collect(ctx, audit.sql).await?;
        let row = batches
            .iter()
            .find(|b| b.num_rows() > 0)
            .ok_or_else(|| Error::Internal(format!("audit {}: no result row", audit.sql.0)))?;
        let violations = row.column(0).as_primitive::<Int64Type>().value(0);
        let example = if row.column(1).is_null(0) {
            String::new()
        } else {
            arrow::util::display::array_value_to_string(row.column(1), 0)?
        };
        let message = if violations == 0 {
            format!("{}: holds", audit.rule)
        } else if example.is_empty() {
            format!("{violations} {} ({})", audit.unit, audit.rule)
        } else {
            format!(
                "{violations} {}, e.g. {example} ({})",
                audit.unit, audit.rule
            )
        };
        out.push(Finding {
            kind: Kind::Audit,
            check: audit.name.to_string(),
            table: audit.table.to_string(),
            key: format!("audits.{}", audit.name),
            level,
            outcome: Outcome::judged(violations > 0, level),
            figure: Some(violations as f64),
            limit: Some(0.0),
            message,
        });
    }
    Ok(out)
}

/// Rows of each audited output, and each tier's share of customer_tiers in
/// percent (rounded to 2 decimals).
pub async fn figures(
    ctx: &SessionContext,
) -> Result<(BTreeMap<String, u64>, BTreeMap<String, f64>)> {
    let mut rows = BTreeMap::new();
    for table in OUTPUTS {
        let n = ctx
            .table(format!("audited_{table}").as_str())
            .await
            .map_err(|e| Error::engine(table.name(), e))?
            .count()
            .await
            .map_err(|e| Error::engine(table.name(), e))?;
        rows.insert(table.to_string(), n as u64);
    }
    let mut counts = Vec::new();
    for b in collect(ctx, TIER_COUNTS).await? {
        let tiers = arrow::compute::cast(b.column(0), &arrow::datatypes::DataType::Utf8)?;
        let tiers = tiers.as_string::<i32>();
        let n = b.column(1).as_primitive::<Int64Type>();
        for i in 0..b.num_rows() {
            let tier = if tiers.is_null(i) {
                "(null)"
            } else {
                tiers.value(i)
            };
            counts.push((tier.to_string(), n.value(i) as f64));
        }
    }
    let total: f64 = counts.iter().map(|(_, n)| n).sum();
    let shares = counts
        .into_iter()
        .map(|(t, n)| (t, (10_000.0 * n / total).round() / 100.0))
        .collect();
    Ok((rows, shares))
}

/// Everything after the outputs exist: the structural audits, the figures,
/// and the anomaly checks against the newest successful run of an earlier
/// date under `out`; recorded in the `checks` of the run's `manifest`
/// (whose date and inputs they compare).
pub async fn run(
    ctx: &SessionContext,
    out: &Location,
    s: &Settings,
    manifest: &mut Manifest,
) -> Result<()> {
    let date = manifest
        .date()
        .ok_or_else(|| Error::Internal(format!("manifest date {}", manifest.snapshot_date)))?;
    let structural = structural(ctx, &s.audits).await?;
    let (rows, shares) = figures(ctx).await?;
    let baseline = anomaly::baseline(out, date).await?;
    let anomalies = anomaly::compare(
        baseline.as_ref(),
        &manifest.inputs,
        &rows,
        &shares,
        &s.audits,
    );
    let findings = &mut manifest.checks;
    findings.extend(structural);
    findings.extend(anomalies);
    findings.baseline = baseline.map(|b| b.id);
    findings.tier_shares = shares;
    Ok(())
}
