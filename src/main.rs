//! The `pulsetier` binary: parse arguments, start logging and the runtime,
//! hand the command to its module under `cmd/`, and map the error to an exit
//! code (0 ok, 1 internal/I/O, 2 usage, 3 input contract, 4 quality gate or
//! audit, 5 stale or incomplete input, 6 account not in the snapshot,
//! 130/143 stopped by SIGINT/SIGTERM).

use std::process::ExitCode;

use clap::Parser;
use pulsetier::cancel::Cancel;
use pulsetier::Error;

mod cli;
mod cmd;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
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
    pulsetier::logging::init();
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
    let result = runtime.block_on(async {
        let cancel = Cancel::new();
        cancel.install_handlers();
        cmd::dispatch(cli.command, cancel).await
    });
    match result {
        Ok(code) => code,
        Err(e) => fail(&e),
    }
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
    eprintln!("{}", pulsetier::redact::redact_secrets(&msg));
    e.to_exit_code()
}
