//! `POST /auth/token`: serve a token from memory or the store while fresh, refresh it
//! through [`super::refresh`] when not, ask for sign-in when it cannot serve.

use super::checks::{check_allowed, checked_scopes, parse_email};
use super::credentials::{Credentials, IssuedToken};
use super::refresh::{Freshness, RefreshRequest, Refresher};
use crate::core::audit::AuditLog;
use crate::core::client::Client;
use crate::core::clock::Clock;
use crate::core::error::CoreError;
use crate::core::providers::Providers;
use crate::core::runtime::token_cache::{CachedToken, TokenCache};
use crate::domain::{Email, ScopeSet};
use crate::store::CredentialStore;
use crate::upstream::Provider;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// A forced refresh serves a token replaced this recently instead of refreshing again.
const REJECTED_TOKEN_GRACE: chrono::Duration = chrono::Duration::seconds(30);
/// A grant's use is written down at most this often.
const USE_RECORD_INTERVAL: chrono::Duration = chrono::Duration::hours(1);

/// Hands out tokens. Uses: `CredentialStore` (and, through the pieces it holds,
/// `SessionStore`, `LeaseStore`, `AuditStore`).
pub struct Tokens {
    pub(in crate::core) store: Arc<dyn CredentialStore>,
    pub(in crate::core) clock: Arc<dyn Clock>,
    pub(in crate::core) providers: Arc<Providers>,
    pub(in crate::core) credentials: Arc<Credentials>,
    pub(in crate::core) refresher: Arc<Refresher>,
    pub(in crate::core) cache: Arc<TokenCache>,
    pub(in crate::core) audit: Arc<AuditLog>,
    /// Tokens expiring within this window are refreshed before being handed out.
    pub(in crate::core) refresh_buffer: chrono::Duration,
}

impl Tokens {
    /// `POST /auth/token`: a valid access token, or the sign-in link to show.
    pub async fn token(
        &self,
        client: &Client,
        provider_name: &str,
        user_email: &str,
        required_scopes: Option<&[String]>,
        force_refresh: bool,
    ) -> Result<IssuedToken, CoreError> {
        let provider = self.providers.get(provider_name)?;
        let email = parse_email(user_email)?;
        let required = checked_scopes(provider.as_ref(), required_scopes)?;
        check_allowed(&self.audit, client, provider.as_ref(), &email, &required).await?;
        let now = self.clock.now();
        if force_refresh {
            return self
                .refresh_rejected(client, provider, &email, &required, now)
                .await;
        }
        if let Some(cached) = self.cache.get(provider_name, email.as_str()) {
            let fresh = cached.expires_at - now > self.refresh_buffer;
            if fresh && cached.covers(&required) {
                if self
                    .record_use(email.as_str(), provider_name, cached.last_used_at, now)
                    .await
                {
                    // Reload next time: the row's last use moved.
                    self.cache.invalidate(provider_name, email.as_str());
                }
                self.audit
                    .issued(client, email.as_str(), provider_name)
                    .await;
                return Ok(IssuedToken {
                    access_token: cached.access_token,
                    expires_at: cached.expires_at,
                    scopes: cached.scopes,
                    refreshed: false,
                });
            }
        }
        let epoch = self.cache.epoch();
        let credential = self.store.credential(email.as_str(), provider_name).await?;
        let credential = self
            .credentials
            .usable(client, provider.as_ref(), &email, &required, credential)
            .await?;
        if Freshness::Buffer(self.refresh_buffer).accepts(&credential, now) {
            let issued = self.credentials.issue(&credential)?;
            let recorded = self
                .record_use(email.as_str(), provider_name, credential.last_used_at, now)
                .await;
            let cached = CachedToken {
                access_token: issued.access_token.clone(),
                expires_at: issued.expires_at,
                scopes: issued.scopes.clone(),
                last_used_at: if recorded {
                    Some(now)
                } else {
                    credential.last_used_at
                },
            };
            self.cache
                .insert(epoch, provider_name, email.as_str(), cached);
            self.audit
                .issued(client, email.as_str(), provider_name)
                .await;
            return Ok(issued);
        }
        let request = RefreshRequest {
            client,
            provider,
            email: &email,
            required: &required,
        };
        let issued = self
            .refresher
            .refresh(&request, Freshness::Buffer(self.refresh_buffer))
            .await?;
        self.record_use(email.as_str(), provider_name, credential.last_used_at, now)
            .await;
        self.audit
            .issued(client, email.as_str(), provider_name)
            .await;
        Ok(issued)
    }

    /// A token to replace one the provider rejected: refreshed now, unless it was
    /// replaced moments ago (by a concurrent forced request, or a new sign-in).
    async fn refresh_rejected(
        &self,
        client: &Client,
        provider: &Arc<dyn Provider>,
        email: &Email,
        required: &ScopeSet,
        now: DateTime<Utc>,
    ) -> Result<IssuedToken, CoreError> {
        let request = RefreshRequest {
            client,
            provider,
            email,
            required,
        };
        let freshness = Freshness::ReplacedSince(now - REJECTED_TOKEN_GRACE);
        // A refresh that wrote dropped the cached copy already (and announced it).
        let issued = self.refresher.refresh(&request, freshness).await?;
        self.audit
            .issued(client, email.as_str(), provider.name())
            .await;
        Ok(issued)
    }

    /// Notes that the grant is in use (for the background refresh), at most hourly.
    /// True when it was due (and written, or tried).
    async fn record_use(
        &self,
        user_email: &str,
        provider: &str,
        last_used_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> bool {
        let unless_since = now - USE_RECORD_INTERVAL;
        if last_used_at.is_some_and(|at| at >= unless_since) {
            return false;
        }
        if let Err(error) = self
            .store
            .record_credential_use(user_email, provider, now, unless_since)
            .await
        {
            tracing::warn!(%error, "could not record that a grant was used");
        }
        true
    }
}
