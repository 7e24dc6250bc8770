//! Engine settings (`[engine]`, `table_format`): which engine runs the SQL,
//! its memory limit and parallelism, the output file layout, and the table
//! format the outputs are published in. Names are parsed the way the TOML
//! file spells them, so flags and environment variables accept the same.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Engine settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineSettings {
    /// `datafusion` (in process) or `ballista` (a remote cluster).
    pub kind: EngineKind,
    /// Ballista scheduler URL, `df://HOST:PORT` (with `kind = "ballista"`).
    pub scheduler: String,
    /// DataFusion target partitions (0 = number of cores).
    pub target_partitions: usize,
    /// Rows per Arrow batch.
    pub batch_size: usize,
    /// Memory pool limit, e.g. `1g`, `512m` (empty = unbounded). Spills to disk above it.
    pub memory_limit: MemoryLimit,
    /// Rows per Parquet row group in the outputs.
    pub row_group_size: usize,
    /// Rows per output file before a new `part-NNNNN` is started.
    pub rows_per_file: usize,
    /// Any DataFusion session option, by its full key
    /// (`"datafusion.optimizer.prefer_hash_join" = "false"`), applied after
    /// pulsetier's own; for tuning, like `SET` in `datafusion-cli`.
    pub datafusion: BTreeMap<String, String>,
}

/// How the outputs are published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TableFormat {
    /// Parquet folders per date, `_SUCCESS` last.
    Hive,
    /// Delta Lake tables (the `delta` feature).
    Delta,
}

/// Which engine runs the SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EngineKind {
    /// DataFusion in this process.
    #[serde(rename = "datafusion")]
    DataFusion,
    /// A remote Apache Ballista cluster.
    #[serde(rename = "ballista")]
    Ballista,
}

/// Parse a lower-case name the way the TOML file spells it (`hive`,
/// `ballista`, …), for flags and environment variables.
fn from_name<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T> {
    T::deserialize(serde::de::value::StrDeserializer::<serde::de::value::Error>::new(text.trim()))
        .map_err(|e| Error::Usage(format!("{what} {text:?}: {e}")))
}

impl std::str::FromStr for TableFormat {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        from_name("table format", text)
    }
}

impl std::str::FromStr for EngineKind {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        from_name("engine", text)
    }
}

/// A memory limit: the text it was given as (`1g`, shown back in the
/// manifest and `pulsetier config`) and its bytes, parsed once; empty text
/// means no limit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryLimit {
    text: String,
    bytes: Option<usize>,
}

impl MemoryLimit {
    /// The limit in bytes, or `None` when memory is unbounded.
    pub fn bytes(&self) -> Option<usize> {
        self.bytes
    }

    /// Whether a limit is set.
    pub fn is_set(&self) -> bool {
        self.bytes.is_some()
    }
}

impl std::str::FromStr for MemoryLimit {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self> {
        let bytes = match text.trim() {
            "" => None,
            t => Some(parse_size(t)?),
        };
        Ok(MemoryLimit {
            text: text.trim().to_string(),
            bytes,
        })
    }
}

impl Serialize for MemoryLimit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for MemoryLimit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Default for EngineSettings {
    fn default() -> Self {
        EngineSettings {
            kind: EngineKind::DataFusion,
            scheduler: String::new(),
            target_partitions: 0,
            batch_size: 8192,
            memory_limit: MemoryLimit::default(),
            row_group_size: 122_880,
            rows_per_file: 5_000_000,
            datafusion: BTreeMap::new(),
        }
    }
}

/// Parse a size such as `1g`, `512M`, `2GiB`, `1048576` into bytes.
pub fn parse_size(text: &str) -> Result<usize> {
    let t = text.trim().to_ascii_lowercase();
    let digits_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(digits_end);
    let value: f64 = num
        .parse()
        .map_err(|_| Error::Usage(format!("invalid size {text:?} (e.g. 1g, 512m)")))?;
    let mult: f64 = match unit.trim() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024.0_f64.powi(4),
        _ => return Err(Error::Usage(format!("invalid size unit in {text:?}"))),
    };
    Ok((value * mult) as usize)
}
