//! The `pulsetier` binary: parse arguments, call the library, map the error
//! to an exit code (0 ok, 1 internal/I/O, 2 usage, 3 input contract,
//! 4 quality gate). Logs go to stderr (`RUST_LOG` / `PULSETIER_LOG`).

use std::process::ExitCode;

use clap::Parser;
use pulsetier::backfill::{self, BackfillConfig};
use pulsetier::cli::{Cli, Command};
use pulsetier::pipeline::{self, Mode};
use pulsetier::{Error, RunConfig};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    init_logging();
    // Deep query plans (one branch per input file, views inlined) recurse
    // deeply when planned, serialized for Ballista and run: big stacks.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(64 * 1024 * 1024)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&Error::Io(e)),
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(e) => fail(&e),
    }
}

async fn dispatch(command: Command) -> pulsetier::Result<ExitCode> {
    pulsetier::cancel::install_handlers();
    match command {
        Command::Run(args) => {
            let cfg = RunConfig::try_from(args)?;
            let report = pipeline::execute(&cfg, Mode::Run).await?;
            println!(
                "published snapshot_date={} to {} (run {}, customer_tiers {} rows)",
                report.manifest.snapshot_date,
                report.output,
                report.manifest.run_id,
                report
                    .manifest
                    .outputs
                    .get("customer_tiers")
                    .map_or(0, |o| o.rows)
            );
        }
        Command::Validate(args) => {
            let cfg = RunConfig::try_from(args)?;
            let report = pipeline::execute(&cfg, Mode::Validate).await?;
            println!("{}", serde_json::to_string_pretty(&report.manifest)?);
        }
        Command::Explain(args) => {
            let cfg = RunConfig::try_from(args.run)?;
            print!("{}", pipeline::explain(&cfg, args.analyze).await?);
        }
        #[cfg(feature = "ballista-standalone")]
        Command::DevCluster { vcores } => {
            pulsetier::engine::dev_cluster(vcores).await?;
        }
        Command::Config(args) => {
            let cfg = RunConfig::try_from(args)?;
            print!("{}", cfg.settings.to_toml());
        }
        Command::Backfill(args) => {
            let cfg = BackfillConfig::try_from(args)?;
            let summary = backfill::run(&cfg).await?;
            print!("{}", summary.to_text());
            if let Some(path) = &cfg.summary_json {
                summary.write_json(path)?;
            }
            return Ok(ExitCode::from(summary.exit_code));
        }
        Command::Generate(args) => {
            let cfg = pulsetier::generate::GenerateConfig::try_from(args)?;
            let report = pulsetier::generate::generate(&cfg).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Command::ScanFloor(args) => {
            let cfg = RunConfig::try_from(args)?;
            let report = pulsetier::generate::scan_floor(&cfg).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn init_logging() {
    let filter = std::env::var("PULSETIER_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt()
        .with_writer(backfill::log_writer)
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Print the whole cause chain once and return the error's exit code.
fn fail(e: &Error) -> ExitCode {
    let mut msg = format!("error: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg.push_str(&format!("\n  caused by: {text}"));
        }
        source = s.source();
    }
    eprintln!("{}", pulsetier::storage::redact_secrets(&msg));
    e.to_exit_code()
}
