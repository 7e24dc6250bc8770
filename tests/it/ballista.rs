//! The distributed path (issue #8): the same `sql/` steps on a real Ballista
//! scheduler and executor (a separate `pulsetier dev-cluster` process: the
//! stock standalone scheduler + executor libraries talking gRPC on
//! loopback) give the same outputs, row for row, as the local engine; a
//! scheduler that is down is a clear error that publishes nothing.

use crate::common::*;

/// A scheduler + executor in a child process, stopped on drop.
#[cfg(feature = "ballista-standalone")]
struct Cluster {
    child: std::process::Child,
    url: String,
}

#[cfg(feature = "ballista-standalone")]
impl Cluster {
    fn start() -> Cluster {
        use std::io::{BufRead, BufReader};
        use std::process::Stdio;
        use std::sync::mpsc;
        use std::time::Duration;
        let mut child = binary()
            .args(["dev-cluster", "--vcores", "2"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let url = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("dev-cluster printed no URL")
            .trim()
            .to_string();
        assert!(url.starts_with("df://127.0.0.1:"), "{url}");
        Cluster { child, url }
    }
}

#[cfg(feature = "ballista-standalone")]
impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(feature = "ballista-standalone")]
#[test]
fn ballista_outputs_equal_the_local_engine_row_for_row() {
    let cluster = Cluster::start();
    let local = temp_dir("ballista-local");
    assert_exit(&run(&fixtures(), &local, &[]), 0);
    let remote = temp_dir("ballista-remote");
    let o = run(
        &fixtures(),
        &remote,
        &["--engine", "ballista", "--scheduler", &cluster.url],
    );
    assert_exit(&o, 0);
    for t in PUBLISHED {
        let dir = |root: &std::path::Path| root.join(t).join(format!("snapshot_date={DATE}"));
        let a = arrow::util::pretty::pretty_format_batches(&read_partition(&dir(&local)))
            .unwrap()
            .to_string();
        let b = arrow::util::pretty::pretty_format_batches(&read_partition(&dir(&remote)))
            .unwrap()
            .to_string();
        assert!(!a.is_empty());
        assert_eq!(a, b, "{t}: ballista rows differ from the local engine's");
        assert!(dir(&remote).join("_SUCCESS").exists());
    }
    let m = &manifests(&remote)[0];
    assert_eq!(m["status"], "success");
    assert_eq!(m["engine"], format!("ballista {}", cluster.url));
    assert_eq!(m["inputs"], manifests(&local)[0]["inputs"]);
}

#[cfg(feature = "ballista")]
#[test]
fn scheduler_down_is_a_clear_error_and_publishes_nothing() {
    let out = temp_dir("ballista-down");
    assert_exit(&run(&fixtures(), &out, &[]), 0);
    let before = snapshot_tree(&out);
    // port 9 (discard) on loopback: nothing listens there
    let o = run(
        &fixtures(),
        &out,
        &["--engine", "ballista", "--scheduler", "df://127.0.0.1:9"],
    );
    assert_exit(&o, 1);
    let err = stderr(&o);
    assert!(err.contains("ballista scheduler df://127.0.0.1:9"), "{err}");
    assert_eq!(snapshot_tree(&out), before);
}

#[cfg(not(feature = "ballista"))]
#[test]
fn without_the_feature_ballista_is_a_usage_error() {
    let o = run(
        &fixtures(),
        &temp_dir("no-ballista"),
        &["--engine", "ballista", "--scheduler", "df://127.0.0.1:9"],
    );
    assert_exit(&o, 2);
    assert!(stderr(&o).contains("--features ballista"), "{}", stderr(&o));
}

#[test]
fn ballista_needs_a_scheduler_url() {
    let o = run(
        &fixtures(),
        &temp_dir("ballista-nourl"),
        &["--engine", "ballista"],
    );
    assert_exit(&o, 2);
    assert!(
        stderr(&o).contains("--scheduler df://HOST:PORT"),
        "{}",
        stderr(&o)
    );
}

/// The circle (docs/SPEC.md §9) on a cluster: the planted graph of
/// tests/it/circle.rs (mentions with @-handles, connections with a reject)
/// gives the same social_circle, circle_prospects and
/// _rejects/connections rows on Ballista as on the local engine, and the
/// hand-computed ones. The fixtures test above covers a run without any
/// `connections` file.
#[cfg(feature = "ballista-standalone")]
#[test]
fn ballista_circle_equals_the_local_engine_on_the_planted_graph() {
    let cluster = Cluster::start();
    let (input, config) = crate::circle::planted("ballista-circle");
    let root = input.parent().unwrap().to_path_buf();
    let cfg = config.to_str().unwrap();
    let local = root.join("local");
    assert_exit(&run(&input, &local, &["--config", cfg]), 0);
    let remote = root.join("remote");
    let o = run(
        &input,
        &remote,
        &[
            "--config",
            cfg,
            "--engine",
            "ballista",
            "--scheduler",
            &cluster.url,
        ],
    );
    assert_exit(&o, 0);
    for t in PUBLISHED {
        let dir = |root: &std::path::Path| root.join(t).join(format!("snapshot_date={DATE}"));
        let pretty = |root: &std::path::Path| {
            arrow::util::pretty::pretty_format_batches(&read_partition(&dir(root)))
                .unwrap()
                .to_string()
        };
        assert_eq!(
            pretty(&local),
            pretty(&remote),
            "{t}: ballista rows differ from the local engine's"
        );
        assert!(dir(&remote).join("_SUCCESS").exists());
    }
    let rows = crate::circle::table_rows(&remote, "social_circle");
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[1][..4], ["B", "bob", "4", "3"]);
    assert_eq!(
        crate::circle::table_rows(&remote, "circle_prospects"),
        [["pro", "2", "43.33", "80.0"]]
    );
}
