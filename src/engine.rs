//! The engine seam. The contract and transform steps only need a DataFusion
//! `SessionContext`; this module decides whether it is a local one (the
//! default) or a Ballista client whose queries run on a remote cluster.
//! The client always does the writing and the commit: results stream back
//! from the executors and are staged and published exactly as with the
//! local engine, so rejects, quality gate, manifest and commit protocol do
//! not change. What differs: with Ballista, intermediate steps are kept as
//! Parquet files in the run's staging (a local in-memory cache cannot be
//! shipped to executors), and every input and the output root must be
//! readable by the executors (a shared file system or an object store they
//! are configured for).

use std::sync::Arc;

use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::prelude::SessionContext;

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::transform;

/// Whether the settings ask for a Ballista cluster.
pub fn is_ballista(s: &Settings) -> bool {
    s.engine.kind == "ballista"
}

/// The name of the engine for logs and the manifest.
pub fn describe(s: &Settings) -> String {
    if is_ballista(s) {
        format!("ballista {}", s.engine.scheduler)
    } else {
        "datafusion".into()
    }
}

/// A session for the configured engine.
pub async fn session(s: &Settings, runtime: Arc<RuntimeEnv>) -> Result<SessionContext> {
    if !is_ballista(s) {
        return transform::session(s, runtime);
    }
    ballista_session(s, runtime).await
}

#[cfg(feature = "ballista")]
async fn ballista_session(s: &Settings, runtime: Arc<RuntimeEnv>) -> Result<SessionContext> {
    use ballista::prelude::{SessionConfigExt, SessionContextExt};
    use datafusion::execution::SessionStateBuilder;
    use datafusion::prelude::SessionConfig;

    let url = s.engine.scheduler.clone();
    let scheduler_err = |message: String| Error::Scheduler {
        url: url.clone(),
        message,
    };
    let mut config = SessionConfig::new_with_ballista()
        .with_batch_size(s.engine.batch_size)
        .with_information_schema(false);
    if s.engine.target_partitions > 0 {
        config = config.with_target_partitions(s.engine.target_partitions);
    }
    let config = transform::apply_options(config, s)?;
    let state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(config)
        .with_runtime_env(runtime)
        .build();
    let ctx = SessionContext::remote_with_state(&url, state)
        .await
        .map_err(|e| scheduler_err(e.to_string()))?;
    // Fail fast, naming the scheduler, when it cannot be reached.
    let probe = async { ctx.sql("SELECT 1").await?.collect().await };
    match tokio::time::timeout(std::time::Duration::from_secs(60), probe).await {
        Ok(Ok(_)) => Ok(ctx),
        Ok(Err(e)) => Err(scheduler_err(e.to_string())),
        Err(_) => Err(scheduler_err("no answer within 60 s".into())),
    }
}

#[cfg(not(feature = "ballista"))]
async fn ballista_session(_: &Settings, _: Arc<RuntimeEnv>) -> Result<SessionContext> {
    Err(Error::Usage(
        "this pulsetier was built without Ballista support; build with `--features ballista`"
            .into(),
    ))
}

/// Run a Ballista scheduler and one executor in this process, print the
/// scheduler URL (`df://127.0.0.1:PORT`) on stdout, and serve until stopped.
/// For trying `--engine ballista` on one machine and for the test suite; a
/// real cluster runs the stock `ballista-scheduler` / `ballista-executor`.
#[cfg(feature = "ballista-standalone")]
pub async fn dev_cluster(vcores: usize) -> Result<()> {
    use ballista_core::serde::generated::ballista::scheduler_grpc_client::SchedulerGrpcClient;
    use ballista_core::serde::BallistaCodec;

    let addr = ballista_scheduler::standalone::new_standalone_scheduler()
        .await
        .map_err(|e| Error::Internal(format!("starting the scheduler: {e}")))?;
    let grpc = format!("http://127.0.0.1:{}", addr.port());
    let mut attempts = 0;
    let scheduler = loop {
        match SchedulerGrpcClient::connect(grpc.clone()).await {
            Ok(c) => break c,
            Err(e) if attempts > 100 => {
                return Err(Error::Internal(format!(
                    "scheduler {grpc} unreachable: {e}"
                )))
            }
            Err(_) => {
                attempts += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    };
    ballista_executor::new_standalone_executor(scheduler, vcores.max(1), BallistaCodec::default())
        .await
        .map_err(|e| Error::Internal(format!("starting the executor: {e}")))?;
    println!("df://127.0.0.1:{}", addr.port());
    crate::cancel::cancelled().await;
    Ok(())
}
