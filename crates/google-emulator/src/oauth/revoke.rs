//! `POST /revoke` (and `GET`, which Google also accepts): kills the whole grant
//! behind an access or refresh token.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::{google_json, oauth_error, parse_form};
use crate::state::EmulatorState;

pub(super) async fn revoke(
    State(state): State<EmulatorState>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let token = parse_form(&body)
        .remove("token")
        .or_else(|| parse_form(query.unwrap_or_default().as_bytes()).remove("token"))
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Missing required parameter: token",
        );
    };
    let mut inner = state.lock();
    // An expired access token still names its grant, and Google revokes the
    // grant through it; only unknown or already revoked tokens are refused.
    let Some(grant_id) = inner.grant_of_token(&token) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_token",
            "Token expired or revoked",
        );
    };
    inner.kill_grant(grant_id);
    inner.revoked.push(token);
    inner.counters.revocations += 1;
    drop(inner);
    tracing::info!(grant_id, "grant revoked");
    google_json(StatusCode::OK, &json!({}))
}
