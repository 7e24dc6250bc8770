//! Cooperative cancellation on SIGINT / SIGTERM, as a value passed down (no
//! process global): the binary makes one [`Cancel`], installs the signal
//! handlers on it, and hands it to the run. The pipeline races its work
//! against [`Cancel::cancelled`] and, when a signal arrives before
//! publishing starts, removes its staging and stops with
//! [`Error::Interrupted`]. Publishing itself is short and is never cut in
//! half by a signal (a SIGKILL can still do that, and the commit order keeps
//! even that safe).
//!
//! [`Pause`] is the crash tests' hook: a run told to pause waits that long
//! once everything is staged and between the steps of every publish, so a
//! signal or SIGKILL can land there.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};

/// A cancellation token that also remembers which signal asked for it.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    token: CancellationToken,
    /// 0 = running, 2 = SIGINT, 15 = SIGTERM.
    signal: Arc<AtomicU8>,
}

impl Cancel {
    /// A token nobody has cancelled yet.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Request cancellation on behalf of `signal` (2 SIGINT, 15 SIGTERM).
    pub fn request(&self, signal: u8) {
        self.signal.store(signal, Ordering::SeqCst);
        self.token.cancel();
    }

    /// The interruption error for the signal received, if any.
    pub fn check(&self) -> Result<()> {
        match self.signal.load(Ordering::SeqCst) {
            0 if !self.token.is_cancelled() => Ok(()),
            15 => Err(Error::Interrupted("SIGTERM")),
            _ => Err(Error::Interrupted("SIGINT")),
        }
    }

    /// Resolves once cancellation has been requested.
    pub async fn cancelled(&self) {
        self.token.cancelled().await
    }

    /// Request cancellation on SIGINT or SIGTERM; a second signal of either
    /// kind exits the process at once. Needs a running tokio runtime.
    pub fn install_handlers(&self) {
        let cancel = self.clone();
        tokio::spawn(async move {
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
                    if cancel.check().is_err() {
                        std::process::exit(128 + i32::from(code));
                    }
                    tracing::warn!(
                        signal = code,
                        "stopping: removing staging, publishing nothing new"
                    );
                    cancel.request(code);
                }
            }
            #[cfg(not(unix))]
            {
                if tokio::signal::ctrl_c().await.is_ok() {
                    cancel.request(2);
                }
            }
        });
    }
}

/// The crash tests' pause (zero, and free, in production).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pause(pub Duration);

impl Pause {
    /// Wait the pause, if any.
    pub async fn wait(self) {
        if !self.0.is_zero() {
            tokio::time::sleep(self.0).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_names_its_signal_and_wakes_waiters() {
        let cancel = Cancel::new();
        assert!(cancel.check().is_ok());
        let waiter = tokio::spawn({
            let c = cancel.clone();
            async move { c.cancelled().await }
        });
        cancel.request(15);
        waiter.await.unwrap();
        assert!(matches!(cancel.check(), Err(Error::Interrupted("SIGTERM"))));
    }
}
