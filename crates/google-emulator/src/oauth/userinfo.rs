//! `GET /v1/userinfo` and `GET /oauth2/v3/userinfo`: the signed-in account's
//! `OpenID` claims for a bearer access token.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value};

use super::{google_json, oauth_error};
use crate::state::EmulatorState;

pub(super) async fn userinfo(
    State(state): State<EmulatorState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| rest.trim().to_owned())
        })
        // Google also takes the token as a query parameter.
        .or_else(|| query.get("access_token").cloned());

    let mut inner = state.lock();
    inner.counters.userinfo_calls += 1;
    let email = bearer
        .as_deref()
        .and_then(|t| inner.valid_access_token(t))
        .map(|g| g.email.clone());
    let Some(email) = email else {
        drop(inner);
        let mut response = oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_request",
            "Invalid Credentials",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(
                "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"",
            ),
        );
        return response;
    };
    let account = inner.account_or_create(&email);
    drop(inner);

    let mut body = Map::new();
    body.insert("sub".into(), account.sub.into());
    body.insert("name".into(), account.name.into());
    body.insert("given_name".into(), account.given_name.into());
    body.insert("family_name".into(), account.family_name.into());
    body.insert("picture".into(), account.picture.into());
    body.insert("email".into(), account.email.into());
    body.insert("email_verified".into(), account.email_verified.into());
    if let Some(hd) = account.hd {
        body.insert("hd".into(), hd.into());
    }
    google_json(StatusCode::OK, &Value::Object(body))
}
