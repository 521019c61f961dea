//! Per-MCP-server API keys (G7, docs/threat-model.md A1–A4): allow-lists, revocation, rotation
//! with a grace period, session isolation, and the audit trail they leave.

use crate::on_both_backends;
use crate::support::app::{API_KEY, TestApp};
use crate::support::db::Backend;
use auth_gateway::cli::clients::{self, ClientsCommand};
use auth_gateway::store::AuditQuery;
use serde_json::{Value, json};

/// Not among the provider's default scopes.
const DRIVE: &str = "https://www.googleapis.com/auth/drive.readonly";
const ADWORDS: &str = "https://www.googleapis.com/auth/adwords";

/// Runs a `clients` command as the CLI would, against the app's database.
async fn clients_cli(app: &TestApp, command: ClientsCommand) -> String {
    let store = app.db.store().await;
    let mut out = Vec::new();
    clients::run(store.as_ref(), app.clock_now(), command, &mut out)
        .await
        .unwrap();
    String::from_utf8(out).unwrap()
}

/// Creates a client and returns the key the CLI printed.
async fn create(app: &TestApp, name: &str, providers: &[&str], scopes: Option<&[&str]>) -> String {
    let printed = clients_cli(
        app,
        ClientsCommand::Create {
            name: name.into(),
            providers: providers.iter().map(ToString::to_string).collect(),
            scopes: scopes.map(|s| s.iter().map(ToString::to_string).collect()),
            no_default_scopes: false,
            verified_users_only: false,
        },
    )
    .await;
    let line = printed.lines().last().unwrap();
    line.strip_prefix("AUTH_GATEWAY_API_KEY=")
        .unwrap_or(line)
        .to_owned()
}

async fn post(app: &TestApp, key: &str, path: &str, body: &Value) -> (u16, Value) {
    let response = app
        .http
        .post(app.url(path))
        .header("X-API-Key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn token(app: &TestApp, key: &str, provider: &str) -> (u16, Value) {
    let body = json!({"provider": provider, "user_email": "alice@example.com"});
    post(app, key, "/auth/token", &body).await
}

async fn a_client_key_reaches_only_its_providers_and_scopes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let github_only = create(&app, "github-mcp", &["github"], None).await;
    assert!(github_only.starts_with("gw_"), "{github_only}");
    let (status, body) = token(&app, &github_only, "google").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["detail"]["error"], "forbidden_provider");

    let ads = create(&app, "ads-mcp", &["google"], Some(&[ADWORDS])).await;
    let (status, body) = token(&app, &ads, "google").await;
    assert_eq!(status, 404, "not signed in yet, but allowed: {body}");
    let init = json!({"provider": "google", "user_email": "alice@example.com", "scopes": [DRIVE]});
    let (status, body) = post(&app, &ads, "/auth/init", &init).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["detail"]["error"], "scope_not_allowed");

    // The shared environment key still reaches everything.
    let (status, _) = token(&app, API_KEY, "google").await;
    assert_eq!(status, 404);
}

async fn a_revoked_client_key_is_refused_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = create(&app, "ads-mcp", &["google"], None).await;
    assert_eq!(token(&app, &key, "google").await.0, 404);
    clients_cli(
        &app,
        ClientsCommand::Revoke {
            name: "ads-mcp".into(),
        },
    )
    .await;
    let (status, body) = token(&app, &key, "google").await;
    assert_eq!(status, 403);
    assert_eq!(body["detail"], "Invalid API key", "{body}");
    assert!(
        body["hint"].as_str().unwrap().contains("not recognised"),
        "{body}"
    );
    let listed = clients_cli(&app, ClientsCommand::List).await;
    assert!(listed.contains("revoked"), "{listed}");
    assert!(!listed.contains(&key));
}

async fn a_rotated_client_key_leaves_the_old_key_valid_for_the_grace_period(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let old = create(&app, "ads-mcp", &["google"], None).await;
    let printed = clients_cli(
        &app,
        ClientsCommand::Rotate {
            name: "ads-mcp".into(),
            grace: chrono::Duration::minutes(10),
        },
    )
    .await;
    let new = printed
        .lines()
        .last()
        .and_then(|line| line.strip_prefix("AUTH_GATEWAY_API_KEY="))
        .unwrap()
        .to_owned();
    assert_ne!(old, new);
    assert_eq!(token(&app, &old, "google").await.0, 404);
    assert_eq!(token(&app, &new, "google").await.0, 404);
    app.clock.advance(chrono::Duration::minutes(11));
    assert_eq!(token(&app, &old, "google").await.0, 403);
    assert_eq!(token(&app, &new, "google").await.0, 404);
}

async fn a_client_sees_only_the_sign_in_sessions_it_started(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let key = create(&app, "ads-mcp", &["google"], None).await;
    let init = json!({"provider": "google", "user_email": "alice@example.com"});
    let (status, link) = post(&app, &key, "/auth/init", &init).await;
    assert_eq!(status, 200);
    let session = link["session_id"].as_str().unwrap();
    assert_eq!(app.status(session, "").await.status(), 404);
    let own = app
        .http
        .get(app.url(&format!("/auth/status/{session}")))
        .header("X-API-Key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 200);
}

async fn the_audit_trail_records_sign_ins_tokens_and_clients_but_no_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let access_token = app.sign_in("alice@example.com").await;
    create(&app, "ads-mcp", &["github"], None).await;
    let store = app.db.store().await;
    let events = store
        .audit_events(&AuditQuery {
            user_email: Some("alice@example.com".into()),
            since: None,
            limit: 100,
        })
        .await
        .unwrap();
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    for expected in ["sign_in_started", "sign_in_completed", "token_issued"] {
        assert!(names.contains(&expected), "{names:?}");
    }
    let mut out = Vec::new();
    let args = auth_gateway::cli::audit::Args {
        user: None,
        since: Some("1h".into()),
        limit: 100,
    };
    auth_gateway::cli::audit::run(store.as_ref(), app.clock_now(), &args, &mut out)
        .await
        .unwrap();
    let table = String::from_utf8(out).unwrap();
    assert!(table.contains("client_created"), "{table}");
    assert!(table.contains("sign_in_completed"), "{table}");
    assert!(!table.contains(&access_token), "{table}");
}

on_both_backends!(
    a_client_key_reaches_only_its_providers_and_scopes,
    a_revoked_client_key_is_refused_at_once,
    a_rotated_client_key_leaves_the_old_key_valid_for_the_grace_period,
    a_client_sees_only_the_sign_in_sessions_it_started,
    the_audit_trail_records_sign_ins_tokens_and_clients_but_no_token,
);
