//! Refreshing a credential with single flight: one upstream call per expiry however
//! many requests (and replicas) want it, written fenced on the row's version before any
//! caller gets the new token; failures classified (G5, G6).

use super::credentials::{Credentials, IssuedToken, credential_binding};
use crate::core::audit::{AuditAction, AuditLog, AuditOutcome};
use crate::core::client::Client;
use crate::core::clock::Clock;
use crate::core::crypto::KeyRing;
use crate::core::error::{CoreError, SignInReason};
use crate::core::runtime::flights::Flights;
use crate::core::runtime::lock_wait::LockWait;
use crate::core::runtime::retry;
use crate::core::runtime::token_cache::TokenCache;
use crate::domain::{Email, MetricsSink, ScopeSet};
use crate::store::{CredentialRecord, CredentialStore, LeaseStore, RefreshedTokens};
use crate::upstream::{Provider, TokenGrant, UpstreamError};
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// How long a refresher may hold a credential's lease: the upstream timeout plus a
/// margin. A replica that dies mid-refresh blocks its peers for at most this long.
const REFRESH_LEASE: chrono::Duration = chrono::Duration::seconds(15);
/// How often a replica waiting for a peer's refresh re-reads the row.
const PEER_POLL_INTERVAL: std::time::Duration = std::time::Duration::from_millis(50);
/// Longest a request waits for peers before answering 503 (two leases' worth).
const MAX_PEER_WAIT: std::time::Duration = std::time::Duration::from_secs(30);
pub(super) const DEFAULT_TOKEN_LIFETIME_SECS: i64 = 3600;
/// Seconds a caller is told to wait when the provider is unavailable.
pub const RETRY_AFTER_SECS: u64 = 30;

/// When a stored token may be served instead of refreshed.
#[derive(Debug, Clone, Copy)]
pub enum Freshness {
    /// It stays valid for longer than this.
    Buffer(chrono::Duration),
    /// It was replaced at or after this time (and has not expired): a forced refresh
    /// after the provider rejected the token, shared by concurrent callers.
    ReplacedSince(DateTime<Utc>),
}

impl Freshness {
    pub fn accepts(self, credential: &CredentialRecord, now: DateTime<Utc>) -> bool {
        match self {
            Self::Buffer(buffer) => credential.expires_at - buffer > now,
            Self::ReplacedSince(since) => {
                credential.updated_at >= since && credential.expires_at > now
            }
        }
    }
}

/// Who wants which credential refreshed, and what the token must cover.
#[derive(Clone, Copy)]
pub struct RefreshRequest<'a> {
    pub client: &'a Client,
    pub provider: &'a Arc<dyn Provider>,
    pub email: &'a Email,
    pub required: &'a ScopeSet,
}

/// The refresh engine. Uses: `CredentialStore`, `LeaseStore` (and `AuditStore` through the log).
pub struct Refresher {
    pub(in crate::core) store: Arc<dyn CredentialStore>,
    pub(in crate::core) leases: Arc<dyn LeaseStore>,
    pub(in crate::core) keys: Arc<KeyRing>,
    pub(in crate::core) clock: Arc<dyn Clock>,
    pub(in crate::core) credentials: Arc<Credentials>,
    pub(in crate::core) cache: Arc<TokenCache>,
    pub(in crate::core) audit: Arc<AuditLog>,
    pub(in crate::core) flights: Flights,
    /// Names this process as the owner of refresh leases.
    pub(in crate::core) instance_id: Arc<str>,
    /// Where refresh lock waits are reported, when the app has metrics.
    pub(in crate::core) metrics: Option<Arc<dyn MetricsSink>>,
}

impl Refresher {
    /// The same engine, reporting its lock waits to `metrics` (with its own flights:
    /// call it before serving).
    #[must_use]
    pub fn reporting_to(&self, metrics: Arc<dyn MetricsSink>) -> Self {
        Self {
            store: Arc::clone(&self.store),
            leases: Arc::clone(&self.leases),
            keys: Arc::clone(&self.keys),
            clock: Arc::clone(&self.clock),
            credentials: Arc::clone(&self.credentials),
            cache: Arc::clone(&self.cache),
            audit: Arc::clone(&self.audit),
            flights: Flights::default(),
            instance_id: Arc::clone(&self.instance_id),
            metrics: Some(metrics),
        }
    }

    /// Refreshes with single flight at two levels: an in-process lock per credential
    /// (one database attempt per replica), then the row's lease in the database (one
    /// upstream refresh across replicas). Whoever waited re-reads the winner's row.
    pub async fn refresh(
        &self,
        request: &RefreshRequest<'_>,
        freshness: Freshness,
    ) -> Result<IssuedToken, CoreError> {
        let RefreshRequest {
            client,
            provider,
            email,
            required,
        } = *request;
        let provider_name = provider.name();
        let queued = std::time::Instant::now();
        let _flight = self.flights.lock(email.as_str(), provider_name).await;
        if let Some(metrics) = &self.metrics {
            metrics.refresh_lock_wait(provider_name, "process", queued.elapsed());
        }
        let mut peer_wait = LockWait::new(self.metrics.as_deref(), provider_name);
        let deadline = tokio::time::Instant::now() + MAX_PEER_WAIT;
        loop {
            let credential = self.store.credential(email.as_str(), provider_name).await?;
            let credential = self
                .credentials
                .usable(client, provider.as_ref(), email, required, credential)
                .await?;
            let now = self.clock.now();
            if freshness.accepts(&credential, now) {
                return self.credentials.issue(&credential);
            }
            let leased = self
                .leases
                .acquire_refresh_lease(
                    email.as_str(),
                    provider_name,
                    &self.instance_id,
                    now + REFRESH_LEASE,
                    now,
                )
                .await?;
            if let Some(credential) = leased {
                let result = self
                    .refresh_leased(request, credential, now, freshness)
                    .await;
                // Successful writes released it already; this covers every other exit.
                if let Err(error) = self
                    .leases
                    .release_refresh_lease(email.as_str(), provider_name, &self.instance_id)
                    .await
                {
                    tracing::warn!(%error, "could not release the refresh lease; it runs out by itself");
                }
                return result;
            }
            // A peer replica holds the lease: wait for its write, or for the lease to run
            // out if it died.
            if tokio::time::Instant::now() >= deadline {
                return Err(CoreError::ProviderUnavailable {
                    retry_after_secs: RETRY_AFTER_SECS,
                    source: UpstreamError::Unavailable(
                        "timed out waiting for a peer's refresh".into(),
                    ),
                });
            }
            peer_wait.start();
            tokio::time::sleep(PEER_POLL_INTERVAL).await;
        }
    }

    /// Refreshes a credential whose lease we hold (`credential` was read under it).
    async fn refresh_leased(
        &self,
        request: &RefreshRequest<'_>,
        credential: CredentialRecord,
        now: DateTime<Utc>,
        freshness: Freshness,
    ) -> Result<IssuedToken, CoreError> {
        let RefreshRequest {
            client,
            provider,
            email,
            required,
        } = *request;
        let provider_name = provider.name();
        let credential = self
            .credentials
            .usable(client, provider.as_ref(), email, required, Some(credential))
            .await?;
        if freshness.accepts(&credential, now) {
            return self.credentials.issue(&credential);
        }
        let Some(sealed_refresh) = &credential.refresh_token else {
            if credential.expires_at > now {
                return self.credentials.issue(&credential);
            }
            return Err(self
                .credentials
                .sign_in_required(
                    client,
                    provider.as_ref(),
                    email,
                    &credential,
                    required,
                    SignInReason::RefreshFailed,
                )
                .await);
        };
        let refresh_token = self.keys.open(
            credential_binding(&credential, "refresh_token"),
            &sealed_refresh.key_id,
            &sealed_refresh.ciphertext,
        )?;
        match retry::with_backoff(|| provider.refresh(&refresh_token)).await {
            Ok(grant) => {
                let stored = self.save_refreshed(&credential, grant, now).await?;
                let outcome = stored
                    .as_ref()
                    .map_or(AuditOutcome::Superseded, |_| AuditOutcome::Ok);
                self.audit_refresh(client, email, provider_name, outcome)
                    .await;
                match stored {
                    Some(token) => Ok(token),
                    None => {
                        self.credentials
                            .reread_and_issue(client, provider.as_ref(), email, required)
                            .await
                    }
                }
            }
            Err(UpstreamError::InvalidGrant) => {
                self.grant_rejected(request, &credential, now).await
            }
            Err(error) => {
                if matches!(error, UpstreamError::InvalidClient) {
                    tracing::error!(
                        provider = provider_name,
                        "provider rejected our client credentials: check the client id and secret"
                    );
                } else {
                    tracing::warn!(provider = provider_name, %error, "refresh failed");
                }
                self.audit_refresh(client, email, provider_name, AuditOutcome::ProviderError)
                    .await;
                if credential.expires_at > now {
                    // Still valid, only inside the refresh buffer: serve it meanwhile.
                    return self.credentials.issue(&credential);
                }
                Err(CoreError::ProviderUnavailable {
                    retry_after_secs: RETRY_AFTER_SECS,
                    source: error,
                })
            }
        }
    }

    /// The provider rejected the refresh token: unless a peer replaced it meanwhile, the
    /// grant is marked as needing sign-in and the sign-in link is the answer.
    pub(super) async fn grant_rejected(
        &self,
        request: &RefreshRequest<'_>,
        credential: &CredentialRecord,
        now: DateTime<Utc>,
    ) -> Result<IssuedToken, CoreError> {
        let RefreshRequest {
            client,
            provider,
            email,
            required,
        } = *request;
        let provider_name = provider.name();
        // A peer may have refreshed (and rotated) in the meantime: re-read first.
        let current = self.store.credential(email.as_str(), provider_name).await?;
        if let Some(current) = current.filter(|c| c.version != credential.version) {
            let current = self
                .credentials
                .usable(client, provider.as_ref(), email, required, Some(current))
                .await?;
            return self.credentials.issue(&current);
        }
        self.store
            .mark_needs_reauth(email.as_str(), provider_name, credential.version, now)
            .await?;
        self.cache.invalidate(provider_name, email.as_str());
        tracing::warn!(
            provider = provider_name,
            "grant rejected by provider; sign-in needed"
        );
        self.audit_refresh(client, email, provider_name, AuditOutcome::NeedsReauth)
            .await;
        Err(self
            .credentials
            .sign_in_required(
                client,
                provider.as_ref(),
                email,
                credential,
                required,
                SignInReason::NeedsReauth,
            )
            .await)
    }

    pub(super) async fn audit_refresh(
        &self,
        client: &Client,
        email: &Email,
        provider: &str,
        outcome: AuditOutcome,
    ) {
        self.audit
            .grant_event(
                &client.name,
                email.as_str(),
                provider,
                AuditAction::TokenRefreshed,
                outcome,
            )
            .await;
    }

    /// Stores refreshed tokens fenced on the version read, so the rotated refresh token
    /// is persisted before the access token leaves. `None` when a peer wrote first.
    async fn save_refreshed(
        &self,
        credential: &CredentialRecord,
        grant: TokenGrant,
        now: DateTime<Utc>,
    ) -> Result<Option<IssuedToken>, CoreError> {
        let lifetime = grant
            .expires_in
            .and_then(|secs| i64::try_from(secs).ok())
            .unwrap_or(DEFAULT_TOKEN_LIFETIME_SECS);
        let tokens = RefreshedTokens {
            access_token: self.keys.seal(
                credential_binding(credential, "access_token"),
                &grant.access_token,
            ),
            refresh_token: grant.refresh_token.as_ref().map(|token| {
                self.keys
                    .seal(credential_binding(credential, "refresh_token"), token)
            }),
            expires_at: now + chrono::Duration::seconds(lifetime),
            scopes: grant
                .scope
                .as_deref()
                .map(|scope| ScopeSet::from_space_separated(scope).to_vec()),
        };
        let stored = self
            .store
            .store_refreshed(
                &credential.user_email,
                &credential.provider,
                credential.version,
                &tokens,
                now,
            )
            .await?;
        self.cache
            .invalidate(&credential.provider, &credential.user_email);
        tracing::info!(provider = %credential.provider, stored = stored.is_some(), "access token refreshed");
        Ok(stored.map(|record| IssuedToken {
            access_token: grant.access_token,
            expires_at: record.expires_at,
            scopes: record.scopes,
            refreshed: true,
        }))
    }
}
