//! A provider's absurd numbers cannot crash the gateway (issue 16, finding 8): a proxy
//! in front of the emulator's token endpoint rewrites `expires_in` and the `id_token`'s
//! `exp` to the largest values JSON can carry for them, and the gateway still answers.

use crate::support::app::TestApp;
use crate::support::db::Backend;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

/// The longest token lifetime the gateway believes, in seconds (one day).
const MAX_BELIEVED_LIFETIME_SECS: i64 = 24 * 60 * 60;

#[derive(Clone)]
struct Tamper {
    upstream: String,
    on: Arc<Mutex<bool>>,
}

/// Forwards `POST /token` to the emulator; while on, rewrites the answer's numbers.
async fn token(
    State(tamper): State<Tamper>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let answer = reqwest::Client::new()
        .post(&tamper.upstream)
        .header(header::CONTENT_TYPE, headers[header::CONTENT_TYPE].clone())
        .body(body)
        .send()
        .await
        .unwrap();
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
    let mut json: Value = answer.json().await.unwrap();
    if *tamper.on.lock().unwrap() && status == StatusCode::OK {
        json["expires_in"] = json!(i64::MAX);
        if let Some(id_token) = json["id_token"].as_str() {
            json["id_token"] = json!(with_huge_exp(id_token));
        }
    }
    (status, json.to_string())
}

/// The same JWT with `exp` at `i64::MAX` (the gateway does not check the signature of a
/// token it fetched itself over TLS).
fn with_huge_exp(id_token: &str) -> String {
    let parts: Vec<&str> = id_token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["exp"] = json!(i64::MAX);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{}.{payload}.{}", parts[0], parts[2])
}

/// Starts the proxy and a gateway whose `GOOGLE_TOKEN_URL` is the proxy.
async fn app_behind_tampering_proxy() -> (TestApp, Arc<Mutex<bool>>) {
    let on = Arc::new(Mutex::new(false));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}/token", listener.local_addr().unwrap());
    let app = TestApp::spawn_with(Backend::Sqlite, &[("GOOGLE_TOKEN_URL", &proxy_url)]).await;
    let tamper = Tamper {
        upstream: app.emulator.token_url(),
        on: Arc::clone(&on),
    };
    let router = axum::Router::new()
        .route("/token", axum::routing::post(token))
        .with_state(tamper);
    tokio::spawn(async move { axum::serve(listener, router).await });
    (app, on)
}

fn expires_at(body: &Value) -> DateTime<Utc> {
    body["expires_at"].as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_with_absurd_expires_in_and_exp_completes_with_a_clamped_expiry() {
    let (app, tamper) = app_behind_tampering_proxy().await;
    *tamper.lock().unwrap() = true;
    let email = "absurd-signin@example.com";
    let link = app.init(email).await;
    let (status, page) = app.follow(link["auth_url"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{page}");
    let response = app.token(email).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let limit = app.clock_now() + chrono::Duration::seconds(MAX_BELIEVED_LIFETIME_SECS);
    assert!(expires_at(&body) <= limit, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_with_an_absurd_expires_in_is_served_with_a_clamped_expiry() {
    let (app, tamper) = app_behind_tampering_proxy().await;
    let email = "absurd-refresh@example.com";
    app.sign_in(email).await;
    *tamper.lock().unwrap() = true;
    app.expire_tokens();
    let response = app.token(email).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let limit = app.clock_now() + chrono::Duration::seconds(MAX_BELIEVED_LIFETIME_SECS);
    assert!(expires_at(&body) <= limit, "{body}");
    // The gateway is still there for the next caller.
    assert_eq!(app.token(email).await.status(), 200);
}
