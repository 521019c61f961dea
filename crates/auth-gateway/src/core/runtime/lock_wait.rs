//! Timing a refresh's wait for a peer replica's lease, reported to the metrics sink
//! when the wait ends, on whichever path the refresh leaves.

use crate::domain::MetricsSink;

/// Times a wait for a peer replica's refresh lease; reported when dropped, on whichever
/// path the refresh ends.
pub struct LockWait<'a> {
    metrics: Option<&'a dyn MetricsSink>,
    provider: &'a str,
    started: Option<std::time::Instant>,
}

impl<'a> LockWait<'a> {
    pub fn new(metrics: Option<&'a dyn MetricsSink>, provider: &'a str) -> Self {
        Self {
            metrics,
            provider,
            started: None,
        }
    }

    /// Marks the wait as begun (the first time only).
    pub fn start(&mut self) {
        self.started.get_or_insert_with(std::time::Instant::now);
    }
}

impl Drop for LockWait<'_> {
    fn drop(&mut self) {
        if let (Some(metrics), Some(started)) = (self.metrics, self.started) {
            metrics.refresh_lock_wait(self.provider, "lease", started.elapsed());
        }
    }
}
