//! RFC 9728 protected resource metadata: how an MCP client that met our 401 learns
//! which authorization server to use (MCP authorization, "Authorization Server
//! Discovery").

use super::ResourceGuard;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

/// The well-known path prefix (RFC 9728 §3).
pub(super) const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// The metadata document (RFC 9728 §2), the fields an MCP client reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtectedResourceMetadata {
    /// The resource's canonical URI; clients check it equals the URL they used (§3.3).
    pub resource: String,
    /// The gateway's issuer identifier.
    pub authorization_servers: Vec<String>,
    /// The resource's one gateway scope.
    pub scopes_supported: Vec<String>,
    /// Only the `Authorization` header (RFC 6750 §2.1): tokens in a query or form body
    /// end up in logs.
    pub bearer_methods_supported: Vec<String>,
    /// The name shown to people.
    pub resource_name: String,
}

/// Serves the document at the root well-known path and, for a resource with a path, at
/// the path-inserted form (§3.1), which is the one the `WWW-Authenticate` header names.
/// Clients differ in which they try first, so both answer the same.
pub(super) fn router<S: Clone + Send + Sync + 'static>(guard: &ResourceGuard) -> axum::Router<S> {
    let (_, path) = super::config::split_origin(guard.resource());
    let body = guard.metadata();
    let handler = move || {
        let body = body.clone();
        async move { answer(&body) }
    };
    let mut router = axum::Router::new().route(WELL_KNOWN, axum::routing::get(handler.clone()));
    if !path.is_empty() {
        router = router.route(&format!("{WELL_KNOWN}{path}"), axum::routing::get(handler));
    }
    router
}

fn answer(body: &ProtectedResourceMetadata) -> Response {
    let mut response = axum::Json(body).into_response();
    // Static for the process's life; an hour keeps clients from asking on every connect.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}
