//! Client authentication at the token endpoint (each method, and each way to get it
//! wrong), malformed token requests, and revocation (RFC 7009), through real HTTP on
//! both backends.

use crate::oauth_token_endpoint::{audit_events, code_form};
use crate::on_both_backends;
use crate::support::app::TestApp;
use crate::support::db::Backend;
use crate::support::oauth::{assert_error, client, exchange, new_code, refresh, token, verifier};

on_both_backends!(
    clients_authenticate_by_the_method_they_registered,
    malformed_requests_are_invalid_request_or_unsupported_grant_type,
    revocation_ends_the_grant_and_is_quiet_about_unknown_tokens,
);

async fn clients_authenticate_by_the_method_they_registered(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (public, _) = client(&app, "none").await;
    let (basic_id, basic_secret) = client(&app, "client_secret_basic").await;
    let (post_id, post_secret) = client(&app, "client_secret_post").await;
    let (basic_secret, post_secret) = (basic_secret.unwrap(), post_secret.unwrap());
    let verifier = verifier("g");

    // A public client that sends a secret is refused.
    let (code, _) = new_code(&app, &public, &verifier).await;
    let form = code_form(&code, &verifier, &public, &[("client_secret", Some("x"))]);
    assert_error(token(&app, &form).await, 401, "invalid_client").await;

    // client_secret_basic: the right secret works, a wrong one is 401 with a challenge.
    let (code, _) = new_code(&app, &basic_id, &verifier).await;
    let form = code_form(&code, &verifier, &basic_id, &[("client_id", None)]);
    let wrong = app
        .http
        .post(app.url("/oauth/token"))
        .basic_auth(&basic_id, Some("wrong"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        wrong.headers()["www-authenticate"],
        "Basic realm=\"mcp-auth-gateway\""
    );
    assert_error(wrong, 401, "invalid_client").await;
    let (code, _) = new_code(&app, &basic_id, &verifier).await;
    let form = code_form(&code, &verifier, &basic_id, &[("client_id", None)]);
    let right = app
        .http
        .post(app.url("/oauth/token"))
        .basic_auth(&basic_id, Some(&basic_secret))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    // Basic and client_secret at once: two methods.
    let both = app
        .http
        .post(app.url("/oauth/token"))
        .basic_auth(&basic_id, Some(&basic_secret))
        .form(&code_form(
            "x",
            &verifier,
            &basic_id,
            &[("client_secret", Some(&basic_secret))],
        ))
        .send()
        .await
        .unwrap();
    assert_error(both, 401, "invalid_client").await;
    // The basic client's secret in the body: not its method.
    let (code, _) = new_code(&app, &basic_id, &verifier).await;
    let form = code_form(
        &code,
        &verifier,
        &basic_id,
        &[("client_secret", Some(&basic_secret))],
    );
    assert_error(token(&app, &form).await, 401, "invalid_client").await;

    // client_secret_post: the secret in the body; without it, 401 and no challenge.
    let (code, _) = new_code(&app, &post_id, &verifier).await;
    let form = code_form(
        &code,
        &verifier,
        &post_id,
        &[("client_secret", Some(&post_secret))],
    );
    assert_eq!(token(&app, &form).await.status(), 200);
    let (code, _) = new_code(&app, &post_id, &verifier).await;
    let missing = token(&app, &code_form(&code, &verifier, &post_id, &[])).await;
    assert!(missing.headers().get("www-authenticate").is_none());
    assert_error(missing, 401, "invalid_client").await;

    // An unknown client.
    let unknown = token(&app, &code_form("x", &verifier, "no-such-client", &[])).await;
    assert_error(unknown, 401, "invalid_client").await;
}

async fn malformed_requests_are_invalid_request_or_unsupported_grant_type(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (client_id, _) = client(&app, "none").await;
    let unsupported = [
        ("grant_type", "client_credentials"),
        ("client_id", &client_id),
    ];
    assert_error(
        token(&app, &unsupported).await,
        400,
        "unsupported_grant_type",
    )
    .await;
    let exchange = [
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ("client_id", &client_id),
    ];
    // Token exchange is for API clients (MCP servers): an MCP client is not one.
    assert_error(token(&app, &exchange).await, 401, "invalid_client").await;
    let missing = [("client_id", client_id.as_str())];
    assert_error(token(&app, &missing).await, 400, "invalid_request").await;
    let repeated = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "a"),
        ("refresh_token", "b"),
        ("client_id", &client_id),
    ];
    assert_error(token(&app, &repeated).await, 400, "invalid_request").await;
    let json = app
        .http
        .post(app.url("/oauth/token"))
        .json(&serde_json::json!({"grant_type": "refresh_token"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json.headers()["cache-control"], "no-store");
    assert_error(json, 400, "invalid_request").await;
    let unknown = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "nope"),
        ("client_id", &client_id),
    ];
    assert_error(token(&app, &unknown).await, 400, "invalid_grant").await;
}

async fn revocation_ends_the_grant_and_is_quiet_about_unknown_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (client_id, _) = client(&app, "none").await;
    let verifier = verifier("h");
    let revoke = |form: Vec<(&'static str, String)>| {
        let request = app.http.post(app.url("/oauth/revoke")).form(&form);
        async move { request.send().await.unwrap() }
    };
    let unknown = revoke(vec![
        ("token", "nope".into()),
        ("client_id", client_id.clone()),
    ])
    .await;
    assert_eq!(unknown.status(), 200);
    let nobody = revoke(vec![
        ("token", "nope".into()),
        ("client_id", "nobody".into()),
    ])
    .await;
    assert_error(nobody, 401, "invalid_client").await;

    // By refresh token: the family ends.
    let (code, _) = new_code(&app, &client_id, &verifier).await;
    let tokens = exchange(&app, &client_id, &code, &verifier).await;
    let r1 = tokens["refresh_token"].as_str().unwrap().to_owned();
    let form = vec![
        ("token", r1.clone()),
        ("token_type_hint", "refresh_token".into()),
        ("client_id", client_id.clone()),
    ];
    assert_eq!(revoke(form).await.status(), 200);
    assert_error(refresh(&app, &client_id, &r1).await, 400, "invalid_grant").await;

    // By access token: its grant ends too.
    let (code, _) = new_code(&app, &client_id, &verifier).await;
    let tokens = exchange(&app, &client_id, &code, &verifier).await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        revoke(vec![("token", access), ("client_id", client_id.clone())])
            .await
            .status(),
        200
    );
    let r = tokens["refresh_token"].as_str().unwrap();
    assert_error(refresh(&app, &client_id, r).await, 400, "invalid_grant").await;
    let events = audit_events(&app).await;
    assert!(events.contains(&("oauth_authorization_revoked".to_owned(), "ok".to_owned())));
}
