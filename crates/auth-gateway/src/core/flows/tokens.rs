//! `POST /auth/token`: serve a token from memory or the store while fresh, refresh it
//! through [`super::refresh`] when not, ask for sign-in when it cannot serve. A client
//! not allowed every scope of the grant gets a narrowed token ([`super::narrowing`]).

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
use crate::store::{CredentialRecord, CredentialStore};
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
    /// `POST /auth/token`: a valid access token, or the sign-in link to show. The email is
    /// asserted by the client, so a client restricted to verified users is refused.
    pub async fn token(
        &self,
        client: &Client,
        provider_name: &str,
        user_email: &str,
        required_scopes: Option<&[String]>,
        force_refresh: bool,
    ) -> Result<IssuedToken, CoreError> {
        client.check_may_assert_users()?;
        self.serve(
            client,
            provider_name,
            user_email,
            required_scopes,
            force_refresh,
        )
        .await
    }

    /// The engine behind `/auth/token` and token exchange (RFC 8693, where the email is
    /// the verified claim of the user's access token): cache, single-flight refresh,
    /// narrowing to the client's scopes, audit.
    pub(in crate::core) async fn serve(
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
        let defaults = provider.default_scopes();
        if force_refresh {
            return self
                .refresh_rejected(client, provider, &email, &required, now)
                .await;
        }
        if let Some(cached) = self.cache.get(provider_name, email.as_str()) {
            let fresh = cached.expires_at - now > self.refresh_buffer;
            // A client the grant's scopes exceed goes on to the row (and a narrowed token).
            if fresh && cached.covers(&required) && client.may_hold_all(&cached.scopes, defaults) {
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
        let request = RefreshRequest {
            client,
            provider,
            email: &email,
            required: &required,
        };
        if !client.may_hold_all(&credential.scopes, defaults) {
            let valid_after = now + self.refresh_buffer;
            let issued = self
                .refresher
                .narrowed(&request, &credential, valid_after, None)
                .await?;
            return Ok(self.served(client, &credential, issued, now).await);
        }
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
        let issued = self
            .refresher
            .refresh(&request, Freshness::Buffer(self.refresh_buffer))
            .await?;
        let issued = self.narrow_if_widened(&request, issued, now).await?;
        Ok(self.served(client, &credential, issued, now).await)
    }

    /// Records the use and audits the issue of a token from `credential`'s grant.
    async fn served(
        &self,
        client: &Client,
        credential: &CredentialRecord,
        issued: IssuedToken,
        now: DateTime<Utc>,
    ) -> IssuedToken {
        let (email, provider) = (&credential.user_email, &credential.provider);
        self.record_use(email, provider, credential.last_used_at, now)
            .await;
        self.audit.issued(client, email, provider).await;
        issued
    }

    /// A token from the refresh engine, unless the grant it came from carries scopes the
    /// client may not hold (a new sign-in may have widened it meanwhile): then a narrowed
    /// one from the row as it is now.
    async fn narrow_if_widened(
        &self,
        request: &RefreshRequest<'_>,
        issued: IssuedToken,
        now: DateTime<Utc>,
    ) -> Result<IssuedToken, CoreError> {
        if request
            .client
            .may_hold_all(&issued.scopes, request.provider.default_scopes())
        {
            return Ok(issued);
        }
        match self.row_exceeding(request).await? {
            Some(row) => {
                let valid_after = now + self.refresh_buffer;
                self.refresher
                    .narrowed(request, &row, valid_after, None)
                    .await
            }
            None => Ok(issued),
        }
    }

    /// The grant's row, if it can serve the request and carries scopes the client may not
    /// hold; `None` (and no read) for a client without a scope allow-list.
    async fn row_exceeding(
        &self,
        request: &RefreshRequest<'_>,
    ) -> Result<Option<CredentialRecord>, CoreError> {
        if request.client.access.scopes.is_none() {
            return Ok(None);
        }
        let (provider, email) = (request.provider, request.email);
        let row = self
            .store
            .credential(email.as_str(), provider.name())
            .await?;
        let row = self
            .credentials
            .usable(
                request.client,
                provider.as_ref(),
                email,
                request.required,
                row,
            )
            .await?;
        let exceeds = !request
            .client
            .may_hold_all(&row.scopes, provider.default_scopes());
        Ok(exceeds.then_some(row))
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
        if let Some(row) = self.row_exceeding(&request).await? {
            // The rejected token was a narrowed one: mint that again, sharing the new
            // one with concurrent callers, and leave the grant's own token alone.
            let since = Some(now - REJECTED_TOKEN_GRACE);
            let issued = self.refresher.narrowed(&request, &row, now, since).await?;
            self.audit
                .issued(client, email.as_str(), provider.name())
                .await;
            return Ok(issued);
        }
        // A refresh that wrote dropped the cached copy already (and announced it).
        let issued = self.refresher.refresh(&request, freshness).await?;
        let issued = self.narrow_if_widened(&request, issued, now).await?;
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
