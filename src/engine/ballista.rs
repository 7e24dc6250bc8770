//! The Ballista side of the engine seam: a client session whose queries run
//! on a remote cluster, and (`ballista-standalone`) a scheduler plus executor
//! in this process for trying it on one machine and for the tests.

use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use super::Engine;
use crate::error::{Error, Result};

/// A Ballista client session on the engine's runtime, probed once so an
/// unreachable scheduler fails fast, naming it.
pub(super) async fn session(engine: &Engine) -> Result<SessionContext> {
    use ballista::prelude::{SessionConfigExt, SessionContextExt};

    let url = engine.settings.scheduler.clone();
    let scheduler_err = |message: String| Error::Scheduler {
        url: url.clone(),
        message,
    };
    // Ballista 55's adaptive planner (on by default) re-plans without end
    // once a join input turns out empty at run time: the empty stage is
    // replaced by an empty plan that is exchanged again on every re-plan
    // (seen with the care queue's topic matches on the fixtures, where no
    // post names a topic). The static planner runs the same plans.
    let mut base = SessionConfig::new_with_ballista();
    base.options_mut()
        .set("ballista.planner.adaptive.enabled", "false")
        .map_err(|e| scheduler_err(e.to_string()))?;
    // the same settings as a local session (one partition per step under a
    // memory limit too)
    let config = engine.config(base)?;
    let state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(config)
        .with_runtime_env(engine.runtime.clone())
        .build();
    let ctx = SessionContext::remote_with_state(&url, state)
        .await
        .map_err(|e| scheduler_err(e.to_string()))?;
    let probe = async { ctx.sql("SELECT 1").await?.collect().await };
    match tokio::time::timeout(std::time::Duration::from_secs(60), probe).await {
        Ok(Ok(_)) => Ok(ctx),
        Ok(Err(e)) => Err(scheduler_err(e.to_string())),
        Err(_) => Err(scheduler_err("no answer within 60 s".into())),
    }
}

/// Run a Ballista scheduler and one executor in this process, print the
/// scheduler URL (`df://127.0.0.1:PORT`) on stdout, and serve until
/// `cancel` fires. For trying `--engine ballista` on one machine and for
/// the test suite; a real cluster runs the stock `ballista-scheduler` /
/// `ballista-executor`.
#[cfg(feature = "ballista-standalone")]
pub async fn dev_cluster(vcores: usize, cancel: &crate::cancel::Cancel) -> Result<()> {
    use ballista_core::serde::generated::ballista::scheduler_grpc_client::SchedulerGrpcClient;
    use ballista_core::serde::BallistaCodec;

    let addr = ballista_scheduler::standalone::new_standalone_scheduler()
        .await
        .map_err(|e| Error::Scheduler {
            url: "(in-process)".into(),
            message: format!("starting the scheduler: {e}"),
        })?;
    let grpc = format!("http://127.0.0.1:{}", addr.port());
    let mut attempts = 0;
    let scheduler = loop {
        match SchedulerGrpcClient::connect(grpc.clone()).await {
            Ok(c) => break c,
            Err(e) if attempts > 100 => {
                return Err(Error::Scheduler {
                    url: grpc,
                    message: format!("unreachable: {e}"),
                })
            }
            Err(_) => {
                attempts += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    };
    ballista_executor::new_standalone_executor(scheduler, vcores.max(1), BallistaCodec::default())
        .await
        .map_err(|e| Error::Scheduler {
            url: format!("df://127.0.0.1:{}", addr.port()),
            message: format!("starting the executor: {e}"),
        })?;
    println!("df://127.0.0.1:{}", addr.port());
    cancel.cancelled().await;
    Ok(())
}
