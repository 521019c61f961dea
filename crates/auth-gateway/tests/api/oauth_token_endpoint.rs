//! `POST /oauth/token` through real HTTP on both backends: codes with PKCE, JWT access
//! tokens verified against `/oauth/jwks`, refresh rotation with reuse detection, and the
//! refusals. Grants and codes are made through the real store (the authorization
//! endpoint is another change).

use crate::on_both_backends;
use crate::support::app::TestApp;
use crate::support::db::Backend;
use crate::support::oauth::{
    EMAIL, REDIRECT, RESOURCE, SCOPE, SUBJECT, assert_error, client, exchange, new_code, refresh,
    token, verifier,
};
use auth_gateway::store::AuditQuery;
use chrono::Duration;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

on_both_backends!(
    a_code_gives_a_jwt_for_the_resource_and_a_refresh_token,
    a_replayed_code_is_refused_and_kills_the_first_refresh_token,
    a_code_needs_its_verifier_redirect_client_and_resource,
    an_expired_code_is_invalid_grant,
    refresh_tokens_rotate_and_a_reuse_outside_the_grace_kills_the_family,
    a_refresh_checks_scope_and_resource_before_spending_the_token,
    clients_authenticate_by_the_method_they_registered,
    malformed_requests_are_invalid_request_or_unsupported_grant_type,
    revocation_ends_the_grant_and_is_quiet_about_unknown_tokens,
);

async fn a_code_gives_a_jwt_for_the_resource_and_a_refresh_token(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("OAUTH_ACCESS_TOKEN_TTL_SECONDS", "600")]).await;
    let (client_id, _) = client(&app, "none").await;
    let verifier = verifier("a");
    let (code, grant_id) = new_code(&app, &client_id, &verifier).await;
    let response = token(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
            ("client_id", &client_id),
            ("resource", "https://ADS.example.com/mcp/"),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 600);
    assert_eq!(body["scope"], SCOPE);
    assert_eq!(body["refresh_token"].as_str().unwrap().len(), 43);

    let jwt = body["access_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(header.alg, Algorithm::ES256);
    let jwks: Value = app
        .http
        .get(app.url("/oauth/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|key| key["kid"] == header.kid.clone().unwrap().as_str())
        .expect("the token's kid is published");
    let key =
        DecodingKey::from_ec_components(jwk["x"].as_str().unwrap(), jwk["y"].as_str().unwrap())
            .unwrap();
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&[RESOURCE]);
    validation.set_issuer(&[&app.address]);
    let claims = jsonwebtoken::decode::<Value>(jwt, &key, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["iss"], app.address.as_str());
    assert_eq!(claims["aud"], RESOURCE);
    assert_eq!(claims["sub"], SUBJECT);
    assert_eq!(claims["email"], EMAIL);
    assert_eq!(claims["scope"], SCOPE);
    assert_eq!(claims["client_id"], client_id.as_str());
    assert_eq!(claims["grant_id"], grant_id.to_string());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );
    assert_eq!(claims["nbf"], claims["iat"]);
    assert_eq!(claims["jti"].as_str().unwrap().len(), 36);

    // The gateway's own verification agrees, and an altered token fails it.
    let checked = app.gateway.verify_access_token(jwt).await.unwrap();
    assert_eq!(checked.grant_id, grant_id);
    let tampered = format!("{}x", &jwt[..jwt.len() - 1]);
    assert!(app.gateway.verify_access_token(&tampered).await.is_err());
    app.clock.advance(Duration::seconds(600 + 61));
    assert!(app.gateway.verify_access_token(jwt).await.is_err());

    let events = audit_events(&app).await;
    assert!(
        events.contains(&("oauth_token_issued".to_owned(), "ok".to_owned())),
        "{events:?}"
    );
}

async fn audit_events(app: &TestApp) -> Vec<(String, String)> {
    let store = app.db.store().await;
    let query = AuditQuery {
        user_email: None,
        since: None,
        limit: 100,
    };
    store
        .audit_events(&query)
        .await
        .unwrap()
        .into_iter()
        .map(|event| (event.event, event.outcome))
        .collect()
}

async fn a_replayed_code_is_refused_and_kills_the_first_refresh_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (client_id, _) = client(&app, "none").await;
    let verifier = verifier("b");
    let (code, _) = new_code(&app, &client_id, &verifier).await;
    let first = exchange(&app, &client_id, &code, &verifier).await;
    let replay = token(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
            ("client_id", &client_id),
        ],
    )
    .await;
    assert_error(replay, 400, "invalid_grant").await;
    let dead = refresh(&app, &client_id, first["refresh_token"].as_str().unwrap()).await;
    assert_error(dead, 400, "invalid_grant").await;
    let events = audit_events(&app).await;
    assert!(
        events.contains(&("oauth_token_refused".to_owned(), "invalid_grant".to_owned())),
        "{events:?}"
    );
}

/// Parameters to replace (`Some`) or remove (`None`).
type Changes<'a> = [(&'a str, Option<&'a str>)];

/// The code request's parameters with `changes` applied (a `None` value removes one).
fn code_form<'a>(
    code: &'a str,
    verifier: &'a str,
    client_id: &'a str,
    changes: &Changes<'a>,
) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
        ("client_id", client_id),
    ];
    for (name, value) in changes {
        form.retain(|(key, _)| key != name);
        if let Some(value) = value {
            form.push((name, value));
        }
    }
    form
}

async fn a_code_needs_its_verifier_redirect_client_and_resource(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (client_id, _) = client(&app, "none").await;
    let (other_client, _) = client(&app, "none").await;
    let verifier = verifier("c");
    let wrong_verifier = crate::support::oauth::verifier("wrong");
    let cases: [(&Changes, &str); 6] = [
        (&[("code_verifier", None)], "invalid_request"),
        (&[("code_verifier", Some("short"))], "invalid_request"),
        (&[("code_verifier", Some(&wrong_verifier))], "invalid_grant"),
        (
            &[("redirect_uri", Some("http://127.0.0.1:43210/other"))],
            "invalid_grant",
        ),
        (&[("client_id", Some(&other_client))], "invalid_grant"),
        (
            &[("resource", Some("https://other.example.com/mcp"))],
            "invalid_target",
        ),
    ];
    for (changes, error) in cases {
        let (code, _) = new_code(&app, &client_id, &verifier).await;
        let form = code_form(&code, &verifier, &client_id, changes);
        let body = assert_error(token(&app, &form).await, 400, error).await;
        assert!(
            !body.to_string().contains(&code),
            "the code is never echoed"
        );
    }
    // The right request still works for a fresh code.
    let (code, _) = new_code(&app, &client_id, &verifier).await;
    exchange(&app, &client_id, &code, &verifier).await;
}

async fn an_expired_code_is_invalid_grant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (client_id, _) = client(&app, "none").await;
    let verifier = verifier("d");
    let (code, _) = new_code(&app, &client_id, &verifier).await;
    app.clock.advance(Duration::seconds(61));
    let form = code_form(&code, &verifier, &client_id, &[]);
    assert_error(token(&app, &form).await, 400, "invalid_grant").await;
}

async fn refresh_tokens_rotate_and_a_reuse_outside_the_grace_kills_the_family(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (client_id, _) = client(&app, "none").await;
    let verifier = verifier("e");
    let (code, _) = new_code(&app, &client_id, &verifier).await;
    let r1 = exchange(&app, &client_id, &code, &verifier).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let answer = refresh(&app, &client_id, &r1).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["cache-control"], "no-store");
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["scope"], SCOPE);
    let r2 = body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2);
    // R1 again within the grace, R2 never used: a lost response, answered again.
    let again = refresh(&app, &client_id, &r1).await;
    assert_eq!(again.status(), 200);
    let r3 = again.json::<Value>().await.unwrap()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let next = refresh(&app, &client_id, &r3).await;
    assert_eq!(next.status(), 200);
    let r4 = next.json::<Value>().await.unwrap()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // R3 again after the grace: a reuse. The family is revoked, R4 with it.
    app.clock.advance(Duration::seconds(31));
    assert_error(refresh(&app, &client_id, &r3).await, 400, "invalid_grant").await;
    assert_error(refresh(&app, &client_id, &r4).await, 400, "invalid_grant").await;
    let events = audit_events(&app).await;
    assert!(events.contains(&("oauth_token_refreshed".to_owned(), "ok".to_owned())));
    assert!(events.contains(&("oauth_token_refused".to_owned(), "invalid_grant".to_owned())));
}

async fn a_refresh_checks_scope_and_resource_before_spending_the_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (client_id, _) = client(&app, "none").await;
    let (other_client, _) = client(&app, "none").await;
    let verifier = verifier("f");
    let (code, _) = new_code(&app, &client_id, &verifier).await;
    let r1 = exchange(&app, &client_id, &code, &verifier).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let with = |client: &str, extra: (&str, &str)| {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", r1.as_str()),
            ("client_id", client),
            extra,
        ];
        let request = app.http.post(app.url("/oauth/token")).form(&form);
        async move { request.send().await.unwrap() }
    };
    let wrong_scope = with(&client_id, ("scope", "mcp:other.example.com")).await;
    assert_error(wrong_scope, 400, "invalid_scope").await;
    let wrong_resource = with(&client_id, ("resource", "https://other.example.com")).await;
    assert_error(wrong_resource, 400, "invalid_target").await;
    let wrong_client = with(&other_client, ("scope", SCOPE)).await;
    assert_error(wrong_client, 400, "invalid_grant").await;
    // None of these spent the token.
    let answer = with(&client_id, ("resource", RESOURCE)).await;
    assert_eq!(answer.status(), 200);
}

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
    assert_error(token(&app, &exchange).await, 400, "unsupported_grant_type").await;
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
