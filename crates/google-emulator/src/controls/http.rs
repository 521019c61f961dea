//! The controls over HTTP under `/__emulator/…`, so the binary can be driven
//! from tests written in other languages. Routes are listed in the crate docs.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::state::{AccountOptions, EmulatorState};

/// Routes mounted under `/__emulator`.
pub(crate) fn router() -> Router<EmulatorState> {
    Router::new()
        .route("/counters", get(counters))
        .route("/accounts", get(accounts).post(add_account))
        .route("/access-token-lifetime", post(access_token_lifetime))
        .route("/rotate-refresh-tokens", post(rotate_refresh_tokens))
        .route("/latency", post(latency))
        .route("/fail-next-token-requests", post(fail_next_token_requests))
        .route("/force-invalid-grant", post(force_invalid_grant))
        .route("/sign-in-as", post(sign_in_as))
        .route("/deny-next-authorization", post(deny_next_authorization))
        .route("/foreign-next-id-token", post(foreign_next_id_token))
        .route("/grant-only-scopes", post(grant_only_scopes))
        .route("/revoke-all", post(revoke_all))
        .route("/tokens", post(tokens_for))
        .route("/access-token-validity", post(access_token_validity))
        .route("/revoked-tokens", get(revoked_tokens))
        .route("/reset", post(reset))
        .merge(super::api_http::router())
}

fn ok() -> Response {
    (StatusCode::OK, Json(json!({}))).into_response()
}

async fn counters(State(state): State<EmulatorState>) -> Response {
    Json(state.counters()).into_response()
}

async fn accounts(State(state): State<EmulatorState>) -> Response {
    Json(state.accounts()).into_response()
}

#[derive(Deserialize)]
struct AddAccount {
    email: String,
    #[serde(default = "default_true")]
    email_verified: bool,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    hd: Option<String>,
}

fn default_true() -> bool {
    true
}

async fn add_account(State(state): State<EmulatorState>, Json(body): Json<AddAccount>) -> Response {
    let options = AccountOptions {
        email_verified: body.email_verified,
        sub: body.sub,
        hd: body.hd,
    };
    Json(state.add_account(&body.email, options)).into_response()
}

#[derive(Deserialize)]
struct Secs {
    secs: u64,
}

async fn access_token_lifetime(
    State(state): State<EmulatorState>,
    Json(body): Json<Secs>,
) -> Response {
    state.set_access_token_lifetime(body.secs);
    ok()
}

#[derive(Deserialize)]
struct Enabled {
    enabled: bool,
}

async fn rotate_refresh_tokens(
    State(state): State<EmulatorState>,
    Json(body): Json<Enabled>,
) -> Response {
    state.set_rotate_refresh_tokens(body.enabled);
    ok()
}

#[derive(Deserialize)]
struct Millis {
    millis: u64,
}

async fn latency(State(state): State<EmulatorState>, Json(body): Json<Millis>) -> Response {
    state.set_latency(Duration::from_millis(body.millis));
    ok()
}

#[derive(Deserialize)]
struct FailNext {
    count: u32,
    status: u16,
}

async fn fail_next_token_requests(
    State(state): State<EmulatorState>,
    Json(body): Json<FailNext>,
) -> Response {
    state.fail_next_token_requests(body.count, body.status);
    ok()
}

async fn force_invalid_grant(
    State(state): State<EmulatorState>,
    Json(body): Json<Enabled>,
) -> Response {
    state.force_invalid_grant(body.enabled);
    ok()
}

#[derive(Deserialize)]
struct MaybeEmail {
    #[serde(default)]
    email: Option<String>,
}

async fn sign_in_as(State(state): State<EmulatorState>, Json(body): Json<MaybeEmail>) -> Response {
    state.sign_in_as(body.email);
    ok()
}

async fn deny_next_authorization(State(state): State<EmulatorState>) -> Response {
    state.deny_next_authorization();
    ok()
}

async fn foreign_next_id_token(State(state): State<EmulatorState>) -> Response {
    state.issue_foreign_next_id_token();
    ok()
}

#[derive(Deserialize)]
struct Scopes {
    #[serde(default)]
    scopes: Option<Vec<String>>,
}

async fn grant_only_scopes(
    State(state): State<EmulatorState>,
    Json(body): Json<Scopes>,
) -> Response {
    state.grant_only_scopes(body.scopes);
    ok()
}

#[derive(Deserialize)]
struct Email {
    email: String,
}

async fn revoke_all(State(state): State<EmulatorState>, Json(body): Json<Email>) -> Response {
    state.revoke_all_for(&body.email);
    ok()
}

async fn tokens_for(State(state): State<EmulatorState>, Json(body): Json<Email>) -> Response {
    Json(json!({
        "latest_access_token": state.latest_access_token_for(&body.email),
        "refresh_token": state.refresh_token_for(&body.email),
    }))
    .into_response()
}

#[derive(Deserialize)]
struct Token {
    token: String,
}

async fn access_token_validity(
    State(state): State<EmulatorState>,
    Json(body): Json<Token>,
) -> Response {
    Json(json!({ "valid": state.access_token_is_valid(&body.token) })).into_response()
}

async fn revoked_tokens(State(state): State<EmulatorState>) -> Response {
    Json(state.revoked_tokens()).into_response()
}

async fn reset(State(state): State<EmulatorState>) -> Response {
    state.reset();
    ok()
}
