//! The last stage: unless a blocking audit failed, each staged table
//! replaces partition D of its table (in the configured format), the
//! staging is removed and the manifest written last. Not cancellable:
//! publishing is short and never cut in half by a signal.

use std::time::Instant;

use tracing::info;

use super::stage::Staged;
use super::{Failure, Finished};
use crate::contract::elapsed_ms;
use crate::findings::Kind;
use crate::manifest::OutputStats;
use crate::publish::StagedTable;
use crate::storage::partition_path;

/// Publish every staged table and write the manifest. A run stopped by the
/// quality gate or a freshness check still publishes what it staged (the
/// rejects) and fails with its manifest written; a blocking audit publishes
/// nothing.
pub(crate) async fn commit(staged: Staged<'_>) -> Result<Finished, Failure> {
    let Staged { mut c, tables } = staged;
    let verdict = c.verdict();
    let (p, manifest) = (&c.p, &mut c.manifest);
    let output = p.output_url();
    if let Some(err) = manifest.checks.first_error(&[Kind::Audit, Kind::Anomaly]) {
        // a blocking audit: nothing is published, not even the rejects
        p.staging.remove(&p.output).await?;
        manifest.fail(&err);
        manifest.finish(std::mem::take(&mut c.timings));
        manifest.write(&p.output).await?;
        return Err(Failure {
            error: err,
            manifest: Some(c.manifest),
        });
    }
    let t = Instant::now();
    for (table, files) in &tables {
        let staged = StagedTable {
            staging: &p.staging,
            table,
            files,
        };
        let delta_version = p.publisher.publish(&staged).await?;
        let rows = files.iter().map(|f| f.rows).sum();
        info!(table = %table, rows, files = files.len(), ?delta_version, "published");
        manifest.outputs.insert(
            table.clone(),
            OutputStats {
                committed: true,
                partition: p.output.display(&partition_path(&p.output, table, p.date)),
                files: if p.publisher.lists_files() {
                    files.clone()
                } else {
                    Vec::new()
                },
                rows,
                delta_version,
            },
        );
    }
    p.staging.remove(&p.output).await?;
    c.timings.insert("publish".into(), elapsed_ms(t));
    if let Some(err) = &verdict {
        manifest.fail(err);
    }
    manifest.finish(c.timings);
    manifest.write(&p.output).await?;
    match verdict {
        Some(error) => Err(Failure {
            error,
            manifest: Some(c.manifest),
        }),
        None => Ok(Finished {
            manifest: c.manifest,
            output,
        }),
    }
}
