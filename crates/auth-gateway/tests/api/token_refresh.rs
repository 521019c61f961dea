//! Handing out tokens: refresh once however many wait, keep rotated refresh tokens,
//! and the failure classes of G6.

use crate::on_both_backends;
use crate::support::app::TestApp;
use crate::support::db::Backend;
use serde_json::Value;

on_both_backends!(
    fifty_concurrent_requests_for_an_expired_token_cause_one_refresh,
    a_rotated_refresh_token_is_kept_for_the_next_refresh,
    a_rejected_grant_needs_a_new_sign_in_and_is_not_retried,
    missing_required_scopes_ask_for_incremental_consent,
    an_expired_token_and_a_failing_provider_give_503_with_retry_after,
    a_still_valid_token_is_served_while_the_provider_fails,
    transient_provider_failures_are_retried_within_one_request,
    a_token_the_provider_rejected_is_replaced_once_however_many_ask,
    a_rejected_token_of_a_revoked_grant_asks_for_sign_in,
);

async fn force_refresh(app: &TestApp, email: &str) -> reqwest::Response {
    app.post_json(
        "/auth/token",
        &serde_json::json!({"provider": "google", "user_email": email, "force_refresh": true}),
    )
    .await
}

async fn a_token_the_provider_rejected_is_replaced_once_however_many_ask(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "rejected@example.com";
    let rejected = app.sign_in(email).await;
    // (A token replaced under 30 s ago is served as it is: the sign-in must be older.)
    app.clock.advance(chrono::Duration::seconds(31));
    // Eight tool calls got a 401 for the same token at once: one refresh serves them.
    let responses = futures::future::join_all((0..8).map(|_| force_refresh(&app, email))).await;
    let mut tokens = Vec::new();
    for response in responses {
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        tokens.push(body["access_token"].as_str().unwrap().to_owned());
    }
    assert_eq!(app.emulator.counters().refreshes, 1);
    assert!(tokens.iter().all(|token| *token == tokens[0]));
    assert_ne!(tokens[0], rejected);
    // The plain path serves the replacement from now on.
    let body: Value = app.token(email).await.json().await.unwrap();
    assert_eq!(body["access_token"], tokens[0].as_str());
    // A token replaced more than 30 s ago is refreshed again when rejected again.
    app.clock.advance(chrono::Duration::seconds(31));
    assert_eq!(force_refresh(&app, email).await.status(), 200);
    assert_eq!(app.emulator.counters().refreshes, 2);
}

async fn a_rejected_token_of_a_revoked_grant_asks_for_sign_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "revoked-at-google@example.com";
    app.sign_in(email).await;
    app.clock.advance(chrono::Duration::seconds(31));
    app.emulator.revoke_all_for(email);
    let response = force_refresh(&app, email).await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["detail"]["error"], "needs_reauth");
    assert!(body["detail"]["auth_url"].as_str().is_some(), "{body}");
}

async fn transient_provider_failures_are_retried_within_one_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "flaky@example.com";
    app.sign_in(email).await;
    app.expire_tokens();
    app.emulator.fail_next_token_requests(2, 429);
    let response = app.token(email).await;
    assert_eq!(response.status(), 200);
    assert_eq!(app.emulator.counters().token_requests_failed, 2);
    assert_eq!(app.emulator.counters().refreshes, 1);
}

async fn fifty_concurrent_requests_for_an_expired_token_cause_one_refresh(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "storm@example.com";
    let first = app.sign_in(email).await;
    app.expire_tokens();
    let requests = (0..50).map(|_| app.token(email));
    let responses = futures::future::join_all(requests).await;
    let mut tokens = Vec::new();
    for response in responses {
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        tokens.push(body["access_token"].as_str().unwrap().to_owned());
    }
    assert_eq!(app.emulator.counters().refreshes, 1);
    assert!(tokens.iter().all(|token| *token == tokens[0]));
    assert_ne!(tokens[0], first);
}

async fn a_rotated_refresh_token_is_kept_for_the_next_refresh(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "rotate@example.com";
    app.sign_in(email).await;
    app.emulator.set_rotate_refresh_tokens(true);
    let original = app.emulator.refresh_token_for(email).unwrap();
    app.expire_tokens();
    assert_eq!(app.token(email).await.status(), 200);
    let rotated = app.emulator.refresh_token_for(email).unwrap();
    assert_ne!(rotated, original);
    // The old refresh token is dead now: a second refresh works only if the new one was stored.
    app.expire_tokens();
    assert_eq!(app.token(email).await.status(), 200);
    assert_eq!(app.emulator.counters().refreshes, 2);
}

async fn a_rejected_grant_needs_a_new_sign_in_and_is_not_retried(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "revoked@example.com";
    // Tokens shorter than the refresh buffer are refreshed on every request. (Moving the
    // gateway's clock instead would make the emulator's fresh id_tokens look expired.)
    app.emulator.set_access_token_lifetime(60);
    app.sign_in(email).await;
    app.emulator.force_invalid_grant(true);
    let response = app.token(email).await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["detail"]["error"], "needs_reauth");
    assert_eq!(body["detail"]["auth_required"], true);
    assert!(
        body["detail"]["auth_url"]
            .as_str()
            .unwrap()
            .contains("/connect/")
    );
    let refreshes = app.emulator.counters().refreshes;
    let again: Value = app.token(email).await.json().await.unwrap();
    assert_eq!(again["detail"]["error"], "needs_reauth");
    assert_eq!(
        app.emulator.counters().refreshes,
        refreshes,
        "no refresh after invalid_grant"
    );
    // A new sign-in through the fresh link restores service.
    app.emulator.force_invalid_grant(false);
    let (status, page) = app
        .follow(again["detail"]["auth_url"].as_str().unwrap())
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(app.token(email).await.status(), 200);
}

async fn missing_required_scopes_ask_for_incremental_consent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "scopes@example.com";
    app.sign_in(email).await;
    let drive = "https://www.googleapis.com/auth/drive.readonly";
    let response = app.token_with_scopes(email, &[drive]).await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["detail"]["error"], "insufficient_scope");
    assert_eq!(body["detail"]["missing_scopes"], serde_json::json!([drive]));
    let (status, _) = app
        .follow(body["detail"]["auth_url"].as_str().unwrap())
        .await;
    assert_eq!(status, 200);
    let granted: Value = app
        .token_with_scopes(email, &[drive])
        .await
        .json()
        .await
        .unwrap();
    let scopes = granted["scopes"].as_array().unwrap();
    assert!(scopes.iter().any(|scope| scope == drive), "{granted}");
    assert!(
        scopes.iter().any(|scope| scope == "openid"),
        "earlier scopes kept: {granted}"
    );
}

async fn an_expired_token_and_a_failing_provider_give_503_with_retry_after(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "outage@example.com";
    app.sign_in(email).await;
    app.expire_tokens();
    // More failures than the gateway's bounded retries.
    app.emulator.fail_next_token_requests(10, 503);
    let response = app.token(email).await;
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["detail"]["error"], "provider_unavailable");
    assert_eq!(body["detail"]["auth_required"], false);
    assert!(body["detail"].get("access_token").is_none());
    assert_eq!(
        app.emulator.counters().token_requests_failed,
        3,
        "three attempts"
    );
    // The grant survives the outage.
    app.emulator.fail_next_token_requests(0, 503);
    assert_eq!(app.token(email).await.status(), 200);
}

async fn a_still_valid_token_is_served_while_the_provider_fails(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "inside-buffer@example.com";
    let first = app.sign_in(email).await;
    // Inside the 300 s refresh buffer, not yet expired (the emulator issues 3599 s tokens).
    app.clock.advance(chrono::Duration::seconds(3500));
    app.emulator.fail_next_token_requests(10, 500);
    let response = app.token(email).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["access_token"], first.as_str());
    assert_eq!(app.emulator.counters().token_requests_failed, 3);
}
