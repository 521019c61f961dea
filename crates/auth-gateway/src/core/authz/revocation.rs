//! `POST /oauth/revoke` (RFC 7009): a client gives up a refresh token, or an access
//! token, and with it the grant they belong to (so every token of the family stops
//! being refreshed). Access tokens already issued stay valid at resources until they
//! expire: they are verified offline.

use super::access_tokens::AccessTokens;
use super::client_auth::{self, BasicCredentials};
use super::oauth_error::OAuthError;
use super::params::Params;
use crate::core::audit::{self, AuditAction, AuditOutcome};
use crate::core::clock::Clock;
use crate::core::random;
use crate::store::{AuditEvent, AuditStore, AuthorizationStore, OAuthClientStore};
use std::sync::Arc;

/// A revocation request: its form parameters and the Basic credentials, if any.
#[derive(Debug)]
pub struct RevocationRequest {
    pub params: Params,
    pub basic: Option<BasicCredentials>,
}

/// The revocation endpoint. Uses: `OAuthClientStore`, `AuthorizationStore`, `AuditStore`.
pub struct Revocation {
    pub(in crate::core) clients: Arc<dyn OAuthClientStore>,
    pub(in crate::core) grants: Arc<dyn AuthorizationStore>,
    pub(in crate::core) audit: Arc<dyn AuditStore>,
    pub(in crate::core) clock: Arc<dyn Clock>,
    pub(in crate::core) access_tokens: Arc<AccessTokens>,
}

impl Revocation {
    /// Revokes the grant of `token` if it belongs to the authenticated client. An
    /// unknown, expired or already revoked token, or another client's, is answered the
    /// same as success (RFC 7009 §2.2), so the endpoint tells nobody which tokens exist.
    /// `token_type_hint` is only a hint (§2.1): both kinds are tried.
    pub async fn revoke(&self, request: RevocationRequest) -> Result<(), OAuthError> {
        let RevocationRequest { params, basic } = request;
        let token = params.require("token")?;
        let client =
            client_auth::authenticate(self.clients.as_ref(), &params, basic.as_ref()).await?;
        let now = self.clock.now();
        let grant = match self
            .grants
            .grant_of_refresh_token(&random::digest(token), now)
            .await?
        {
            Some(grant) => Some(grant),
            None => match self.access_tokens.verify(token).await {
                Ok(claims) => self.grants.grant(claims.grant_id).await?,
                Err(_) => None,
            },
        };
        let Some(grant) = grant.filter(|grant| grant.client_id == client.client_id) else {
            return Ok(());
        };
        if self.grants.revoke_grant(grant.id, now).await? {
            let event = AuditEvent {
                occurred_at: now,
                client_name: Some(client.client_id),
                user_email: Some(grant.user_email),
                provider: None,
                event: AuditAction::OAuthAuthorizationRevoked.as_str().to_owned(),
                outcome: AuditOutcome::Ok.as_str().to_owned(),
                detail: Some(grant.resource),
            };
            audit::record(self.audit.as_ref(), event).await;
        }
        Ok(())
    }
}
