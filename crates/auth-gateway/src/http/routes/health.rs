//! `GET /health`: liveness plus whether the database answers.

use crate::http::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use gateway_proto::HealthResponse;

/// `GET /health`: 200 when healthy, 503 when the database does not answer.
#[utoipa::path(get, path = "/health", tag = "operations",
    responses(
        (status = 200, description = "Healthy", body = HealthResponse),
        (status = 503, description = "Degraded: the database does not answer", body = HealthResponse),
    ))]
pub async fn check_health(State(state): State<AppState>) -> (StatusCode, Json<HealthResponse>) {
    let database_ok = state.gateway.database_ok().await;
    let status = if database_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(HealthResponse {
            status: if database_ok { "healthy" } else { "degraded" }.to_owned(),
            database: if database_ok {
                "connected"
            } else {
                "unavailable"
            }
            .to_owned(),
            encryption: "configured".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            timestamp: state.gateway.now(),
        }),
    )
}
