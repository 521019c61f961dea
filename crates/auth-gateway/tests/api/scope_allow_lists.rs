//! Scope allow-lists hold when a token is handed out (docs/threat-model.md A3): a grant
//! is shared by every client serving its user, so a client allowed fewer scopes than a
//! sign-in granted gets a token narrowed to what it may hold, never the grant's own.

use crate::on_both_backends;
use crate::support::app::{API_KEY, TestApp};
use crate::support::db::Backend;
use auth_gateway::cli::clients::{self, ClientsCommand};
use serde_json::{Value, json};

/// Not among the provider's default scopes.
const DRIVE: &str = "https://www.googleapis.com/auth/drive.readonly";
const ADWORDS: &str = "https://www.googleapis.com/auth/adwords";
const ALICE: &str = "alice@example.com";

/// Creates a client as the CLI would and returns its key.
async fn create(app: &TestApp, name: &str, scopes: Option<&[&str]>) -> String {
    create_with(app, name, scopes, false).await
}

async fn create_with(
    app: &TestApp,
    name: &str,
    scopes: Option<&[&str]>,
    no_default_scopes: bool,
) -> String {
    let store = app.db.store().await;
    let mut out = Vec::new();
    let command = ClientsCommand::Create {
        name: name.into(),
        providers: vec!["google".into()],
        scopes: scopes.map(|s| s.iter().map(ToString::to_string).collect()),
        no_default_scopes,
        verified_users_only: false,
    };
    clients::run(store.as_ref(), app.clock_now(), command, &mut out)
        .await
        .unwrap();
    let printed = String::from_utf8(out).unwrap();
    let line = printed.lines().last().unwrap();
    line.strip_prefix("AUTH_GATEWAY_API_KEY=")
        .unwrap()
        .to_owned()
}

async fn token(app: &TestApp, key: &str, extra: &Value) -> (u16, Value) {
    let mut body = json!({"provider": "google", "user_email": ALICE});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let response = app
        .http
        .post(app.url("/auth/token"))
        .header("X-API-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Signs Alice in through the shared key, asking for the defaults plus Drive.
async fn sign_in_with_drive(app: &TestApp) {
    let init = json!({"provider": "google", "user_email": ALICE, "scopes": [DRIVE]});
    let response = app.post_json("/auth/init", &init).await;
    assert_eq!(response.status(), 200);
    let link: Value = response.json().await.unwrap();
    let (status, page) = app.follow(link["auth_url"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{page}");
}

fn strings(value: &Value) -> Vec<String> {
    serde_json::from_value(value.clone()).unwrap()
}

/// The token handed out and what the provider says it carries, which the answer's
/// `scopes` must match.
fn carried(app: &TestApp, body: &Value) -> (String, Vec<String>) {
    let token = body["access_token"].as_str().unwrap().to_owned();
    let mut at_provider = app.emulator.access_token_scopes(&token).unwrap();
    let mut answered = strings(&body["scopes"]);
    at_provider.sort();
    answered.sort();
    assert_eq!(answered, at_provider, "the answer's scopes tell the truth");
    (token, at_provider)
}

async fn a_restricted_client_never_gets_scopes_another_client_had_granted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ads = create(&app, "ads-mcp", Some(&[ADWORDS])).await;
    let plain = create(&app, "plain-mcp", None).await;
    sign_in_with_drive(&app).await;

    let (status, body) = token(&app, API_KEY, &json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (shared, scopes) = carried(&app, &body);
    assert!(scopes.iter().any(|s| s == DRIVE), "{scopes:?}");

    for key in [&ads, &plain] {
        let (status, body) = token(&app, key, &json!({})).await;
        assert_eq!(status, 200, "{body}");
        let (narrowed, scopes) = carried(&app, &body);
        assert_ne!(narrowed, shared);
        assert!(!scopes.iter().any(|s| s == DRIVE), "{scopes:?}");
        assert!(scopes.iter().any(|s| s == ADWORDS), "{scopes:?}");
    }

    // The narrowed token is kept: asking again costs the provider nothing.
    let refreshes = app.emulator.counters().refreshes;
    let (_, first) = token(&app, &ads, &json!({})).await;
    let (_, again) = token(&app, &ads, &json!({})).await;
    assert_eq!(first["access_token"], again["access_token"]);
    assert_eq!(app.emulator.counters().refreshes, refreshes);

    // The grant's own token is untouched: the shared key still gets it, Drive included.
    let (status, body) = token(&app, API_KEY, &json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(body["access_token"], shared.as_str());

    // Asking for Drive outright stays refused.
    let (status, body) = token(&app, &ads, &json!({"scopes": [DRIVE]})).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["detail"]["error"], "scope_not_allowed");
}

async fn a_rejected_narrowed_token_is_replaced_by_another_narrowed_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ads = create(&app, "ads-mcp", Some(&[ADWORDS])).await;
    sign_in_with_drive(&app).await;
    let (_, shared) = token(&app, API_KEY, &json!({})).await;
    let (_, first) = token(&app, &ads, &json!({})).await;

    app.clock.advance(chrono::Duration::minutes(5));
    let (status, body) = token(&app, &ads, &json!({"force_refresh": true})).await;
    assert_eq!(status, 200, "{body}");
    let (replacement, scopes) = carried(&app, &body);
    assert_ne!(body["access_token"], first["access_token"]);
    assert_ne!(replacement, shared["access_token"].as_str().unwrap());
    assert!(!scopes.iter().any(|s| s == DRIVE), "{scopes:?}");

    let (_, body) = token(&app, API_KEY, &json!({})).await;
    assert_eq!(body["access_token"], shared["access_token"]);
}

async fn a_client_allowed_the_whole_grant_gets_the_grant_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let wide = create(&app, "wide-mcp", Some(&[DRIVE])).await;
    sign_in_with_drive(&app).await;
    let (_, shared) = token(&app, API_KEY, &json!({})).await;
    let refreshes = app.emulator.counters().refreshes;
    let (status, body) = token(&app, &wide, &json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["access_token"], shared["access_token"]);
    assert_eq!(app.emulator.counters().refreshes, refreshes);
}

async fn an_operator_can_take_the_default_scopes_away_from_a_client(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let adwords_only = create_with(&app, "adwords-only", Some(&[ADWORDS]), true).await;
    sign_in_with_drive(&app).await;
    let (status, body) = token(&app, &adwords_only, &json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (_, scopes) = carried(&app, &body);
    assert_eq!(scopes, [ADWORDS]);

    // A default scope is now one it may not ask for either.
    let (status, body) = token(&app, &adwords_only, &json!({"scopes": ["email"]})).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["detail"]["error"], "scope_not_allowed");
}

async fn a_refresh_token_rotated_by_a_narrowed_refresh_is_kept_for_the_grant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.emulator.set_rotate_refresh_tokens(true);
    let ads = create(&app, "ads-mcp", Some(&[ADWORDS])).await;
    sign_in_with_drive(&app).await;
    let (status, body) = token(&app, &ads, &json!({})).await;
    assert_eq!(status, 200, "{body}");

    // The grant's own token expires; its refresh uses the token the narrowing rotated.
    app.expire_tokens();
    let (status, body) = token(&app, API_KEY, &json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (_, scopes) = carried(&app, &body);
    assert!(scopes.iter().any(|s| s == DRIVE), "{scopes:?}");
    let (status, body) = token(&app, &ads, &json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (_, scopes) = carried(&app, &body);
    assert!(!scopes.iter().any(|s| s == DRIVE), "{scopes:?}");
}

on_both_backends!(
    a_refresh_token_rotated_by_a_narrowed_refresh_is_kept_for_the_grant,
    an_operator_can_take_the_default_scopes_away_from_a_client,
    a_restricted_client_never_gets_scopes_another_client_had_granted,
    a_rejected_narrowed_token_is_replaced_by_another_narrowed_one,
    a_client_allowed_the_whole_grant_gets_the_grant_token,
);
