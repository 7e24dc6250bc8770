//! Reading a published Delta table back: the data files of one partition
//! in the latest version (history and the report read them as Parquet),
//! and its row count (`validate` of a published date).

use chrono::NaiveDate;
use deltalake::datafusion::logical_expr::{col, lit};
use deltalake::datafusion::scalar::ScalarValue;

use super::{delta_err, open, table_err, PARTITION_COLUMN};
use crate::calendar::days_since_epoch;
use crate::error::{Error, Result};
use crate::storage::Location;

/// The data files of partition D in the latest version of a published
/// Delta table, as URLs of the run's store; none when the table does not
/// exist yet.
pub async fn published_files(out: &Location, table: &str, date: NaiveDate) -> Result<Vec<String>> {
    let t = open(out, table).await?;
    if t.version().is_none() {
        return Ok(Vec::new());
    }
    let day = date.to_string();
    let filter = [(
        PARTITION_COLUMN,
        deltalake::FilterOp::Eq,
        deltalake::FilterValue::Scalar(day.as_str()),
    )];
    let files = t
        .get_files_by_partitions(&filter)
        .await
        .map_err(|e| delta_err(out, table, e))?;
    let root = out.child(&[table]);
    Ok(files
        .iter()
        .map(|rel| {
            let path = rel.parts().fold(root.clone(), |p, part| p.join(part));
            out.url_of(&path)
        })
        .collect())
}

/// Rows of partition D in the latest version of a published Delta table,
/// with that version; `None` when the table does not exist yet.
pub async fn published_rows(
    out: &Location,
    table: &str,
    date: NaiveDate,
) -> Result<Option<(i64, u64)>> {
    let t = open(out, table).await?;
    let Some(version) = t.version() else {
        return Ok(None);
    };
    let ctx = deltalake::datafusion::prelude::SessionContext::new();
    t.update_datafusion_session(&ctx.state())
        .map_err(|e| delta_err(out, table, e))?;
    let provider = t
        .table_provider()
        .await
        .map_err(|e| Error::engine(table, e))?;
    let rows = ctx
        .read_table(provider)
        .and_then(|df| {
            df.filter(
                col(PARTITION_COLUMN).eq(lit(ScalarValue::Date32(Some(days_since_epoch(date))))),
            )
        })
        .map_err(|e| Error::engine(table, e))?
        .count()
        .await
        .map_err(|e| Error::engine(table, e))?;
    let version =
        i64::try_from(version).map_err(|_| table_err(table, format!("Delta version {version}")))?;
    Ok(Some((version, rows as u64)))
}
