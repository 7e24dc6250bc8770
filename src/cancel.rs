//! Cooperative cancellation on SIGINT / SIGTERM. The binary installs the
//! handlers; the pipeline races its work against [`cancelled`] and, when a
//! signal arrives before publishing starts, removes its staging and stops
//! with [`Error::Interrupted`]. Publishing itself is short and is never cut
//! in half by a signal (a SIGKILL can still do that, and the commit order
//! keeps even that safe).

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

use tokio::sync::Notify;

use crate::error::{Error, Result};

/// 0 = running, 2 = SIGINT, 15 = SIGTERM.
static SIGNAL: AtomicU8 = AtomicU8::new(0);

fn notify() -> &'static Notify {
    static N: OnceLock<Notify> = OnceLock::new();
    N.get_or_init(Notify::new)
}

/// Request cancellation (called from the signal handlers, or by embedders).
pub fn request(signal: u8) {
    SIGNAL.store(signal, Ordering::SeqCst);
    notify().notify_waiters();
}

/// The interruption error for the signal received, if any.
pub fn check() -> Result<()> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => Ok(()),
        15 => Err(Error::Interrupted("SIGTERM")),
        _ => Err(Error::Interrupted("SIGINT")),
    }
}

/// Resolves once cancellation has been requested.
pub async fn cancelled() {
    loop {
        let waiter = notify().notified();
        if check().is_err() {
            return;
        }
        waiter.await;
    }
}

/// Install SIGINT and SIGTERM handlers that request cancellation. A second
/// signal of either kind exits at once.
pub fn install_handlers() {
    tokio::spawn(async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let (Ok(mut int), Ok(mut term)) = (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) else {
                return;
            };
            loop {
                let code = tokio::select! {
                    _ = int.recv() => 2,
                    _ = term.recv() => 15,
                };
                if check().is_err() {
                    std::process::exit(128 + i32::from(code));
                }
                tracing::warn!(
                    signal = code,
                    "stopping: removing staging, publishing nothing new"
                );
                request(code);
            }
        }
        #[cfg(not(unix))]
        {
            if tokio::signal::ctrl_c().await.is_ok() {
                request(2);
            }
        }
    });
}
