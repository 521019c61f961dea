//! Token exchange (RFC 8693) at `POST /oauth/token`: an MCP server (a resource, acting as
//! its API client) presents the access token a user's MCP client sent it and gets the
//! user's upstream token, served by the same engine as `/auth/token`
//! (`flows::tokens::Tokens::serve`: cache, single-flight refresh, narrowing, audit). The
//! user is the token's verified `email`, never one the server asserts.
//!
//! The confused-deputy check: the subject token's `aud` must be a resource **owned by
//! the calling client**. A server that receives a token meant for another server (or
//! steals one) cannot trade it for that user's upstream token.

use super::access_tokens::{AccessTokenClaims, AccessTokenError, AccessTokens};
use super::api_client_auth::authenticate_api_client;
use super::oauth_error::{OAuthError, OAuthErrorCode};
use super::params::Params;
use super::token_endpoint::{TokenRequest, TokenResponse};
use super::upstream_targets::target_provider;
use crate::core::admin::clients::ApiKeys;
use crate::core::audit::{self, AuditAction};
use crate::core::client::Client;
use crate::core::clock::Clock;
use crate::core::error::{CoreError, SignInReason};
use crate::core::flows::tokens::Tokens;
use crate::store::{AuditEvent, AuditStore, AuthorizationStore, ResourceRecord, ResourceStore};
use std::sync::Arc;

/// RFC 8693 §3: the only token type exchanged and issued.
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// The token exchange. Uses: `ClientStore` (through the API keys), `AuthorizationStore`,
/// `ResourceStore`, `AuditStore`.
pub struct TokenExchange {
    pub(in crate::core) api_keys: ApiKeys,
    pub(in crate::core) access_tokens: Arc<AccessTokens>,
    pub(in crate::core) grants: Arc<dyn AuthorizationStore>,
    pub(in crate::core) resources: Arc<dyn ResourceStore>,
    pub(in crate::core) audit: Arc<dyn AuditStore>,
    pub(in crate::core) clock: Arc<dyn Clock>,
}

/// What a checked request asks for.
struct Checked {
    claims: AccessTokenClaims,
    resource: ResourceRecord,
    scopes: Vec<String>,
}

impl TokenExchange {
    /// Answers `grant_type=urn:ietf:params:oauth:grant-type:token-exchange` with `tokens`,
    /// the `/auth/token` engine. Every answer after authentication is audited.
    pub async fn exchange(
        &self,
        tokens: &Tokens,
        request: TokenRequest,
    ) -> Result<TokenResponse, OAuthError> {
        let TokenRequest {
            params,
            basic,
            api_key,
        } = request;
        let client =
            authenticate_api_client(&self.api_keys, &params, basic.as_ref(), api_key.as_ref())
                .await?;
        let checked = match self.check(&client, &params).await {
            Ok(checked) => checked,
            Err((error, email)) => {
                self.refused(&client, email, None, &error).await;
                return Err(error);
            }
        };
        let (email, provider) = (&checked.claims.email, &checked.resource.provider);
        // An extension parameter (RFC 6749 §8.2 allows them): the upstream answered 401 to
        // the last token, so refresh now, as `force_refresh` does at `/auth/token`.
        let force_refresh = params.get("force_refresh") == Some("true");
        let served = tokens
            .serve(
                &client,
                provider,
                email,
                Some(&checked.scopes),
                force_refresh,
            )
            .await
            .map_err(refusal);
        let issued = match served {
            Ok(issued) => issued,
            Err(error) => {
                let email = Some(email.clone());
                self.refused(&client, email, Some(provider), &error).await;
                return Err(error);
            }
        };
        let action = AuditAction::OAuthTokenExchanged;
        let mut event = self.event(action, &client, Some(email.clone()), Some(provider));
        event.detail = Some(checked.resource.uri.clone());
        audit::record(self.audit.as_ref(), event).await;
        let expires_in = (issued.expires_at - self.clock.now()).num_seconds().max(0);
        Ok(TokenResponse {
            access_token: issued.access_token,
            token_type: "Bearer",
            expires_in,
            refresh_token: None,
            scope: issued.scopes.join(" "),
            issued_token_type: Some(ACCESS_TOKEN_TYPE),
        })
    }

    /// The request's checks, in order: parameters, the subject token (signature, typ,
    /// iss, exp), its grant not revoked, its audience a resource of `client`, the target
    /// the resource's provider. A failure carries the user's email once it is known.
    async fn check(
        &self,
        client: &Client,
        params: &Params,
    ) -> Result<Checked, (OAuthError, Option<String>)> {
        let token_types = check_token_types(params);
        let target = token_types.and_then(|()| target_provider(params));
        let target = target.map_err(|error| (error, None))?;
        let subject = params.require("subject_token").map_err(|e| (e, None))?;
        let claims = self.access_tokens.verify(subject).await.map_err(|error| {
            let error = match error {
                AccessTokenError::Core(error) => OAuthError::from(error),
                // RFC 8693 §2.2.2: an invalid or unacceptable subject_token is
                // `invalid_request`.
                error => OAuthError::invalid_request(format!(
                    "the subject_token is not a valid access token of this gateway: {error}"
                )),
            };
            (error, None)
        })?;
        let email = Some(claims.email.clone());
        let fail = |error: OAuthError| (error, email.clone());
        let grant = self.grants.grant(claims.grant_id).await;
        if grant
            .map_err(|e| fail(e.into()))?
            .is_none_or(|g| g.revoked_at.is_some())
        {
            return Err(fail(OAuthError::invalid_request(
                "the authorization behind the subject_token was revoked",
            )));
        }
        let resource = self.resources.resource(&claims.aud).await;
        let resource = resource.map_err(|e| fail(e.into()))?;
        // The confused-deputy check (module docs).
        let Some(resource) = resource.filter(|r| r.client_name == client.name) else {
            return Err(fail(OAuthError::invalid_request(format!(
                "the subject_token's audience ({}) is not a resource of this client",
                claims.aud
            ))));
        };
        if target.is_some_and(|provider| provider != resource.provider) {
            return Err(fail(OAuthError::new(
                OAuthErrorCode::InvalidTarget,
                format!("this resource's tokens are {}'s", resource.provider),
            )));
        }
        let scopes = params.get("scope").map_or_else(
            || resource.scopes.clone(),
            |scope| scope.split_whitespace().map(str::to_owned).collect(),
        );
        Ok(Checked {
            claims,
            resource,
            scopes,
        })
    }

    async fn refused(
        &self,
        client: &Client,
        email: Option<String>,
        provider: Option<&str>,
        error: &OAuthError,
    ) {
        let mut event = self.event(AuditAction::OAuthTokenRefused, client, email, provider);
        error.code.as_str().clone_into(&mut event.outcome);
        event.detail = Some(format!("token exchange: {}", error.description));
        audit::record(self.audit.as_ref(), event).await;
    }

    fn event(
        &self,
        action: AuditAction,
        client: &Client,
        email: Option<String>,
        provider: Option<&str>,
    ) -> AuditEvent {
        AuditEvent {
            occurred_at: self.clock.now(),
            client_name: Some(client.name.clone()),
            user_email: email,
            provider: provider.map(str::to_owned),
            event: action.as_str().to_owned(),
            outcome: "ok".to_owned(),
            detail: None,
        }
    }
}

/// `subject_token_type` must be an access token (RFC 8693 §2.1); so must a
/// `requested_token_type`, the only type issued.
fn check_token_types(params: &Params) -> Result<(), OAuthError> {
    if params.require("subject_token_type")? != ACCESS_TOKEN_TYPE {
        return Err(OAuthError::invalid_request(format!(
            "subject_token_type must be {ACCESS_TOKEN_TYPE}"
        )));
    }
    if params
        .get("requested_token_type")
        .is_some_and(|requested| requested != ACCESS_TOKEN_TYPE)
    {
        return Err(OAuthError::invalid_request(format!(
            "requested_token_type must be {ACCESS_TOKEN_TYPE} (the only type issued)"
        )));
    }
    Ok(())
}

/// The engine's refusals as OAuth errors. A sign-in the user must make is `invalid_grant`
/// with the connect link (`authorization_uri`) and, for missing scopes, which ones.
fn refusal(error: CoreError) -> OAuthError {
    match error {
        CoreError::SignInRequired { reason, link } => {
            let (description, missing) = match reason {
                SignInReason::NotAuthenticated => {
                    ("the user has not connected the provider", vec![])
                }
                SignInReason::NeedsReauth | SignInReason::RefreshFailed => {
                    ("the user's grant needs a new sign-in", vec![])
                }
                SignInReason::InsufficientScope { missing } => {
                    ("the user's grant lacks required scopes", missing)
                }
            };
            let mut error = OAuthError::invalid_grant(format!(
                "{description}: send the user to authorization_uri"
            ));
            error.authorization_uri = Some(link.auth_url);
            error.session_id = Some(link.session_id);
            error.missing_scopes = missing;
            error
        }
        CoreError::ForbiddenProvider(_) | CoreError::ForbiddenScope(_) => OAuthError::new(
            OAuthErrorCode::InvalidScope,
            format!("this client may not obtain it: {error}"),
        ),
        CoreError::InvalidScope(error) => {
            OAuthError::new(OAuthErrorCode::InvalidScope, error.to_string())
        }
        CoreError::ProviderUnavailable { .. } => OAuthError::new(
            OAuthErrorCode::TemporarilyUnavailable,
            "the provider is unavailable and the stored token expired; retry shortly",
        ),
        error => error.into(),
    }
}
