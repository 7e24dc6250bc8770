//! `[lineage]`: the OpenLineage events a run sends to the data platform
//! (docs/lineage.md), and the scheduler's variables for them. Off by
//! default; they cannot fail a run.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Where OpenLineage events go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineageTransport {
    /// No events (the default).
    #[default]
    None,
    /// POST each event to `<url>/<endpoint>` (Marquez, DataHub, …).
    Http,
    /// Append each event as one JSON line to a local file.
    File,
}

/// `[lineage]`: OpenLineage run events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LineageSettings {
    /// `none`, `http` or `file`. Setting `url` (`OPENLINEAGE_URL`) or `file`
    /// by flag or environment turns the matching transport on.
    pub transport: LineageTransport,
    /// Base URL of the lineage server, e.g. `http://marquez:5000`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Path under `url` that takes events.
    pub endpoint: String,
    /// Local file the `file` transport appends to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Job namespace of the events.
    pub namespace: String,
    /// Job name of the events.
    pub job_name: String,
    /// Longest wait for one HTTP event, connection included; past it the
    /// event is dropped with a warning and the run goes on.
    pub timeout_ms: u64,
}

impl Default for LineageSettings {
    fn default() -> Self {
        LineageSettings {
            transport: LineageTransport::None,
            url: None,
            endpoint: "api/v1/lineage".into(),
            file: None,
            namespace: "pulsetier".into(),
            job_name: "pulsetier.run".into(),
            timeout_ms: 5000,
        }
    }
}

impl LineageSettings {
    /// A copy safe to print or store: the URL without userinfo or query.
    pub fn redacted(&self) -> LineageSettings {
        LineageSettings {
            url: self.url.as_deref().map(crate::redact::redact),
            ..self.clone()
        }
    }

    /// Reject a transport without its target before any run starts.
    pub(super) fn validate(&self) -> Result<()> {
        let missing = match self.transport {
            LineageTransport::Http if self.url.is_none() => Some("lineage.url (OPENLINEAGE_URL)"),
            LineageTransport::File if self.file.is_none() => Some("lineage.file"),
            _ => None,
        };
        if let Some(what) = missing {
            return Err(Error::Usage(format!(
                "lineage transport {:?} needs {what}",
                self.transport
            )));
        }
        if let (LineageTransport::Http, Some(url)) = (self.transport, &self.url) {
            url::Url::parse(url).map_err(|e| {
                Error::Usage(format!("lineage.url {}: {e}", crate::redact::redact(url)))
            })?;
        }
        if self.timeout_ms == 0 || self.timeout_ms > 120_000 {
            return Err(Error::Usage(format!(
                "lineage.timeout_ms must be in 1..=120000, got {}",
                self.timeout_ms
            )));
        }
        Ok(())
    }
}

/// What the scheduler hands a run through the environment for its lineage
/// events, read by the binary (`OPENLINEAGE_API_KEY`,
/// `OPENLINEAGE_PARENT_ID`, `OPENLINEAGE_ROOT_PARENT_ID`), never stored in
/// [`crate::Settings`], so never in a manifest, report or `pulsetier config`.
#[derive(Clone, Default)]
pub struct LineageEnv {
    /// Sent as `Authorization: Bearer <key>`; never logged.
    pub api_key: Option<String>,
    /// The parent run, `namespace/job_name/run_uuid`.
    pub parent_id: Option<String>,
    /// The root of the parent's run tree, same shape.
    pub root_parent_id: Option<String>,
}

impl LineageEnv {
    /// Read the three variables from the process environment.
    pub fn from_process_env() -> LineageEnv {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        LineageEnv {
            api_key: var("OPENLINEAGE_API_KEY"),
            parent_id: var("OPENLINEAGE_PARENT_ID"),
            root_parent_id: var("OPENLINEAGE_ROOT_PARENT_ID"),
        }
    }
}

impl std::fmt::Debug for LineageEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineageEnv")
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("parent_id", &self.parent_id)
            .field("root_parent_id", &self.root_parent_id)
            .finish()
    }
}
