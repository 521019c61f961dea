//! `POST /oauth/introspect` (RFC 7662) for MCP servers: extract, one core call, one error
//! map (`http::oauth_error`).

use crate::core::authz::access_tokens::AccessTokenClaims;
use crate::core::authz::introspection::IntrospectionRequest;
use crate::http::AppState;
use crate::http::oauth_error::{OAuthErrorBody, OAuthErrorResponse, no_store};
use crate::http::oauth_form::OAuthForm;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// An introspection answer (RFC 7662 §2.2): `{"active": false}` alone for any token that
/// is not an active access token for one of the caller's resources.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntrospectionBody {
    pub active: bool,
    /// Space-separated gateway scopes (`mcp:…`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The MCP client the token was issued to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The user's stable subject at the login provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The resource's canonical URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// The user's verified email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `Bearer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
}

impl From<Option<AccessTokenClaims>> for IntrospectionBody {
    fn from(claims: Option<AccessTokenClaims>) -> Self {
        Self {
            active: claims.is_some(),
            token_type: claims.as_ref().map(|_| "Bearer".to_owned()),
            scope: claims.as_ref().map(|c| c.scope.clone()),
            client_id: claims.as_ref().map(|c| c.client_id.clone()),
            sub: claims.as_ref().map(|c| c.sub.clone()),
            aud: claims.as_ref().map(|c| c.aud.clone()),
            iss: claims.as_ref().map(|c| c.iss.clone()),
            exp: claims.as_ref().map(|c| c.exp),
            iat: claims.as_ref().map(|c| c.iat),
            email: claims.map(|c| c.email),
        }
    }
}

/// `POST /oauth/introspect`: whether a gateway access token is active, for the MCP
/// server (API client) that owns its resource. Refresh tokens, other clients' tokens and
/// anything invalid, expired or revoked are `{"active": false}`.
#[utoipa::path(post, path = "/oauth/introspect", tag = "oauth",
    request_body(content_type = "application/x-www-form-urlencoded",
        description = "token, optional token_type_hint; authenticated by X-API-Key, or client_id = the API client's name and client_secret = its key (Basic or form)"),
    responses(
        (status = 200, description = "The token's state (Cache-Control: no-store)", body = IntrospectionBody),
        (status = 400, description = "invalid_request", body = OAuthErrorBody),
        (status = 401, description = "invalid_client", body = OAuthErrorBody),
        (status = 503, description = "temporarily_unavailable", body = OAuthErrorBody),
    ))]
pub async fn introspect_oauth_token(
    State(state): State<AppState>,
    form: OAuthForm,
) -> Result<Response, OAuthErrorResponse> {
    let basic_tried = form.basic_tried;
    let request = IntrospectionRequest {
        params: form.params,
        basic: form.basic,
        api_key: form.api_key,
    };
    let claims = state
        .gateway
        .oauth_introspect(request)
        .await
        .map_err(|error| OAuthErrorResponse::new(error, basic_tried))?;
    Ok((no_store(), Json(IntrospectionBody::from(claims))).into_response())
}
