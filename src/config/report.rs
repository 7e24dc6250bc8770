//! `[report]`: the HTML run report a run leaves for the people who read
//! it (docs/report.md). Off by default; it cannot fail a run.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// `[report]`: the HTML run report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportSettings {
    /// Write `<output>/_reports/snapshot_date=D/report.html` at the end of
    /// every successful run (flag `--report`).
    pub enabled: bool,
    /// Dates the charts over time cover: D−days+1 … D (flag `--report-days`).
    pub days: u32,
}

impl Default for ReportSettings {
    fn default() -> Self {
        ReportSettings {
            enabled: false,
            days: 14,
        }
    }
}

impl ReportSettings {
    pub(super) fn validate(&self) -> Result<()> {
        ReportSettings::check_days(self.days)
    }

    /// The dates a report covers (`[report] days`, `report --days`): at
    /// least D, at most a year and a day.
    pub fn check_days(days: u32) -> Result<()> {
        if days == 0 || days > 366 {
            return Err(Error::Usage(format!(
                "report days must be in 1..=366, got {days}"
            )));
        }
        Ok(())
    }
}
