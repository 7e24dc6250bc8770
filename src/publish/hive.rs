//! The Hive table format: the commit protocol of docs/SPEC.md §1. A run writes every file under
//! `<output>/_staging/snapshot_date=D/<run_id>/` first. Publishing one table's
//! partition D then (1) removes its `_SUCCESS`, so from here until step 4 no
//! reader or backfill takes the partition as complete, (2) moves the staged
//! files into place, (3) deletes files of an earlier run that this run did
//! not write, (4) writes `_SUCCESS`. A run killed at any point leaves each
//! partition as it was (with `_SUCCESS`), complete (with `_SUCCESS`), or
//! without `_SUCCESS`; partitions of other dates are never touched. Leftover
//! staging of a killed run for D is removed by the next run for D.

use chrono::NaiveDate;
use object_store::{ObjectStoreExt, PutPayload};

use super::staging::Staging;
use crate::error::{Error, Result};
use crate::part_files::WrittenFile;
use crate::storage::{partition_path, Location};

/// Name of the completion marker.
pub const SUCCESS: &str = "_SUCCESS";

/// Whether partition D of a table carries `_SUCCESS`.
pub async fn is_committed(out: &Location, table: &str, date: NaiveDate) -> Result<bool> {
    let marker = partition_path(out, table, date).clone().join(SUCCESS);
    match out.store.head(&marker).await {
        Ok(_) => Ok(true),
        Err(object_store::Error::NotFound { .. }) => Ok(false),
        Err(source) => Err(out.storage_err("head", &marker)(source)),
    }
}

/// The data files of partition D of a table (its `part-*` files; `_SUCCESS`
/// and other names starting with `_` or `.` left out), as URLs.
pub async fn published_files(out: &Location, table: &str, date: NaiveDate) -> Result<Vec<String>> {
    Ok(out
        .list_partition(table, date)
        .await?
        .unwrap_or_default()
        .into_iter()
        .map(|f| f.url)
        .collect())
}

/// Publish a staged table into partition D (steps 1–4 above).
pub async fn publish(
    out: &Location,
    staging: &Staging,
    table: &str,
    files: &[WrittenFile],
) -> Result<()> {
    let target = partition_path(out, table, staging.date);
    let marker = target.clone().join(SUCCESS);
    out.delete(&marker).await?;
    staging.checkpoint().await;
    let source_dir = staging.table_dir(table);
    for f in files {
        let from = source_dir.clone().join(f.name.as_str());
        let to = target.clone().join(f.name.as_str());
        out.store
            .rename(&from, &to)
            .await
            .map_err(|source| Error::Storage {
                op: "rename",
                url: format!("{} -> {}", out.display(&from), out.display(&to)),
                source: crate::storage::unlocated(source),
            })?;
        staging.checkpoint().await;
    }
    for obj in out.list(&target).await? {
        let keep = obj
            .location
            .filename()
            .is_some_and(|n| files.iter().any(|f| f.name == n));
        if !keep {
            out.delete(&obj.location).await?;
        }
    }
    staging.checkpoint().await;
    out.store
        .put(&marker, PutPayload::new())
        .await
        .map_err(out.storage_err("put", &marker))?;
    Ok(())
}
