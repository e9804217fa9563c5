//! Cancellation of running scripts from another thread.

use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;
use rhai::{Dynamic, EvalAltResult, Position};

/// A sticky cancel request shared between an `Engine` and its `on_progress` callback.
///
/// Once requested, every script on the engine stops at its next operation with
/// `ErrorTerminated`, until `reset` is called.
#[derive(Default)]
pub struct Cancellation {
    requested: AtomicBool,
    reason: Mutex<String>,
}

impl Cancellation {
    pub fn request(&self, reason: String) {
        *self.reason.lock() = reason;
        self.requested.store(true, Ordering::Release);
    }

    pub fn reset(&self) {
        self.requested.store(false, Ordering::Release);
    }

    pub fn is_requested(&self) -> bool {
        self.requested.load(Ordering::Acquire)
    }

    /// Returns the termination token for Rhai's `on_progress` callback: the reason
    /// when cancellation is requested, else `None` so the script goes on.
    pub fn termination_token(&self) -> Option<Dynamic> {
        if self.is_requested() {
            Some(Dynamic::from(self.reason.lock().clone()))
        } else {
            None
        }
    }

    /// Fails with the same `ErrorTerminated` as a running script gets, so that a
    /// cancelled engine also rejects scripts that would finish before their first
    /// progress check.
    pub fn check(&self) -> Result<(), Box<EvalAltResult>> {
        match self.termination_token() {
            Some(token) => Err(EvalAltResult::ErrorTerminated(token, Position::NONE).into()),
            None => Ok(()),
        }
    }
}
