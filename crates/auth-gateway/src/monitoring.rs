//! Prometheus metrics. Each app owns its own recorder (no global one), so tests can run
//! many gateways in one process and read each one's numbers; the `metrics` macros are
//! pointed at it with `with_local_recorder` around every (synchronous) update. The core
//! and the providers report through `domain::MetricsSink`, which `Metrics` implements.

use crate::domain::{MetricsSink, PoolStats, StatusCount};
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use std::sync::Arc;
use std::time::Duration;

/// The statuses a credential can have (the schema's CHECK constraint).
const KNOWN_STATUSES: [&str; 2] = ["active", "needs_reauth"];

/// The HTTP methods that get their own `method` label; any other is counted as `other`,
/// so no request can create a series (the method is the one label a client writes).
const KNOWN_METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// Histogram buckets in seconds: from 5 ms (a cached token) to 30 s (a slow provider).
const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// What became of a `POST /auth/token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOutcome {
    /// A stored, still valid token was handed out.
    Served,
    /// The token was refreshed at the provider first.
    Refreshed,
    NotAuthenticated,
    NeedsReauth,
    RefreshFailed,
    InsufficientScope,
    ProviderUnavailable,
    /// Any other error (bad input, unknown provider, database).
    Error,
}

impl TokenOutcome {
    /// The `outcome` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Served => "served",
            Self::Refreshed => "refreshed",
            Self::NotAuthenticated => "not_authenticated",
            Self::NeedsReauth => "needs_reauth",
            Self::RefreshFailed => "refresh_failed",
            Self::InsufficientScope => "insufficient_scope",
            Self::ProviderUnavailable => "provider_unavailable",
            Self::Error => "error",
        }
    }
}

/// The gateway's metrics; cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric described.
    pub fn new() -> Self {
        // The buckets are a non-empty constant, so this cannot fail; fall back to
        // summaries rather than panic if it ever did.
        let builder = PrometheusBuilder::new()
            .set_buckets(LATENCY_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = Arc::new(builder.build_recorder());
        let handle = recorder.handle();
        let metrics = Self { recorder, handle };
        metrics.record(|| {
            describe_counter!(
                "http_requests_total",
                "HTTP requests answered, by method, route and status."
            );
            describe_histogram!(
                "http_request_duration_seconds",
                metrics::Unit::Seconds,
                "Time to answer an HTTP request, by method, route and status."
            );
            describe_counter!(
                "token_requests_total",
                "POST /auth/token outcomes by provider: served, refreshed or the error class."
            );
            describe_counter!(
                "oauth_token_requests_total",
                "POST /oauth/token outcomes by grant_type (authorization_code, refresh_token, token_exchange, other): ok or the OAuth error code."
            );
            describe_counter!(
                "upstream_requests_total",
                "Calls to a provider, by provider, operation and outcome."
            );
            describe_histogram!(
                "upstream_request_duration_seconds",
                metrics::Unit::Seconds,
                "Time a provider took to answer, by provider and operation."
            );
            describe_counter!(
                "rate_limited_requests_total",
                "Requests refused with 429, by the limit that refused them (client or ip)."
            );
            describe_histogram!(
                "refresh_lock_wait_seconds",
                metrics::Unit::Seconds,
                "Time a token request waited for the refresh of its credential, by provider and lock: process (requests in this replica queue on one lock) or lease (a peer replica is refreshing)."
            );
            describe_gauge!(
                "credentials",
                "Stored credentials by status (active, needs_reauth), counted when /metrics is scraped."
            );
            describe_gauge!(
                "db_pool_connections",
                "Database pool connections by state: open, idle, max."
            );
            describe_gauge!(
                "token_cache_enabled",
                "1 while decrypted tokens are served from memory (the credential change feed is connected)."
            );
            describe_gauge!("token_cache_entries", "Tokens held in the in-memory cache.");
            describe_gauge!(
                "gateway_ready",
                "1 while the gateway answers /ready with 200, 0 otherwise."
            );
        });
        metrics
    }

    fn record(&self, update: impl FnOnce()) {
        metrics::with_local_recorder(&*self.recorder, update);
    }

    /// The Prometheus text exposition of everything recorded.
    pub fn render(&self) -> String {
        self.handle.render()
    }

    /// Drains histogram samples; call every few seconds.
    pub fn run_upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// One answered HTTP request. `route` is the matched route template, never the raw
    /// path (which may carry emails and session ids); `status` is chosen by the gateway.
    pub fn http_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let labels = [
            ("method", method_label(method).to_owned()),
            ("route", route.to_owned()),
            ("status", status.to_string()),
        ];
        self.record(|| {
            counter!("http_requests_total", &labels).increment(1);
            histogram!("http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
        });
    }

    /// The outcome of one token request.
    pub fn token_outcome(&self, provider: &str, outcome: TokenOutcome) {
        let labels = [
            ("provider", provider.to_owned()),
            ("outcome", outcome.as_str().to_owned()),
        ];
        self.record(|| counter!("token_requests_total", &labels).increment(1));
    }

    /// The outcome of one `POST /oauth/token`: `grant_type` is one of the grant types or
    /// `other`, `outcome` is `ok` or an OAuth error code, so the label set stays bounded.
    pub fn oauth_token_outcome(&self, grant_type: &'static str, outcome: &'static str) {
        self.record(|| {
            counter!("oauth_token_requests_total", "grant_type" => grant_type, "outcome" => outcome)
                .increment(1);
        });
    }

    /// A request refused by a rate limit (`client` or `ip`).
    pub fn rate_limited(&self, limit: &'static str) {
        self.record(|| counter!("rate_limited_requests_total", "limit" => limit).increment(1));
    }

    /// Whether the last readiness check passed.
    pub fn set_ready(&self, ready: bool) {
        self.record(|| gauge!("gateway_ready").set(if ready { 1.0 } else { 0.0 }));
    }
}

/// `method` if it is a known one, else `other`.
fn method_label(method: &str) -> &'static str {
    KNOWN_METHODS
        .into_iter()
        .find(|known| *known == method)
        .unwrap_or("other")
}

// The measurements the core and the providers report through the domain's trait.
impl MetricsSink for Metrics {
    fn upstream_call(
        &self,
        provider: &'static str,
        operation: &'static str,
        outcome: &'static str,
        elapsed: Duration,
    ) {
        self.record(|| {
            counter!("upstream_requests_total", "provider" => provider, "operation" => operation, "outcome" => outcome)
                .increment(1);
            histogram!("upstream_request_duration_seconds", "provider" => provider, "operation" => operation)
                .record(elapsed.as_secs_f64());
        });
    }

    fn refresh_lock_wait(&self, provider: &str, lock: &'static str, waited: Duration) {
        let labels = [("provider", provider.to_owned()), ("lock", lock.to_owned())];
        self.record(|| {
            histogram!("refresh_lock_wait_seconds", &labels).record(waited.as_secs_f64());
        });
    }

    fn set_credentials(&self, counts: &[StatusCount]) {
        self.record(|| {
            for status in KNOWN_STATUSES {
                let found = counts.iter().find(|count| count.status == status);
                let credentials = found.map_or(0, |count| count.credentials);
                #[allow(clippy::cast_precision_loss)] // a gauge; exact below 2^53
                gauge!("credentials", "status" => status).set(credentials as f64);
            }
        });
    }

    fn set_pool(&self, stats: PoolStats) {
        self.record(|| {
            for (state, value) in [
                ("open", stats.open),
                ("idle", stats.idle),
                ("max", stats.max),
            ] {
                gauge!("db_pool_connections", "state" => state).set(f64::from(value));
            }
        });
    }

    fn set_token_cache(&self, enabled: bool, entries: usize) {
        self.record(|| {
            gauge!("token_cache_enabled").set(if enabled { 1.0 } else { 0.0 });
            #[allow(clippy::cast_precision_loss)] // a gauge of at most 10 000
            gauge!("token_cache_entries").set(entries as f64);
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_known_methods_become_labels() {
        assert_eq!(super::method_label("POST"), "POST");
        assert_eq!(super::method_label("post"), "other");
        assert_eq!(super::method_label("BREW"), "other");
    }
}
