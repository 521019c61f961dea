//! Token exchange (RFC 8693) end to end: a user signs in through `/oauth/authorize` and
//! their MCP client redeems the code, as a real client does; the MCP server then trades
//! that access token for the user's Google token as its API client. The emulator plays
//! Google; the gateway runs on port 0 with a real database, on both backends.

use crate::on_both_backends;
use crate::support::browser::{CLIENT, account_action, browser, user_access_token};
use crate::support::db::Backend;
use crate::support::exchange::{
    ADS, ADS_API, ADS_CLIENT, ADS_SCOPE, ALICE, ANALYTICS_SCOPE, OTHER, Servers, exchange, servers,
    upstream_email,
};
use crate::support::metrics::sample;
use crate::support::oauth::assert_error;
use auth_gateway::store::AuditQuery;
use base64::Engine as _;
use serde_json::Value;

on_both_backends!(
    the_owning_server_gets_the_users_google_token,
    the_server_may_authenticate_with_its_name_and_key,
    unknown_targets_and_token_types_are_refused,
    other_clients_and_bad_subject_tokens_are_refused,
    a_client_revoked_on_the_users_page_cannot_be_exchanged_for,
    a_disconnected_user_gets_a_working_connect_link,
    missing_scopes_are_named_with_the_link,
    force_refresh_replaces_the_served_upstream_token,
);

async fn ok(response: reqwest::Response) -> Value {
    let status = response.status();
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

async fn the_owning_server_gets_the_users_google_token(backend: Backend) {
    let Servers {
        app,
        store,
        ads_key,
        ..
    } = servers(backend, false).await;
    let jwt = user_access_token(&app, &browser(), ADS, ALICE).await;

    let body = ok(exchange(&app, &ads_key, &jwt, &[("resource", ADS_API)]).await).await;
    assert_eq!(
        body["issued_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_i64().unwrap() > 0);
    assert!(body.get("refresh_token").is_none());
    assert!(
        body["scope"].as_str().unwrap().contains(ADS_SCOPE),
        "{body}"
    );
    let google_token = body["access_token"].as_str().unwrap();
    // Google knows it as Alice's, and it is the token /auth/token serves for her.
    assert_eq!(
        upstream_email(&app, google_token).await.as_deref(),
        Some(ALICE)
    );
    let served: Value = app.token(ALICE).await.json().await.unwrap();
    assert_eq!(served["access_token"], google_token);

    let events = store
        .audit_events(&AuditQuery {
            limit: 500,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert!(events.iter().any(|e| e.event == "oauth_token_exchanged"
        && e.client_name.as_deref() == Some(ADS_CLIENT)
        && e.user_email.as_deref() == Some(ALICE)
        && e.detail.as_deref() == Some(ADS)));
    let metrics = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let labels = [("grant_type", "token_exchange"), ("outcome", "ok")];
    assert_eq!(sample(&metrics, "oauth_token_requests_total", &labels), 1);
    let bad_key = exchange(&app, "gw_nobody", google_token, &[]).await;
    assert_error(bad_key, 401, "invalid_client").await;
    let metrics = app.http.get(app.url("/metrics")).send().await.unwrap();
    let metrics = metrics.text().await.unwrap();
    let labels = [
        ("grant_type", "token_exchange"),
        ("outcome", "invalid_client"),
    ];
    assert_eq!(sample(&metrics, "oauth_token_requests_total", &labels), 1);
}

async fn other_clients_and_bad_subject_tokens_are_refused(backend: Backend) {
    let Servers {
        app,
        store,
        ads_key,
        other_key,
    } = servers(backend, false).await;
    let jwt = user_access_token(&app, &browser(), ADS, ALICE).await;

    // The confused deputy: a token for the Ads server, presented by another server.
    let stolen = exchange(&app, &other_key, &jwt, &[]).await;
    let body = assert_error(stolen, 400, "invalid_request").await;
    assert!(body.get("authorization_uri").is_none());
    // A tampered token: the payload changed, the signature no longer matches.
    let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&parts[1])
        .unwrap();
    let forged = String::from_utf8(claims).unwrap().replace(ADS, OTHER);
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged);
    let tampered = exchange(&app, &other_key, &parts.join("."), &[]).await;
    assert_error(tampered, 400, "invalid_request").await;
    assert_error(
        exchange(&app, &ads_key, "not-a-jwt", &[]).await,
        400,
        "invalid_request",
    )
    .await;
    // No credentials, or a key that is no client's.
    assert_error(
        exchange(&app, "gw_nobody", &jwt, &[]).await,
        401,
        "invalid_client",
    )
    .await;
    let anonymous = app
        .http
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", crate::support::exchange::TOKEN_EXCHANGE),
            ("subject_token", jwt.as_str()),
            (
                "subject_token_type",
                crate::support::exchange::ACCESS_TOKEN_TYPE,
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_error(anonymous, 401, "invalid_client").await;

    // Still fine for its owner, until it expires (the clock moves; nobody sleeps).
    assert_eq!(exchange(&app, &ads_key, &jwt, &[]).await.status(), 200);
    app.clock.advance(chrono::Duration::hours(2));
    assert_error(
        exchange(&app, &ads_key, &jwt, &[]).await,
        400,
        "invalid_request",
    )
    .await;

    let events = store
        .audit_events(&AuditQuery {
            limit: 500,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert!(events.iter().any(|e| e.event == "oauth_token_refused"
        && e.outcome == "invalid_request"
        && e.client_name.as_deref() == Some("other-mcp")
        && e.user_email.as_deref() == Some(ALICE)));
}

async fn a_client_revoked_on_the_users_page_cannot_be_exchanged_for(backend: Backend) {
    let Servers { app, ads_key, .. } = servers(backend, false).await;
    let browser = browser();
    let jwt = user_access_token(&app, &browser, ADS, ALICE).await;
    assert_eq!(exchange(&app, &ads_key, &jwt, &[]).await.status(), 200);
    let revoked = account_action(&app, &browser, "revoke_client", CLIENT).await;
    assert_eq!(revoked.status(), 303);
    // The JWT still verifies offline, but its grant is gone.
    let body = assert_error(
        exchange(&app, &ads_key, &jwt, &[]).await,
        400,
        "invalid_request",
    )
    .await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("revoked"),
        "{body}"
    );
}

async fn a_disconnected_user_gets_a_working_connect_link(backend: Backend) {
    let Servers { app, ads_key, .. } = servers(backend, false).await;
    let browser = browser();
    let jwt = user_access_token(&app, &browser, ADS, ALICE).await;
    let disconnected = account_action(&app, &browser, "revoke_connection", "google").await;
    assert_eq!(disconnected.status(), 303);

    let refused = exchange(&app, &ads_key, &jwt, &[("resource", ADS_API)]).await;
    let body = assert_error(refused, 400, "invalid_grant").await;
    let link = body["authorization_uri"].as_str().unwrap();
    assert!(
        link.starts_with(&format!("{}/connect/", app.address)),
        "{link}"
    );
    assert!(body.get("missing_scopes").is_none(), "{body}");
    // The sign-in it opens can be waited on like one from /auth/token.
    let session = body["session_id"].as_str().unwrap();
    let status = app
        .http
        .get(app.url(&format!("/auth/status/{session}")))
        .header("X-API-Key", &ads_key)
        .send()
        .await
        .unwrap();
    assert_eq!(status.status(), 200);
    // The link signs Alice in and fills the vault: the same exchange now succeeds.
    app.emulator.state().sign_in_as(Some(ALICE.into()));
    let (status, page) = app.follow(link).await;
    assert_eq!(status, 200, "{page}");
    let body = ok(exchange(&app, &ads_key, &jwt, &[("resource", ADS_API)]).await).await;
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(upstream_email(&app, token).await.as_deref(), Some(ALICE));
}

async fn missing_scopes_are_named_with_the_link(backend: Backend) {
    let Servers { app, ads_key, .. } = servers(backend, false).await;
    let jwt = user_access_token(&app, &browser(), ADS, ALICE).await;
    let wanted = format!("{ADS_SCOPE} {ANALYTICS_SCOPE}");
    let refused = exchange(&app, &ads_key, &jwt, &[("scope", wanted.as_str())]).await;
    let body = assert_error(refused, 400, "invalid_grant").await;
    assert_eq!(body["missing_scopes"], serde_json::json!([ANALYTICS_SCOPE]));
    let link = body["authorization_uri"].as_str().unwrap();
    let (status, page) = app.follow(link).await;
    assert_eq!(status, 200, "{page}");
    let body = ok(exchange(&app, &ads_key, &jwt, &[("scope", wanted.as_str())]).await).await;
    assert!(
        body["scope"].as_str().unwrap().contains(ANALYTICS_SCOPE),
        "{body}"
    );
}

async fn the_server_may_authenticate_with_its_name_and_key(backend: Backend) {
    let Servers { app, ads_key, .. } = servers(backend, false).await;
    let jwt = user_access_token(&app, &browser(), ADS, ALICE).await;
    let body = ok(exchange(&app, &ads_key, &jwt, &[]).await).await;
    let google_token = body["access_token"].as_str().unwrap();
    // RFC 6749 client authentication with the client's name and key, Basic or form; the
    // audience instead of the resource; no target at all (the resource's provider).
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{ADS_CLIENT}:{ads_key}"));
    let form = [
        ("grant_type", crate::support::exchange::TOKEN_EXCHANGE),
        ("subject_token", jwt.as_str()),
        (
            "subject_token_type",
            crate::support::exchange::ACCESS_TOKEN_TYPE,
        ),
        ("audience", "google"),
    ];
    let by_basic = app
        .http
        .post(app.url("/oauth/token"))
        .header("Authorization", format!("Basic {basic}"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(ok(by_basic).await["access_token"], google_token);
    let mut posted = form.to_vec();
    posted.extend([
        ("client_id", ADS_CLIENT),
        ("client_secret", ads_key.as_str()),
    ]);
    let by_post = app
        .http
        .post(app.url("/oauth/token"))
        .form(&posted)
        .send()
        .await
        .unwrap();
    assert_eq!(ok(by_post).await["access_token"], google_token);
    let plain = exchange(&app, &ads_key, &jwt, &[]).await;
    assert_eq!(ok(plain).await["access_token"], google_token);
    // The key names its client: another name with it is refused.
    let mut wrong = form.to_vec();
    wrong.extend([
        ("client_id", "other-mcp"),
        ("client_secret", ads_key.as_str()),
    ]);
    let wrong = app
        .http
        .post(app.url("/oauth/token"))
        .form(&wrong)
        .send()
        .await
        .unwrap();
    assert_error(wrong, 401, "invalid_client").await;
    // One method only (RFC 6749 §2.3): the key in the header and Basic both is refused.
    let both = app
        .http
        .post(app.url("/oauth/token"))
        .header("X-API-Key", &ads_key)
        .header("Authorization", format!("Basic {basic}"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_error(both, 401, "invalid_client").await;
}

async fn unknown_targets_and_token_types_are_refused(backend: Backend) {
    let Servers { app, ads_key, .. } = servers(backend, false).await;
    let jwt = user_access_token(&app, &browser(), ADS, ALICE).await;
    // Targets the gateway does not know, and the wrong token types.
    let evil = [("resource", "https://evil.example.com")];
    assert_error(
        exchange(&app, &ads_key, &jwt, &evil).await,
        400,
        "invalid_target",
    )
    .await;
    let github = [("audience", "github")];
    assert_error(
        exchange(&app, &ads_key, &jwt, &github).await,
        400,
        "invalid_target",
    )
    .await;
    let refresh_type = app
        .http
        .post(app.url("/oauth/token"))
        .header("X-API-Key", &ads_key)
        .form(&[
            ("grant_type", crate::support::exchange::TOKEN_EXCHANGE),
            ("subject_token", jwt.as_str()),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:refresh_token",
            ),
        ])
        .send()
        .await
        .unwrap();
    assert_error(refresh_type, 400, "invalid_request").await;
    let id_token = [(
        "requested_token_type",
        "urn:ietf:params:oauth:token-type:id_token",
    )];
    assert_error(
        exchange(&app, &ads_key, &jwt, &id_token).await,
        400,
        "invalid_request",
    )
    .await;
}

async fn force_refresh_replaces_the_served_upstream_token(backend: Backend) {
    let Servers { app, ads_key, .. } = servers(backend, false).await;
    let jwt = user_access_token(&app, &browser(), ADS, ALICE).await;
    let first = ok(exchange(&app, &ads_key, &jwt, &[]).await).await;
    let again = ok(exchange(&app, &ads_key, &jwt, &[]).await).await;
    assert_eq!(
        first["access_token"], again["access_token"],
        "served from the cache"
    );
    // Google answered 401 to it: the MCP server asks for a refreshed one. (A token
    // replaced in the last 30 s is served as is, as at /auth/token: move past that.)
    app.clock.advance(chrono::Duration::seconds(31));
    let forced = ok(exchange(&app, &ads_key, &jwt, &[("force_refresh", "true")]).await).await;
    assert_ne!(first["access_token"], forced["access_token"]);
    let token = forced["access_token"].as_str().unwrap();
    assert_eq!(upstream_email(&app, token).await.as_deref(), Some(ALICE));
}
