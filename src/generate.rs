//! `pulsetier generate`: deterministic synthetic inputs at any scale, for
//! demos, tests and the benchmark (`scripts/bench.sh`).
//!
//! It writes the five input tables under an output URL (any
//! [`Location`]: a path, `file://`, `memory://`, …) in the Hive layout of
//! docs/SPEC.md §1, for snapshot date D: the accounts snapshot of D, mentions for
//! each day of the mentions window, surveys for each day of the survey
//! window and weekly influence deliveries (D, D-7, …) over the influence
//! window from all three providers. The shapes, per account index:
//!
//! - accounts: 60 % with a social handle written in one of six spellings
//!   (`nora_12`, `@nora_12`, ` nora_12 `, `NORA_12`, `@Nora_12`,
//!   `@ nora_12\t`); 0.5 % reuse the previous account's handle (ambiguous
//!   when both are scored); 85 % active, 5 % suspended, 10 % closed;
//!   log-normal monthly spend (median ≈ 25–65 by plan), 3 % zero, 2 % null;
//!   1.1 % break one rule and 0.1 % are delivered twice (duplicate_key).
//! - mentions: [`MENTIONS_PER_ACCOUNT`] per account per mentions window,
//!   78 % by a customer's handle (30 % of those by the 5 % most active),
//!   17 % by non-customers, 5 % anonymous; 8 % posted 1–7 days before their
//!   partition (some fall before the window), 1.5 % redeliveries of an
//!   event of 1–3 days earlier (half of them re-scored), 1.3 % invalid.
//!   The partition of D-17 is missing (a delivery outage). Texts
//!   (`texts`): 25 % name a care topic's keyword, 5 % a churn phrase, 8 %
//!   are non-ASCII, some with @handles and emoji; 2 % blank, 1 in 5 000
//!   about 100 KB long, 11 % null.
//! - surveys: [`SURVEYS_PER_ACCOUNT`] per account per survey window, NPS
//!   40 % promoters / 35 % passives / 25 % detractors, 7 % late, 1.5 %
//!   redeliveries, 1.3 % invalid or naming an unknown account. The
//!   partition of D-40 holds two files with zero rows.
//! - mentions' texts (a stream of their own: the scoring columns do not
//!   change): 45 % name a handle after the text — a customer's or a fan's,
//!   heavy-tailed towards a few popular ones — the operator's own
//!   ([`OWN_HANDLE`]) or an e-mail address (which names nobody).
//! - connections: every week over the circle window (D, D-7, …)
//!   [`CONNECTIONS_PER_ACCOUNT_WEEK`] links per account between customers'
//!   and fans' handles, both ends heavy-tailed (a few handles follow and
//!   are followed far more than the rest); 0.5 % have an unknown kind.
//! - influence_scores: every week a klout, a kred and a peerindex file;
//!   providers cover 50 / 30 / 25 % of handles, each covered handle is
//!   scored once per window (20 % twice), scores follow one log-normal
//!   influence level per handle on each provider's scale; 3 % are scored
//!   5–10 days before the delivery, 1.3 % invalid, plus some
//!   non-customer handles.
//!
//! Each partition holds several files whose physical types differ (Utf8 vs
//! LargeUtf8, Int32 vs Int64, Decimal128(18,2) vs Float64 spend,
//! `Timestamp(ms, UTC)` vs `Timestamp(µs)` without zone, extra columns) and
//! a `_SUCCESS` marker. Files are zstd Parquet written in batches of
//! [`BATCH_ROWS`] rows, so memory stays constant at any scale; every row is
//! a pure function of the seed and its coordinates (own PRNG,
//! [`rng`]), so the same arguments give byte-identical files. Partitions it
//! writes are emptied first; nothing else under the output is touched.

mod events;
mod links;
pub mod rng;
mod tables;
mod texts;

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;
use std::time::Instant;

use chrono::NaiveDate;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::ObjectStoreExt;
use parquet::arrow::async_writer::AsyncArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde::Serialize;
use tokio::task::JoinSet;

pub use links::{CONNECTIONS_PER_ACCOUNT_WEEK, OWN_HANDLE};
pub use tables::{MENTIONS_PER_ACCOUNT, SURVEYS_PER_ACCOUNT};

use crate::calendar::days_since_epoch;
use crate::config::Windows;
use crate::error::{Error, Result};
use crate::storage::{partition_path, Location};
use events::{InfluenceCols, MentionCols, SurveyCols};
use links::ConnectionCols;
use tables::{AccountCols, Model, PROVIDERS};

/// Rows per Arrow batch handed to the Parquet writer.
pub const BATCH_ROWS: u64 = 65_536;
/// Rows per Parquet row group of the generated files.
pub const ROW_GROUP_ROWS: usize = 131_072;
/// Most rows in one generated file; larger partitions get more files.
pub const MAX_FILE_ROWS: u64 = 500_000;
/// Days before D of the mentions partition left out (a delivery outage).
pub const MENTIONS_OUTAGE_DAY: u32 = 17;
/// Days before D of the surveys partition delivered empty (zero-row files).
pub const SURVEYS_EMPTY_DAY: u32 = 40;

/// What to generate (a plain value; the CLI builds it from flags).
#[derive(Debug, Clone)]
pub struct GenerateConfig {
    /// Output root URL or path.
    pub output: String,
    /// Snapshot date D.
    pub date: NaiveDate,
    /// Accounts in the snapshot (before duplicates).
    pub accounts: u64,
    /// PRNG seed.
    pub seed: u64,
    /// Windows whose partitions are generated (the run's defaults).
    pub windows: Windows,
}

/// What one table got.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TableReport {
    /// Partitions written.
    pub partitions: u64,
    /// Parquet files written.
    pub files: u64,
    /// Rows written.
    pub rows: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// What `generate` wrote.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GenerateReport {
    /// Redacted output URL.
    pub output: String,
    /// Per input table.
    pub tables: BTreeMap<String, TableReport>,
    /// Wall time in seconds.
    pub seconds: f64,
}

impl GenerateReport {
    /// Rows over all tables.
    pub fn rows(&self) -> u64 {
        self.tables.values().map(|t| t.rows).sum()
    }
}

/// Where the rows of one file come from.
#[derive(Debug, Clone)]
enum Source {
    Accounts { range: Range<u64> },
    Mentions { day: i32, range: Range<u64> },
    Surveys { day: i32, range: Range<u64> },
    Influence { week: u64, provider: usize },
    Connections { day: i32, range: Range<u64> },
}

#[derive(Debug, Clone)]
struct FileTask {
    table: &'static str,
    path: Path,
    source: Source,
    variant: u8,
}

/// Split `0..rows` over `max(2, rows / MAX_FILE_ROWS)` files.
fn split(rows: u64) -> Vec<Range<u64>> {
    let n = rows.div_ceil(MAX_FILE_ROWS).max(2);
    (0..n).map(|f| rows * f / n..rows * (f + 1) / n).collect()
}

/// Every file to write, and every partition folder.
fn plan(
    cfg: &GenerateConfig,
    m: &Model,
    loc: &Location,
) -> (Vec<FileTask>, Vec<(&'static str, Path)>) {
    let mut files = Vec::new();
    let mut parts = Vec::new();
    let d = cfg.date;
    let day = |back: u32| d - chrono::Days::new(u64::from(back));
    let mut daily =
        |table: &'static str, back: u32, rows: u64, mk: &dyn Fn(Range<u64>) -> Source| {
            let dir = partition_path(loc, table, day(back));
            for (f, range) in split(rows).into_iter().enumerate() {
                files.push(FileTask {
                    table,
                    path: dir.clone().join(format!("part-{f:05}.parquet").as_str()),
                    source: mk(range),
                    variant: (f % 2) as u8,
                });
            }
            parts.push((table, dir));
        };
    daily("accounts", 0, cfg.accounts, &|range| Source::Accounts {
        range,
    });
    for back in 0..cfg.windows.mentions_days {
        if back == MENTIONS_OUTAGE_DAY {
            continue;
        }
        let dd = days_since_epoch(day(back));
        let rows = m.daily_rows(3, dd, MENTIONS_PER_ACCOUNT, cfg.windows.mentions_days);
        daily("mentions", back, rows, &|range| Source::Mentions {
            day: dd,
            range,
        });
    }
    for back in 0..cfg.windows.nps_days {
        let dd = days_since_epoch(day(back));
        let rows = if back == SURVEYS_EMPTY_DAY {
            0
        } else {
            m.daily_rows(5, dd, SURVEYS_PER_ACCOUNT, cfg.windows.nps_days)
        };
        daily("surveys", back, rows, &|range| Source::Surveys {
            day: dd,
            range,
        });
    }
    // connections: a weekly delivery (D, D-7, …) over the circle window
    for back in (0..cfg.windows.circle_days).step_by(7) {
        let rows = (cfg.accounts as f64 * CONNECTIONS_PER_ACCOUNT_WEEK) as u64;
        let dd = days_since_epoch(day(back));
        daily("connections", back, rows, &|range| Source::Connections {
            day: dd,
            range,
        });
    }
    for week in 0..m.weeks {
        let dir = partition_path(loc, "influence_scores", day((week * 7) as u32));
        for (p, name) in PROVIDERS.iter().enumerate() {
            files.push(FileTask {
                table: "influence_scores",
                path: dir.clone().join(format!("{name}-00000.parquet").as_str()),
                source: Source::Influence { week, provider: p },
                variant: p as u8,
            });
        }
        parts.push(("influence_scores", dir));
    }
    (files, parts)
}

fn writer_props() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by("pulsetier generate".into())
        .build()
}

/// Build the next batch of a file's rows; `None` when done.
fn next_batch(
    m: &Model,
    cfg: &GenerateConfig,
    task: &FileTask,
    cursor: &mut u64,
    buf: &mut String,
) -> Result<Option<arrow::record_batch::RecordBatch>> {
    let chunk = |range: &Range<u64>, cursor: &mut u64, step: u64| -> Option<Range<u64>> {
        let start = range.start + *cursor;
        if start >= range.end && !(*cursor == 0 && range.is_empty()) {
            return None;
        }
        let end = (start + step).min(range.end);
        *cursor += (end - start).max(1);
        Some(start..end)
    };
    let w = &cfg.windows;
    match &task.source {
        Source::Accounts { range } => chunk(range, cursor, BATCH_ROWS).map(|r| {
            let mut c = AccountCols::default();
            for i in r {
                m.account(i, task.variant == 1, &mut c, buf);
            }
            c.finish(task.variant)
        }),
        Source::Mentions { day, range } => chunk(range, cursor, BATCH_ROWS).map(|r| {
            let mut c = MentionCols::default();
            for k in r {
                m.mention(*day, k, w.mentions_days, &mut c);
            }
            c.finish(task.variant)
        }),
        Source::Surveys { day, range } => chunk(range, cursor, BATCH_ROWS).map(|r| {
            let mut c = SurveyCols::default();
            for k in r {
                m.survey(*day, k, w.nps_days, &mut c);
            }
            c.finish(task.variant)
        }),
        Source::Influence { week, provider } => chunk(&(0..m.accounts), cursor, 1 << 20).map(|r| {
            let mut c = InfluenceCols::default();
            for i in r {
                m.influence(*week, *provider, i, &mut c);
            }
            c.finish(*provider)
        }),
        Source::Connections { day, range } => chunk(range, cursor, BATCH_ROWS).map(|r| {
            let mut c = ConnectionCols::default();
            for k in r {
                m.connection(*day, k, &mut c, buf);
            }
            c.finish(task.variant)
        }),
    }
    .transpose()
}

/// Write one file; returns (rows, bytes).
async fn write_file(
    loc: Location,
    m: Arc<Model>,
    cfg: Arc<GenerateConfig>,
    task: FileTask,
) -> Result<(u64, u64)> {
    let mut cursor = 0;
    let mut buf = String::new();
    let Some(first) = next_batch(&m, &cfg, &task, &mut cursor, &mut buf)? else {
        return Err(Error::Internal(format!("no schema for {}", task.path)));
    };
    let obj = BufWriter::new(loc.store.clone(), task.path.clone());
    let mut writer = AsyncArrowWriter::try_new(obj, first.schema(), Some(writer_props()))?;
    let mut rows = 0u64;
    let mut batch = Some(first);
    while let Some(b) = batch {
        rows += b.num_rows() as u64;
        if b.num_rows() > 0 {
            writer.write(&b).await?;
        }
        batch = next_batch(&m, &cfg, &task, &mut cursor, &mut buf)?;
    }
    writer.close().await?;
    let meta = loc
        .store
        .head(&task.path)
        .await
        .map_err(loc.storage_err("head", &task.path))?;
    Ok((rows, meta.size))
}

/// Remove every object under a partition folder (a previous generation).
async fn clear(loc: &Location, dir: &Path) -> Result<()> {
    for obj in loc.list(dir).await? {
        loc.store
            .delete(&obj.location)
            .await
            .map_err(loc.storage_err("delete", &obj.location))?;
    }
    Ok(())
}

/// Generate the inputs of `cfg` (see the module documentation).
pub async fn generate(cfg: &GenerateConfig) -> Result<GenerateReport> {
    let started = Instant::now();
    if cfg.accounts == 0 {
        return Err(Error::Usage("--accounts must be at least 1".into()));
    }
    let loc = Location::open(&cfg.output, &crate::config::StorageSettings::default())?;
    let model = Arc::new(Model {
        seed: cfg.seed,
        accounts: cfg.accounts,
        date: days_since_epoch(cfg.date),
        weeks: u64::from(cfg.windows.influence_max_age_days.max(1) - 1) / 7 + 1,
    });
    let (files, parts) = plan(cfg, &model, &loc);
    let mut report = GenerateReport {
        output: loc.display(&loc.prefix),
        ..Default::default()
    };
    for (table, dir) in &parts {
        clear(&loc, dir).await?;
        report
            .tables
            .entry(table.to_string())
            .or_default()
            .partitions += 1;
    }
    let shared = Arc::new(cfg.clone());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut running = JoinSet::new();
    let mut pending = files.into_iter();
    loop {
        while running.len() < workers {
            let Some(task) = pending.next() else { break };
            let table = task.table;
            let fut = write_file(loc.clone(), model.clone(), shared.clone(), task);
            running.spawn(async move { fut.await.map(|r| (table, r)) });
        }
        let Some(done) = running.join_next().await else {
            break;
        };
        let (table, (rows, bytes)) =
            done.map_err(|e| Error::Internal(format!("generator task: {e}")))??;
        let t = report.tables.entry(table.to_string()).or_default();
        t.files += 1;
        t.rows += rows;
        t.bytes += bytes;
    }
    for (_, dir) in &parts {
        let marker = dir.clone().join("_SUCCESS");
        loc.store
            .put(&marker, Vec::<u8>::new().into())
            .await
            .map_err(loc.storage_err("put", &marker))?;
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(accounts: u64) -> Model {
        Model {
            seed: 42,
            accounts,
            date: 20_522,
            weeks: 13,
        }
    }

    #[test]
    fn files_split_evenly_with_at_least_two_per_partition() {
        assert_eq!(split(0), vec![0..0, 0..0]);
        assert_eq!(split(5), vec![0..2, 2..5]);
        let big = split(1_200_000);
        assert_eq!(big.len(), 3);
        assert_eq!(big.last().map(|r| r.end), Some(1_200_000));
        assert!(big.windows(2).all(|w| w[0].end == w[1].start));
    }

    #[test]
    fn volumes_are_proportional_to_accounts() {
        let m = model(90_000);
        let days = 30;
        let total: u64 = (0..days)
            .map(|d| m.daily_rows(3, 20_500 + d, MENTIONS_PER_ACCOUNT, 30))
            .sum();
        let expect = 90_000.0 * MENTIONS_PER_ACCOUNT;
        assert!(
            (total as f64 / expect - 1.0).abs() < 0.06,
            "{total} vs {expect}"
        );
        let small = model(9_000);
        let s: u64 = (0..days)
            .map(|d| small.daily_rows(3, 20_500 + d, MENTIONS_PER_ACCOUNT, 30))
            .sum();
        assert!((total as f64 / s as f64 / 10.0 - 1.0).abs() < 0.01);
    }

    #[test]
    fn handles_normalize_to_their_base_and_some_are_shared() {
        let m = model(100_000);
        let mut r = rng::Rng::new(3);
        let mut out = String::new();
        let normalize = |h: &str| {
            let l = h.trim().to_lowercase();
            l.strip_prefix('@').unwrap_or(&l).trim().to_string()
        };
        let mut spellings = std::collections::HashSet::new();
        for _ in 0..1000 {
            tables::handle_variant(&mut out, "nora_12", &mut r);
            assert_eq!(normalize(&out), "nora_12", "{out:?}");
            spellings.insert(out.clone());
        }
        assert_eq!(spellings.len(), 6);
        let owners: Vec<Option<u64>> = (0..100_000).map(|i| m.handle_owner(i)).collect();
        let with = owners.iter().filter(|o| o.is_some()).count() as f64 / 1e5;
        assert!((with - 0.6).abs() < 0.01, "{with}");
        let shared = owners
            .iter()
            .enumerate()
            .filter(|(i, o)| **o == Some((*i as u64).wrapping_sub(1)))
            .count();
        assert!((150..450).contains(&shared), "{shared}");
    }

    #[test]
    fn invalid_accounts_stay_well_under_the_quality_gate() {
        let m = model(100_000);
        let invalid = (0..100_000).filter(|i| !m.valid_account(*i)).count() as f64 / 1e5;
        assert!((0.008..0.016).contains(&invalid), "{invalid}");
    }

    #[test]
    fn rows_are_pure_functions_of_their_coordinates() {
        let m = model(1000);
        let mut buf = String::new();
        let batch = |seed: u64| {
            let m = Model { seed, ..m.clone() };
            let mut c = MentionCols::default();
            for k in 0..500 {
                m.mention(20_520, k, 30, &mut c);
            }
            c.finish(0).unwrap()
        };
        assert_eq!(batch(42), batch(42));
        assert_ne!(batch(42), batch(43));
        let mut c = AccountCols::default();
        for i in 0..10 {
            m.account(i, false, &mut c, &mut buf);
        }
        let a = c.finish(1).unwrap();
        assert!(a.num_rows() >= 10);
        assert_eq!(a.schema().field(0).name(), "crm_source");
    }
}
