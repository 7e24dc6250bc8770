//! Anomaly checks (docs/checks.md): a run compared with the newest
//! successful run of an earlier date, read from its manifest — rows read
//! per input and rows per output within a relative band
//! (`audits.max_row_count_change`), each tier's share of customer_tiers
//! within a band of percentage points (`audits.max_tier_share_change`). A
//! half-delivered accounts snapshot passes every row rule; only a
//! comparison with yesterday shows it. Warnings by default: volumes do
//! move.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use super::OUTPUTS;
use crate::config::{Audits, Level};
use crate::contract::TABLES;
use crate::error::Result;
use crate::findings::{Baseline, Finding, Kind, Outcome};
use crate::manifest::{self, InputStats, Manifest, Status};
use crate::storage::Location;
use crate::tables::Output;

/// The manifest a run is compared with.
#[derive(Debug, Clone)]
pub struct Earlier {
    /// Its date and run id.
    pub id: Baseline,
    /// Its manifest.
    pub manifest: Manifest,
}

/// The newest manifest with `"status": "success"` of the latest date before
/// `date` that has one (run ids sort by start time, so within a date the
/// last name is the newest run).
pub async fn baseline(out: &Location, date: NaiveDate) -> Result<Option<Earlier>> {
    let dir = out.child(&["_manifests"]);
    let listing = match out.store.list_with_delimiter(Some(&dir)).await {
        Ok(l) => l,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(out.storage_err("list", &dir)(e)),
    };
    let mut dates: Vec<NaiveDate> = listing
        .common_prefixes
        .iter()
        .filter_map(|p| p.filename())
        .filter_map(|n| n.strip_prefix("snapshot_date="))
        .filter_map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .filter(|d| *d < date)
        .collect();
    dates.sort_unstable_by(|a, b| b.cmp(a));
    for d in dates {
        for path in manifest::of_date(out, d).await? {
            let Some(m) = manifest::read(out, &path).await? else {
                continue;
            };
            if m.status == Status::Success {
                return Ok(Some(Earlier {
                    id: Baseline {
                        snapshot_date: d.to_string(),
                        run_id: m.run_id.clone(),
                    },
                    manifest: m,
                }));
            }
        }
    }
    Ok(None)
}

fn skipped(check: &str, key: &str, level: Level, why: &str) -> Finding {
    Finding {
        kind: Kind::Anomaly,
        check: check.to_string(),
        table: "all".into(),
        key: key.into(),
        level,
        outcome: Outcome::Skipped,
        figure: None,
        limit: None,
        message: why.into(),
    }
}

/// Relative change from `prev` to `cur` (infinite from 0 to more).
fn change(prev: u64, cur: u64) -> f64 {
    match (prev, cur) {
        (0, 0) => 0.0,
        (0, _) => f64::INFINITY,
        _ => (cur as f64 - prev as f64) / prev as f64,
    }
}

/// Compare this run's figures with the earlier run's: one finding per
/// input, output and tier (or one `skipped` finding per family when there
/// is nothing to compare with).
pub fn compare(
    earlier: Option<&Earlier>,
    inputs: &BTreeMap<String, InputStats>,
    output_rows: &BTreeMap<String, u64>,
    tier_shares: &BTreeMap<String, f64>,
    a: &Audits,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(e) = earlier else {
        for (check, key, level) in [
            (
                "row_count_change",
                "audits.row_count_change",
                a.row_count_change,
            ),
            (
                "tier_share_change",
                "audits.tier_share_change",
                a.tier_share_change,
            ),
        ] {
            if level != Level::Off {
                out.push(skipped(
                    check,
                    key,
                    level,
                    "no successful run of an earlier date to compare with",
                ));
            }
        }
        return out;
    };
    let on = format!("{} (run {})", e.id.snapshot_date, e.id.run_id);
    if a.row_count_change != Level::Off {
        let max = a.max_row_count_change;
        let mut counts = Vec::new();
        for spec in TABLES {
            let prev = e.manifest.inputs.get(spec.name).map(|s| s.rows_read);
            let cur = inputs.get(spec.name).map(|s| s.rows_read);
            counts.push((spec.name, "rows_read", prev, cur));
        }
        for table in OUTPUTS {
            let (table, prev) = (table.name(), e.manifest.outputs.get(table.name()));
            let prev = prev.map(|o| o.rows);
            counts.push((table, "rows", prev, output_rows.get(table).copied()));
        }
        for (table, what, prev, cur) in counts {
            let (Some(prev), Some(cur)) = (prev, cur) else {
                continue;
            };
            let c = change(prev, cur);
            let failed = c.abs() > max;
            out.push(Finding {
                kind: Kind::Anomaly,
                check: "row_count_change".into(),
                table: table.to_string(),
                key: "audits.max_row_count_change".into(),
                level: a.row_count_change,
                outcome: Outcome::judged(failed, a.row_count_change),
                figure: Some((c * 10_000.0).round() / 10_000.0),
                limit: Some(max),
                message: format!(
                    "{what} {cur} against {prev} on {on}: {:+.2} % ({} the band ±{} %)",
                    100.0 * c,
                    if failed { "outside" } else { "within" },
                    100.0 * max
                ),
            });
        }
    }
    if a.tier_share_change != Level::Off {
        let prev = &e.manifest.checks.tier_shares;
        if prev.is_empty() {
            out.push(skipped(
                "tier_share_change",
                "audits.tier_share_change",
                a.tier_share_change,
                &format!("the run of {on} recorded no tier shares"),
            ));
        } else {
            let max = a.max_tier_share_change;
            let tiers: BTreeSet<&String> = prev.keys().chain(tier_shares.keys()).collect();
            for tier in tiers {
                let (p, c) = (
                    prev.get(tier).copied().unwrap_or(0.0),
                    tier_shares.get(tier).copied().unwrap_or(0.0),
                );
                let diff = ((c - p) * 100.0).round() / 100.0;
                let failed = diff.abs() > max;
                out.push(Finding {
                    kind: Kind::Anomaly,
                    check: format!("tier_share_change.{tier}"),
                    table: Output::CustomerTiers.to_string(),
                    key: "audits.max_tier_share_change".into(),
                    level: a.tier_share_change,
                    outcome: Outcome::judged(failed, a.tier_share_change),
                    figure: Some(diff),
                    limit: Some(max),
                    message: format!(
                        "tier {tier}: {c:.2} % of accounts against {p:.2} % on {on}: {diff:+.2} points ({} the band ±{max})",
                        if failed { "outside" } else { "within" }
                    ),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_against_an_earlier_run() {
        let ct = Output::CustomerTiers.name();
        let doc = serde_json::json!({
            "status": "success",
            "inputs": {"accounts": {"rows_read": 200}, "mentions": {"rows_read": 0}},
            "outputs": {ct: {"rows": 10}},
            "checks": {"tier_shares": {"gold": 50.0, "bronze": 50.0}}
        });
        // a partial document of another version reads, its missing fields
        // empty
        let manifest: Manifest = serde_json::from_value(doc).unwrap();
        let e = Earlier {
            id: Baseline {
                snapshot_date: "2026-03-09".into(),
                run_id: "r".into(),
            },
            manifest,
        };
        let inputs = BTreeMap::from([
            (
                "accounts".to_string(),
                InputStats {
                    rows_read: 100,
                    ..Default::default()
                },
            ),
            (
                "mentions".to_string(),
                InputStats {
                    rows_read: 0,
                    ..Default::default()
                },
            ),
        ]);
        let rows = BTreeMap::from([(ct.to_string(), 11)]);
        let shares = BTreeMap::from([("gold".to_string(), 45.0), ("silver".to_string(), 55.0)]);
        let fs = compare(Some(&e), &inputs, &rows, &shares, &Audits::default());
        let got: Vec<_> = fs
            .iter()
            .map(|f| (f.check.as_str(), f.table.as_str(), f.outcome, f.figure))
            .collect();
        assert_eq!(
            got,
            [
                ("row_count_change", "accounts", Outcome::Warn, Some(-0.5)),
                ("row_count_change", "mentions", Outcome::Pass, Some(0.0)),
                ("row_count_change", ct, Outcome::Pass, Some(0.1)),
                ("tier_share_change.bronze", ct, Outcome::Warn, Some(-50.0)),
                ("tier_share_change.gold", ct, Outcome::Pass, Some(-5.0)),
                ("tier_share_change.silver", ct, Outcome::Warn, Some(55.0)),
            ]
        );
        assert!(
            fs[0]
                .message
                .contains("rows_read 100 against 200 on 2026-03-09 (run r): -50.00 %"),
            "{}",
            fs[0].message
        );
        let none = compare(None, &inputs, &rows, &shares, &Audits::default());
        assert!(none.iter().all(|f| f.outcome == Outcome::Skipped) && none.len() == 2);
    }
}
