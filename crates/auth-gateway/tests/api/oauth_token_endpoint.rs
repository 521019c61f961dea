//! `POST /oauth/token` through real HTTP on both backends: codes with PKCE, JWT access
//! tokens verified against `/oauth/jwks`, refresh rotation with reuse detection, and the
//! refusals. Grants and codes are made through the real store (the authorization
//! endpoint is another change).

use crate::on_both_backends;
use crate::support::app::{ENCRYPTION_KEY, TestApp};
use crate::support::db::Backend;
use crate::support::oauth::{
    EMAIL, REDIRECT, RESOURCE, SCOPE, SUBJECT, assert_error, client, exchange, new_code, refresh,
    token, verifier,
};
use auth_gateway::core::authz::access_tokens::AccessTokenError;
use auth_gateway::core::authz::signing_keys::{current_or_create, private_key_der, rotate};
use auth_gateway::core::crypto::KeyRing;
use auth_gateway::store::AuditQuery;
use chrono::Duration;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::SecretString;
use serde_json::Value;

on_both_backends!(
    a_code_gives_a_jwt_for_the_resource_and_a_refresh_token,
    a_replayed_code_is_refused_and_kills_the_first_refresh_token,
    a_code_needs_its_verifier_redirect_client_and_resource,
    an_expired_code_is_invalid_grant,
    refresh_tokens_rotate_and_a_reuse_outside_the_grace_kills_the_family,
    a_refresh_checks_scope_and_resource_before_spending_the_token,
    a_rotated_signing_key_signs_the_next_tokens_and_the_old_ones_still_verify,
    verify_refuses_tokens_that_are_not_the_gateways_access_tokens,
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

    // The client's use is recorded (unused dynamic registrations expire).
    let stored = app
        .db
        .store()
        .await
        .oauth_client(&client_id)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.last_used_at.is_some());
    let events = audit_events(&app).await;
    assert!(
        events.contains(&("oauth_token_issued".to_owned(), "ok".to_owned())),
        "{events:?}"
    );
}

pub async fn audit_events(app: &TestApp) -> Vec<(String, String)> {
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
pub fn code_form<'a>(
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

/// The opened key is cached, but a rotation (here as `signing-keys rotate` does it) is
/// followed at the next token, and tokens of the previous key still verify during the
/// overlap.
async fn a_rotated_signing_key_signs_the_next_tokens_and_the_old_ones_still_verify(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let (client_id, _) = client(&app, "none").await;
    let verifier = verifier("r");
    let (code, _) = new_code(&app, &client_id, &verifier).await;
    let first = exchange(&app, &client_id, &code, &verifier).await;
    let old_jwt = first["access_token"].as_str().unwrap();
    let old_kid = jsonwebtoken::decode_header(old_jwt).unwrap().kid.unwrap();

    let store = app.db.store().await;
    let ring = KeyRing::new(&SecretString::from(ENCRYPTION_KEY), None, &[]).unwrap();
    let rotation = rotate(store.as_ref(), &ring, app.clock_now(), Duration::hours(24))
        .await
        .unwrap();
    assert_eq!(rotation.previous_kid, old_kid);

    let answer = refresh(&app, &client_id, first["refresh_token"].as_str().unwrap()).await;
    assert_eq!(answer.status(), 200);
    let new_jwt = answer.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let new_kid = jsonwebtoken::decode_header(&new_jwt).unwrap().kid.unwrap();
    assert_eq!(new_kid, rotation.current_kid);
    assert!(app.gateway.verify_access_token(old_jwt).await.is_ok());
    assert!(app.gateway.verify_access_token(&new_jwt).await.is_ok());
    // After the overlap the old key is no longer published: its tokens are refused.
    app.clock
        .advance(Duration::hours(24) + Duration::seconds(1));
    assert!(matches!(
        app.gateway.verify_access_token(old_jwt).await,
        Err(AccessTokenError::UnknownKey)
    ));
}

/// What token exchange and introspection will rely on: `verify` accepts only the
/// gateway's access tokens, by `typ`, issuer, published key and time.
async fn verify_refuses_tokens_that_are_not_the_gateways_access_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let store = app.db.store().await;
    let ring = KeyRing::new(&SecretString::from(ENCRYPTION_KEY), None, &[]).unwrap();
    let key = current_or_create(store.as_ref(), store.as_ref(), &ring, app.clock_now())
        .await
        .unwrap();
    let der = private_key_der(&ring, &key).unwrap();
    let now = app.clock_now().timestamp();
    let sign = |typ: &str, kid: &str, iss: &str, nbf: i64, exp: i64| {
        let mut header = Header::new(Algorithm::ES256);
        header.typ = Some(typ.to_owned());
        header.kid = Some(kid.to_owned());
        let claims = serde_json::json!({
            "iss": iss, "sub": SUBJECT, "aud": RESOURCE, "exp": exp, "iat": now, "nbf": nbf,
            "jti": "00000000-0000-4000-8000-000000000000", "client_id": "c", "scope": SCOPE,
            "email": EMAIL, "grant_id": "00000000-0000-4000-8000-000000000001",
        });
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ec_der(&der)).unwrap()
    };
    let (kid, iss) = (key.kid.as_str(), app.address.as_str());
    let good = sign("at+jwt", kid, iss, now, now + 600);
    assert!(app.gateway.verify_access_token(&good).await.is_ok());
    let typ = sign("JWT", kid, iss, now, now + 600);
    assert!(matches!(
        app.gateway.verify_access_token(&typ).await,
        Err(AccessTokenError::Malformed)
    ));
    let issuer = sign("at+jwt", kid, "https://evil.example.com", now, now + 600);
    assert!(matches!(
        app.gateway.verify_access_token(&issuer).await,
        Err(AccessTokenError::Invalid)
    ));
    let unknown = sign("at+jwt", "not-a-published-kid", iss, now, now + 600);
    assert!(matches!(
        app.gateway.verify_access_token(&unknown).await,
        Err(AccessTokenError::UnknownKey)
    ));
    let early = sign("at+jwt", kid, iss, now + 120, now + 600);
    assert!(matches!(
        app.gateway.verify_access_token(&early).await,
        Err(AccessTokenError::NotYetValid)
    ));
    // Within the 60 s leeway either way.
    let skewed = sign("at+jwt", kid, iss, now + 30, now + 600);
    assert!(app.gateway.verify_access_token(&skewed).await.is_ok());
    let expired = sign("at+jwt", kid, iss, now - 700, now - 61);
    assert!(matches!(
        app.gateway.verify_access_token(&expired).await,
        Err(AccessTokenError::Expired)
    ));
    let recent = sign("at+jwt", kid, iss, now - 700, now - 30);
    assert!(app.gateway.verify_access_token(&recent).await.is_ok());
    assert!(matches!(
        app.gateway.verify_access_token("not.a.jwt").await,
        Err(AccessTokenError::Malformed)
    ));
}
