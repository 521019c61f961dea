//! The token cache: a burst of tool calls costs one gateway round-trip.

use crate::support::proxy::CountingProxy;
use chrono::{DateTime, Utc};
use mcp_auth_client::{AuthClient, AuthError, Clock, SystemClock};
use secrecy::SecretString;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use test_kit::{API_KEY, TestStack, auth_client_for, follow};

/// A clock the test moves by hand.
struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    fn new() -> Arc<Self> {
        Arc::new(Self(Mutex::new(SystemClock.now())))
    }

    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += chrono::Duration::from_std(by).unwrap();
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

async fn signed_in_stack(email: &str) -> TestStack {
    let stack = TestStack::start().await.unwrap();
    sign_in(&stack, email).await;
    stack
}

async fn sign_in(stack: &TestStack, email: &str) {
    let error = stack
        .auth_client()
        .get_token("google", email, &[])
        .await
        .unwrap_err();
    let AuthError::SignInRequired { auth_url, .. } = error else {
        panic!("expected SignInRequired, got {error:?}");
    };
    assert_eq!(follow(&auth_url).await.unwrap(), 200);
}

#[tokio::test]
async fn a_hundred_sequential_calls_with_a_fresh_token_cost_one_gateway_request() {
    let stack = signed_in_stack("burst@example.com").await;
    let proxy = CountingProxy::start(&stack.gateway_url).await;
    let client = auth_client_for(&proxy.url, API_KEY);
    let first = client
        .get_token("google", "burst@example.com", &[])
        .await
        .unwrap();
    for _ in 0..99 {
        let token = client
            .get_token("google", "burst@example.com", &[])
            .await
            .unwrap();
        assert_eq!(token.expires_at(), first.expires_at());
    }
    assert_eq!(proxy.requests(), 1);
}

#[tokio::test]
async fn concurrent_calls_for_one_user_share_one_gateway_request() {
    let stack = signed_in_stack("storm@example.com").await;
    let proxy = CountingProxy::start(&stack.gateway_url).await;
    let client = auth_client_for(&proxy.url, API_KEY);
    let calls = (0..20).map(|_| client.get_token("google", "storm@example.com", &[]));
    for result in futures::future::join_all(calls).await {
        result.unwrap();
    }
    assert_eq!(proxy.requests(), 1);
}

#[tokio::test]
async fn a_token_inside_the_cache_margin_is_fetched_again() {
    let stack = TestStack::start().await.unwrap();
    // 60 s tokens are within the default 60 s margin: never served from the cache.
    stack.emulator.set_access_token_lifetime(60);
    sign_in(&stack, "short@example.com").await;
    let proxy = CountingProxy::start(&stack.gateway_url).await;
    let client = auth_client_for(&proxy.url, API_KEY);
    for _ in 0..3 {
        client
            .get_token("google", "short@example.com", &[])
            .await
            .unwrap();
    }
    assert_eq!(proxy.requests(), 3);
}

#[tokio::test]
async fn spellings_the_gateway_treats_as_one_user_share_one_cache_entry() {
    let stack = signed_in_stack("kate@example.com").await;
    let proxy = CountingProxy::start(&stack.gateway_url).await;
    let client = auth_client_for(&proxy.url, API_KEY);
    for spelling in [
        "kate@example.com",
        " Kate@Example.COM ",
        "KATE@example.com\n",
    ] {
        client.get_token("google", spelling, &[]).await.unwrap();
    }
    assert_eq!(proxy.requests(), 1);
}

#[tokio::test]
async fn an_address_the_gateway_refuses_is_never_served_another_users_token() {
    let stack = signed_in_stack("kate@example.com").await;
    let client = stack.auth_client();
    client
        .get_token("google", "kate@example.com", &[])
        .await
        .unwrap();
    // U+212A KELVIN SIGN lower-cases to an ASCII `k`; the gateway refuses the address.
    let error = client
        .get_token("google", "\u{212A}ate@example.com", &[])
        .await
        .expect_err("served kate@example.com's cached token to another address");
    assert!(
        matches!(&error, AuthError::Gateway { status: 400, code, .. } if code == "invalid_email"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_user_idle_past_the_idle_timeout_is_evicted_and_fetched_again() {
    let stack = signed_in_stack("idle@example.com").await;
    let proxy = CountingProxy::start(&stack.gateway_url).await;
    let clock = ManualClock::new();
    let client = AuthClient::builder(&proxy.url, SecretString::from(API_KEY))
        .clock(clock.clone())
        .build()
        .unwrap();
    client
        .get_token("google", "idle@example.com", &[])
        .await
        .unwrap();
    // Within the default idle timeout (15 min), and each use restarts it.
    for _ in 0..3 {
        clock.advance(Duration::from_mins(10));
        client
            .get_token("google", "idle@example.com", &[])
            .await
            .unwrap();
    }
    assert_eq!(proxy.requests(), 1);
    // Unused for longer than the timeout, though the 1 h token is still valid: evicted.
    clock.advance(Duration::from_mins(16));
    let again = client
        .get_token("google", "idle@example.com", &[])
        .await
        .unwrap();
    assert_eq!(proxy.requests(), 2);
    assert!(again.expires_at() > clock.now());
}
