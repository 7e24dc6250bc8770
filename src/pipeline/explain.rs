//! `pulsetier explain`: the run's spine up to [`check`] on a session that
//! records each step's plan, then every transform step planned (with
//! `--analyze`, run) on its own.

use super::check::check;
use super::prepare::prepare;
use super::Run;
use crate::config::RunConfig;
use crate::contract::TABLES;
use crate::engine::{Engine, Keep, Plans};
use crate::error::{Error, Result};
use crate::transform;

/// The logical and physical plans of every SQL step, as text. Each step is
/// planned on its own, reading the steps before it as tables (empty ones,
/// or with `analyze` the computed results: then each step is executed and
/// its operators' rows, time and memory shown).
pub async fn explain(cfg: &RunConfig, analyze: bool) -> Result<String> {
    let engine = Engine::new(cfg.settings())?;
    let plans = Plans::default();
    let keep = Keep::Explain {
        analyze,
        plans: plans.clone(),
    };
    let mut run = Run::new(cfg, &engine);
    run.id = "explain".into();
    run.plans = Some(keep.clone());
    let c = check(prepare(&run).await?).await?;
    transform::run_steps(&c.p.session.ctx, &c.p.params, &keep, cfg.settings()).await?;
    let plans = plans
        .lock()
        .map_err(|_| Error::Internal("explain: plans lock poisoned".into()))?;
    let checks = TABLES
        .iter()
        .map(|spec| (spec.check_sql.0, format!("checked_{}", spec.name)));
    let steps = transform::STEPS
        .iter()
        .map(|step| (step.file, step.output.to_string()));
    let rust = [transform::CIRCLE_GRAPH, transform::SOCIAL_CIRCLE]
        .into_iter()
        .flat_map(|step| step.outputs.iter().map(move |o| (step.name, o.to_string())));
    let mut text = String::new();
    for (file, name) in checks.chain(steps).chain(rust) {
        let plan = plans
            .get(&name)
            .map(String::as_str)
            .unwrap_or("(not planned)");
        text.push_str(&format!("=== {file} ({name}) ===\n{plan}\n"));
    }
    Ok(text)
}
