//! `POST /oauth/token` (RFC 6749 §3.2, OAuth 2.1 §3.2): the grant type is read, the
//! client authenticated, and the request handed to its grant (`token_grants`). Every
//! answer is access token (a JWT, `access_tokens`) plus a rotating refresh token.

use super::access_tokens::{AccessTokenGrant, AccessTokens};
use super::client_auth::{self, BasicCredentials};
use super::oauth_error::{OAuthError, OAuthErrorCode};
use super::params::Params;
use crate::core::audit::{self, AuditAction};
use crate::core::clock::Clock;
use crate::core::random;
use crate::domain::AuthorizationSettings;
use crate::store::{
    AuditEvent, AuditStore, AuthorizationGrantRecord, AuthorizationStore, NewRefreshToken,
    OAuthClientRecord, OAuthClientStore,
};
use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret as _, SecretString};
use std::sync::Arc;

/// A client's use is recorded at most this often (one write an hour for a busy client).
const CLIENT_USE_INTERVAL: Duration = Duration::hours(1);

/// The grant types of the token endpoint. Token exchange (RFC 8693) is an API client's
/// request and is handed to `token_exchange` before this endpoint authenticates an MCP
/// client (`TokenRequest::is_token_exchange`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    TokenExchange,
}

impl GrantType {
    pub const TOKEN_EXCHANGE: &'static str = "urn:ietf:params:oauth:grant-type:token-exchange";

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "authorization_code" => Some(Self::AuthorizationCode),
            "refresh_token" => Some(Self::RefreshToken),
            Self::TOKEN_EXCHANGE => Some(Self::TokenExchange),
            _ => None,
        }
    }
}

/// A token request: its form parameters, the Basic credentials and the `X-API-Key`
/// (token exchange's API clients, `api_client_auth`), if any.
#[derive(Debug)]
pub struct TokenRequest {
    pub params: Params,
    pub basic: Option<BasicCredentials>,
    pub api_key: Option<SecretString>,
}

impl TokenRequest {
    /// A token exchange (RFC 8693), which API clients make: answered by
    /// `token_exchange`, not by this endpoint's MCP-client grants.
    pub fn is_token_exchange(&self) -> bool {
        self.params.get("grant_type") == Some(GrantType::TOKEN_EXCHANGE)
    }
}

/// A successful token response (RFC 6749 §5.1). The tokens are secrets; `Debug` hides
/// them.
pub struct TokenResponse {
    pub access_token: SecretString,
    pub token_type: &'static str,
    /// Seconds the access token lives.
    pub expires_in: i64,
    pub refresh_token: Option<SecretString>,
    pub scope: String,
    /// Token exchange only (RFC 8693 §2.2.1).
    pub issued_token_type: Option<&'static str>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// The token endpoint. Uses: `OAuthClientStore`, `AuthorizationStore`, `AuditStore`.
pub struct TokenEndpoint {
    pub(in crate::core) clients: Arc<dyn OAuthClientStore>,
    pub(in crate::core) grants: Arc<dyn AuthorizationStore>,
    pub(in crate::core) audit: Arc<dyn AuditStore>,
    pub(in crate::core) clock: Arc<dyn Clock>,
    pub(in crate::core) access_tokens: Arc<AccessTokens>,
    pub(in crate::core) settings: AuthorizationSettings,
}

impl TokenEndpoint {
    /// Answers a token request.
    pub async fn token(&self, request: TokenRequest) -> Result<TokenResponse, OAuthError> {
        let TokenRequest { params, basic, .. } = request;
        let grant_type = params.require("grant_type")?;
        let parsed = GrantType::parse(grant_type);
        let client =
            client_auth::authenticate(self.clients.as_ref(), &params, basic.as_ref()).await?;
        let response = match parsed {
            Some(GrantType::AuthorizationCode) => self.authorization_code(&client, &params).await,
            Some(GrantType::RefreshToken) => self.refresh_token(&client, &params).await,
            Some(GrantType::TokenExchange) | None => Err(OAuthError::new(
                OAuthErrorCode::UnsupportedGrantType,
                "grant_type must be authorization_code, refresh_token or urn:ietf:params:oauth:grant-type:token-exchange",
            )),
        }?;
        let now = self.clock.now();
        // Bookkeeping only: a failed write must not cost the client its tokens.
        if let Err(error) = self
            .clients
            .record_oauth_client_use(&client.client_id, now, now - CLIENT_USE_INTERVAL)
            .await
        {
            tracing::warn!(%error, "could not record an OAuth client's use");
        }
        Ok(response)
    }

    /// Issues an access token and a new refresh token for `grant`. `refresh_token` is the
    /// one already stored by a rotation, or `None` to store a grant's first one.
    pub(super) async fn issue(
        &self,
        grant: &AuthorizationGrantRecord,
        scope: &str,
        refresh_token: Option<SecretString>,
    ) -> Result<TokenResponse, OAuthError> {
        let ttl = self.settings.access_token_ttl;
        let claims = AccessTokenGrant {
            user_subject: &grant.user_subject,
            user_email: &grant.user_email,
            client_id: &grant.client_id,
            resource: &grant.resource,
            scope,
            grant_id: grant.id,
        };
        let access_token = self.access_tokens.issue(&claims, ttl).await?;
        let refresh_token = if let Some(token) = refresh_token {
            token
        } else {
            let (token, new) = self.new_refresh_token(grant.id);
            self.grants.insert_refresh_token(&new).await?;
            token
        };
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: ttl.num_seconds(),
            refresh_token: Some(refresh_token),
            scope: scope.to_owned(),
            issued_token_type: None,
        })
    }

    /// A fresh refresh token and the row that stores its digest.
    pub(super) fn new_refresh_token(
        &self,
        grant_id: uuid::Uuid,
    ) -> (SecretString, NewRefreshToken) {
        let token = random::token();
        let now = self.clock.now();
        let new = NewRefreshToken {
            token_hash: random::digest(token.expose_secret()),
            grant_id,
            created_at: now,
            expires_at: now + self.settings.refresh_token_ttl,
        };
        (token, new)
    }

    pub(super) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Records a token event about a grant's family. `outcome` is `ok` or the OAuth error
    /// code; `detail` the resource and, for a refusal, what happened. Never a token.
    pub(super) async fn audit(
        &self,
        action: AuditAction,
        client: &OAuthClientRecord,
        grant: Option<&AuthorizationGrantRecord>,
        outcome: &str,
        detail: String,
    ) {
        let event = AuditEvent {
            occurred_at: self.clock.now(),
            client_name: Some(client.client_id.clone()),
            user_email: grant.map(|grant| grant.user_email.clone()),
            provider: None,
            event: action.as_str().to_owned(),
            outcome: outcome.to_owned(),
            detail: Some(detail),
        };
        audit::record(self.audit.as_ref(), event).await;
    }
}
