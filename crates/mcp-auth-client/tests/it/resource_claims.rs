//! The guard's checks the gateway's own tokens never fail: tokens signed here with a
//! P-256 key of our own, published by a small JWKS server that plays the issuer's key
//! endpoint (the gateway never issues a token without the resource's scope, of another
//! `typ` or algorithm). Also the JWKS cache's `max-age` handling and an unreachable
//! key endpoint.

use crate::support::oauth::SharedClock;
use crate::support::protected;
use auth_gateway::core::clock::{Clock as _, ManualClock};
use axum::http::header;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mcp_auth_client::resource::ResourceGuard;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A PKCS#8 P-256 key made with `openssl ecparam -name prime256v1 -genkey` for these tests only.
const PRIVATE_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgcb/5ewaKInpGoHLT
L4dXZzQa+Bj+vOiqmzk57qNhjgqhRANCAASMaOFjgKMLgwsHoTA+OFq5RO+77K5A
MCFHolUKmKFKt0ZmA4kMjC03vH7ClnWhmu9cnagn268luM69BUFh0NKX
-----END PRIVATE KEY-----";
const X: &str = "jGjhY4CjC4MLB6EwPjhauUTvu-yuQDAhR6JVCpihSrc";
const Y: &str = "RmYDiQyMLTe8fsKWdaGa71ydqCfbryW4zr0FQWHQ0pc";
const KID: &str = "test-key-1";

struct Setup {
    issuer: String,
    resource: String,
    scope: String,
    clock: Arc<ManualClock>,
    jwks_requests: Arc<AtomicUsize>,
    /// While set, the key endpoint answers 500.
    down: Arc<AtomicBool>,
}

/// A key endpoint answering with `cache_control`, and the guarded server.
async fn setup(cache_control: &'static str) -> Setup {
    let jwks_requests = Arc::new(AtomicUsize::new(0));
    let down = Arc::new(AtomicBool::new(false));
    let (counter, is_down) = (jwks_requests.clone(), down.clone());
    let keys = axum::Router::new().route(
        "/oauth/jwks",
        axum::routing::get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let body = serde_json::json!({"keys": [
                {"kty": "EC", "crv": "P-256", "x": X, "y": Y, "kid": KID, "use": "sig", "alg": "ES256"}
            ]});
            let status = if is_down.load(Ordering::SeqCst) { 500 } else { 200 };
            let status = axum::http::StatusCode::from_u16(status).unwrap();
            async move { (status, [(header::CACHE_CONTROL, cache_control)], axum::Json(body)) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, keys).await });

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let resource = format!("http://{}/mcp", listener.local_addr().unwrap());
    let clock = Arc::new(ManualClock::default());
    let guard = ResourceGuard::builder(&issuer, &resource)
        .clock(Arc::new(SharedClock(clock.clone())))
        .build()
        .unwrap();
    protected::serve(listener, &guard);
    Setup {
        issuer,
        scope: guard.scope().to_owned(),
        resource,
        clock,
        jwks_requests,
        down,
    }
}

impl Setup {
    /// Claims the guard accepts, to be spoilt one at a time.
    fn claims(&self) -> serde_json::Value {
        let now = self.clock.now().timestamp();
        serde_json::json!({
            "iss": self.issuer, "sub": "user-1", "aud": self.resource,
            "exp": now + 600, "iat": now, "nbf": now, "jti": "j-1",
            "client_id": "client-1", "scope": self.scope, "email": "a@example.com",
        })
    }

    async fn status_and_challenge(&self, token: &str) -> (u16, String) {
        let response = reqwest::Client::new()
            .post(&self.resource)
            .bearer_auth(token)
            .header("accept", "application/json, text/event-stream")
            .json(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
            .send()
            .await
            .unwrap();
        let challenge = response
            .headers()
            .get("www-authenticate")
            .map(|value| value.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (response.status().as_u16(), challenge)
    }
}

fn sign(claims: &serde_json::Value, typ: &str) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.typ = Some(typ.to_owned());
    header.kid = Some(KID.to_owned());
    let body: String = PRIVATE_KEY
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let key = EncodingKey::from_ec_der(&STANDARD.decode(body).unwrap());
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_without_the_resource_scope_is_forbidden() {
    let setup = setup("public, max-age=300").await;
    let (status, _) = setup
        .status_and_challenge(&sign(&setup.claims(), "at+jwt"))
        .await;
    assert_ne!(status, 401, "the well-formed token passes the guard");
    let mut claims = setup.claims();
    claims["scope"] = "mcp:elsewhere.example.com/mcp".into();
    let (status, challenge) = setup.status_and_challenge(&sign(&claims, "at+jwt")).await;
    assert_eq!(status, 403);
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(
        challenge.contains(&format!("scope=\"{}\"", setup.scope)),
        "{challenge}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typ_algorithm_issuer_and_nbf_are_checked() {
    let setup = setup("public, max-age=300").await;
    let mut wrong_issuer = setup.claims();
    wrong_issuer["iss"] = format!("{}/", setup.issuer).into();
    let mut not_yet = setup.claims();
    not_yet["nbf"] = (setup.clock.now().timestamp() + 120).into();
    // Algorithm confusion (RFC 8725 §2.1): HS256 keyed with the public key's bytes.
    let mut hs = Header::new(Algorithm::HS256);
    hs.typ = Some("at+jwt".to_owned());
    hs.kid = Some(KID.to_owned());
    let hs256 = jsonwebtoken::encode(
        &hs,
        &setup.claims(),
        &EncodingKey::from_secret(X.as_bytes()),
    )
    .unwrap();
    for (token, why) in [
        (sign(&setup.claims(), "JWT"), "not an access token"),
        (hs256, "not an access token"),
        (sign(&wrong_issuer, "at+jwt"), "another issuer"),
        (sign(&not_yet, "at+jwt"), "not valid yet"),
    ] {
        let (status, challenge) = setup.status_and_challenge(&token).await;
        assert_eq!(status, 401, "{why}");
        assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
        assert!(challenge.contains(why), "{challenge}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_set_is_cached_for_its_max_age_within_bounds() {
    let setup = setup("public, max-age=120").await;
    let token = sign(&setup.claims(), "at+jwt");
    setup.status_and_challenge(&token).await;
    // The manual clock also runs in real time: margins of seconds, not one.
    setup.clock.advance(chrono::Duration::seconds(100));
    setup.status_and_challenge(&token).await;
    assert_eq!(
        setup.jwks_requests.load(Ordering::SeqCst),
        1,
        "fresh for 120 s"
    );
    setup.clock.advance(chrono::Duration::seconds(30));
    setup.status_and_challenge(&token).await;
    assert_eq!(
        setup.jwks_requests.load(Ordering::SeqCst),
        2,
        "refetched when stale"
    );

    // A max-age below a minute counts as a minute.
    let short = self::setup("max-age=5").await;
    let token = sign(&short.claims(), "at+jwt");
    short.status_and_challenge(&token).await;
    short.clock.advance(chrono::Duration::seconds(30));
    short.status_and_challenge(&token).await;
    assert_eq!(short.jwks_requests.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_keys_the_answer_is_503_and_fetches_back_off() {
    let setup = setup("public, max-age=300").await;
    setup.down.store(true, Ordering::SeqCst);
    let token = sign(&setup.claims(), "at+jwt");
    let (status, challenge) = setup.status_and_challenge(&token).await;
    assert_eq!(status, 503, "not the user's fault, so no invalid_token");
    assert!(challenge.is_empty(), "{challenge}");
    assert_eq!(setup.status_and_challenge(&token).await.0, 503);
    assert_eq!(setup.jwks_requests.load(Ordering::SeqCst), 1, "backing off");
    setup.down.store(false, Ordering::SeqCst);
    setup.clock.advance(chrono::Duration::seconds(6));
    assert_ne!(setup.status_and_challenge(&token).await.0, 503);
    assert_eq!(setup.jwks_requests.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_refetch_keeps_the_cached_keys() {
    let setup = setup("public, max-age=300").await;
    assert_ne!(
        setup
            .status_and_challenge(&sign(&setup.claims(), "at+jwt"))
            .await
            .0,
        401
    );
    setup.down.store(true, Ordering::SeqCst);
    setup.clock.advance(chrono::Duration::seconds(301));
    let token = sign(&setup.claims(), "at+jwt");
    let (status, challenge) = setup.status_and_challenge(&token).await;
    assert!(status != 401 && status != 503, "{status} {challenge}");
    assert_eq!(
        setup.jwks_requests.load(Ordering::SeqCst),
        2,
        "the refetch was tried"
    );
    setup.clock.advance(chrono::Duration::seconds(30));
    setup.status_and_challenge(&token).await;
    assert_eq!(
        setup.jwks_requests.load(Ordering::SeqCst),
        2,
        "not again within a minute"
    );
}
