//! Handing out tokens: serve a stored token while fresh, refresh it (one upstream call
//! per credential however many requests wait), classify failures (G6), list and revoke.

use super::crypto::Binding;
use super::email::Email;
use super::error::{CoreError, SignInReason};
use super::gateway::{Client, Gateway};
use super::scopes::ScopeSet;
use super::sign_in::checked_scopes;
use crate::monitoring::Metrics;
use crate::store::{CredentialRecord, CredentialStatus, RefreshedTokens};
use crate::upstream::{Provider, TokenGrant, UpstreamError};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use std::sync::Arc;

/// How long a refresher may hold a credential's lease: the upstream timeout plus a
/// margin. A replica that dies mid-refresh blocks its peers for at most this long.
const REFRESH_LEASE: chrono::Duration = chrono::Duration::seconds(15);
/// How often a replica waiting for a peer's refresh re-reads the row.
const PEER_POLL_INTERVAL: std::time::Duration = std::time::Duration::from_millis(50);
/// Longest a request waits for peers before answering 503 (two leases' worth).
const MAX_PEER_WAIT: std::time::Duration = std::time::Duration::from_secs(30);
/// A grant's use is written down at most this often.
const USE_RECORD_INTERVAL: chrono::Duration = chrono::Duration::hours(1);
/// Seconds a caller is told to wait when the provider is unavailable.
const RETRY_AFTER_SECS: u64 = 30;
const DEFAULT_TOKEN_LIFETIME_SECS: i64 = 3600;

/// A valid access token for the caller.
#[derive(Debug)]
pub struct IssuedToken {
    pub access_token: SecretString,
    pub expires_at: DateTime<Utc>,
    pub scopes: Vec<String>,
    /// True when this request refreshed the token at the provider.
    pub refreshed: bool,
}

/// One provider grant of a user, for `GET /auth/providers/{user_email}`.
#[derive(Debug, Clone)]
pub struct GrantSummary {
    pub provider: String,
    pub scopes: Vec<String>,
    pub authenticated_at: DateTime<Utc>,
    pub token_expires_at: DateTime<Utc>,
}

/// What `DELETE /auth/revoke` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokeOutcome {
    /// False when the provider's revoke endpoint failed (the local copy is gone anyway).
    pub revoked_upstream: bool,
}

impl Gateway {
    /// `POST /auth/token`: a valid access token, or the sign-in link to show.
    pub async fn token(
        &self,
        client: &Client,
        provider_name: &str,
        user_email: &str,
        required_scopes: Option<&[String]>,
    ) -> Result<IssuedToken, CoreError> {
        let provider = self.provider(provider_name)?;
        let email = Self::parse_email(user_email)?;
        let required = checked_scopes(provider.as_ref(), required_scopes)?;
        self.check_allowed(client, provider.as_ref(), &email, &required)
            .await?;
        let credential = self.store.credential(email.as_str(), provider_name).await?;
        let credential = self
            .usable(client, provider.as_ref(), &email, &required, credential)
            .await?;
        let now = self.clock.now();
        let issued = if is_fresh(&credential, now, self.settings.refresh_buffer) {
            self.issue(&credential)?
        } else {
            self.refresh(
                client,
                provider,
                &email,
                &required,
                self.settings.refresh_buffer,
            )
            .await?
        };
        self.record_use(&credential, now).await;
        self.audit_issued(client, email.as_str(), provider_name)
            .await;
        Ok(issued)
    }

    /// Notes that the grant is in use (for the background refresh), at most hourly.
    async fn record_use(&self, credential: &CredentialRecord, now: DateTime<Utc>) {
        let unless_since = now - USE_RECORD_INTERVAL;
        if credential.last_used_at.is_some_and(|at| at >= unless_since) {
            return;
        }
        if let Err(error) = self
            .store
            .record_credential_use(
                &credential.user_email,
                &credential.provider,
                now,
                unless_since,
            )
            .await
        {
            tracing::warn!(%error, "could not record that a grant was used");
        }
    }

    /// Refreshes with single flight at two levels: an in-process lock per credential
    /// (one database attempt per replica), then the row's lease in the database (one
    /// upstream refresh across replicas). Whoever waited re-reads the winner's row.
    pub(super) async fn refresh(
        &self,
        client: &Client,
        provider: &Arc<dyn Provider>,
        email: &Email,
        required: &ScopeSet,
        stale_within: chrono::Duration,
    ) -> Result<IssuedToken, CoreError> {
        let provider_name = provider.name();
        let queued = std::time::Instant::now();
        let _flight = self.flights.lock(email.as_str(), provider_name).await;
        if let Some(metrics) = &self.metrics {
            metrics.refresh_lock_wait(provider_name, "process", queued.elapsed());
        }
        let mut peer_wait = LockWait::new(self.metrics.as_ref(), provider_name);
        let deadline = tokio::time::Instant::now() + MAX_PEER_WAIT;
        loop {
            let credential = self.store.credential(email.as_str(), provider_name).await?;
            let credential = self
                .usable(client, provider.as_ref(), email, required, credential)
                .await?;
            let now = self.clock.now();
            if is_fresh(&credential, now, stale_within) {
                return self.issue(&credential);
            }
            let leased = self
                .store
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
                    .refresh_leased(
                        client,
                        provider,
                        email,
                        required,
                        credential,
                        now,
                        stale_within,
                    )
                    .await;
                // Successful writes released it already; this covers every other exit.
                if let Err(error) = self
                    .store
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
    #[allow(clippy::too_many_arguments)] // the request's four parts plus what the lease read
    async fn refresh_leased(
        &self,
        client: &Client,
        provider: &Arc<dyn Provider>,
        email: &Email,
        required: &ScopeSet,
        credential: CredentialRecord,
        now: DateTime<Utc>,
        stale_within: chrono::Duration,
    ) -> Result<IssuedToken, CoreError> {
        let provider_name = provider.name();
        let credential = self
            .usable(client, provider.as_ref(), email, required, Some(credential))
            .await?;
        if is_fresh(&credential, now, stale_within) {
            return self.issue(&credential);
        }
        let Some(sealed_refresh) = &credential.refresh_token else {
            if credential.expires_at > now {
                return self.issue(&credential);
            }
            return Err(self
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
        match super::retry::with_backoff(|| provider.refresh(&refresh_token)).await {
            Ok(grant) => {
                let stored = self.save_refreshed(&credential, grant, now).await?;
                let outcome = if stored.is_some() { "ok" } else { "superseded" };
                self.audit_refresh(client, email, provider_name, outcome)
                    .await;
                match stored {
                    Some(token) => Ok(token),
                    None => {
                        self.reread_and_issue(client, provider.as_ref(), email, required)
                            .await
                    }
                }
            }
            Err(UpstreamError::InvalidGrant) => {
                // A peer may have refreshed (and rotated) in the meantime: re-read first.
                let current = self.store.credential(email.as_str(), provider_name).await?;
                if let Some(current) = current.filter(|c| c.version != credential.version) {
                    let current = self
                        .usable(client, provider.as_ref(), email, required, Some(current))
                        .await?;
                    return self.issue(&current);
                }
                self.store
                    .mark_needs_reauth(email.as_str(), provider_name, credential.version, now)
                    .await?;
                tracing::warn!(
                    provider = provider_name,
                    "grant rejected by provider; sign-in needed"
                );
                self.audit_refresh(client, email, provider_name, "needs_reauth")
                    .await;
                Err(self
                    .sign_in_required(
                        client,
                        provider.as_ref(),
                        email,
                        &credential,
                        required,
                        SignInReason::NeedsReauth,
                    )
                    .await)
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
                self.audit_refresh(client, email, provider_name, "provider_error")
                    .await;
                if credential.expires_at > now {
                    // Still valid, only inside the refresh buffer: serve it meanwhile.
                    return self.issue(&credential);
                }
                Err(CoreError::ProviderUnavailable {
                    retry_after_secs: RETRY_AFTER_SECS,
                    source: error,
                })
            }
        }
    }

    async fn audit_refresh(&self, client: &Client, email: &Email, provider: &str, outcome: &str) {
        self.audit(
            &client.name,
            email.as_str(),
            provider,
            "token_refreshed",
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
        tracing::info!(provider = %credential.provider, stored = stored.is_some(), "access token refreshed");
        Ok(stored.map(|record| IssuedToken {
            access_token: grant.access_token,
            expires_at: record.expires_at,
            scopes: record.scopes,
            refreshed: true,
        }))
    }

    async fn reread_and_issue(
        &self,
        client: &Client,
        provider: &dyn Provider,
        email: &Email,
        required: &ScopeSet,
    ) -> Result<IssuedToken, CoreError> {
        let credential = self
            .store
            .credential(email.as_str(), provider.name())
            .await?;
        let credential = self
            .usable(client, provider, email, required, credential)
            .await?;
        self.issue(&credential)
    }

    /// The credential if it can serve this request, else the sign-in to ask for.
    async fn usable(
        &self,
        client: &Client,
        provider: &dyn Provider,
        email: &Email,
        required: &ScopeSet,
        credential: Option<CredentialRecord>,
    ) -> Result<CredentialRecord, CoreError> {
        let Some(credential) = credential else {
            let scopes = provider.default_scopes().union(required);
            let link = self.open_session(client, provider, email, &scopes).await?;
            return Err(CoreError::SignInRequired {
                reason: SignInReason::NotAuthenticated,
                link,
            });
        };
        if credential.status == CredentialStatus::NeedsReauth {
            return Err(self
                .sign_in_required(
                    client,
                    provider,
                    email,
                    &credential,
                    required,
                    SignInReason::NeedsReauth,
                )
                .await);
        }
        let granted = ScopeSet::from_trusted(credential.scopes.iter().cloned());
        let missing = required.missing_from(&granted);
        if !missing.is_empty() {
            return Err(self
                .sign_in_required(
                    client,
                    provider,
                    email,
                    &credential,
                    required,
                    SignInReason::InsufficientScope { missing },
                )
                .await);
        }
        Ok(credential)
    }

    /// Opens a session asking for what the grant has plus what is required.
    async fn sign_in_required(
        &self,
        client: &Client,
        provider: &dyn Provider,
        email: &Email,
        credential: &CredentialRecord,
        required: &ScopeSet,
        reason: SignInReason,
    ) -> CoreError {
        let scopes = provider
            .default_scopes()
            .union(&ScopeSet::from_trusted(credential.scopes.iter().cloned()))
            .union(required);
        match self.open_session(client, provider, email, &scopes).await {
            Ok(link) => CoreError::SignInRequired { reason, link },
            Err(error) => error,
        }
    }

    fn issue(&self, credential: &CredentialRecord) -> Result<IssuedToken, CoreError> {
        let access_token = self
            .keys
            .open(
                credential_binding(credential, "access_token"),
                &credential.access_token.key_id,
                &credential.access_token.ciphertext,
            )
            .inspect_err(|error| {
                tracing::error!(%error, provider = %credential.provider, "stored access token failed to decrypt for its row");
            })?;
        Ok(IssuedToken {
            access_token,
            expires_at: credential.expires_at,
            scopes: credential.scopes.clone(),
            refreshed: false,
        })
    }

    /// `GET /auth/providers/{user_email}`: the user's active grants at the providers the
    /// client may use.
    pub async fn grants(
        &self,
        client: &Client,
        user_email: &str,
    ) -> Result<(Email, Vec<GrantSummary>), CoreError> {
        let email = Self::parse_email(user_email)?;
        let grants = self
            .store
            .credentials_for_user(email.as_str())
            .await?
            .into_iter()
            .filter(|credential| {
                credential.status == CredentialStatus::Active
                    && client.check_provider(&credential.provider).is_ok()
            })
            .map(|credential| GrantSummary {
                provider: credential.provider,
                scopes: credential.scopes,
                authenticated_at: credential.authenticated_at,
                token_expires_at: credential.expires_at,
            })
            .collect();
        Ok((email, grants))
    }

    /// `DELETE /auth/revoke`: deletes the grant here, then revokes it at the provider
    /// (G8). A provider failure is logged and reported, the local delete stands.
    pub async fn revoke(
        &self,
        client: &Client,
        provider_name: &str,
        user_email: &str,
    ) -> Result<RevokeOutcome, CoreError> {
        let provider = self.provider(provider_name)?;
        let email = Self::parse_email(user_email)?;
        self.check_allowed(client, provider.as_ref(), &email, &ScopeSet::default())
            .await?;
        let credential = self
            .store
            .delete_credential(email.as_str(), provider_name)
            .await?
            .ok_or(CoreError::CredentialNotFound)?;
        // Revoking the refresh token ends the whole grant; the access token is the fallback.
        let (field, sealed) = match &credential.refresh_token {
            Some(sealed) => ("refresh_token", sealed),
            None => ("access_token", &credential.access_token),
        };
        let revoked_upstream = match self.keys.open(
            credential_binding(&credential, field),
            &sealed.key_id,
            &sealed.ciphertext,
        ) {
            Ok(token) => match provider.revoke(&token).await {
                Ok(()) => true,
                Err(error) => {
                    tracing::warn!(provider = provider_name, %error, "provider revoke failed; local credentials deleted");
                    false
                }
            },
            Err(error) => {
                tracing::error!(provider = provider_name, %error, "could not decrypt token to revoke upstream; local credentials deleted");
                false
            }
        };
        tracing::info!(
            provider = provider_name,
            revoked_upstream,
            "credentials revoked"
        );
        let outcome = if revoked_upstream {
            "ok"
        } else {
            "upstream_failed"
        };
        self.audit(
            &client.name,
            email.as_str(),
            provider_name,
            "revoked",
            outcome,
        )
        .await;
        Ok(RevokeOutcome { revoked_upstream })
    }
}

/// True when the token stays valid for longer than `stale_within` from `now`.
fn is_fresh(
    credential: &CredentialRecord,
    now: DateTime<Utc>,
    stale_within: chrono::Duration,
) -> bool {
    credential.expires_at - stale_within > now
}

fn credential_binding<'a>(credential: &'a CredentialRecord, field: &'a str) -> Binding<'a> {
    Binding::Credential {
        user_email: &credential.user_email,
        provider: &credential.provider,
        field,
    }
}

/// Times a wait for a peer replica's refresh lease; reported when dropped, on whichever
/// path the refresh ends.
struct LockWait<'a> {
    metrics: Option<&'a Metrics>,
    provider: &'a str,
    started: Option<std::time::Instant>,
}

impl<'a> LockWait<'a> {
    fn new(metrics: Option<&'a Metrics>, provider: &'a str) -> Self {
        Self {
            metrics,
            provider,
            started: None,
        }
    }

    fn start(&mut self) {
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
