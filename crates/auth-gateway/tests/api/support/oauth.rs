//! Helpers for the authorization server's tests: resources and grants set up through the
//! test database's real store (the authorization endpoint is another change), clients
//! registered and tokens asked for through real HTTP.

use super::app::TestApp;
use auth_gateway::core::random;
use auth_gateway::store::{AuthorizationCodeRecord, AuthorizationGrantRecord, ResourceRecord};
use serde_json::{Value, json};
use uuid::Uuid;

pub const RESOURCE: &str = "https://ads.example.com/mcp";
pub const SCOPE: &str = "mcp:ads.example.com/mcp";
pub const REDIRECT: &str = "http://127.0.0.1:43210/callback";
pub const SUBJECT: &str = "109876543210";
pub const EMAIL: &str = "alice@example.com";

/// A PKCE verifier of the RFC 7636 alphabet, 43+ characters.
pub fn verifier(tag: &str) -> String {
    format!("verifier-{tag}-0123456789abcdefghijklmnopqrstuvwxyz")
}

/// Registers `uri` as a resource, through the store.
pub async fn add_resource(app: &TestApp, uri: &str) {
    let store = app.db.store().await;
    let record = ResourceRecord {
        uri: uri.to_owned(),
        client_name: "default".to_owned(),
        provider: "google".to_owned(),
        scopes: vec!["https://www.googleapis.com/auth/adwords".to_owned()],
        display_name: "Google Ads".to_owned(),
        created_at: app.clock_now(),
    };
    assert!(store.insert_resource(&record).await.unwrap());
}

/// `POST /oauth/register` with `metadata`.
pub async fn register(app: &TestApp, metadata: &Value) -> reqwest::Response {
    app.http
        .post(app.url("/oauth/register"))
        .json(metadata)
        .send()
        .await
        .unwrap()
}

/// Registers a client with `method`; returns its `client_id` and `client_secret`.
pub async fn client(app: &TestApp, method: &str) -> (String, Option<String>) {
    let response = register(
        app,
        &json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": method,
                "grant_types": ["authorization_code", "refresh_token"], "client_name": "Test client"}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let secret = body["client_secret"].as_str().map(str::to_owned);
    (body["client_id"].as_str().unwrap().to_owned(), secret)
}

/// What the authorization endpoint will store after consent: a grant to `client_id`
/// for [`RESOURCE`] and its code bound to [`REDIRECT`] and `verifier`'s challenge.
/// Returns the code.
pub async fn new_code(app: &TestApp, client_id: &str, verifier: &str) -> (String, Uuid) {
    let store = app.db.store().await;
    let now = app.clock_now();
    let grant = AuthorizationGrantRecord {
        id: Uuid::new_v4(),
        client_id: client_id.to_owned(),
        user_subject: SUBJECT.to_owned(),
        user_email: EMAIL.to_owned(),
        resource: RESOURCE.to_owned(),
        scope: SCOPE.to_owned(),
        created_at: now,
        revoked_at: None,
    };
    let code = random::token();
    let code = secrecy::ExposeSecret::expose_secret(&code).to_owned();
    let record = AuthorizationCodeRecord {
        code_hash: random::digest(&code),
        grant_id: grant.id,
        redirect_uri: REDIRECT.to_owned(),
        code_challenge: random::pkce_challenge(verifier),
        created_at: now,
        expires_at: now + chrono::Duration::seconds(60),
    };
    store.insert_grant_with_code(&grant, &record).await.unwrap();
    (code, grant.id)
}

/// `POST /oauth/token` with a form body.
pub async fn token(app: &TestApp, form: &[(&str, &str)]) -> reqwest::Response {
    app.http
        .post(app.url("/oauth/token"))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Exchanges `code` as the public client `client_id`; returns the JSON answer.
pub async fn exchange(app: &TestApp, client_id: &str, code: &str, verifier: &str) -> Value {
    let response = token(
        app,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
            ("client_id", client_id),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// A refresh as the public client `client_id`.
pub async fn refresh(app: &TestApp, client_id: &str, refresh_token: &str) -> reqwest::Response {
    token(
        app,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client_id),
        ],
    )
    .await
}

/// Asserts an OAuth error answer: its status and `error`.
pub async fn assert_error(response: reqwest::Response, status: u16, error: &str) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].is_string(), "{body}");
    body
}
