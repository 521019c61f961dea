//! Shared helpers of the API tests: a real sign-in over HTTP and small
//! request wrappers.

// Helpers outside #[test] fns are not covered by clippy.toml's allow-unwrap-in-tests.
#![allow(clippy::unwrap_used, dead_code)]

use google_emulator::Emulator;
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::Value;
use url::Url;

pub const REDIRECT: &str = "http://127.0.0.1:9/oauth/callback";
pub const ALICE: &str = "alice.smith@example.com";
pub const ADWORDS: &str = "https://www.googleapis.com/auth/adwords";
pub const ANALYTICS_READONLY: &str = "https://www.googleapis.com/auth/analytics.readonly";
pub const ANALYTICS_EDIT: &str = "https://www.googleapis.com/auth/analytics.edit";

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// Signs `email` in through the authorization and token endpoints and
/// returns the access token, the way the gateway gets one.
pub async fn sign_in(emu: &Emulator, email: &str, scope: &str) -> String {
    let response = http()
        .get(emu.auth_url())
        .query(&[
            ("client_id", emu.client_id()),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", scope),
            ("state", "s"),
            ("access_type", "offline"),
            ("login_hint", email),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let body: Value = http()
        .post(emu.token_url())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("client_id", emu.client_id()),
            ("client_secret", emu.client_secret()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// Status, `request-id` header (if any) and JSON body.
pub async fn read(response: reqwest::Response) -> (StatusCode, Option<String>, Value) {
    let status = response.status();
    let request_id = response
        .headers()
        .get("request-id")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.json().await.unwrap();
    (status, request_id, body)
}

pub async fn post_json(
    url: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> (StatusCode, Option<String>, Value) {
    let mut request = http().post(url).bearer_auth(token).json(body);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    read(request.send().await.unwrap()).await
}

pub async fn get(url: &str, token: &str) -> (StatusCode, Option<String>, Value) {
    read(http().get(url).bearer_auth(token).send().await.unwrap()).await
}
