//! `MetricsSink`: what the core and the providers report, as a trait, so neither names
//! the Prometheus registry (`monitoring::Metrics` implements it).

use super::stats::{PoolStats, StatusCount};
use std::time::Duration;

/// Where the core and the providers send their measurements.
pub trait MetricsSink: std::fmt::Debug + Send + Sync {
    /// One call to a provider. `outcome` is `ok` or an error class
    /// (`unavailable`, `invalid_grant`, `invalid_client`, ...).
    fn upstream_call(
        &self,
        provider: &'static str,
        operation: &'static str,
        outcome: &'static str,
        elapsed: Duration,
    );

    /// Time spent waiting for a credential's refresh `lock` (`process` or `lease`).
    fn refresh_lock_wait(&self, provider: &str, lock: &'static str, waited: Duration);

    /// Credentials per status; the known statuses are always reported (0 when none).
    fn set_credentials(&self, counts: &[StatusCount]);

    /// The database pool's occupancy.
    fn set_pool(&self, stats: PoolStats);

    /// Whether the token cache is on (its change feed connected) and how full it is.
    fn set_token_cache(&self, enabled: bool, entries: usize);
}
