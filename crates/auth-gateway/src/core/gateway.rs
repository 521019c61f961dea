//! `Gateway`: the core's single entry point. It owns the store, the key ring, the
//! providers and the clock; the HTTP layer makes one call into it per request.

use super::audit::IssueThrottle;
use super::clients::Access;
use super::clock::Clock;
use super::crypto::KeyRing;
use super::error::CoreError;
use super::key_rotation::KeyCheck;
use super::runtime::events::SessionEvents;
use super::runtime::flights::Flights;
use super::runtime::token_cache::TokenCache;
use crate::domain::{Email, IdentityPolicy, MetricsSink};
use crate::store::Store;
use crate::upstream::{Provider, known_provider};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

/// Settings the core needs, taken from the configuration once.
#[derive(Debug, Clone)]
pub struct GatewaySettings {
    /// Public base URL of this gateway; connect links are built on it.
    pub public_url: url::Url,
    pub session_ttl: chrono::Duration,
    /// Tokens expiring within this window are refreshed before being handed out.
    pub refresh_buffer: chrono::Duration,
    pub identity_policy: IdentityPolicy,
}

/// An authenticated API caller (an MCP server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub name: String,
    /// The providers and scopes the client may reach.
    pub access: Access,
}

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

/// The shared API key from `AUTH_GATEWAY_API_KEY` authenticates as this client.
pub const DEFAULT_CLIENT: &str = "default";

/// The core service.
pub struct Gateway {
    pub(super) store: Arc<dyn Store>,
    pub(super) keys: KeyRing,
    pub(super) providers: HashMap<String, Arc<dyn Provider>>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) settings: GatewaySettings,
    pub(super) api_key_digest: [u8; 32],
    /// Throttles "token issued" audit events.
    pub(super) issue_throttle: IssueThrottle,
    pub(super) events: SessionEvents,
    pub(super) flights: Flights,
    /// Names this process as the owner of refresh leases.
    pub(super) instance_id: String,
    /// The last count of ciphertexts per key id, for readiness.
    pub(super) key_check: KeyCheck,
    /// Where refresh lock waits are reported, when the app has metrics.
    pub(super) metrics: Option<Arc<dyn MetricsSink>>,
    /// Decrypted tokens, on while the store's change feed is connected.
    pub(super) token_cache: TokenCache,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("providers", &self.providers.keys().collect::<Vec<_>>())
            .field("keys", &self.keys)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// Builds the core. `api_key` is the shared `AUTH_GATEWAY_API_KEY` (client `default`).
    pub fn new(
        store: Arc<dyn Store>,
        keys: KeyRing,
        providers: Vec<Arc<dyn Provider>>,
        clock: Arc<dyn Clock>,
        settings: GatewaySettings,
        api_key: &SecretString,
    ) -> Self {
        Self {
            store,
            keys,
            providers: providers
                .into_iter()
                .map(|provider| (provider.name().to_owned(), provider))
                .collect(),
            clock,
            settings,
            api_key_digest: Sha256::digest(api_key.expose_secret().as_bytes()).into(),
            issue_throttle: IssueThrottle::default(),
            events: SessionEvents::default(),
            flights: Flights::default(),
            instance_id: uuid::Uuid::new_v4().to_string(),
            key_check: KeyCheck::default(),
            metrics: None,
            token_cache: TokenCache::default(),
        }
    }

    /// Reports refresh lock waits to `metrics`.
    #[must_use]
    pub fn with_metrics(mut self, metrics: impl MetricsSink + 'static) -> Self {
        self.metrics = Some(Arc::new(metrics));
        self
    }

    /// Sets the store's gauges (credentials by status, pool occupancy) on `metrics`;
    /// called when `/metrics` is scraped so they are current without a polling task.
    pub async fn update_store_gauges(&self, metrics: &dyn MetricsSink) {
        metrics.set_pool(self.store.pool_stats());
        metrics.set_token_cache(self.token_cache_enabled(), self.token_cache_len());
        match self.store.credential_status_counts().await {
            Ok(counts) => metrics.set_credentials(&counts),
            Err(error) => tracing::warn!(%error, "could not count credentials by status"),
        }
    }

    /// The current time, from the gateway's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

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
            tokio::time::timeout(timeout, self.unknown_key_ids())
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

    /// Wakes this replica's long-polls for a finished session, and asks the store to
    /// tell the other replicas.
    pub(super) async fn announce_finished(&self, id: uuid::Uuid) {
        self.events.finished(id);
        if let Err(error) = self.store.announce_session_finished(id).await {
            // Peers fall back to their periodic re-read.
            tracing::warn!(%error, "could not announce a finished session to other replicas");
        }
    }

    /// Relays sessions finished on other replicas to this replica's long-polls, for as
    /// long as the gateway runs (reconnecting after failures). Returns at once for a
    /// single-process store.
    pub async fn relay_session_events(self: Arc<Self>) {
        use futures::StreamExt as _;
        loop {
            match self.store.session_finished_events().await {
                Ok(None) => return,
                Ok(Some(mut ids)) => {
                    while let Some(id) = ids.next().await {
                        self.events.finished(id);
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for finished sessions; retrying");
                }
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }

    /// Follows the store's credential change feed for as long as the gateway runs,
    /// keeping the token cache on only while the feed is connected.
    pub async fn follow_credential_changes(self: Arc<Self>) {
        self.token_cache.follow_changes(self.store.as_ref()).await;
    }

    /// Whether tokens are being served from memory now (for metrics and tests).
    pub fn token_cache_enabled(&self) -> bool {
        self.token_cache.is_enabled()
    }

    /// Entries in the token cache now.
    pub fn token_cache_len(&self) -> usize {
        self.token_cache.len()
    }

    /// Whether a token for this user and provider is cached (for tests).
    pub fn token_cached(&self, provider: &str, user_email: &str) -> bool {
        self.token_cache.get(provider, user_email).is_some()
    }

    /// Deletes sessions that expired more than an hour ago; returns how many.
    pub async fn sweep_sessions(&self) -> Result<u64, CoreError> {
        let before = self.clock.now() - chrono::Duration::hours(1);
        Ok(self.store.delete_sessions_expired_before(before).await?)
    }

    pub(super) fn provider(&self, name: &str) -> Result<&Arc<dyn Provider>, CoreError> {
        if let Some(provider) = self.providers.get(name) {
            return Ok(provider);
        }
        let mut configured: Vec<String> = self.providers.keys().cloned().collect();
        configured.sort();
        let name: String = name.chars().take(64).collect();
        Err(if known_provider(&name).is_some() {
            CoreError::ProviderNotConfigured { name, configured }
        } else {
            CoreError::UnknownProvider { name, configured }
        })
    }

    pub(super) fn parse_email(raw: &str) -> Result<Email, CoreError> {
        Ok(Email::parse(raw)?)
    }
}
