//! The OAuth authorization server's public endpoints (docs/authorization-server.md).
//! So far the signing keys' JWKS; the authorization, token and metadata endpoints land
//! together in a later change.

use crate::core::authz::jwks::{Jwk, Jwks};
use crate::core::authz::signing_keys::JWKS_MAX_AGE;
use crate::http::AppState;
use crate::http::error::ApiError;
#[allow(unused_imports)] // named by the OpenAPI annotations
use crate::http::openapi::ErrorBody;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// One public signing key (RFC 7517 §4, RFC 7518 §6.2.1).
#[derive(Debug, Serialize, ToSchema)]
pub struct JwkBody {
    /// `EC`.
    pub kty: String,
    /// `P-256`.
    pub crv: String,
    /// The x coordinate, base64url.
    pub x: String,
    /// The y coordinate, base64url.
    pub y: String,
    /// The key id (its RFC 7638 thumbprint), as in the tokens' `kid` header.
    pub kid: String,
    /// `sig`.
    #[serde(rename = "use")]
    pub use_: String,
    /// `ES256`.
    pub alg: String,
}

/// The JSON Web Key Set (RFC 7517 §5).
#[derive(Debug, Serialize, ToSchema)]
pub struct JwksBody {
    /// The current key first, then those still published after a rotation.
    pub keys: Vec<JwkBody>,
}

impl From<Jwk> for JwkBody {
    fn from(jwk: Jwk) -> Self {
        let Jwk {
            kty,
            crv,
            x,
            y,
            kid,
            use_,
            alg,
        } = jwk;
        Self {
            kty,
            crv,
            x,
            y,
            kid,
            use_,
            alg,
        }
    }
}

fn cache_control() -> HeaderValue {
    let seconds = JWKS_MAX_AGE.num_seconds();
    HeaderValue::from_str(&format!("public, max-age={seconds}"))
        .unwrap_or_else(|_| HeaderValue::from_static("no-cache"))
}

/// `GET /oauth/jwks`: the public keys that verify the gateway's access tokens, the
/// current one and those still in their overlap after a rotation. Cacheable for less
/// than the overlap, so a cached set always still holds a key a resource may meet.
#[utoipa::path(get, path = "/oauth/jwks", tag = "oauth",
    responses(
        (status = 200, description = "The key set", body = JwksBody,
            headers(("Cache-Control" = String, description = "public, max-age=300"))),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    ))]
pub async fn get_jwks(State(state): State<AppState>) -> Result<Response, ApiError> {
    let Jwks { keys } = state.gateway.jwks().await?;
    let body = JwksBody {
        keys: keys.into_iter().map(JwkBody::from).collect(),
    };
    Ok(([(header::CACHE_CONTROL, cache_control())], Json(body)).into_response())
}
