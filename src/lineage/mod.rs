//! OpenLineage run events (docs/lineage.md): START when a run begins, then
//! COMPLETE, FAIL or ABORT, for every `run` and every date of a `backfill`.
//! Off by default (`[lineage] transport = "none"`). Sent over HTTP to a
//! lineage server (Marquez, DataHub, …) with a bounded timeout, or appended
//! as JSON lines to a local file. Lineage never decides a run: an event that
//! cannot be delivered is a warning, and the run's exit code and outputs
//! stay what they would have been. START is sent while the run works; the
//! end event waits for it, so a server sees them in order.

use std::io::Write;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio::task::JoinHandle;

use crate::config::{LineageSettings, LineageTransport, RunConfig};
use crate::error::Error;
use crate::manifest::Manifest;
use crate::redact::{redact, redact_secrets};
use crate::storage::Location;

pub mod event;

pub use event::{run_event, run_uuid, Ending, EventType, ParentIds, Places, RunFacts};

/// The events of one run and where they go.
pub struct Lineage {
    settings: LineageSettings,
    api_key: Option<String>,
    client: Option<reqwest::Client>,
    facts: RunFacts,
    start: Option<JoinHandle<()>>,
}

impl Lineage {
    /// The lineage of a run with `run_id`, started at `started`; `None`
    /// when the transport is `none`.
    pub fn for_run(
        cfg: &RunConfig,
        run_id: &str,
        started: DateTime<Utc>,
        engine: String,
    ) -> Option<Lineage> {
        let s = &cfg.settings().lineage;
        let client = match s.transport {
            LineageTransport::None => return None,
            LineageTransport::File => None,
            LineageTransport::Http => {
                let timeout = Duration::from_millis(s.timeout_ms);
                match reqwest::Client::builder()
                    .timeout(timeout)
                    .connect_timeout(timeout)
                    .build()
                {
                    Ok(c) => Some(c),
                    Err(e) => {
                        tracing::warn!(error = %redact_secrets(&e.to_string()), "lineage: no HTTP client, events not sent");
                        return None;
                    }
                }
            }
        };
        Some(Lineage {
            settings: s.clone(),
            api_key: cfg.lineage_env.api_key.clone(),
            client,
            facts: RunFacts {
                run_id: run_id.to_string(),
                uuid: run_uuid(run_id, started),
                date: cfg.date(),
                engine,
                namespace: s.namespace.clone(),
                job_name: s.job_name.clone(),
                parent: ParentIds::from(&cfg.lineage_env),
            },
            start: None,
        })
    }

    /// Send START in the background.
    pub fn start(&mut self, at: DateTime<Utc>) {
        let ev = run_event(EventType::Start, at, &self.facts, Ending::default());
        let sender = self.sender();
        self.start = Some(tokio::spawn(async move { sender.send(ev).await }));
    }

    /// Send the end event of a run that succeeded (`error` `None`) or
    /// failed with `error` (waits for START first, each bounded by the
    /// timeout). `manifest` is the one the run wrote, if it got that far.
    pub async fn finish(
        mut self,
        cfg: &RunConfig,
        error: Option<&Error>,
        manifest: Option<&Manifest>,
    ) {
        if let Some(start) = self.start.take() {
            let _ = start.await;
        }
        let kind = match error {
            None => EventType::Complete,
            Some(Error::Interrupted(_)) => EventType::Abort,
            Some(_) => EventType::Fail,
        };
        if let Some(d) = manifest.and_then(Manifest::date) {
            self.facts.date = Some(d);
        }
        let s = cfg.settings();
        let input = Location::open(&s.input, &s.storage).ok();
        let output = Location::open(&s.output, &s.storage).ok();
        let places = input
            .as_ref()
            .zip(output.as_ref())
            .map(|(input, output)| Places {
                input,
                output,
                settings: s,
            });
        let error = error.map(|e| e.to_string());
        let ending = Ending {
            places: places.as_ref(),
            manifest,
            error: error.as_deref(),
        };
        let ev = run_event(kind, Utc::now(), &self.facts, ending);
        self.sender().send(ev).await;
    }

    fn sender(&self) -> Sender {
        Sender {
            settings: self.settings.clone(),
            api_key: self.api_key.clone(),
            client: self.client.clone(),
        }
    }
}

/// Delivers one event; owns what it needs so it can run in a task.
struct Sender {
    settings: LineageSettings,
    api_key: Option<String>,
    client: Option<reqwest::Client>,
}

impl Sender {
    async fn send(&self, ev: Value) {
        let kind = ev
            .get("eventType")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        let outcome = match (&self.client, &self.settings.url, &self.settings.file) {
            (Some(client), Some(url), _) => self.post(client, url, &ev).await,
            (None, _, Some(file)) => append(file, &ev),
            _ => Err("no lineage target".into()),
        };
        match outcome {
            Ok(to) => tracing::debug!(event = %kind, to = %to, "lineage event sent"),
            Err(e) => {
                tracing::warn!(event = %kind, error = %redact_secrets(&e), "lineage event not delivered; the run goes on")
            }
        }
    }

    async fn post(
        &self,
        client: &reqwest::Client,
        url: &str,
        ev: &Value,
    ) -> Result<String, String> {
        let target = format!(
            "{}/{}",
            url.trim_end_matches('/'),
            self.settings.endpoint.trim_start_matches('/')
        );
        let shown = redact(&target);
        let body = serde_json::to_vec(ev).map_err(|e| e.to_string())?;
        let mut req = client
            .post(&target)
            .header("Content-Type", "application/json")
            .body(body);
        if let Some(key) = &self.api_key {
            req = req.bearer_auth(key);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| format!("POST {shown}: {}", e.without_url()))?;
        if resp.status().is_success() {
            Ok(shown)
        } else {
            Err(format!("POST {shown}: HTTP {}", resp.status()))
        }
    }
}

/// Append `ev` as one line (one write, so concurrent dates of a backfill
/// do not interleave within a line).
fn append(file: &str, ev: &Value) -> Result<String, String> {
    let mut line = serde_json::to_vec(ev).map_err(|e| e.to_string())?;
    line.push(b'\n');
    if let Some(dir) = std::path::Path::new(file)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .and_then(|mut f| f.write_all(&line))
        .map_err(|e| format!("append to {file}: {e}"))?;
    Ok(file.to_string())
}
