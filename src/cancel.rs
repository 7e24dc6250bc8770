//! Cooperative cancellation on SIGINT / SIGTERM, as a value passed down (no
//! process global): the binary makes one [`Cancel`], installs the signal
//! handlers on it, and hands it to the run. The pipeline runs its work
//! through [`Cancel::guard`] and, when a signal arrives before publishing
//! starts, removes its staging and stops with [`Error::Interrupted`],
//! which carries the [`Signal`]. Publishing itself is short and is never cut in
//! half by a signal (a SIGKILL can still do that, and the commit order keeps
//! even that safe).
//!
//! [`Pause`] is the crash tests' hook: a run told to pause waits that long
//! at each checkpoint of its staging (`publish::Staging::checkpoint`: once
//! everything is staged and between the steps of every publish), so a
//! signal or SIGKILL can land there.

use std::future::Future;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use crate::error::Signal;
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

    /// Request cancellation on behalf of `signal`.
    pub fn request(&self, signal: Signal) {
        self.signal.store(signal.number(), Ordering::SeqCst);
        self.token.cancel();
    }

    /// The signal that asked for cancellation, if any (SIGINT when the
    /// token was cancelled without one).
    pub fn signal(&self) -> Option<Signal> {
        match self.signal.load(Ordering::SeqCst) {
            0 if !self.token.is_cancelled() => None,
            15 => Some(Signal::Terminate),
            _ => Some(Signal::Interrupt),
        }
    }

    /// The interruption error for the signal received, if any.
    pub fn check(&self) -> Result<()> {
        match self.signal() {
            None => Ok(()),
            Some(s) => Err(Error::Interrupted(s)),
        }
    }

    /// Run `work` unless cancellation is requested first: then `work` is
    /// dropped (stopped at its next await) and the result is
    /// [`Error::Interrupted`] with the signal.
    pub async fn guard<T>(&self, work: impl Future<Output = Result<T>>) -> Result<T> {
        tokio::select! {
            biased;
            _ = self.token.cancelled() => {
                Err(Error::Interrupted(self.signal().unwrap_or(Signal::Interrupt)))
            }
            r = work => r,
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
                    let got = tokio::select! {
                        _ = int.recv() => Signal::Interrupt,
                        _ = term.recv() => Signal::Terminate,
                    };
                    if cancel.check().is_err() {
                        std::process::exit(i32::from(got.exit_code()));
                    }
                    tracing::warn!(
                        signal = %got,
                        "stopping: removing staging, publishing nothing new"
                    );
                    cancel.request(got);
                }
            }
            #[cfg(not(unix))]
            {
                if tokio::signal::ctrl_c().await.is_ok() {
                    cancel.request(Signal::Interrupt);
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
        cancel.request(Signal::Terminate);
        waiter.await.unwrap();
        assert!(matches!(
            cancel.check(),
            Err(Error::Interrupted(Signal::Terminate))
        ));
        assert_eq!(Error::Interrupted(Signal::Terminate).exit_code(), 143);
        assert_eq!(Error::Interrupted(Signal::Interrupt).exit_code(), 130);
    }

    #[tokio::test]
    async fn guard_stops_work_with_the_signal() {
        let cancel = Cancel::new();
        assert_eq!(cancel.guard(async { Ok(7) }).await.unwrap(), 7);
        cancel.request(Signal::Interrupt);
        let never = std::future::pending::<Result<()>>();
        assert!(matches!(
            cancel.guard(never).await,
            Err(Error::Interrupted(Signal::Interrupt))
        ));
    }
}
