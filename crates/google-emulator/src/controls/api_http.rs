//! HTTP controls of the Ads and Analytics emulation, merged into the
//! `/__emulator` router. Routes are listed in the crate docs.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::apis::{AdsCustomer, GaAccount};
use crate::state::EmulatorState;

pub(crate) fn router() -> Router<EmulatorState> {
    Router::new()
        .route("/ads-customers", get(ads_customers).post(set_ads_customers))
        .route(
            "/analytics-accounts",
            get(analytics_accounts).post(set_analytics_accounts),
        )
        .route("/sunset-ads-versions", post(sunset_ads_versions))
        .route("/ads-page-size", post(ads_page_size))
        .route("/fail-next-api-requests", post(fail_next_api_requests))
}

fn ok() -> Response {
    (StatusCode::OK, Json(json!({}))).into_response()
}

fn missing_email() -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": "the email query parameter is required"})),
    )
        .into_response()
}

async fn ads_customers(
    State(state): State<EmulatorState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    match query.get("email") {
        Some(email) => Json(state.ads_customers(email)).into_response(),
        None => missing_email(),
    }
}

#[derive(Deserialize)]
struct SetAdsCustomers {
    email: String,
    customers: Vec<AdsCustomer>,
}

async fn set_ads_customers(
    State(state): State<EmulatorState>,
    Json(body): Json<SetAdsCustomers>,
) -> Response {
    state.set_ads_customers(&body.email, body.customers);
    ok()
}

async fn analytics_accounts(
    State(state): State<EmulatorState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    match query.get("email") {
        Some(email) => Json(state.analytics_accounts(email)).into_response(),
        None => missing_email(),
    }
}

#[derive(Deserialize)]
struct SetAnalyticsAccounts {
    email: String,
    accounts: Vec<GaAccount>,
}

async fn set_analytics_accounts(
    State(state): State<EmulatorState>,
    Json(body): Json<SetAnalyticsAccounts>,
) -> Response {
    state.set_analytics_accounts(&body.email, body.accounts);
    ok()
}

#[derive(Deserialize)]
struct Versions {
    versions: Vec<u32>,
}

async fn sunset_ads_versions(
    State(state): State<EmulatorState>,
    Json(body): Json<Versions>,
) -> Response {
    state.set_sunset_ads_versions(&body.versions);
    ok()
}

#[derive(Deserialize)]
struct Rows {
    rows: usize,
}

async fn ads_page_size(State(state): State<EmulatorState>, Json(body): Json<Rows>) -> Response {
    state.set_ads_page_size(body.rows);
    ok()
}

#[derive(Deserialize)]
struct FailNext {
    count: u32,
    status: u16,
}

async fn fail_next_api_requests(
    State(state): State<EmulatorState>,
    Json(body): Json<FailNext>,
) -> Response {
    state.fail_next_api_requests(body.count, body.status);
    ok()
}
