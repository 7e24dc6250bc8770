//! The OpenLineage RunEvents of a run (spec 2-0-2), built as JSON from what
//! the run knows: its ids and settings at START; its manifest (inputs read,
//! outputs published, status) and error at the end. Facets are the
//! standard ones (`nominalTime`, `processing_engine`, `parent`,
//! `errorMessage`, `jobType`, `schema`, `subset`, `inputStatistics`,
//! `outputStatistics`) plus one of ours, `pulsetier_run`, linking the event
//! to the run's manifest. No secret goes in: URLs are redacted and no
//! storage option or API key is read here.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Map, Value};

use crate::config::{LineageEnv, Settings};
use crate::contract::rejects;
use crate::contract::spec::TABLES;
use crate::manifest::{timestamp, Manifest};
use crate::redact::{redact, redact_secrets};
use crate::storage::Location;
use crate::tables::{Output, REJECTS_PREFIX};

const SPEC: &str = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
const FACETS: &str = "https://openlineage.io/spec/facets/";

/// The `producer` of every event and facet.
pub fn producer() -> String {
    format!("urn:pulsetier:{}", env!("CARGO_PKG_VERSION"))
}

/// The `eventType` of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// The run started.
    Start,
    /// It published every output.
    Complete,
    /// It stopped on an error (a failed gate, check or audit included).
    Fail,
    /// A signal stopped it.
    Abort,
}

impl EventType {
    fn as_str(self) -> &'static str {
        match self {
            EventType::Start => "START",
            EventType::Complete => "COMPLETE",
            EventType::Fail => "FAIL",
            EventType::Abort => "ABORT",
        }
    }
}

/// What every event of one run shares.
#[derive(Debug, Clone)]
pub struct RunFacts {
    /// pulsetier's run id (names the manifest).
    pub run_id: String,
    /// The OpenLineage run id: a UUID made from `run_id` ([`run_uuid`]).
    pub uuid: String,
    /// The snapshot date, when known (asked for, or resolved by the run).
    pub date: Option<NaiveDate>,
    /// Engine description (`datafusion`, `ballista df://…`).
    pub engine: String,
    /// Job namespace (`[lineage] namespace`).
    pub namespace: String,
    /// Job name (`[lineage] job_name`).
    pub job_name: String,
    /// The scheduler's run ids (never its API key).
    pub parent: ParentIds,
}

/// `OPENLINEAGE_PARENT_ID` and `OPENLINEAGE_ROOT_PARENT_ID`, as given.
#[derive(Debug, Clone, Default)]
pub struct ParentIds {
    /// `namespace/job_name/run_uuid` of the parent run.
    pub parent_id: Option<String>,
    /// The same of the root run.
    pub root_parent_id: Option<String>,
}

impl From<&LineageEnv> for ParentIds {
    fn from(env: &LineageEnv) -> ParentIds {
        ParentIds {
            parent_id: env.parent_id.clone(),
            root_parent_id: env.root_parent_id.clone(),
        }
    }
}

/// A UUID (version 7 layout: the start time's milliseconds first, so ids
/// sort by start) made from pulsetier's run id, which is not a UUID but is
/// what names the manifest: the same run id always gives the same UUID.
pub fn run_uuid(run_id: &str, started: DateTime<Utc>) -> String {
    let ms = u64::try_from(started.timestamp_millis()).unwrap_or(0) & 0xFFFF_FFFF_FFFF;
    let h1 = fnv1a(run_id.as_bytes(), 0xcbf2_9ce4_8422_2325);
    let h2 = fnv1a(run_id.as_bytes(), h1 ^ 0x9e37_79b9_7f4a_7c15);
    let hi = (ms << 16) | 0x7000 | (h1 & 0x0FFF);
    let lo = (h2 & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xFFFF,
        hi & 0xFFFF,
        lo >> 48,
        lo & 0xFFFF_FFFF_FFFF
    )
}

fn fnv1a(bytes: &[u8], seed: u64) -> u64 {
    bytes.iter().fold(seed, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A facet: its fields plus `_producer` and `_schemaURL`.
fn facet(schema: &str, fields: Value) -> Value {
    let mut map = match fields {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    map.insert("_producer".into(), producer().into());
    let url = if schema.starts_with("urn:") {
        schema.to_string()
    } else {
        format!("{FACETS}{schema}")
    };
    map.insert("_schemaURL".into(), url.into());
    Value::Object(map)
}

/// A parent id `namespace/job_name/run_uuid` (the job name may hold `/`).
fn parent_parts(id: &str) -> Option<(&str, &str, &str)> {
    let (namespace, rest) = id.split_once('/')?;
    let (job, run) = rest.rsplit_once('/')?;
    (!namespace.is_empty() && !job.is_empty() && !run.is_empty()).then_some((namespace, job, run))
}

fn run_facets(facts: &RunFacts, manifest: Option<&Manifest>, error: Option<&str>) -> Value {
    let mut facets = Map::new();
    if let Some(d) = facts.date {
        facets.insert(
            "nominalTime".into(),
            facet(
                "1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet",
                json!({"nominalStartTime": format!("{d}T00:00:00Z")}),
            ),
        );
    }
    facets.insert(
        "processing_engine".into(),
        facet(
            "1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet",
            json!({"version": datafusion::DATAFUSION_VERSION, "name": "DataFusion",
                   "openlineageAdapterVersion": env!("CARGO_PKG_VERSION")}),
        ),
    );
    if let Some((namespace, name, run)) = facts.parent.parent_id.as_deref().and_then(parent_parts) {
        let mut parent =
            json!({"run": {"runId": run}, "job": {"namespace": namespace, "name": name}});
        let root = facts
            .parent
            .root_parent_id
            .as_deref()
            .and_then(parent_parts);
        if let (Some((ns, job, run)), Some(obj)) = (root, parent.as_object_mut()) {
            obj.insert(
                "root".into(),
                json!({"run": {"runId": run}, "job": {"namespace": ns, "name": job}}),
            );
        }
        facets.insert(
            "parent".into(),
            facet("1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet", parent),
        );
    }
    if let Some(message) = error {
        facets.insert(
            "errorMessage".into(),
            facet(
                "1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet",
                json!({"message": redact_secrets(message), "programmingLanguage": "Rust"}),
            ),
        );
    }
    let mut ours = json!({"run_id": facts.run_id, "engine": facts.engine});
    if let (Some(m), Some(obj)) = (manifest, ours.as_object_mut()) {
        obj.insert("status".into(), json!(m.status));
        obj.insert("exit_code".into(), json!(m.exit_code));
    }
    facets.insert(
        "pulsetier_run".into(),
        facet("urn:pulsetier:facets:PulsetierRunFacet:1", ours),
    );
    Value::Object(facets)
}

/// A dataset's namespace and name by the OpenLineage naming rules: local
/// files are namespace `file` and their absolute path; object stores are
/// `scheme://bucket` and the key prefix.
pub fn dataset_id(loc: &Location, path: &object_store::path::Path) -> (String, String) {
    if loc.store_url.scheme() == "file" {
        ("file".into(), format!("/{path}"))
    } else {
        (
            redact(&format!(
                "{}://{}",
                loc.store_url.scheme(),
                loc.store_url.authority()
            )),
            path.to_string(),
        )
    }
}

fn schema_facet(fields: impl Iterator<Item = (String, String)>) -> Value {
    let fields: Vec<Value> = fields
        .map(|(name, ty)| json!({"name": name, "type": ty}))
        .collect();
    facet(
        "1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
        json!({"fields": fields}),
    )
}

fn partitions(dates: &[String]) -> Value {
    let parts: Vec<Value> = dates
        .iter()
        .map(|d| json!({"identifier": format!("snapshot_date={d}"), "dimensions": {"snapshot_date": d}}))
        .collect();
    json!({"type": "partition", "partitions": parts})
}

const SUBSET: &str = "1-0-0/BaseSubsetDatasetFacet.json#/$defs/";

/// The four input tables of a run, as its manifest records them.
fn inputs(m: &Manifest, input: &Location) -> Vec<Value> {
    TABLES
        .iter()
        .filter_map(|spec| m.inputs.get(spec.name).map(|stats| (spec, stats)))
        .map(|(spec, stats)| {
            let (namespace, name) = dataset_id(input, &input.child(&[spec.name]));
            let schema = schema_facet(spec.columns.iter().map(|(c, k)| (c.to_string(), k.canonical().to_string())));
            let size: u64 = stats.files.iter().map(|f| f.size).sum();
            json!({
                "namespace": namespace, "name": name,
                "facets": {"schema": schema},
                "inputFacets": {
                    "subset": facet(&format!("{SUBSET}InputSubsetInputDatasetFacet"),
                        json!({"inputCondition": partitions(&stats.partitions_read)})),
                    "inputStatistics": facet(
                        "1-0-0/InputStatisticsInputDatasetFacet.json#/$defs/InputStatisticsInputDatasetFacet",
                        json!({"rowCount": stats.rows_read, "fileCount": stats.files.len(), "size": size})),
                },
            })
        })
        .collect()
}

/// Every table the run committed (outputs and `_rejects/<table>`).
fn outputs_of(m: &Manifest, output: &Location, s: &Settings, date: NaiveDate) -> Vec<Value> {
    m.outputs
        .iter()
        .filter(|(_, o)| o.committed)
        .map(|(table, o)| {
            let parts: Vec<&str> = table.split('/').collect();
            let (namespace, name) = dataset_id(output, &output.child(&parts));
            let schema = match table.strip_prefix(REJECTS_PREFIX) {
                Some(t) => TABLES.iter().find(|spec| spec.name == t).map(|spec| rejects::schema(spec, &s.rejects)),
                None => Output::from_name(table).map(Output::schema),
            };
            let mut facets = Map::new();
            if let Some(schema) = schema {
                facets.insert("schema".into(), schema_facet(schema.fields().iter().map(|f| (f.name().clone(), f.data_type().to_string()))));
            }
            let mut stats = json!({"rowCount": o.rows});
            if !o.files.is_empty() {
                stats["fileCount"] = json!(o.files.len());
                stats["size"] = json!(o.files.iter().map(|f| f.bytes).sum::<u64>());
            }
            json!({
                "namespace": namespace, "name": name,
                "facets": facets,
                "outputFacets": {
                    "subset": facet(&format!("{SUBSET}OutputSubsetOutputDatasetFacet"),
                        json!({"outputCondition": partitions(&[date.to_string()])})),
                    "outputStatistics": facet(
                        "1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet",
                        stats),
                },
            })
        })
        .collect()
}

/// Where a run reads and writes, for the datasets of its events.
pub struct Places<'a> {
    /// The input root.
    pub input: &'a Location,
    /// The output root.
    pub output: &'a Location,
    /// The run's settings (the shape of `_rejects/<table>`).
    pub settings: &'a Settings,
}

/// What an end event says of how the run went (all `None` at START).
#[derive(Default, Clone, Copy)]
pub struct Ending<'a> {
    /// Where the run read and wrote.
    pub places: Option<&'a Places<'a>>,
    /// The manifest the run wrote, if it got that far: the datasets.
    pub manifest: Option<&'a Manifest>,
    /// The error it failed with: the `errorMessage` facet.
    pub error: Option<&'a str>,
}

/// One RunEvent. The `ending`'s manifest gives the datasets (none at START
/// or for a run that stopped before it had one), its error the
/// `errorMessage` facet.
pub fn run_event(
    kind: EventType,
    at: DateTime<Utc>,
    facts: &RunFacts,
    ending: Ending<'_>,
) -> Value {
    let Ending {
        places,
        manifest,
        error,
    } = ending;
    let (inputs, outputs) = match (manifest, places) {
        (Some(m), Some(p)) => {
            let outs = m
                .date()
                .map(|d| outputs_of(m, p.output, p.settings, d))
                .unwrap_or_default();
            (inputs(m, p.input), outs)
        }
        _ => (Vec::new(), Vec::new()),
    };
    json!({
        "eventType": kind.as_str(),
        "eventTime": timestamp(at),
        "producer": producer(),
        "schemaURL": SPEC,
        "run": {"runId": facts.uuid, "facets": run_facets(facts, manifest, error)},
        "job": {
            "namespace": facts.namespace,
            "name": facts.job_name,
            "facets": {"jobType": facet("2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
                json!({"processingType": "BATCH", "integration": "PULSETIER", "jobType": "JOB"}))},
        },
        "inputs": inputs,
        "outputs": outputs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn run_uuid_is_a_stable_version_7_uuid_of_the_run_id() {
        let t = Utc.with_ymd_and_hms(2026, 12, 4, 18, 0, 0).unwrap();
        let a = run_uuid("20261204T180000.000Z-0000abcd", t);
        assert_eq!(a, run_uuid("20261204T180000.000Z-0000abcd", t));
        assert_ne!(a, run_uuid("20261204T180000.000Z-0000abce", t));
        let parts: Vec<&str> = a.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('7'), "version nibble: {a}");
        assert!("89ab".contains(&parts[3][..1]), "variant bits: {a}");
        // the first 48 bits are the milliseconds of the start time
        let ms = u64::from_str_radix(&format!("{}{}", parts[0], parts[1]), 16).unwrap();
        assert_eq!(ms, t.timestamp_millis() as u64);
    }

    #[test]
    fn parent_ids_split_at_the_first_and_last_slash() {
        assert_eq!(
            parent_parts("airflow/nightly/dag.task/0190-uuid"),
            Some(("airflow", "nightly/dag.task", "0190-uuid"))
        );
        assert_eq!(parent_parts("no-slash"), None);
        assert_eq!(parent_parts("ns//run"), None);
    }

    #[test]
    fn start_event_has_the_run_job_and_no_datasets() {
        let facts = RunFacts {
            run_id: "r1".into(),
            uuid: "01900000-0000-7000-8000-000000000000".into(),
            date: NaiveDate::from_ymd_opt(2026, 3, 10),
            engine: "datafusion".into(),
            namespace: "pulsetier".into(),
            job_name: "pulsetier.run".into(),
            parent: ParentIds::from(&LineageEnv {
                api_key: Some("k-very-secret".into()),
                parent_id: Some("sched/nightly/01900000-0000-7000-8000-000000000001".into()),
                root_parent_id: None,
            }),
        };
        let at = Utc.with_ymd_and_hms(2026, 3, 11, 1, 0, 0).unwrap();
        let ev = run_event(EventType::Start, at, &facts, Ending::default());
        assert_eq!(ev["eventType"], "START");
        assert_eq!(ev["eventTime"], "2026-03-11T01:00:00.000Z");
        assert_eq!(ev["run"]["runId"], facts.uuid);
        assert_eq!(ev["job"]["namespace"], "pulsetier");
        assert_eq!(
            ev["run"]["facets"]["nominalTime"]["nominalStartTime"],
            "2026-03-10T00:00:00Z"
        );
        assert_eq!(ev["run"]["facets"]["parent"]["job"]["name"], "nightly");
        assert_eq!(ev["inputs"], json!([]));
        assert!(!ev.to_string().contains("k-very-secret"));
        let fail = run_event(
            EventType::Fail,
            at,
            &facts,
            Ending {
                error: Some("boom at https://u:pw@h/x"),
                ..Ending::default()
            },
        );
        assert_eq!(
            fail["run"]["facets"]["errorMessage"]["message"],
            "boom at https://***@h/x"
        );
        assert_eq!(fail["run"]["facets"]["pulsetier_run"]["run_id"], "r1");
    }
}
