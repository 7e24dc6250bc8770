//! The SQL steps of `sql/`, each tested on its own with small hand-made
//! tables: a sqllogictest runner for `tests/slt/*.slt` (protocol and value
//! formats also in `tests/slt/README.md`).
//!
//! Every `tests/slt/*.slt` file, sorted by name, runs in a fresh DataFusion
//! `SessionContext` with `target_partitions = 1` and
//! `datafusion.sql_parser.map_string_types_to_utf8view = false` (so a
//! `VARCHAR` column is `Utf8`, the typed views' string type; no step of
//! `sql/` names a string type, so this changes nothing in the steps).
//! `SLT_FILTER=<text>` runs only the files whose name contains `<text>`.
//! A failure names the file, the `# case: <name>` comment above the failing
//! record, its line and sqllogictest's own message; every failing file is
//! reported, not only the first.
//!
//! Records: `statement ok` / `statement error` / `query` go to DataFusion as
//! SQL, except four pseudo-statements (inside `statement ok`):
//! - `PULSETIER DATE YYYY-MM-DD`: the snapshot date D of the steps run after
//!   it (default `2026-03-10`).
//! - `PULSETIER PREVIOUS YYYY-MM-DD|NONE` / `PULSETIER BASELINE
//!   YYYY-MM-DD|NONE`: the earlier committed dates the steps run after it
//!   compare with (`History { previous, baseline }`, docs/SPEC.md §6: P,
//!   bound as `$previous_snapshot_date`, and B, bound as
//!   `$baseline_snapshot_date`); both NONE (null) by default. They only set
//!   the parameters: the file creates `previous_tiers` / `baseline_nps`
//!   itself.
//! - `PULSETIER RUN <file>.sql`: plans that step of the library with the
//!   pipeline's parameters for D and the history bound (`transform::params(D,
//!   &Settings::default(), &History { previous, baseline })`), collects the result and registers it in memory
//!   under the step's output name (`checked_<table>` for a check step),
//!   replacing an earlier table of that name. It completes with the number of
//!   result rows, so `statement count N` asserts N.
//! - `PULSETIER SET <section>.<key> <TOML value>` (e.g. `circle.own_handles
//!   ["acme"]`, `influence.network_provider true`): a setting over the
//!   defaults for the parameters of the steps run after it.
//! - `PULSETIER RUN social_circle`: the Rust step `circle::social_circle`:
//!   plans `33_handle_nodes.sql` (registered as `handle_nodes`), reads
//!   `customer_tiers`, `handle_map`, `network_ranks` and `circle_links`,
//!   registers `circle_customers` and `social_circle`; it completes with the
//!   rows of `social_circle`.
//! - `PULSETIER RUN circle_graph`: the Rust step (`circle::circle_graph`):
//!   reads `interaction_edges`, registers `network_ranks`, `circle_links`
//!   (and `network_scores` with `influence.network_provider`); it completes with the number of handles of the graph
//!   (the rows of `network_ranks`).
//!
//! Values as text (`query` results):
//! - NULL of any type: `NULL`; the empty string: `(empty)`; other strings as
//!   they are (sqllogictest's default normalizer then trims each value and
//!   collapses runs of white space, so compare padded strings through SQL,
//!   e.g. `'[' || s || ']'`);
//! - booleans `true` / `false`; integers in decimal;
//! - Float64 (and Float32, widened): Rust's `format!("{:.10}", v)` with the
//!   trailing zeros and a trailing `.` removed and `-0` shown as `0`, so
//!   `1.0` → `1`, `0.1 + 0.2` → `0.3`, `2.0 / 3.0` → `0.6666666667`; `NaN`,
//!   `inf`, `-inf`;
//! - everything else as Arrow's display prints it: Decimal128(18,2) `12.50`,
//!   Date32 `2026-03-10`, Timestamp(µs, "UTC") `2026-03-10T08:00:00Z`
//!   (`2026-03-09T23:59:59.999999Z` with a fraction).
//!
//! The column type letters of a `query` record are not checked (write `T`
//! for each column, or any letters); assert a column's type with
//! `arrow_typeof(col)` instead.

use std::path::{Path, PathBuf};

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, Float32Type, Float64Type};
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use chrono::NaiveDate;
use datafusion::common::ParamValues;
use datafusion::prelude::{SessionConfig, SessionContext};
use sqllogictest::{DBOutput, DefaultColumnType};

// ---------------------------------------------------------------------------
// Adapter: the only place that names library items (re-point here when the
// library moves them).

/// Every SQL step the pipeline runs, as (file, output name, SQL): the check
/// steps (`contract::TABLES`, output `checked_<table>`), then the transform
/// steps (`transform::STEPS`).
fn steps() -> Vec<(&'static str, String, &'static str)> {
    let checks = pulsetier::contract::TABLES
        .iter()
        .map(|t| (t.check_sql.0, format!("checked_{}", t.name), t.check_sql.1));
    let transforms = pulsetier::transform::STEPS
        .iter()
        .map(|s| (s.file, s.output.to_string(), s.sql));
    checks.chain(transforms).collect()
}

/// The SQL parameters of a run for snapshot date `date` with the default
/// settings, comparing with the committed dates `previous` (P) and
/// `baseline` (B), each none by default.
fn params(
    date: NaiveDate,
    settings: &pulsetier::Settings,
    history: (Option<NaiveDate>, Option<NaiveDate>),
) -> ParamValues {
    let (previous, baseline) = history;
    pulsetier::transform::params(
        date,
        settings,
        &pulsetier::history::History {
            previous,
            baseline,
            ..Default::default()
        },
    )
}

/// The Rust step (`PULSETIER RUN circle_graph`): reads
/// `interaction_edges`, registers `network_ranks` and `circle_links` in
/// memory; returns the name of the first.
async fn run_rust_step(
    ctx: &SessionContext,
    settings: &pulsetier::Settings,
) -> Result<String, SltError> {
    let step = pulsetier::transform::CIRCLE_GRAPH;
    for output in step.outputs {
        ctx.deregister_table(*output)?;
    }
    pulsetier::circle::circle_graph(
        ctx,
        &pulsetier::engine::Keep::Memory,
        settings.circle.iterations,
        settings.influence.network_provider,
    )
    .await
    .map_err(|e| SltError(format!("PULSETIER RUN {}: {e}", step.name)))?;
    Ok(step.outputs[0].to_string())
}

/// The Rust step `PULSETIER RUN social_circle`: plans `33_handle_nodes`,
/// reads `customer_tiers`, `handle_map`, `network_ranks` and
/// `circle_links`, registers `handle_nodes`, `circle_customers` and
/// `social_circle` in memory; returns the name of the last.
async fn run_social_circle(ctx: &SessionContext, params: &ParamValues) -> Result<String, SltError> {
    let step = pulsetier::transform::SOCIAL_CIRCLE;
    for output in step.outputs {
        ctx.deregister_table(*output)?;
    }
    pulsetier::circle::social_circle(ctx, &pulsetier::engine::Keep::Memory, params)
        .await
        .map_err(|e| SltError(format!("PULSETIER RUN {}: {e}", step.name)))?;
    Ok(pulsetier::circle::SOCIAL.to_string())
}

/// The settings after `PULSETIER SET <section>.<key> <TOML value>` lines
/// (each applied over the defaults and the lines before it).
fn settings_of(lines: &[String]) -> Result<pulsetier::Settings, SltError> {
    let mut sections = std::collections::BTreeMap::<&str, Vec<(&str, &str)>>::new();
    for line in lines {
        let (key, value) = line.split_once(' ').unwrap_or((line, ""));
        let (section, name) = key.rsplit_once('.').ok_or_else(|| {
            SltError(format!(
                "PULSETIER SET {line}: expected <section>.<key> <value>"
            ))
        })?;
        let keys = sections.entry(section).or_default();
        keys.retain(|(k, _)| *k != name);
        keys.push((name, value));
    }
    let mut toml = String::new();
    for (section, keys) in sections {
        toml.push_str(&format!("[{section}]\n"));
        for (name, value) in keys {
            toml.push_str(&format!("{name} = {value}\n"));
        }
    }
    pulsetier::Settings::from_toml_str(&toml).map_err(|e| SltError(format!("PULSETIER SET: {e}")))
}

// ---------------------------------------------------------------------------

/// The output name and SQL of the step in `file`.
fn step_sql(file: &str) -> Option<(String, &'static str)> {
    steps()
        .into_iter()
        .find(|(f, _, _)| *f == file)
        .map(|(_, output, sql)| (output, sql))
}

const DEFAULT_DATE: &str = "2026-03-10";

/// An error of the engine or of a pseudo-statement, as text.
#[derive(Debug)]
struct SltError(String);

impl std::fmt::Display for SltError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SltError {}

impl From<datafusion::error::DataFusionError> for SltError {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        SltError(e.to_string())
    }
}

/// One `.slt` file's database: a fresh session, the snapshot date and the
/// earlier committed dates P and B (none until set).
struct StepDb {
    ctx: SessionContext,
    date: NaiveDate,
    previous: Option<NaiveDate>,
    baseline: Option<NaiveDate>,
    /// `PULSETIER SET` lines so far.
    set: Vec<String>,
}

impl StepDb {
    fn new() -> Self {
        let mut config = SessionConfig::new().with_target_partitions(1);
        config.options_mut().sql_parser.map_string_types_to_utf8view = false;
        config.options_mut().execution.time_zone = Some("UTC".into());
        StepDb {
            ctx: SessionContext::new_with_config(config),
            date: NaiveDate::parse_from_str(DEFAULT_DATE, "%Y-%m-%d").expect("default date"),
            previous: None,
            baseline: None,
            set: Vec::new(),
        }
    }

    /// `PULSETIER DATE …` / `PREVIOUS …` / `BASELINE …` / `RUN …` (the words
    /// after `PULSETIER`).
    async fn pseudo(&mut self, words: &[&str]) -> Result<DBOutput<DefaultColumnType>, SltError> {
        match words {
            [verb, date] if verb.eq_ignore_ascii_case("DATE") => {
                self.date = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|e| {
                    SltError(format!("PULSETIER DATE {date}: not a YYYY-MM-DD date: {e}"))
                })?;
                Ok(DBOutput::StatementComplete(0))
            }
            [verb, date] if verb.eq_ignore_ascii_case("PREVIOUS") => {
                self.previous = optional_date("PREVIOUS", date)?;
                Ok(DBOutput::StatementComplete(0))
            }
            [verb, date] if verb.eq_ignore_ascii_case("BASELINE") => {
                self.baseline = optional_date("BASELINE", date)?;
                Ok(DBOutput::StatementComplete(0))
            }
            [verb, key, value @ ..] if verb.eq_ignore_ascii_case("SET") => {
                let mut set = self.set.clone();
                set.push(format!("{key} {}", value.join(" ")));
                settings_of(&set)?;
                self.set = set;
                Ok(DBOutput::StatementComplete(0))
            }
            [verb, name] if verb.eq_ignore_ascii_case("RUN")
                && *name == pulsetier::transform::CIRCLE_GRAPH.name =>
            {
                let output = run_rust_step(&self.ctx, &settings_of(&self.set)?).await?;
                let rows = self.ctx.table(output.as_str()).await?.count().await?;
                Ok(DBOutput::StatementComplete(rows as u64))
            }
            [verb, name] if verb.eq_ignore_ascii_case("RUN")
                && *name == pulsetier::transform::SOCIAL_CIRCLE.name =>
            {
                let params = params(
                    self.date,
                    &settings_of(&self.set)?,
                    (self.previous, self.baseline),
                );
                let output = run_social_circle(&self.ctx, &params).await?;
                let rows = self.ctx.table(output.as_str()).await?.count().await?;
                Ok(DBOutput::StatementComplete(rows as u64))
            }
            [verb, file] if verb.eq_ignore_ascii_case("RUN") => {
                let (output, sql) = step_sql(file).ok_or_else(|| {
                    let known: Vec<_> = steps().into_iter().map(|(f, _, _)| f).collect();
                    SltError(format!(
                        "PULSETIER RUN {file}: no such step (known: {})",
                        known.join(", ")
                    ))
                })?;
                let wrap = |e: datafusion::error::DataFusionError| {
                    SltError(format!("PULSETIER RUN {file}: {e}"))
                };
                let df = self
                    .ctx
                    .sql(sql)
                    .await
                    .map_err(wrap)?
                    .with_param_values(params(
                        self.date,
                        &settings_of(&self.set)?,
                        (self.previous, self.baseline),
                    ))
                    .map_err(wrap)?;
                let kept = df.cache().await.map_err(wrap)?;
                let rows = kept.clone().count().await.map_err(wrap)?;
                self.ctx.deregister_table(output.as_str()).map_err(wrap)?;
                self.ctx
                    .register_table(output.as_str(), kept.into_view())
                    .map_err(wrap)?;
                Ok(DBOutput::StatementComplete(rows as u64))
            }
            _ => Err(SltError(format!(
                "unknown pseudo-statement PULSETIER {}: use PULSETIER DATE YYYY-MM-DD, PULSETIER PREVIOUS YYYY-MM-DD|NONE, PULSETIER BASELINE YYYY-MM-DD|NONE, PULSETIER SET <section>.<key> <value>, PULSETIER RUN <file>.sql, PULSETIER RUN circle_graph or PULSETIER RUN social_circle",
                words.join(" ")
            ))),
        }
    }

    async fn query(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SltError> {
        let df = self.ctx.sql(sql).await?;
        let schema = df.schema().as_arrow().clone();
        let batches = df.collect().await?;
        if schema.fields().is_empty() {
            // DDL (CREATE TABLE …) and the like
            return Ok(DBOutput::StatementComplete(0));
        }
        let types = schema
            .fields()
            .iter()
            .map(|f| column_type(f.data_type()))
            .collect();
        let mut rows = Vec::new();
        for batch in &batches {
            rows.extend(batch_rows(batch)?);
        }
        Ok(DBOutput::Rows { types, rows })
    }
}

/// The date of `PULSETIER PREVIOUS|BASELINE <text>`: `NONE` (any case) is
/// none, else a YYYY-MM-DD date.
fn optional_date(verb: &str, text: &str) -> Result<Option<NaiveDate>, SltError> {
    if text.eq_ignore_ascii_case("NONE") {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|e| {
            SltError(format!(
                "PULSETIER {verb} {text}: not a YYYY-MM-DD date or NONE: {e}"
            ))
        })
}

#[async_trait::async_trait]
impl sqllogictest::AsyncDB for StepDb {
    type Error = SltError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, SltError> {
        let words: Vec<&str> = sql
            .trim()
            .trim_end_matches(';')
            .split_whitespace()
            .collect();
        match words.split_first() {
            Some((first, rest)) if first.eq_ignore_ascii_case("PULSETIER") => {
                self.pseudo(rest).await
            }
            _ => self.query(sql).await,
        }
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "pulsetier-datafusion"
    }
}

/// sqllogictest's letter for an Arrow type (not checked, see the top).
fn column_type(dt: &DataType) -> DefaultColumnType {
    if dt.is_integer() {
        DefaultColumnType::Integer
    } else if dt.is_floating() || matches!(dt, DataType::Decimal128(..)) {
        DefaultColumnType::FloatingPoint
    } else if matches!(
        dt,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    ) {
        DefaultColumnType::Text
    } else {
        DefaultColumnType::Any
    }
}

/// A double as text: 10 decimals, trailing zeros cut (see the top).
fn float_text(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.into();
    }
    let s = format!("{v:.10}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// One value as text (see the top).
fn cell(array: &ArrayRef, fmt: &ArrayFormatter, row: usize) -> String {
    if array.is_null(row) {
        return "NULL".into();
    }
    match array.data_type() {
        DataType::Float64 => float_text(array.as_primitive::<Float64Type>().value(row)),
        DataType::Float32 => float_text(f64::from(array.as_primitive::<Float32Type>().value(row))),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let s = fmt.value(row).to_string();
            if s.is_empty() {
                "(empty)".into()
            } else {
                s
            }
        }
        _ => fmt.value(row).to_string(),
    }
}

fn batch_rows(batch: &RecordBatch) -> Result<Vec<Vec<String>>, SltError> {
    let options = FormatOptions::default().with_null("NULL");
    let formatters = batch
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SltError(e.to_string()))?;
    Ok((0..batch.num_rows())
        .map(|row| {
            batch
                .columns()
                .iter()
                .zip(&formatters)
                .map(|(c, f)| cell(c, f, row))
                .collect()
        })
        .collect())
}

fn slt_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/slt")
}

/// The `# case: <name>` comment nearest above `line` (1-based) of `file`.
fn case_at(file: &Path, line: u32) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let lines: Vec<&str> = text.lines().collect();
    let upto = (line as usize).min(lines.len());
    lines[..upto].iter().rev().find_map(|l| {
        l.trim()
            .strip_prefix("# case:")
            .map(|name| name.trim().to_string())
    })
}

/// Run one script (a file's text) in a fresh [`StepDb`].
async fn run_script(name: &str, script: &str) -> Result<(), sqllogictest::TestError> {
    let mut runner = sqllogictest::Runner::new(|| async { Ok(StepDb::new()) });
    runner.run_script_with_name_async(script, name).await
}

/// Run one `.slt` file; on failure, the text that names it.
async fn run_file(path: &Path) -> Result<(), String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let script = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
    // parse errors panic inside sqllogictest: report them as this file's failure
    let parsed = sqllogictest::parse_with_name::<DefaultColumnType>(&script, name.as_str());
    if let Err(e) = parsed {
        return Err(format!("{name}: cannot parse: {e}"));
    }
    run_script(&name, &script).await.map_err(|e| {
        let line = e.location().line();
        let case = case_at(path, line).unwrap_or_else(|| "(no # case: above)".into());
        format!("{name}:{line}: case `{case}` failed:\n{}", e.display(false))
    })
}

/// Every `tests/slt/*.slt`, sorted by name (those whose name contains
/// `SLT_FILTER`, when set).
fn slt_files() -> Vec<PathBuf> {
    let filter = std::env::var("SLT_FILTER").unwrap_or_default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(slt_dir())
        .expect("tests/slt")
        .map(|e| e.expect("tests/slt entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains(&filter))
        })
        .collect();
    files.sort();
    files
}

/// Every `.slt` file; all failing files are reported, each with its error.
#[tokio::test]
async fn slt_files_pass() {
    let files = slt_files();
    assert!(
        !files.is_empty(),
        "no .slt file in {} (SLT_FILTER={:?})",
        slt_dir().display(),
        std::env::var("SLT_FILTER").unwrap_or_default()
    );
    let mut failures = Vec::new();
    for file in &files {
        match run_file(file).await {
            Ok(()) => eprintln!("slt ok: {}", file.display()),
            Err(e) => failures.push(e),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} .slt files failed:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

/// The runner itself can fail: a wrong expected value, an unknown step, a
/// bad date (of DATE or PREVIOUS) and a step whose input is missing are
/// errors.
#[tokio::test]
async fn runner_reports_wrong_results_and_bad_pseudo_statements() {
    let wrong_value = "query T\nSELECT 1 + 1\n----\n3\n";
    assert!(run_script("wrong_value", wrong_value).await.is_err());
    let right_value = "query T\nSELECT 1 + 1\n----\n2\n";
    run_script("right_value", right_value).await.unwrap();
    for (bad, message) in [
        ("PULSETIER RUN 99_nothing.sql", "no such step"),
        ("PULSETIER DATE 2026-02-30", "not a YYYY-MM-DD date"),
        (
            "PULSETIER PREVIOUS 2026-03-32",
            "not a YYYY-MM-DD date or NONE",
        ),
        ("PULSETIER FLY", "unknown pseudo-statement"),
        // raw_accounts does not exist in a fresh session
        ("PULSETIER RUN 01_check_accounts.sql", "raw_accounts"),
    ] {
        let script = format!("statement ok\n{bad}\n");
        let err = run_script("bad", &script).await.unwrap_err();
        let text = err.display(false).to_string();
        assert!(text.contains(message), "{bad}: {text}");
    }
}

/// The check steps read `raw_<table>` (and surveys `checked_accounts`),
/// never `files_<table>`: the `.slt` files do not create it.
#[test]
fn check_steps_do_not_read_file_names() {
    for (file, _, sql) in steps() {
        assert!(!sql.contains("files_"), "{file} reads a files_<table>");
    }
}

/// The session's two settings (string types as Utf8, time zone UTC) only
/// change SQL type names and time-zone functions: no step uses either, so
/// the steps compute here what they compute in the pipeline.
#[test]
fn steps_name_no_string_or_timestamp_type_and_no_time_zone_function() {
    for (file, _, sql) in steps() {
        let code: String = sql
            .lines()
            .map(|line| line.split("--").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join(" ")
            .to_uppercase();
        let code = code.split_whitespace().collect::<Vec<_>>().join(" ");
        for banned in [
            "AS VARCHAR",
            "AS CHAR",
            "AS TEXT",
            "AS STRING",
            "AS TIMESTAMP",
            "TIMESTAMPTZ",
            "::",
            "NOW(",
            "CURRENT_DATE",
            "CURRENT_TIME",
            "TO_TIMESTAMP",
            "TO_DATE",
            "TO_LOCAL_TIME",
        ] {
            assert!(!code.contains(banned), "{file} uses {banned}");
        }
    }
}

#[test]
fn floats_print_with_ten_decimals_at_most() {
    assert_eq!(float_text(1.0), "1");
    assert_eq!(float_text(0.1 + 0.2), "0.3");
    assert_eq!(float_text(2.0 / 3.0), "0.6666666667");
    assert_eq!(float_text(-0.0), "0");
    assert_eq!(float_text(-1e-12), "0");
    assert_eq!(float_text(-2.5), "-2.5");
    assert_eq!(float_text(f64::NAN), "NaN");
    assert_eq!(float_text(f64::NEG_INFINITY), "-inf");
}
