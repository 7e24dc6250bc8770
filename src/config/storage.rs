//! Object store client settings (`[storage]`): retries, timeouts, the run
//! lock's staleness and builder options, with the secret-looking options
//! masked whenever the settings are shown.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Object store client settings. Credentials normally come from each
/// cloud's environment variables; `options` may carry builder keys
/// (`aws_endpoint`, `aws_region`, `google_service_account`, …) and is never
/// printed with its values except for keys known not to be secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSettings {
    /// Retries of a failed request (transient errors: 5xx, timeouts, resets).
    pub max_retries: usize,
    /// Give up retrying one request after this many seconds.
    pub retry_timeout_secs: u64,
    /// First backoff between retries, in milliseconds (doubles each retry).
    pub init_backoff_ms: u64,
    /// Longest backoff between retries, in seconds.
    pub max_backoff_secs: u64,
    /// Timeout of one request, in seconds.
    pub request_timeout_secs: u64,
    /// Timeout of connecting, in seconds.
    pub connect_timeout_secs: u64,
    /// A run lock older than this (or held by a dead process on this host) is stale.
    pub lock_stale_secs: u64,
    /// Extra object_store builder options (`key = "value"`).
    pub options: BTreeMap<String, String>,
}

impl Default for StorageSettings {
    fn default() -> Self {
        StorageSettings {
            max_retries: 10,
            retry_timeout_secs: 180,
            init_backoff_ms: 100,
            max_backoff_secs: 15,
            request_timeout_secs: 30,
            connect_timeout_secs: 5,
            lock_stale_secs: 6 * 3600,
            options: Default::default(),
        }
    }
}

impl StorageSettings {
    /// The options with the values of secret-looking keys replaced by `***`,
    /// for the manifest and `pulsetier config`.
    pub fn redacted(&self) -> StorageSettings {
        let mut out = self.clone();
        for (k, v) in out.options.iter_mut() {
            if crate::redact::is_secret_key(k) {
                *v = "***".into();
            }
        }
        out
    }
}
