//! pulsetier: a nightly batch job that loads Parquet snapshots of customer
//! accounts, social mentions, NPS surveys and influence scores from object
//! storage, validates them against the input contract, runs SQL transforms
//! through Apache DataFusion and publishes scored customer tiers, NPS
//! aggregates and a social pulse as Parquet, with rejects and a manifest.
//!
//! The data flow is one straight line: [`cli`] → [`config`] → [`storage`] →
//! [`contract`] → [`transform`] → [`output`]/[`commit`] → [`manifest`],
//! driven by [`pipeline`].
#![warn(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod backfill;
pub mod cancel;
pub mod cli;
pub mod commit;
pub mod config;
pub mod contract;
#[cfg(feature = "delta")]
pub mod delta;
pub mod engine;
pub mod error;
pub mod generate;
pub mod manifest;
pub mod output;
pub mod pipeline;
pub mod storage;
pub mod transform;

pub use config::{RunConfig, Settings};
pub use error::{Error, Result};
