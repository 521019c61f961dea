//! Introspection (RFC 7662) for MCP servers: active only for an unrevoked, unexpired
//! access token of one of the caller's resources; `{"active": false}` for everything
//! else, revealing nothing about other clients' tokens. On both backends.

use crate::on_both_backends;
use crate::support::browser::{CLIENT, account_action, browser, user_tokens};
use crate::support::db::Backend;
use crate::support::exchange::{ADS, ADS_CLIENT, ALICE, Servers, introspect, servers};
use crate::support::oauth::assert_error;
use serde_json::json;

on_both_backends!(
    the_owner_sees_an_active_token_and_everyone_else_sees_nothing,
    revoked_and_expired_tokens_are_inactive,
);

async fn the_owner_sees_an_active_token_and_everyone_else_sees_nothing(backend: Backend) {
    let Servers {
        app,
        ads_key,
        other_key,
        ..
    } = servers(backend, false).await;
    let tokens = user_tokens(&app, &browser(), ADS, ALICE).await;
    let jwt = tokens["access_token"].as_str().unwrap();

    let active = introspect(&app, &ads_key, jwt).await;
    assert_eq!(active["active"], true, "{active}");
    assert_eq!(active["aud"], ADS);
    assert_eq!(active["email"], ALICE);
    assert_eq!(active["client_id"], CLIENT);
    assert_eq!(active["scope"], "mcp:ads.example.com/mcp");
    assert_eq!(active["iss"], app.address);
    assert_eq!(active["token_type"], "Bearer");
    assert!(active["sub"].is_string() && active["exp"].is_i64() && active["iat"].is_i64());

    let inactive = json!({"active": false});
    assert_eq!(introspect(&app, &other_key, jwt).await, inactive);
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(introspect(&app, &ads_key, refresh).await, inactive);
    assert_eq!(introspect(&app, &ads_key, "garbage").await, inactive);

    // Client authentication by name and key works too; a missing one is invalid_client.
    let by_post = app
        .http
        .post(app.url("/oauth/introspect"))
        .form(&[
            ("token", jwt),
            ("client_id", ADS_CLIENT),
            ("client_secret", &ads_key),
        ])
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = by_post.json().await.unwrap();
    assert_eq!(body["active"], true);
    let anonymous = app
        .http
        .post(app.url("/oauth/introspect"))
        .form(&[("token", jwt)])
        .send()
        .await
        .unwrap();
    assert_error(anonymous, 401, "invalid_client").await;
    let no_token = app
        .http
        .post(app.url("/oauth/introspect"))
        .header("X-API-Key", &ads_key)
        .form(&[("token_type_hint", "access_token")])
        .send()
        .await
        .unwrap();
    assert_error(no_token, 400, "invalid_request").await;
}

async fn revoked_and_expired_tokens_are_inactive(backend: Backend) {
    let Servers { app, ads_key, .. } = servers(backend, false).await;
    let inactive = json!({"active": false});
    let browser = browser();
    let first = user_tokens(&app, &browser, ADS, ALICE).await;
    let jwt = first["access_token"].as_str().unwrap();
    assert_eq!(introspect(&app, &ads_key, jwt).await["active"], true);
    let revoked = account_action(&app, &browser, "revoke_client", CLIENT).await;
    assert_eq!(revoked.status(), 303);
    assert_eq!(introspect(&app, &ads_key, jwt).await, inactive);

    // A new authorization (another browser, so through Google again), then time passes.
    let second = user_tokens(&app, &crate::support::browser::browser(), ADS, ALICE).await;
    let jwt = second["access_token"].as_str().unwrap();
    assert_eq!(introspect(&app, &ads_key, jwt).await["active"], true);
    app.clock.advance(chrono::Duration::hours(2));
    assert_eq!(introspect(&app, &ads_key, jwt).await, inactive);
}
