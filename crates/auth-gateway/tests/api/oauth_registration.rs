//! Dynamic Client Registration (RFC 7591) through real HTTP on both backends: what is
//! registered and echoed, each refusal, registration turned off, and the per-address
//! rate limit that covers it and the token endpoint.

use crate::on_both_backends;
use crate::support::app::TestApp;
use crate::support::db::Backend;
use crate::support::oauth::{REDIRECT, assert_error, register, token};
use auth_gateway::store::{AuditQuery, OAuthClientKind};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

on_both_backends!(
    a_public_client_registers_and_gets_its_metadata_back,
    a_confidential_client_gets_a_secret_of_which_only_the_digest_is_kept,
    registrations_that_break_the_rules_are_refused,
    registration_turned_off_is_not_found_and_not_announced,
    registration_and_the_token_endpoint_are_rate_limited_per_address,
);

async fn a_public_client_registers_and_gets_its_metadata_back(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = register(
        &app,
        &json!({
            "redirect_uris": [REDIRECT, "com.example.app:/oauth2redirect"],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "client_name": "Claude",
            "logo_uri": "https://claude.ai/logo.png",
        }),
    )
    .await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    let client_id = body["client_id"].as_str().unwrap();
    assert_eq!(client_id.len(), 43, "256 random bits");
    assert!(body.get("client_secret").is_none());
    assert!(body.get("client_secret_expires_at").is_none());
    assert_eq!(body["token_endpoint_auth_method"], "none");
    assert_eq!(body["client_name"], "Claude");
    assert_eq!(
        body["redirect_uris"],
        json!([REDIRECT, "com.example.app:/oauth2redirect"])
    );
    assert_eq!(
        body["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(body["response_types"], json!(["code"]));
    let issued_at = body["client_id_issued_at"].as_i64().unwrap();
    assert!((issued_at - app.clock_now().timestamp()).abs() <= 2);

    let stored = app
        .db
        .store()
        .await
        .oauth_client(client_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.kind, OAuthClientKind::Dynamic);
    assert_eq!(stored.secret_digest, None);
    assert_eq!(stored.client_name.as_deref(), Some("Claude"));
    let events = app
        .db
        .store()
        .await
        .audit_events(&AuditQuery {
            limit: 100,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert!(
        events
            .iter()
            .any(|event| event.event == "oauth_client_registered"
                && event.client_name.as_deref() == Some(client_id))
    );
}

async fn a_confidential_client_gets_a_secret_of_which_only_the_digest_is_kept(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // No method named: RFC 7591 §2's default, client_secret_basic.
    let response = register(
        &app,
        &json!({"redirect_uris": ["https://app.example.com/cb"]}),
    )
    .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(body["client_secret_expires_at"], 0);
    assert_eq!(body["grant_types"], json!(["authorization_code"]));
    let secret = body["client_secret"].as_str().unwrap();
    let stored = app
        .db
        .store()
        .await
        .oauth_client(body["client_id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.secret_digest,
        Some(Sha256::digest(secret.as_bytes()).to_vec())
    );
}

async fn registrations_that_break_the_rules_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let eleven: Vec<String> = (0..11)
        .map(|i| format!("https://app.example.com/cb{i}"))
        .collect();
    let long_uri = format!("https://app.example.com/{}", "a".repeat(2000));
    let cases = [
        (json!({}), "invalid_redirect_uri"),
        (json!({"redirect_uris": []}), "invalid_redirect_uri"),
        (
            json!({"redirect_uris": ["http://app.example.com/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["javascript:alert(1)"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["data:text/html,x"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["file:///etc/passwd"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"redirect_uris": ["https://app.example.com/cb#x"]}),
            "invalid_redirect_uri",
        ),
        (json!({"redirect_uris": ["/cb"]}), "invalid_redirect_uri"),
        (json!({"redirect_uris": eleven}), "invalid_client_metadata"),
        (
            json!({"redirect_uris": [long_uri]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "private_key_jwt"}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [REDIRECT], "grant_types": ["implicit"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [REDIRECT], "grant_types": ["client_credentials"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [REDIRECT], "response_types": ["token"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": [REDIRECT], "client_name": "x".repeat(201)}),
            "invalid_client_metadata",
        ),
        (
            json!({"redirect_uris": "https://app.example.com/cb"}),
            "invalid_client_metadata",
        ),
    ];
    for (metadata, error) in cases {
        let response = register(&app, &metadata).await;
        let body = assert_error(response, 400, error).await;
        assert!(
            body["error_description"].as_str().unwrap().len() < 400,
            "{body}"
        );
    }
    let malformed = app
        .http
        .post(app.url("/oauth/register"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_error(malformed, 400, "invalid_client_metadata").await;
    let huge = json!({"redirect_uris": [REDIRECT], "padding": "x".repeat(17 * 1024)});
    assert_error(register(&app, &huge).await, 400, "invalid_client_metadata").await;
    let store = app.db.store().await;
    let events = store
        .audit_events(&AuditQuery {
            limit: 100,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert!(
        !events
            .iter()
            .any(|event| event.event == "oauth_client_registered")
    );
}

async fn registration_turned_off_is_not_found_and_not_announced(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("OAUTH_DYNAMIC_REGISTRATION", "false")]).await;
    let response = register(&app, &json!({"redirect_uris": [REDIRECT]})).await;
    assert_eq!(response.status(), 404);
    let metadata: Value = app
        .http
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        metadata.get("registration_endpoint").is_none(),
        "{metadata}"
    );
    assert!(metadata["token_endpoint"].is_string());
}

async fn registration_and_the_token_endpoint_are_rate_limited_per_address(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("RATE_LIMIT_PER_IP_PER_MINUTE", "3")]).await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let response = register(&app, &json!({"redirect_uris": [REDIRECT]})).await;
        statuses.push(response.status().as_u16());
    }
    let limited = register(&app, &json!({"redirect_uris": [REDIRECT]})).await;
    assert_eq!(statuses, [201, 201, 201]);
    assert_eq!(limited.status(), 429);
    let limited = token(&app, &[("grant_type", "refresh_token")]).await;
    assert_eq!(limited.status(), 429);
}
