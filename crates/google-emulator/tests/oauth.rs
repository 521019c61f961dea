//! End-to-end tests of the emulator's OAuth endpoints and controls over a real
//! socket, the way the gateway talks to it.

// Helpers outside #[test] fns are not covered by clippy.toml's allow-unwrap-in-tests.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use google_emulator::{AccountOptions, Counters, Emulator};
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

const REDIRECT: &str = "http://127.0.0.1:9/oauth/callback";
const ALICE: &str = "alice.smith@example.com";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// GET the authorization endpoint with sensible defaults, `extra` overriding them.
async fn authorize(emu: &Emulator, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut params: Vec<(String, String)> = [
        ("client_id", emu.client_id()),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid email profile"),
        ("state", "st-123"),
        ("access_type", "offline"),
        ("login_hint", ALICE),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for (k, v) in extra {
        params.retain(|(pk, _)| pk != k);
        if !v.is_empty() {
            params.push(((*k).to_owned(), (*v).to_owned()));
        }
    }
    http()
        .get(emu.auth_url())
        .query(&params)
        .send()
        .await
        .unwrap()
}

/// The redirect's query as pairs.
fn redirect_params(response: &reqwest::Response) -> Vec<(String, String)> {
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = response.headers()["location"].to_str().unwrap();
    let url = Url::parse(location).unwrap();
    assert!(location.starts_with(REDIRECT), "{location}");
    url.query_pairs().into_owned().collect()
}

fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Authorizes and returns the code.
async fn code(emu: &Emulator, extra: &[(&str, &str)]) -> String {
    let pairs = redirect_params(&authorize(emu, extra).await);
    param(&pairs, "code").unwrap().to_owned()
}

async fn token(emu: &Emulator, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = http()
        .post(emu.token_url())
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

async fn exchange(emu: &Emulator, code: &str, verifier: Option<&str>) -> (StatusCode, Value) {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("client_id", emu.client_id()),
        ("client_secret", emu.client_secret()),
    ];
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    token(emu, &form).await
}

async fn refresh(emu: &Emulator, refresh_token: &str) -> (StatusCode, Value) {
    token(
        emu,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", emu.client_id()),
            ("client_secret", emu.client_secret()),
        ],
    )
    .await
}

/// A finished sign-in without PKCE: the token response.
async fn sign_in(emu: &Emulator, extra: &[(&str, &str)]) -> Value {
    let code = code(emu, extra).await;
    let (status, body) = exchange(emu, &code, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn revoke(emu: &Emulator, token: &str) -> (StatusCode, Value) {
    let response = http()
        .post(emu.revoke_url())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn userinfo(emu: &Emulator, access_token: &str) -> reqwest::Response {
    http()
        .get(emu.userinfo_url())
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
}

fn decode_segment(segment: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
}

fn assert_error(result: &(StatusCode, Value), status: StatusCode, error: &str, description: &str) {
    assert_eq!(result.0, status, "{}", result.1);
    assert_eq!(
        result.1,
        json!({"error": error, "error_description": description})
    );
}

#[tokio::test]
async fn full_code_flow_with_s256_pkce_returns_every_field_and_a_decodable_id_token() {
    let emu = Emulator::start().await.unwrap();
    let chal = challenge(VERIFIER);
    let response = authorize(
        &emu,
        &[
            ("code_challenge", &chal),
            ("code_challenge_method", "S256"),
            ("nonce", "n-0S6_WzA2Mj"),
        ],
    )
    .await;
    let pairs = redirect_params(&response);
    let code = param(&pairs, "code").unwrap().to_owned();
    assert!(code.starts_with("4/0A"));
    assert_eq!(param(&pairs, "scope"), Some("openid email profile"));
    assert_eq!(param(&pairs, "authuser"), Some("0"));
    assert_eq!(param(&pairs, "prompt"), Some("consent"));
    assert_eq!(param(&pairs, "state"), Some("st-123"));

    let response = http()
        .post(emu.token_url())
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("client_id", emu.client_id()),
            ("client_secret", emu.client_secret()),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers();
    assert_eq!(
        headers["cache-control"],
        "no-cache, no-store, max-age=0, must-revalidate"
    );
    assert_eq!(headers["pragma"], "no-cache");
    assert_eq!(headers["content-type"], "application/json; charset=utf-8");
    let body: Value = response.json().await.unwrap();
    let access_token = body["access_token"].as_str().unwrap();
    assert!(access_token.starts_with("ya29."));
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "openid email profile");
    assert!(body["refresh_token"].as_str().unwrap().starts_with("1//"));

    let segments: Vec<&str> = body["id_token"].as_str().unwrap().split('.').collect();
    assert_eq!(segments.len(), 3);
    assert_eq!(
        decode_segment(segments[0]),
        json!({"alg": "RS256", "kid": "emulator-1", "typ": "JWT"})
    );
    assert_eq!(URL_SAFE_NO_PAD.decode(segments[2]).unwrap().len(), 256);
    let claims = decode_segment(segments[1]);
    assert_eq!(claims["iss"], "https://accounts.google.com");
    assert_eq!(claims["aud"], emu.client_id());
    assert_eq!(claims["azp"], emu.client_id());
    assert_eq!(claims["email"], ALICE);
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(claims["name"], "Alice Smith");
    assert!(claims.get("hd").is_none());
    let sub = claims["sub"].as_str().unwrap();
    assert_eq!(sub.len(), 21);
    assert!(sub.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(
        claims["at_hash"],
        URL_SAFE_NO_PAD.encode(&Sha256::digest(access_token.as_bytes())[..16])
    );
    let iat = claims["iat"].as_u64().unwrap();
    assert_eq!(claims["exp"].as_u64().unwrap(), iat + 3600);

    assert!(emu.access_token_is_valid(access_token));
    assert_eq!(
        emu.latest_access_token_for(ALICE).as_deref(),
        Some(access_token)
    );
    assert_eq!(
        emu.refresh_token_for(ALICE).as_deref(),
        body["refresh_token"].as_str()
    );
    let counters = emu.counters();
    assert_eq!(counters.authorizations, 1);
    assert_eq!(counters.code_exchanges, 1);
}

#[tokio::test]
async fn client_secret_basic_is_accepted_and_a_wrong_secret_is_not() {
    let emu = Emulator::start().await.unwrap();
    let code = code(&emu, &[]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let wrong = http()
        .post(emu.token_url())
        .basic_auth(emu.client_id(), Some("nope"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let right = http()
        .post(emu.token_url())
        .basic_auth(emu.client_id(), Some(emu.client_secret()))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::OK);
}

#[tokio::test]
async fn unknown_client_is_refused_at_both_endpoints() {
    let emu = Emulator::start().await.unwrap();
    let page = authorize(&emu, &[("client_id", "someone-else")]).await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Error 401: invalid_client")
    );

    let result = token(
        &emu,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "1//x"),
            ("client_id", "someone-else"),
            ("client_secret", "x"),
        ],
    )
    .await;
    assert_error(
        &result,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "The OAuth client was not found.",
    );
}

#[tokio::test]
async fn missing_parameters_and_unknown_grant_types_are_bad_requests() {
    let emu = Emulator::start().await.unwrap();
    let creds = [
        ("client_id", emu.client_id()),
        ("client_secret", emu.client_secret()),
    ];
    let mut form = creds.to_vec();
    form.push(("grant_type", "authorization_code"));
    assert_error(
        &token(&emu, &form).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "Missing required parameter: code",
    );
    let mut form = creds.to_vec();
    form.push(("grant_type", "password"));
    let result = token(&emu, &form).await;
    assert_eq!(result.0, StatusCode::BAD_REQUEST);
    assert_eq!(result.1["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn code_cannot_be_exchanged_twice() {
    let emu = Emulator::start().await.unwrap();
    let code = code(&emu, &[]).await;
    assert_eq!(exchange(&emu, &code, None).await.0, StatusCode::OK);
    assert_error(
        &exchange(&emu, &code, None).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "Bad Request",
    );
    assert_eq!(emu.counters().code_exchanges, 1);
}

#[tokio::test]
async fn wrong_or_missing_pkce_verifier_is_invalid_grant() {
    let emu = Emulator::start().await.unwrap();
    let chal = challenge(VERIFIER);
    let code = code(
        &emu,
        &[("code_challenge", &chal), ("code_challenge_method", "S256")],
    )
    .await;
    let wrong = exchange(
        &emu,
        &code,
        Some("not-the-verifier-not-the-verifier-000000000"),
    )
    .await;
    assert_error(
        &wrong,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "Bad Request",
    );
    let missing = exchange(&emu, &code, None).await;
    assert_eq!(missing.0, StatusCode::BAD_REQUEST);
    assert_eq!(missing.1["error"], "invalid_grant");
    assert_eq!(emu.counters().code_exchanges, 0);
}

#[tokio::test]
async fn plain_pkce_requires_the_verifier_to_equal_the_challenge() {
    let emu = Emulator::start().await.unwrap();
    let code = code(
        &emu,
        &[
            ("code_challenge", VERIFIER),
            ("code_challenge_method", "plain"),
        ],
    )
    .await;
    assert_eq!(
        exchange(&emu, &code, Some(&challenge(VERIFIER))).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        exchange(&emu, &code, Some(VERIFIER)).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn redirect_uri_must_match_the_one_used_to_authorize() {
    let emu = Emulator::start().await.unwrap();
    let code = code(&emu, &[]).await;
    let result = token(
        &emu,
        &[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "http://127.0.0.1:9/elsewhere"),
            ("client_id", emu.client_id()),
            ("client_secret", emu.client_secret()),
        ],
    )
    .await;
    assert_error(
        &result,
        StatusCode::BAD_REQUEST,
        "redirect_uri_mismatch",
        "Bad Request",
    );
}

#[tokio::test]
async fn refresh_returns_a_new_access_token_and_is_counted() {
    let emu = Emulator::start().await.unwrap();
    let first = sign_in(&emu, &[]).await;
    let rt = first["refresh_token"].as_str().unwrap();
    let (status, body) = refresh(&emu, rt).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(body["access_token"], first["access_token"]);
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "openid email profile");
    assert!(body["id_token"].is_string());
    assert!(body.get("refresh_token").is_none());
    assert!(emu.access_token_is_valid(body["access_token"].as_str().unwrap()));
    // Without rotation the same refresh token keeps working.
    assert_eq!(refresh(&emu, rt).await.0, StatusCode::OK);
    assert_eq!(emu.counters().refreshes, 2);
}

#[tokio::test]
async fn rotation_invalidates_the_old_refresh_token() {
    let emu = Emulator::start().await.unwrap();
    emu.set_rotate_refresh_tokens(true);
    let first = sign_in(&emu, &[]).await;
    let old = first["refresh_token"].as_str().unwrap();
    let (status, body) = refresh(&emu, old).await;
    assert_eq!(status, StatusCode::OK);
    let new = body["refresh_token"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(emu.refresh_token_for(ALICE).as_deref(), Some(new));
    assert_error(
        &refresh(&emu, old).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "Token has been expired or revoked.",
    );
    assert_eq!(refresh(&emu, new).await.0, StatusCode::OK);
}

#[tokio::test]
async fn force_invalid_grant_fails_every_refresh_until_turned_off() {
    let emu = Emulator::start().await.unwrap();
    let rt = sign_in(&emu, &[]).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    emu.force_invalid_grant(true);
    for _ in 0..2 {
        assert_error(
            &refresh(&emu, &rt).await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Token has been expired or revoked.",
        );
    }
    emu.force_invalid_grant(false);
    assert_eq!(refresh(&emu, &rt).await.0, StatusCode::OK);
}

#[tokio::test]
async fn forced_failures_answer_first_then_requests_succeed() {
    let emu = Emulator::start().await.unwrap();
    let rt = sign_in(&emu, &[]).await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    emu.fail_next_token_requests(2, 503);
    for _ in 0..2 {
        assert_error(
            &refresh(&emu, &rt).await,
            StatusCode::SERVICE_UNAVAILABLE,
            "internal_failure",
            "Backend Error",
        );
    }
    assert_eq!(refresh(&emu, &rt).await.0, StatusCode::OK);
    emu.fail_next_token_requests(1, 429);
    let limited = refresh(&emu, &rt).await;
    assert_eq!(limited.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.1["error"], "rate_limit_exceeded");
    let counters = emu.counters();
    assert_eq!(counters.token_requests_failed, 3);
    assert_eq!(counters.refreshes, 1);
}

#[tokio::test]
async fn latency_delays_the_token_endpoint() {
    let emu = Emulator::start().await.unwrap();
    emu.set_latency(Duration::from_millis(300));
    let started = Instant::now();
    let result = refresh(&emu, "1//unknown").await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(result.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn revoked_grant_cannot_refresh_and_cannot_be_revoked_again() {
    let emu = Emulator::start().await.unwrap();
    let body = sign_in(&emu, &[]).await;
    let rt = body["refresh_token"].as_str().unwrap();
    let at = body["access_token"].as_str().unwrap();
    let (status, answer) = revoke(&emu, rt).await;
    assert_eq!((status, answer), (StatusCode::OK, json!({})));
    assert!(!emu.access_token_is_valid(at));
    assert_error(
        &refresh(&emu, rt).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
        "Token has been expired or revoked.",
    );
    assert_error(
        &revoke(&emu, rt).await,
        StatusCode::BAD_REQUEST,
        "invalid_token",
        "Token expired or revoked",
    );
    assert_eq!(emu.revoked_tokens(), vec![rt.to_owned()]);
    assert_eq!(emu.counters().revocations, 1);
    assert_eq!(emu.refresh_token_for(ALICE), None);
}

#[tokio::test]
async fn revoking_an_access_token_kills_the_grant_and_the_next_consent_issues_a_refresh_token() {
    let emu = Emulator::start().await.unwrap();
    let body = sign_in(&emu, &[]).await;
    let at = body["access_token"].as_str().unwrap();
    let response = http()
        .post(format!("{}?token={at}", emu.revoke_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        refresh(&emu, body["refresh_token"].as_str().unwrap())
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    let again = sign_in(&emu, &[]).await;
    assert!(again["refresh_token"].is_string());
}

#[tokio::test]
async fn second_consent_issues_a_refresh_token_only_with_prompt_consent() {
    let emu = Emulator::start().await.unwrap();
    assert!(sign_in(&emu, &[]).await["refresh_token"].is_string());

    let pairs = redirect_params(&authorize(&emu, &[]).await);
    assert_eq!(param(&pairs, "prompt"), Some("none"));
    let (_, body) = exchange(&emu, param(&pairs, "code").unwrap(), None).await;
    assert!(body.get("refresh_token").is_none());
    assert!(body["access_token"].is_string());

    let forced = sign_in(&emu, &[("prompt", "select_account consent")]).await;
    assert!(forced["refresh_token"].is_string());

    let online = sign_in(&emu, &[("prompt", "consent"), ("access_type", "online")]).await;
    assert!(online.get("refresh_token").is_none());
}

#[tokio::test]
async fn userinfo_answers_for_a_valid_token_and_refuses_anything_else() {
    let emu = Emulator::start().await.unwrap();
    let at = sign_in(&emu, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = userinfo(&emu, &at).await;
    assert_eq!(response.status(), StatusCode::OK);
    let info: Value = response.json().await.unwrap();
    assert_eq!(info["email"], ALICE);
    assert_eq!(info["email_verified"], true);
    assert_eq!(info["given_name"], "Alice");
    assert_eq!(info["family_name"], "Smith");
    assert!(info["picture"].is_string());
    assert_eq!(info["sub"].as_str().unwrap().len(), 21);
    assert!(info.get("hd").is_none());

    let v3 = http()
        .get(format!("{}/oauth2/v3/userinfo", emu.base_url()))
        .bearer_auth(&at)
        .send()
        .await
        .unwrap();
    assert_eq!(v3.json::<Value>().await.unwrap(), info);

    let bad = userinfo(&emu, "ya29.made-up").await;
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        bad.headers()["www-authenticate"],
        "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\""
    );
    assert_eq!(
        bad.json::<Value>().await.unwrap(),
        json!({"error": "invalid_request", "error_description": "Invalid Credentials"})
    );
    assert_eq!(emu.counters().userinfo_calls, 3);
}

#[tokio::test]
async fn access_tokens_expire_after_the_configured_lifetime() {
    let emu = Emulator::start().await.unwrap();
    emu.set_access_token_lifetime(0);
    let body = sign_in(&emu, &[]).await;
    assert_eq!(body["expires_in"], 0);
    let at = body["access_token"].as_str().unwrap();
    assert!(!emu.access_token_is_valid(at));
    assert_eq!(userinfo(&emu, at).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unverified_hosted_account_reports_its_claims() {
    let emu = Emulator::start().await.unwrap();
    let email = "carol@corp.example";
    emu.add_account(
        email,
        AccountOptions {
            email_verified: false,
            sub: Some("109876543210987654321".into()),
            hd: Some("corp.example".into()),
        },
    );
    let body = sign_in(&emu, &[("login_hint", email)]).await;
    let claims = decode_segment(
        body["id_token"]
            .as_str()
            .unwrap()
            .split('.')
            .nth(1)
            .unwrap(),
    );
    assert_eq!(claims["email_verified"], false);
    assert_eq!(claims["hd"], "corp.example");
    assert_eq!(claims["sub"], "109876543210987654321");
    let info: Value = userinfo(&emu, body["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["email_verified"], false);
    assert_eq!(info["hd"], "corp.example");
}

#[tokio::test]
async fn sign_in_as_overrides_the_login_hint_once() {
    let emu = Emulator::start().await.unwrap();
    emu.sign_in_as(Some("mallory@example.com".into()));
    let body = sign_in(&emu, &[]).await;
    let claims = decode_segment(
        body["id_token"]
            .as_str()
            .unwrap()
            .split('.')
            .nth(1)
            .unwrap(),
    );
    assert_eq!(claims["email"], "mallory@example.com");
    assert!(emu.latest_access_token_for("mallory@example.com").is_some());
    let next = sign_in(&emu, &[]).await;
    let claims = decode_segment(
        next["id_token"]
            .as_str()
            .unwrap()
            .split('.')
            .nth(1)
            .unwrap(),
    );
    assert_eq!(claims["email"], ALICE);
}

#[tokio::test]
async fn denied_authorization_redirects_with_access_denied() {
    let emu = Emulator::start().await.unwrap();
    emu.deny_next_authorization();
    let pairs = redirect_params(&authorize(&emu, &[]).await);
    assert_eq!(param(&pairs, "error"), Some("access_denied"));
    assert_eq!(param(&pairs, "state"), Some("st-123"));
    assert_eq!(param(&pairs, "code"), None);
    assert_eq!(emu.counters().authorizations, 0);
    // Only the next one is denied.
    assert!(param(&redirect_params(&authorize(&emu, &[]).await), "code").is_some());
}

#[tokio::test]
async fn grant_only_scopes_narrows_the_granted_scope() {
    let emu = Emulator::start().await.unwrap();
    let ads = "https://www.googleapis.com/auth/adwords";
    emu.grant_only_scopes(Some(vec!["openid".into(), "email".into()]));
    let pairs =
        redirect_params(&authorize(&emu, &[("scope", &format!("openid email {ads}"))]).await);
    assert_eq!(param(&pairs, "scope"), Some("openid email"));
    let (_, body) = exchange(&emu, param(&pairs, "code").unwrap(), None).await;
    assert_eq!(body["scope"], "openid email");
}

#[tokio::test]
async fn include_granted_scopes_adds_earlier_grants() {
    let emu = Emulator::start().await.unwrap();
    let ads = "https://www.googleapis.com/auth/adwords";
    sign_in(&emu, &[("scope", "openid email")]).await;
    let pairs = redirect_params(
        &authorize(&emu, &[("scope", ads), ("include_granted_scopes", "true")]).await,
    );
    assert_eq!(
        param(&pairs, "scope"),
        Some(&*format!("{ads} openid email"))
    );
    // New scopes mean Google showed the consent screen again.
    assert_eq!(param(&pairs, "prompt"), Some("consent"));
}

#[tokio::test]
async fn account_chooser_is_shown_without_a_login_hint() {
    let emu = Emulator::start().await.unwrap();
    emu.add_account("bob@example.com", AccountOptions::default());
    emu.add_account(ALICE, AccountOptions::default());
    let page = authorize(&emu, &[("login_hint", "")]).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Choose an account"));
    assert!(html.contains("login_hint=bob%40example.com"));
    let start = html.find("href=\"").unwrap() + 6;
    let href = html[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    assert!(
        href.contains("login_hint=alice.smith%40example.com"),
        "{href}"
    );
    let followed = http()
        .get(format!("{}{href}", emu.base_url()))
        .send()
        .await
        .unwrap();
    let pairs = redirect_params(&followed);
    assert_eq!(param(&pairs, "state"), Some("st-123"));
    assert!(param(&pairs, "code").is_some());
}

#[tokio::test]
async fn revoke_all_for_kills_every_grant_of_the_account() {
    let emu = Emulator::start().await.unwrap();
    let body = sign_in(&emu, &[]).await;
    emu.revoke_all_for(ALICE);
    assert!(!emu.access_token_is_valid(body["access_token"].as_str().unwrap()));
    assert_eq!(
        refresh(&emu, body["refresh_token"].as_str().unwrap())
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    assert!(sign_in(&emu, &[]).await["refresh_token"].is_string());
}

#[tokio::test]
async fn discovery_points_at_the_emulator() {
    let emu = Emulator::start().await.unwrap();
    let doc: Value = http()
        .get(format!(
            "{}/.well-known/openid-configuration",
            emu.base_url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], "https://accounts.google.com");
    assert_eq!(doc["authorization_endpoint"], emu.auth_url());
    assert_eq!(doc["token_endpoint"], emu.token_url());
    assert_eq!(doc["userinfo_endpoint"], emu.userinfo_url());
    assert_eq!(doc["revocation_endpoint"], emu.revoke_url());
    assert_eq!(
        doc["code_challenge_methods_supported"],
        json!(["plain", "S256"])
    );
}

#[tokio::test]
async fn http_controls_add_accounts_and_report_counters() {
    let emu = Emulator::start().await.unwrap();
    let base = format!("{}/__emulator", emu.base_url());
    let account: Value = http()
        .post(format!("{base}/accounts"))
        .json(&json!({"email": "dave@example.com", "email_verified": false, "hd": "example.com"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(account["email"], "dave@example.com");
    assert!(!emu.account("dave@example.com").unwrap().email_verified);

    let ok = http()
        .post(format!("{base}/fail-next-token-requests"))
        .json(&json!({"count": 1, "status": 500}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(
        refresh(&emu, "1//x").await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    sign_in(&emu, &[("login_hint", "dave@example.com")]).await;

    let counters: Value = http()
        .get(format!("{base}/counters"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let expected = Counters {
        authorizations: 1,
        code_exchanges: 1,
        token_requests_failed: 1,
        ..Counters::default()
    };
    assert_eq!(counters, serde_json::to_value(expected).unwrap());

    let tokens: Value = http()
        .post(format!("{base}/tokens"))
        .json(&json!({"email": "dave@example.com"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        tokens["latest_access_token"].as_str(),
        emu.latest_access_token_for("dave@example.com").as_deref()
    );
}
