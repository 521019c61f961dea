//! The authorization server metadata (RFC 8414) at both well-known names MCP clients
//! try, and at the RFC 8414 §3.1 path-inserted location when the public URL has a path.

use crate::core::authz::metadata::{METADATA_MAX_AGE_SECONDS, ServerMetadata};
use crate::http::AppState;
use crate::http::error::ApiError;
#[allow(unused_imports)] // named by the OpenAPI annotations
use crate::http::openapi::ErrorBody;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// Cacheable briefly: a resource added, or registration turned off, shows within a minute.
fn cached(document: ServerMetadata) -> Response {
    let cache = HeaderValue::from_str(&format!("public, max-age={METADATA_MAX_AGE_SECONDS}"))
        .unwrap_or_else(|_| HeaderValue::from_static("no-cache"));
    ([(header::CACHE_CONTROL, cache)], Json(document)).into_response()
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414 §3).
#[utoipa::path(get, path = "/.well-known/oauth-authorization-server", tag = "oauth",
    responses(
        (status = 200, description = "The metadata (RFC 8414 §2)", content_type = "application/json"),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    ))]
pub async fn get_authorization_server_metadata(
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    Ok(cached(state.gateway.oauth_metadata().await?))
}

/// `GET /.well-known/openid-configuration`: the same document, where clients that
/// start from OpenID Connect discovery look.
#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "oauth",
    responses(
        (status = 200, description = "The metadata (RFC 8414 §2)", content_type = "application/json"),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    ))]
pub async fn get_openid_configuration(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(cached(state.gateway.oauth_metadata().await?))
}

/// The path-inserted form, `/.well-known/oauth-authorization-server/{issuer path}`
/// (and the same under `openid-configuration`); 404 for any other path.
pub async fn get_metadata_at_path(
    State(state): State<AppState>,
    Path(path): Path<String>,
) -> Result<Response, ApiError> {
    match state.gateway.oauth_metadata_at(&path).await? {
        Some(document) => Ok(cached(document)),
        None => Err(ApiError::NotFound),
    }
}
