//! The HTML run report (docs/report.md): one self-contained page per
//! committed date at `<output>/_reports/snapshot_date=D/report.html`,
//! written by `pulsetier report` or at the end of every successful run with
//! `[report] enabled`. [`data`] reads what the run left (published
//! partitions and manifests), [`html`] lays it out with the inline SVG
//! [`charts`]. The page is put in one call, so a reader sees the old page or
//! the new one, never half of one.

use chrono::NaiveDate;

use crate::config::{ReportSettings, Settings};
use crate::error::{Error, Result};
use crate::publish::Publisher;
use crate::storage::{partition_path, Location};

mod care;
pub mod charts;
pub mod circle;
pub mod data;
pub mod format;
mod headline;
pub mod html;
mod records;
pub mod rows;
mod sections;

/// The report's folder under the output.
pub const REPORTS: &str = "_reports";

/// Write the report of `date` (default: the newest date with a run) over
/// `days` dates under the output of `settings`; returns its redacted URL.
pub async fn write(settings: &Settings, date: Option<NaiveDate>, days: u32) -> Result<String> {
    ReportSettings::check_days(days)?;
    let out = Location::open(&settings.output, &settings.storage)?;
    if !out.writable() {
        return Err(Error::Usage(format!(
            "report: output {} is read-only",
            out.display(&out.prefix)
        )));
    }
    let publisher = Publisher::new(settings, &out);
    let date = data::resolve_date(&out, date).await?;
    let d = data::gather(&publisher, &out, date, days).await?;
    let page = html::render(&d);
    let path = partition_path(&out, REPORTS, date).join("report.html");
    out.put(&path, page.into_bytes()).await?;
    let url = out.display(&path);
    tracing::info!(report = %url, "report written");
    Ok(url)
}
