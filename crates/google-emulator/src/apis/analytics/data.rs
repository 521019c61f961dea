//! `POST /v1beta/properties/{id}:runReport`: access checks, then the pure
//! [`report`](super::report).

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{begin, report};
use crate::apis::auth::{ANALYTICS_READONLY_SCOPE, ANALYTICS_SCOPE, Service};
use crate::apis::errors::{ApiError, json_response};
use crate::state::EmulatorState;

const SERVICE: Service = Service {
    name: "analyticsdata.googleapis.com",
    method: "google.analytics.data.v1beta.BetaAnalyticsData.RunReport",
    scopes: &[ANALYTICS_READONLY_SCOPE, ANALYTICS_SCOPE],
};

pub(crate) fn run_report(
    state: &EmulatorState,
    version: &str,
    property_id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    match answer(state, version, property_id, headers, body) {
        Ok(report) => json_response(StatusCode::OK, &report),
        Err(error) => error.into_response(),
    }
}

fn answer(
    state: &EmulatorState,
    version: &str,
    property_id: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, ApiError> {
    let accounts = begin(state, version, headers, SERVICE)?;
    if property_id.is_empty() || !property_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid_argument(format!(
            "Invalid property ID: {property_id}. A numeric Property ID is required. To learn more about Property ID, see https://developers.google.com/analytics/devguides/reporting/data/v1/property-id."
        )));
    }
    let property = accounts
        .iter()
        .flat_map(|a| &a.properties)
        .find(|p| p.id == property_id)
        .ok_or_else(|| {
            ApiError::permission_denied(
                "User does not have sufficient permissions for this property. To learn more about Property ID, see https://developers.google.com/analytics/devguides/reporting/data/v1/property-id.",
            )
        })?;
    let request: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(serde_json::Map::new())
    } else {
        serde_json::from_slice(body).map_err(|e| {
            ApiError::invalid_argument(format!("Invalid JSON payload received. {e}"))
        })?
    };
    if !request.is_object() {
        return Err(ApiError::invalid_argument(
            "Invalid JSON payload received. Expected an object.",
        ));
    }
    report::run_report(property, &request)
}
