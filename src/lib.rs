//! pulsetier: a nightly batch job that loads Parquet snapshots of customer
//! accounts, social mentions, NPS surveys and influence scores from object
//! storage, validates them against the input contract (docs/SPEC.md), runs
//! SQL transforms through Apache DataFusion and publishes scored customer
//! tiers, NPS aggregates and a social pulse as Parquet or Delta, with how
//! tiers and NPS moved since earlier committed dates, rejects and a
//! manifest. [`pipeline`] drives one run; the order of its stages and what
//! each module holds is written once, in the README's "Code layout". The
//! binary (`src/main.rs`, `src/cli.rs`, `src/cmd/`) parses arguments into
//! plain values; the library never sees clap types.
#![warn(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod audit;
pub mod backfill;
pub mod calendar;
pub mod cancel;
pub mod care;
pub mod circle;
pub mod config;
pub mod contract;
pub mod engine;
pub mod error;
pub mod explain_account;
pub mod findings;
pub mod generate;
pub mod history;
pub mod lineage;
pub mod logging;
pub mod manifest;
pub mod part_files;
pub mod pipeline;
pub mod publish;
pub mod redact;
pub mod report;
pub mod scan_floor;
pub mod storage;
pub mod tables;
pub mod transform;

pub use config::{RunConfig, Settings};
pub use error::{Error, Result};
