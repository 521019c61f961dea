//! What the operator's probes and metrics see: whether the database answers, whether
//! every stored ciphertext has its key here (`/ready`), and the store's gauges.

use super::key_rotation::KeyWatch;
use crate::core::runtime::token_cache::TokenCache;
use crate::domain::MetricsSink;
use crate::store::Store;
use std::sync::Arc;

/// What `/ready` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub database_ok: bool,
    /// Key ids of stored ciphertexts that no configured key opens.
    pub unknown_key_ids: Vec<String>,
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.database_ok && self.unknown_key_ids.is_empty()
    }
}

/// Answers the probes and fills the store's gauges. Uses: the `Store` supertrait's
/// `ping` and `pool_stats`, `CredentialStore` (status counts), `KeyStore` (through the watch).
pub struct Health {
    pub(in crate::core) store: Arc<dyn Store>,
    pub(in crate::core) key_watch: Arc<KeyWatch>,
    pub(in crate::core) cache: Arc<TokenCache>,
}

impl Health {
    /// Whether the database answers.
    pub async fn database_ok(&self) -> bool {
        self.store.ping().await.is_ok()
    }

    /// Whether this replica can serve: the database answers, and no stored ciphertext is
    /// under a key it lacks. Each check gets `timeout`; with the database down the key
    /// ids are unknowable (and readiness is false anyway).
    pub async fn readiness(&self, timeout: std::time::Duration) -> Readiness {
        let database_ok = tokio::time::timeout(timeout, self.database_ok())
            .await
            .unwrap_or(false);
        let unknown_key_ids = if database_ok {
            tokio::time::timeout(timeout, self.key_watch.unknown_key_ids())
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Readiness {
            database_ok,
            unknown_key_ids,
        }
    }

    /// Sets the store's gauges (credentials by status, pool occupancy) on `metrics`;
    /// called when `/metrics` is scraped so they are current without a polling task.
    pub async fn update_store_gauges(&self, metrics: &dyn MetricsSink) {
        metrics.set_pool(self.store.pool_stats());
        metrics.set_token_cache(self.cache.is_enabled(), self.cache.len());
        match self.store.credential_status_counts().await {
            Ok(counts) => metrics.set_credentials(&counts),
            Err(error) => tracing::warn!(%error, "could not count credentials by status"),
        }
    }
}
