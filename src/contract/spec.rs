//! What the input contract says (docs/SPEC.md §1–2), as data: the five input
//! tables, their columns and the logical kind of each (which physical types
//! are accepted, which canonical type the typed view casts to), the check
//! step that applies each table's row rules, and which partition dates a
//! run for D reads.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use chrono::NaiveDate;

use crate::config::Settings;

/// The logical kind of a contract column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// String: Utf8, LargeUtf8, Utf8View or dictionary of those → Utf8.
    Str,
    /// Integer of any width → Int64.
    Int,
    /// Integer, float or decimal → Float64.
    Number,
    /// Integer, float or decimal → Decimal(18,2), plus a Float64 twin
    /// `<name>_f64` so NaN / infinity / overflow can be rejected.
    Money,
    /// Timestamp of any unit and zone → Timestamp(µs, UTC).
    Timestamp,
    /// Date32, Date64 or a timestamp → Date32.
    Date,
}

impl Kind {
    /// The canonical type of the typed view.
    pub fn canonical(self) -> DataType {
        match self {
            Kind::Str => DataType::Utf8,
            Kind::Int => DataType::Int64,
            Kind::Number => DataType::Float64,
            Kind::Money => DataType::Decimal128(18, 2),
            Kind::Timestamp => utc_micros(),
            Kind::Date => DataType::Date32,
        }
    }

    /// Human description of the accepted physical types, for errors.
    pub fn expected(self) -> &'static str {
        match self {
            Kind::Str => "string (Utf8, LargeUtf8, Utf8View)",
            Kind::Int => "integer (Int8..Int64, UInt8..UInt64)",
            Kind::Number | Kind::Money => "number (integer, float or decimal)",
            Kind::Timestamp => "timestamp (any unit, with or without time zone)",
            Kind::Date => "date (Date32, Date64 or timestamp)",
        }
    }

    /// Whether a physical type is accepted for this kind.
    pub fn accepts(self, dt: &DataType) -> bool {
        if let DataType::Dictionary(_, value) = dt {
            return self == Kind::Str && Kind::Str.accepts(value);
        }
        match self {
            Kind::Str => matches!(
                dt,
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            ),
            Kind::Int => dt.is_integer(),
            Kind::Number | Kind::Money => {
                dt.is_integer()
                    || dt.is_floating()
                    || matches!(
                        dt,
                        DataType::Decimal32(..)
                            | DataType::Decimal64(..)
                            | DataType::Decimal128(..)
                            | DataType::Decimal256(..)
                    )
            }
            Kind::Timestamp => matches!(dt, DataType::Timestamp(..)),
            Kind::Date => matches!(
                dt,
                DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)
            ),
        }
    }
}

/// Timestamp(µs, "UTC"): the canonical timestamp type.
pub fn utc_micros() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

/// Which partitions a table reads, relative to the snapshot date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// Exactly D; a missing partition is an error.
    Snapshot,
    /// D-(mentions_days-1) … D.
    Mentions,
    /// D-(nps_days-1) … D.
    Surveys,
    /// D-(influence_max_age_days-1) … D.
    Influence,
    /// D-(circle_days-1) … D.
    Circle,
}

/// One input table of the contract.
#[derive(Debug)]
pub struct TableSpec {
    /// Table (and folder) name.
    pub name: &'static str,
    /// The key column (`null_key` rule).
    pub key: &'static str,
    /// Contract columns in contract order.
    pub columns: &'static [(&'static str, Kind)],
    /// Partitions read.
    pub window: Window,
    /// SQL step applying the row rules (reads `raw_<name>`, produces `checked_<name>`).
    pub check_sql: (&'static str, &'static str),
    /// Tables whose `checked_<table>` the check step also reads; the checks
    /// of independent tables run at the same time.
    pub reads_checked: &'static [&'static str],
}

/// accounts (docs/SPEC.md §2).
pub const ACCOUNTS: TableSpec = TableSpec {
    name: "accounts",
    key: "account_id",
    columns: &[
        ("account_id", Kind::Str),
        ("segment", Kind::Str),
        ("region", Kind::Str),
        ("plan", Kind::Str),
        ("status", Kind::Str),
        ("signup_date", Kind::Date),
        ("monthly_spend", Kind::Money),
        ("services_count", Kind::Int),
        ("invoices_due_12m", Kind::Int),
        ("invoices_paid_on_time_12m", Kind::Int),
        ("social_handle", Kind::Str),
    ],
    window: Window::Snapshot,
    check_sql: (
        "01_check_accounts.sql",
        include_str!("../../sql/01_check_accounts.sql"),
    ),
    reads_checked: &[],
};

/// mentions (docs/SPEC.md §2).
pub const MENTIONS: TableSpec = TableSpec {
    name: "mentions",
    key: "mention_id",
    columns: &[
        ("mention_id", Kind::Str),
        ("platform", Kind::Str),
        ("author_handle", Kind::Str),
        ("posted_at", Kind::Timestamp),
        ("sentiment", Kind::Number),
        ("text", Kind::Str),
    ],
    window: Window::Mentions,
    check_sql: (
        "02_check_mentions.sql",
        include_str!("../../sql/02_check_mentions.sql"),
    ),
    reads_checked: &[],
};

/// surveys (docs/SPEC.md §2).
pub const SURVEYS: TableSpec = TableSpec {
    name: "surveys",
    key: "response_id",
    columns: &[
        ("response_id", Kind::Str),
        ("account_id", Kind::Str),
        ("responded_at", Kind::Timestamp),
        ("score", Kind::Int),
        ("channel", Kind::Str),
    ],
    window: Window::Surveys,
    check_sql: (
        "03_check_surveys.sql",
        include_str!("../../sql/03_check_surveys.sql"),
    ),
    reads_checked: &["accounts"],
};

/// influence_scores (docs/SPEC.md §2).
pub const INFLUENCE: TableSpec = TableSpec {
    name: "influence_scores",
    key: "handle",
    columns: &[
        ("handle", Kind::Str),
        ("provider", Kind::Str),
        ("score", Kind::Number),
        ("scored_at", Kind::Timestamp),
    ],
    window: Window::Influence,
    check_sql: (
        "04_check_influence_scores.sql",
        include_str!("../../sql/04_check_influence_scores.sql"),
    ),
    reads_checked: &[],
};

/// connections (docs/SPEC.md §2, §9): optional; a missing table or
/// partition is no rows.
pub const CONNECTIONS: TableSpec = TableSpec {
    name: "connections",
    key: "handle",
    columns: &[
        ("handle", Kind::Str),
        ("connected_handle", Kind::Str),
        ("kind", Kind::Str),
        ("observed_at", Kind::Timestamp),
    ],
    window: Window::Circle,
    check_sql: (
        "05_check_connections.sql",
        include_str!("../../sql/05_check_connections.sql"),
    ),
    reads_checked: &[],
};

/// The five input tables in contract order (surveys after accounts: the
/// survey check reads the checked accounts).
pub const TABLES: [&TableSpec; 5] = [&ACCOUNTS, &MENTIONS, &SURVEYS, &INFLUENCE, &CONNECTIONS];

impl TableSpec {
    /// Schema of `_rejects/<table>`: contract columns in canonical types,
    /// then `reject_reason` and `source_file`.
    pub fn reject_schema(&self) -> SchemaRef {
        let mut fields: Vec<Field> = self
            .columns
            .iter()
            .map(|(name, kind)| Field::new(*name, kind.canonical(), true))
            .collect();
        fields.push(Field::new("reject_reason", DataType::Utf8, true));
        fields.push(Field::new("source_file", DataType::Utf8, true));
        Arc::new(Schema::new(fields))
    }

    /// Schema of `raw_<table>`: what the typed view of one file yields.
    pub fn raw_schema(&self) -> SchemaRef {
        let mut fields = Vec::new();
        for (name, kind) in self.columns {
            fields.push(Field::new(*name, kind.canonical(), true));
            if *kind == Kind::Money {
                fields.push(Field::new(format!("{name}_f64"), DataType::Float64, true));
            }
        }
        fields.push(Field::new("file_id", DataType::Int32, true));
        fields.push(Field::new("snapshot_date", DataType::Date32, true));
        Arc::new(Schema::new(fields))
    }
}

/// The partition dates a table reads for snapshot date `date`, oldest first.
pub fn partition_dates(spec: &TableSpec, date: NaiveDate, s: &Settings) -> Vec<NaiveDate> {
    let days = match spec.window {
        Window::Snapshot => 1,
        Window::Mentions => s.windows.mentions_days,
        Window::Surveys => s.windows.nps_days,
        Window::Influence => s.windows.influence_max_age_days,
        Window::Circle => s.windows.circle_days,
    };
    (0..days)
        .rev()
        .map(|back| date - chrono::Days::new(u64::from(back)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_types_follow_the_contract() {
        assert!(Kind::Str.accepts(&DataType::LargeUtf8));
        assert!(Kind::Str.accepts(&DataType::Dictionary(
            Box::new(DataType::Int32),
            Box::new(DataType::Utf8)
        )));
        assert!(!Kind::Str.accepts(&DataType::Int64));
        assert!(Kind::Int.accepts(&DataType::UInt16));
        assert!(!Kind::Int.accepts(&DataType::Float64));
        assert!(Kind::Number.accepts(&DataType::Decimal128(10, 4)));
        assert!(Kind::Money.accepts(&DataType::Float32));
        assert!(Kind::Timestamp.accepts(&DataType::Timestamp(
            TimeUnit::Nanosecond,
            Some("+02:00".into())
        )));
        assert!(!Kind::Timestamp.accepts(&DataType::Date32));
        assert!(Kind::Date.accepts(&DataType::Date64));
    }

    #[test]
    fn windowed_tables_read_their_window_oldest_first() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        let s = Settings::default();
        assert_eq!(partition_dates(&ACCOUNTS, d, &s), [d]);
        let mentions = partition_dates(&MENTIONS, d, &s);
        assert_eq!(mentions.len(), 30);
        assert_eq!(mentions[0].to_string(), "2026-02-09"); // D - 29
        assert_eq!(mentions[29], d);
        assert_eq!(partition_dates(&SURVEYS, d, &s).len(), 90);
        assert_eq!(partition_dates(&CONNECTIONS, d, &s).len(), 90);
    }
}
