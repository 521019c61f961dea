//! The Google Ads REST API and the Analytics Data and Admin APIs, served from
//! per-account fixture data with Google's JSON shapes and errors.
//!
//! Google's paths put a verb after a colon inside a segment
//! (`customers:listAccessibleCustomers`, `123:runReport`); the router captures
//! whole segments and [`dispatch`](self) splits them, so the static OAuth
//! routes (`/v1/userinfo`) keep priority and nothing is ambiguous.

mod ads;
mod analytics;
mod auth;
mod dates;
mod errors;
mod fixtures;
mod model;

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use analytics::report::{run_report, run_report_on};
pub use errors::ApiError;
pub use fixtures::{ids as sample_ids, sample_ads_customers, sample_analytics_accounts};
pub use model::{AdsAd, AdsAdGroup, AdsCampaign, AdsCustomer, AdsMetrics, GaAccount, GaProperty};

use crate::state::EmulatorState;

/// Routes of both APIs.
pub(crate) fn router() -> Router<EmulatorState> {
    Router::new()
        .route("/{version}/{call}", get(get_call))
        .route(
            "/{version}/customers/{customer_id}/{method}",
            post(customer_call),
        )
        .route("/{version}/properties/{call}", post(property_call))
}

/// `GET /{v}/customers:listAccessibleCustomers` and `GET /v1beta/accountSummaries`.
async fn get_call(
    State(state): State<EmulatorState>,
    Path((version, call)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    match call.as_str() {
        "customers:listAccessibleCustomers" => {
            ads::list_accessible_customers(&state, &version, &headers)
        }
        "accountSummaries" => {
            analytics::admin::list_account_summaries(&state, &version, &headers, &query)
        }
        _ => unknown_path(&format!("/{version}/{call}")),
    }
}

/// `POST /{v}/customers/{id}/googleAds:search` and `…:searchStream`.
async fn customer_call(
    State(state): State<EmulatorState>,
    Path((version, customer_id, method)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match method.as_str() {
        "googleAds:search" => ads::search(&state, &version, &customer_id, &headers, &body, false),
        "googleAds:searchStream" => {
            ads::search(&state, &version, &customer_id, &headers, &body, true)
        }
        _ => unknown_path(&format!("/{version}/customers/{customer_id}/{method}")),
    }
}

/// `POST /v1beta/properties/{id}:runReport`.
async fn property_call(
    State(state): State<EmulatorState>,
    Path((version, call)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match call.split_once(':') {
        Some((property_id, "runReport")) => {
            analytics::data::run_report(&state, &version, property_id, &headers, &body)
        }
        _ => unknown_path(&format!("/{version}/properties/{call}")),
    }
}

fn unknown_path(path: &str) -> Response {
    ApiError::not_found(format!(
        "The requested URL {path} was not found on this server."
    ))
    .into_response()
}
