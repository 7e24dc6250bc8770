//! Integration tests: one binary, so the DataFusion-heavy crate links once.
//! They run the real `pulsetier` binary (or the library) on the bundled
//! fixtures, on copies of them with faults added, and on `memory://`.

mod backfill;
mod ballista;
mod care;
mod checks;
mod circle;
mod cli;
mod common;
mod crash;
#[cfg(feature = "delta")]
mod delta;
mod expected;
mod explain_account;
mod fuzz;
mod generate;
mod hardening;
mod history;
mod layout;
mod publish;
mod report;
mod slt;
