//! Handing out tokens: serve a stored token while fresh, refresh it through
//! [`super::refresh`] when not, ask for sign-in when it cannot serve, list and revoke.

use super::audit::{AuditAction, AuditOutcome};
use super::crypto::Binding;
use super::error::{CoreError, SignInReason};
use super::gateway::{Client, Gateway};
use super::refresh::{Freshness, RefreshRequest};
use super::runtime::token_cache::CachedToken;
use super::sign_in::checked_scopes;
use crate::domain::{CredentialStatus, Email, ScopeSet};
use crate::store::CredentialRecord;
use crate::upstream::Provider;
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use std::sync::Arc;

/// A forced refresh serves a token replaced this recently instead of refreshing again.
const REJECTED_TOKEN_GRACE: chrono::Duration = chrono::Duration::seconds(30);
/// A grant's use is written down at most this often.
const USE_RECORD_INTERVAL: chrono::Duration = chrono::Duration::hours(1);
/// Seconds a caller is told to wait when the provider is unavailable.
pub(super) const RETRY_AFTER_SECS: u64 = 30;

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
        force_refresh: bool,
    ) -> Result<IssuedToken, CoreError> {
        let provider = self.provider(provider_name)?;
        let email = Self::parse_email(user_email)?;
        let required = checked_scopes(provider.as_ref(), required_scopes)?;
        self.check_allowed(client, provider.as_ref(), &email, &required)
            .await?;
        let now = self.clock.now();
        if force_refresh {
            return self
                .refresh_rejected(client, provider, &email, &required, now)
                .await;
        }
        if let Some(cached) = self.token_cache.get(provider_name, email.as_str()) {
            let fresh = cached.expires_at - now > self.settings.refresh_buffer;
            if fresh && cached.covers(&required) {
                if self
                    .record_use(email.as_str(), provider_name, cached.last_used_at, now)
                    .await
                {
                    // Reload next time: the row's last use moved.
                    self.token_cache.invalidate(provider_name, email.as_str());
                }
                self.audit_issued(client, email.as_str(), provider_name)
                    .await;
                return Ok(IssuedToken {
                    access_token: cached.access_token,
                    expires_at: cached.expires_at,
                    scopes: cached.scopes,
                    refreshed: false,
                });
            }
        }
        let epoch = self.token_cache.epoch();
        let credential = self.store.credential(email.as_str(), provider_name).await?;
        let credential = self
            .usable(client, provider.as_ref(), &email, &required, credential)
            .await?;
        if Freshness::Buffer(self.settings.refresh_buffer).accepts(&credential, now) {
            let issued = self.issue(&credential)?;
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
            self.token_cache
                .insert(epoch, provider_name, email.as_str(), cached);
            self.audit_issued(client, email.as_str(), provider_name)
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
            .refresh(&request, Freshness::Buffer(self.settings.refresh_buffer))
            .await?;
        self.record_use(email.as_str(), provider_name, credential.last_used_at, now)
            .await;
        self.audit_issued(client, email.as_str(), provider_name)
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
        let issued = self.refresh(&request, freshness).await?;
        self.audit_issued(client, email.as_str(), provider.name())
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

    pub(super) async fn reread_and_issue(
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
    pub(super) async fn usable(
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
    pub(super) async fn sign_in_required(
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

    pub(super) fn issue(&self, credential: &CredentialRecord) -> Result<IssuedToken, CoreError> {
        // A failure is logged once, with the request's user and provider, by the error map.
        let access_token = self.keys.open(
            credential_binding(credential, "access_token"),
            &credential.access_token.key_id,
            &credential.access_token.ciphertext,
        )?;
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
        self.token_cache.invalidate(provider_name, email.as_str());
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
            AuditOutcome::Ok
        } else {
            AuditOutcome::UpstreamFailed
        };
        self.audit(
            &client.name,
            email.as_str(),
            provider_name,
            AuditAction::Revoked,
            outcome,
        )
        .await;
        Ok(RevokeOutcome { revoked_upstream })
    }
}

pub(super) fn credential_binding<'a>(
    credential: &'a CredentialRecord,
    field: &'a str,
) -> Binding<'a> {
    Binding::Credential {
        user_email: &credential.user_email,
        provider: &credential.provider,
        field,
    }
}
