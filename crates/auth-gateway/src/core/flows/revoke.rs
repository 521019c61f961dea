//! `DELETE /auth/revoke`: forget a grant here and revoke it at the provider (G8).

use super::checks::{check_allowed, parse_email};
use super::credentials::credential_binding;
use crate::core::audit::{AuditAction, AuditLog, AuditOutcome};
use crate::core::client::Client;
use crate::core::crypto::KeyRing;
use crate::core::error::CoreError;
use crate::core::providers::Providers;
use crate::core::runtime::token_cache::TokenCache;
use crate::domain::{Email, ScopeSet};
use crate::store::CredentialStore;
use std::sync::Arc;

/// What `DELETE /auth/revoke` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokeOutcome {
    /// False when the provider's revoke endpoint failed (the local copy is gone anyway).
    pub revoked_upstream: bool,
}

/// Revokes grants. Uses: `CredentialStore` (and `AuditStore` through the log).
pub struct Revoker {
    pub(in crate::core) store: Arc<dyn CredentialStore>,
    pub(in crate::core) keys: Arc<KeyRing>,
    pub(in crate::core) providers: Arc<Providers>,
    pub(in crate::core) cache: Arc<TokenCache>,
    pub(in crate::core) audit: Arc<AuditLog>,
}

impl Revoker {
    /// `DELETE /auth/revoke`: deletes the grant here, then revokes it at the provider
    /// (G8). A provider failure is logged and reported, the local delete stands.
    pub async fn revoke(
        &self,
        client: &Client,
        provider_name: &str,
        user_email: &str,
    ) -> Result<RevokeOutcome, CoreError> {
        let provider = self.providers.get(provider_name)?;
        let email = parse_email(user_email)?;
        check_allowed(
            &self.audit,
            client,
            provider.as_ref(),
            &email,
            &ScopeSet::default(),
        )
        .await?;
        self.revoke_grant(&client.name, provider_name, &email).await
    }

    /// The user's own revoke, from their page at the gateway: no API client involved
    /// (the audit event names `actor`).
    pub async fn revoke_by_user(
        &self,
        provider_name: &str,
        email: &Email,
        actor: &str,
    ) -> Result<RevokeOutcome, CoreError> {
        self.revoke_grant(actor, provider_name, email).await
    }

    async fn revoke_grant(
        &self,
        actor: &str,
        provider_name: &str,
        email: &Email,
    ) -> Result<RevokeOutcome, CoreError> {
        let provider = self.providers.get(provider_name)?;
        let credential = self
            .store
            .delete_credential(email.as_str(), provider_name)
            .await?
            .ok_or(CoreError::CredentialNotFound)?;
        self.cache.invalidate(provider_name, email.as_str());
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
        self.audit
            .grant_event(
                actor,
                email.as_str(),
                provider_name,
                AuditAction::Revoked,
                outcome,
            )
            .await;
        Ok(RevokeOutcome { revoked_upstream })
    }
}
