//! Shared helpers: temp folders, fixture copies, running the binary,
//! reading published Parquet back as text rows.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

pub const DATE: &str = "2026-03-10";

/// The outputs of a run (without `_rejects`).
pub const OUTPUTS: [&str; 9] = [
    "customer_tiers",
    "nps_aggregates",
    "social_pulse",
    "tier_movements",
    "tier_migration",
    "nps_changes",
    "care_queue",
    "social_circle",
    "circle_prospects",
];

/// Every table a run publishes (partition D, with `_SUCCESS`).
pub const PUBLISHED: [&str; 14] = [
    OUTPUTS[0],
    OUTPUTS[1],
    OUTPUTS[2],
    OUTPUTS[3],
    OUTPUTS[4],
    OUTPUTS[5],
    OUTPUTS[6],
    OUTPUTS[7],
    OUTPUTS[8],
    "_rejects/accounts",
    "_rejects/mentions",
    "_rejects/surveys",
    "_rejects/influence_scores",
    "_rejects/connections",
];

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures() -> PathBuf {
    repo().join("fixtures/input")
}

/// A fresh, empty folder under the target dir (kept for inspection).
pub fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = repo().join("target/it-tmp").join(format!(
        "{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A private copy of the fixtures, to add faults to.
pub fn fixture_copy(name: &str) -> PathBuf {
    let dir = temp_dir(name).join("input");
    copy_dir(&fixtures(), &dir);
    dir
}

/// The built binary, run in the repository with quiet logs (warnings and
/// errors only, whatever `RUST_LOG` the test runner has).
pub fn binary() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pulsetier"));
    cmd.current_dir(repo())
        .env_remove("RUST_LOG")
        .env("PULSETIER_LOG", "warn");
    cmd
}

/// Run the binary with arguments; logs quiet unless the test fails.
pub fn pulsetier(args: &[&str]) -> Output {
    binary().args(args).output().unwrap()
}

pub fn run(input: &Path, output: &Path, extra: &[&str]) -> Output {
    run_on(input, output, DATE, extra)
}

/// `pulsetier run` of `date` from `input` to `output`, with `extra` flags.
pub fn run_on(input: &Path, output: &Path, date: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "run",
        "--date",
        date,
        "--input",
        input.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    pulsetier(&args)
}

/// Start `pulsetier run` for `date` in the background, pausing `pause_ms`
/// at each commit point (the `PULSETIER_TEST_PAUSE_MS` hook) so a test can
/// kill it in between; stderr is captured.
pub fn spawn_paused(input: &Path, out: &Path, date: &str, pause_ms: u64, extra: &[&str]) -> Child {
    binary()
        .args(["run", "--date", date, "--input"])
        .arg(input)
        .arg("--output")
        .arg(out)
        .args(extra)
        .env("PULSETIER_TEST_PAUSE_MS", pause_ms.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn assert_exit(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "exit code; stderr:\n{}\nstdout:\n{}",
        stderr(o),
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(!stderr(o).contains("panicked"), "{}", stderr(o));
}

/// All batches of every `part-*.parquet` of a partition, in file order.
pub fn read_partition(dir: &Path) -> Vec<RecordBatch> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let reader = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(f).unwrap())
            .unwrap()
            .build()
            .unwrap();
        out.extend(reader.map(|b| b.unwrap()));
    }
    out
}

/// Every file under a folder with its bytes, sorted by path (manifests excluded).
pub fn snapshot_tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.push((rel, fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.retain(|(p, _)| !p.starts_with("_manifests"));
    out.sort();
    out
}

/// The manifests written under an output root, parsed.
pub fn manifests(out: &Path) -> Vec<serde_json::Value> {
    let dir = out.join("_manifests").join(format!("snapshot_date={DATE}"));
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .map(|f| serde_json::from_slice(&fs::read(f).unwrap()).unwrap())
        .collect()
}

/// `pulsetier generate` into `dir` with `accounts` accounts and a seed.
pub fn generate_input(dir: &Path, accounts: u64, seed: u64) -> Output {
    pulsetier(&[
        "generate",
        "--output",
        dir.to_str().unwrap(),
        "--date",
        DATE,
        "--accounts",
        &accounts.to_string(),
        "--seed",
        &seed.to_string(),
    ])
}
