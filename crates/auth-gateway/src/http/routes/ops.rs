//! Operator endpoints: readiness, Prometheus metrics, the OpenAPI document and the
//! development docs page.

use crate::core::admin::health::Readiness;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::pages::security_headers;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
use gateway_proto::ReadyResponse;
use std::sync::Arc;
use std::time::Duration;

/// `/ready` gives the database this long to answer.
const READY_DB_TIMEOUT: Duration = Duration::from_secs(2);

/// Prometheus' text exposition format.
const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The OpenAPI document, rendered once when the router is built.
#[derive(Debug, Clone)]
pub struct ApiDocument {
    pub json: Arc<str>,
    /// The `/docs` page.
    pub docs_page: Arc<str>,
}

/// `GET /ready`: 200 when this replica should get traffic; 503 while the database does
/// not answer, when some stored ciphertext was written under a key this replica does
/// not have (named in `unknown_key_ids`), or after shutdown began. Migrations run before
/// the gateway starts serving, so a running gateway always has them.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses(
        (status = 200, description = "Ready for traffic", body = ReadyResponse),
        (status = 503, description = "Database unreachable, unknown encryption key ids, or shutting down", body = ReadyResponse),
    ))]
pub async fn check_ready(State(state): State<AppState>) -> (StatusCode, Json<ReadyResponse>) {
    let readiness = state.gateway.readiness(READY_DB_TIMEOUT).await;
    let shutting_down = state.lifecycle.is_shutting_down();
    let ready = readiness.is_ready() && !shutting_down;
    state.metrics.set_ready(ready);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(ready_response(readiness, ready, shutting_down)),
    )
}

fn ready_response(readiness: Readiness, ready: bool, shutting_down: bool) -> ReadyResponse {
    ReadyResponse {
        status: if ready { "ready" } else { "not_ready" }.to_owned(),
        database: if readiness.database_ok {
            "connected"
        } else {
            "unavailable"
        }
        .to_owned(),
        // The word /health uses (the original gateway's).
        encryption: if readiness.unknown_key_ids.is_empty() {
            "configured"
        } else {
            "unknown_key_ids"
        }
        .to_owned(),
        unknown_key_ids: readiness.unknown_key_ids,
        migrations: "current".to_owned(),
        shutting_down,
    }
}

/// `GET /metrics`: Prometheus text. Restrict who reaches it (bind `METRICS_PORT` to an
/// internal interface, or filter at the load balancer).
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain")))]
pub async fn render_metrics(State(state): State<AppState>) -> Response {
    metrics_response(&state.metrics, &state.gateway)
}

/// The `/metrics` answer, shared with the separate metrics listener. A scrape costs no
/// query: the store's gauges are refreshed in the background (`startup`'s upkeep), so
/// scrapes, however many, never reach the database.
pub fn metrics_response(
    metrics: &crate::monitoring::Metrics,
    gateway: &crate::core::Gateway,
) -> Response {
    crate::domain::MetricsSink::set_token_cache(
        metrics,
        gateway.token_cache_enabled(),
        gateway.token_cache_len(),
    );
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROMETHEUS_CONTENT_TYPE),
        )],
        metrics.render(),
    )
        .into_response()
}

/// `GET /openapi.json`: the OpenAPI 3 document of this API.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI 3 document", body = Object, content_type = "application/json")))]
pub async fn get_openapi(Extension(document): Extension<ApiDocument>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        document.json.to_string(),
    )
        .into_response()
}

/// `GET /docs`: a readable page of every operation (development only, no scripts).
#[utoipa::path(get, path = "/docs", tag = "operations",
    responses(
        (status = 200, description = "HTML page of the operations, their X-API-Key use and body shapes", body = String, content_type = "text/html"),
        (status = 404, description = "Docs are turned off (production default)"),
    ))]
pub async fn show_docs(
    State(state): State<AppState>,
    Extension(document): Extension<ApiDocument>,
) -> Response {
    if !state.api_docs {
        return ApiError::NotFound.into_response();
    }
    let mut response = Html(document.docs_page.to_string()).into_response();
    response.headers_mut().extend(security_headers());
    response
}
