//! Rate limits that stop attacks without throttling users (issue 16, finding 4;
//! docs/threat-model.md G1): the per-IP bucket is spent only by requests that did not
//! authenticate, public routes are limited, and behind trusted proxies the client is
//! the rightmost untrusted `X-Forwarded-For` hop.

use crate::support::app::{API_KEY, TestApp};
use crate::support::db::Backend;
use auth_gateway::config::Config;
use serde_json::json;

async fn token_with_key(app: &TestApp, key: &str) -> u16 {
    app.http
        .post(app.url("/auth/token"))
        .header("X-API-Key", key)
        .json(&json!({"provider": "google", "user_email": "limits@example.com"}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn health_from(app: &TestApp, forwarded_for: Option<&str>) -> u16 {
    let mut request = app.http.get(app.url("/health"));
    if let Some(chain) = forwarded_for {
        request = request.header("X-Forwarded-For", chain);
    }
    request.send().await.unwrap().status().as_u16()
}

#[test]
fn the_default_per_key_limit_is_above_what_one_gateway_serves() {
    let config = Config::load(&|_| None).unwrap();
    // The benchmark's cached PostgreSQL path serves ~35 000 requests/s per replica.
    assert!(config.rate_limits.per_client_per_minute >= 60 * 35_000);
}

#[tokio::test]
async fn authenticated_requests_do_not_spend_the_ip_bucket() {
    let app = TestApp::spawn_with(Backend::Sqlite, &[("RATE_LIMIT_PER_IP_PER_MINUTE", "3")]).await;
    for _ in 0..20 {
        assert_eq!(token_with_key(&app, API_KEY).await, 404);
    }
}

#[tokio::test]
async fn failed_keys_spend_the_ip_bucket_while_a_proven_key_from_there_is_still_served() {
    let app = TestApp::spawn_with(Backend::Sqlite, &[("RATE_LIMIT_PER_IP_PER_MINUTE", "3")]).await;
    assert_eq!(token_with_key(&app, API_KEY).await, 404);
    for _ in 0..2 {
        assert_eq!(token_with_key(&app, "guessed-key").await, 403);
    }
    assert_eq!(token_with_key(&app, "guessed-key").await, 429);
    assert_eq!(token_with_key(&app, "another-guess").await, 429);
    assert_eq!(token_with_key(&app, API_KEY).await, 404);
}

#[tokio::test]
async fn public_routes_are_limited_per_ip() {
    let app = TestApp::spawn_with(Backend::Sqlite, &[("RATE_LIMIT_PER_IP_PER_MINUTE", "3")]).await;
    for _ in 0..3 {
        assert_eq!(health_from(&app, None).await, 200);
    }
    assert_eq!(health_from(&app, None).await, 429);
    let connect = app
        .http
        .get(app.url("/connect/unknown"))
        .send()
        .await
        .unwrap();
    assert_eq!(connect.status(), 429);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            ("RATE_LIMIT_PER_IP_PER_MINUTE", "2"),
            ("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8"),
        ],
    )
    .await;
    // The client put a made-up hop in front; the proxy appended the real address, and
    // an inner proxy (10.1.2.3, trusted) appended its own.
    let alice = "198.51.100.1, 203.0.113.7, 10.1.2.3";
    assert_eq!(health_from(&app, Some(alice)).await, 200);
    assert_eq!(health_from(&app, Some("203.0.113.7")).await, 200);
    assert_eq!(
        health_from(&app, Some("192.0.2.50, 203.0.113.7")).await,
        429
    );
    // Another client has its own bucket.
    assert_eq!(health_from(&app, Some("203.0.113.8")).await, 200);
}

#[tokio::test]
async fn without_trusted_proxies_forwarded_for_is_ignored() {
    let app = TestApp::spawn_with(Backend::Sqlite, &[("RATE_LIMIT_PER_IP_PER_MINUTE", "2")]).await;
    assert_eq!(health_from(&app, Some("203.0.113.1")).await, 200);
    assert_eq!(health_from(&app, Some("203.0.113.2")).await, 200);
    assert_eq!(health_from(&app, Some("203.0.113.3")).await, 429);
}
