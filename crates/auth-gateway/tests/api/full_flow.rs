//! The whole life of a grant, as an MCP server and a person see it, on both databases.

use crate::on_both_backends;
use crate::support::app::{API_KEY, TestApp};
use crate::support::db::Backend;
use serde_json::{Value, json};

on_both_backends!(
    a_new_user_signs_in_gets_tokens_refreshes_and_revokes,
    status_long_poll_returns_when_the_callback_completes,
);

async fn a_new_user_signs_in_gets_tokens_refreshes_and_revokes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "alice@example.com";

    // Not signed in: 404 with the original's fields plus the sign-in link.
    let response = app.token(email).await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    let detail = &body["detail"];
    assert_eq!(detail["error"], "not_authenticated");
    assert_eq!(detail["auth_required"], true);
    let auth_url = detail["auth_url"].as_str().unwrap();
    let session_id = detail["session_id"].as_str().unwrap();
    assert!(auth_url.starts_with(&app.url("/connect/")), "{auth_url}");
    assert_eq!(
        app.status(session_id, "")
            .await
            .json::<Value>()
            .await
            .unwrap()["status"],
        "pending"
    );

    // A person follows the link in a browser.
    let (status, page) = app.follow(auth_url).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("signed in"), "{page}");

    // The token is the emulator's, and the session is completed.
    let response = app.token(email).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let token: Value = response.json().await.unwrap();
    assert_eq!(token["token_type"], "Bearer");
    let first = token["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        Some(first.clone()),
        app.emulator.latest_access_token_for(email)
    );
    assert!(
        token["scopes"]
            .as_array()
            .unwrap()
            .contains(&json!("openid"))
    );
    let status: Value = app.status(session_id, "").await.json().await.unwrap();
    assert_eq!(status["status"], "completed");
    assert_eq!(status["user_email"], email);
    assert_eq!(status["provider"], "google");

    // The user's providers list google.
    let providers: Value = app
        .http
        .get(app.url(&format!("/auth/providers/{email}")))
        .header("X-API-Key", API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(providers["user_email"], email);
    assert_eq!(providers["providers"][0]["provider"], "google");

    // After expiry the token is refreshed at the provider.
    app.expire_tokens();
    let refreshed: Value = app.token(email).await.json().await.unwrap();
    let second = refreshed["access_token"].as_str().unwrap();
    assert_ne!(second, first);
    assert!(app.emulator.access_token_is_valid(second));
    assert_eq!(app.emulator.counters().refreshes, 1);

    // Revoke deletes here and at the provider.
    let response = app
        .http
        .delete(app.url("/auth/revoke"))
        .header("X-API-Key", API_KEY)
        .json(&json!({"provider": "google", "user_email": email}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["success"], true);
    assert_eq!(app.emulator.counters().revocations, 1);
    assert!(!app.emulator.access_token_is_valid(second));
    assert_eq!(app.token(email).await.status(), 404);
}

async fn status_long_poll_returns_when_the_callback_completes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let link = app.init("bob@example.com").await;
    let session_id = link["session_id"].as_str().unwrap().to_owned();
    let started = std::time::Instant::now();
    let long_poll = app.long_poll(&app.address, &session_id);
    let (status, _) = app.follow(link["auth_url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    let (body, answered_at) = long_poll.await.unwrap();
    let waited = answered_at - started;
    assert_eq!(body["status"], "completed");
    // Woken by the callback, not by the 30 s timeout.
    assert!(waited < std::time::Duration::from_secs(25), "{waited:?}");
}
