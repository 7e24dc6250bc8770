//! The scan floor of the benchmark: how long DataFusion takes to read and
//! decode, once, every contract column of every file a run for D reads
//! (same listing, same partitions, same session settings), with no rule,
//! join or write. A run cannot be faster than this; the ratio run/floor
//! says how much the transforms cost on top of I/O and decoding.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use datafusion::physical_plan::{execute_stream_partitioned, SendableRecordBatchStream};
use datafusion::prelude::ParquetReadOptions;
use futures::StreamExt;
use serde::Serialize;
use tokio::task::JoinSet;

use crate::config::RunConfig;
use crate::contract::read::{list_table, snapshot_date};
use crate::contract::TABLES;
use crate::engine::{Engine, Purpose};
use crate::error::{Error, Result};
use crate::storage::Location;

/// What one table's scan read.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanTable {
    /// Files scanned.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
    /// Rows decoded.
    pub rows: u64,
}

/// The result of [`scan_floor`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanReport {
    /// Snapshot date D.
    pub snapshot_date: String,
    /// Per input table.
    pub tables: BTreeMap<String, ScanTable>,
    /// Wall time of listing, planning and scanning, in seconds.
    pub seconds: f64,
}

/// Read every contract column of every input file of a run for D once,
/// with `target_partitions` streams in parallel, and count the rows.
pub async fn scan_floor(cfg: &RunConfig) -> Result<ScanReport> {
    let started = Instant::now();
    let s = cfg.settings();
    let input = Location::open(&s.input, &s.storage)?;
    let date = snapshot_date(cfg.date(), &input).await?;
    let ctx = Engine::new(s)?.session(Purpose::Read).await?.ctx;
    input.register(&ctx);
    let mut report = ScanReport {
        snapshot_date: date.to_string(),
        ..Default::default()
    };
    let mut streams: Vec<(&'static str, SendableRecordBatchStream)> = Vec::new();
    for spec in TABLES {
        let columns: Vec<&str> = spec.columns.iter().map(|(c, _)| *c).collect();
        let stats = report.tables.entry(spec.name.to_string()).or_default();
        // the same listing as a run (a missing accounts partition fails it)
        let (files, _) = list_table(&input, spec, date, s).await?;
        for f in files {
            stats.files += 1;
            stats.bytes += f.size;
            let opts = ParquetReadOptions::default().file_extension("");
            let plan = ctx
                .read_parquet(f.url.as_str(), opts)
                .await
                .and_then(|df| df.select_columns(&columns))
                .map_err(|e| Error::engine(format!("scan {}", f.shown), e))?
                .create_physical_plan()
                .await
                .map_err(|e| Error::engine(format!("scan {}", f.shown), e))?;
            for stream in execute_stream_partitioned(plan, ctx.task_ctx())
                .map_err(|e| Error::engine(format!("scan {}", f.shown), e))?
            {
                streams.push((spec.name, stream));
            }
        }
    }
    let queue = Arc::new(Mutex::new(streams));
    let workers = ctx.state().config().target_partitions().max(1);
    let mut tasks = JoinSet::new();
    for _ in 0..workers {
        let queue = queue.clone();
        tasks.spawn(async move {
            let mut rows: BTreeMap<&'static str, u64> = BTreeMap::new();
            loop {
                let next = match queue.lock() {
                    Ok(mut q) => q.pop(),
                    Err(p) => p.into_inner().pop(),
                };
                let Some((table, mut stream)) = next else {
                    break;
                };
                while let Some(batch) = stream.next().await {
                    let batch = batch.map_err(|e| Error::engine(table, e))?;
                    *rows.entry(table).or_default() += batch.num_rows() as u64;
                }
            }
            Ok::<_, Error>(rows)
        });
    }
    while let Some(done) = tasks.join_next().await {
        let rows = done.map_err(|e| Error::Internal(format!("scan task: {e}")))??;
        for (table, n) in rows {
            report.tables.entry(table.to_string()).or_default().rows += n;
        }
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}
