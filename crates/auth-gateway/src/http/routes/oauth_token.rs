//! The authorization server's endpoints for MCP clients: token (RFC 6749 §3.2, and token
//! exchange, RFC 8693, for MCP servers), registration (RFC 7591) and revocation (RFC 7009). Extract, one core call, one error
//! map (`http::oauth_error`).

use crate::core::authz::oauth_error::OAuthError;
use crate::core::authz::oauth_error::OAuthErrorCode::InvalidClientMetadata;
use crate::core::authz::registration::RegisteredClient;
use crate::core::authz::revocation::RevocationRequest;
use crate::core::authz::token_endpoint::{GrantType, TokenRequest, TokenResponse};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::oauth_error::{OAuthErrorBody, OAuthErrorResponse, no_store};
use crate::http::oauth_form::OAuthForm;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret as _;
use serde::Serialize;
use utoipa::ToSchema;

/// A token response (RFC 6749 §5.1).
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthTokenBody {
    /// A JWT (RFC 9068) for the resource named in `aud`.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Single use: each refresh answers a new one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The granted scope: `mcp:<resource without scheme>`, or for a token exchange the
    /// upstream scopes of the token.
    pub scope: String,
    /// Token exchange only: `urn:ietf:params:oauth:token-type:access_token` (RFC 8693
    /// §2.2.1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<String>,
}

impl From<TokenResponse> for OAuthTokenBody {
    fn from(tokens: TokenResponse) -> Self {
        Self {
            access_token: tokens.access_token.expose_secret().to_owned(),
            token_type: tokens.token_type.to_owned(),
            expires_in: tokens.expires_in,
            refresh_token: tokens.refresh_token.map(|t| t.expose_secret().to_owned()),
            scope: tokens.scope,
            issued_token_type: tokens.issued_token_type.map(str::to_owned),
        }
    }
}

/// A registered client (RFC 7591 §3.2.1).
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisteredClientBody {
    pub client_id: String,
    pub client_id_issued_at: i64,
    /// Confidential clients only; shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// `0` (never) for confidential clients.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<i64>,
    pub redirect_uris: Vec<String>,
    pub token_endpoint_auth_method: String,
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
}

impl From<RegisteredClient> for RegisteredClientBody {
    fn from(client: RegisteredClient) -> Self {
        let secret = client.client_secret.map(|s| s.expose_secret().to_owned());
        Self {
            client_secret_expires_at: secret.as_ref().map(|_| 0),
            client_secret: secret,
            client_id: client.client_id,
            client_id_issued_at: client.client_id_issued_at,
            redirect_uris: client.redirect_uris,
            token_endpoint_auth_method: client.token_endpoint_auth_method,
            grant_types: client.grant_types,
            response_types: client.response_types,
            client_name: client.client_name,
        }
    }
}

/// `POST /oauth/token`: tokens for an authorization code (with its PKCE verifier) or a
/// refresh token; or, for an MCP server authenticated as its API client, token exchange
/// (RFC 8693): the user's upstream token for the gateway access token it received.
#[utoipa::path(post, path = "/oauth/token", tag = "oauth",
    request_body(content_type = "application/x-www-form-urlencoded",
        description = "grant_type, client_id or client authentication, and the grant's parameters. \
Token exchange: grant_type=urn:ietf:params:oauth:grant-type:token-exchange, \
subject_token (the user's gateway access token), \
subject_token_type=urn:ietf:params:oauth:token-type:access_token, \
optional resource (an upstream API base URL, e.g. https://googleads.googleapis.com) or audience (a provider, e.g. google), \
optional scope (required upstream scopes, space-separated; default: the resource's), \
optional requested_token_type (access_token only); \
authenticated by X-API-Key, or client_id = the API client's name and client_secret = its key (Basic or form)"),
    responses(
        (status = 200, description = "Tokens (Cache-Control: no-store); for token exchange the upstream access token with issued_token_type and no refresh_token", body = OAuthTokenBody),
        (status = 400, description = "invalid_request, invalid_grant, invalid_scope, invalid_target, unsupported_grant_type. \
A token exchange the user must sign in for is invalid_grant with authorization_uri (a connect link) and, when scopes are missing, missing_scopes", body = OAuthErrorBody),
        (status = 401, description = "invalid_client", body = OAuthErrorBody),
        (status = 503, description = "temporarily_unavailable", body = OAuthErrorBody),
    ))]
pub async fn issue_oauth_token(
    State(state): State<AppState>,
    form: OAuthForm,
) -> Result<Response, OAuthErrorResponse> {
    let basic_tried = form.basic_tried;
    let grant_type = grant_type_label(form.params.get("grant_type"));
    let request = TokenRequest {
        params: form.params,
        basic: form.basic,
        api_key: form.api_key,
    };
    let result = state.gateway.oauth_token(request).await;
    let outcome = result
        .as_ref()
        .map_or_else(|error| error.code.as_str(), |_| "ok");
    state.metrics.oauth_token_outcome(grant_type, outcome);
    let tokens = result.map_err(|error| OAuthErrorResponse::new(error, basic_tried))?;
    Ok((no_store(), Json(OAuthTokenBody::from(tokens))).into_response())
}

/// The `grant_type` metric label: one of the grant types, or `other` (bounded).
fn grant_type_label(grant_type: Option<&str>) -> &'static str {
    match grant_type.and_then(GrantType::parse) {
        Some(GrantType::AuthorizationCode) => "authorization_code",
        Some(GrantType::RefreshToken) => "refresh_token",
        Some(GrantType::TokenExchange) => "token_exchange",
        None => "other",
    }
}

/// `POST /oauth/revoke`: gives up a refresh or access token and the grant it belongs to.
/// An unknown token is answered 200 too (RFC 7009 §2.2).
#[utoipa::path(post, path = "/oauth/revoke", tag = "oauth",
    request_body(content_type = "application/x-www-form-urlencoded",
        description = "token, optional token_type_hint, and client authentication"),
    responses(
        (status = 200, description = "Revoked, or nothing to revoke"),
        (status = 400, description = "invalid_request", body = OAuthErrorBody),
        (status = 401, description = "invalid_client", body = OAuthErrorBody),
    ))]
pub async fn revoke_oauth_token(
    State(state): State<AppState>,
    form: OAuthForm,
) -> Result<Response, OAuthErrorResponse> {
    let basic_tried = form.basic_tried;
    let request = RevocationRequest {
        params: form.params,
        basic: form.basic,
    };
    state
        .gateway
        .oauth_revoke(request)
        .await
        .map_err(|error| OAuthErrorResponse::new(error, basic_tried))?;
    Ok((StatusCode::OK, no_store()).into_response())
}

/// `POST /oauth/register`: Dynamic Client Registration (RFC 7591); 404 while
/// `OAUTH_DYNAMIC_REGISTRATION` is off.
#[utoipa::path(post, path = "/oauth/register", tag = "oauth",
    request_body(content_type = "application/json", description = "Client metadata (RFC 7591 §2)"),
    responses(
        (status = 201, description = "Registered", body = RegisteredClientBody),
        (status = 400, description = "invalid_redirect_uri, invalid_client_metadata", body = OAuthErrorBody),
        (status = 404, description = "Dynamic registration is off"),
    ))]
pub async fn register_oauth_client(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, OAuthErrorResponse> {
    let body = body.map_err(|_| {
        OAuthError::new(
            InvalidClientMetadata,
            "the body could not be read (at most 16 KiB)",
        )
    })?;
    let Some(result) = state.gateway.oauth_register(&body).await else {
        return Ok(ApiError::NotFound.into_response());
    };
    let client = RegisteredClientBody::from(result?);
    Ok((StatusCode::CREATED, no_store(), Json(client)).into_response())
}
