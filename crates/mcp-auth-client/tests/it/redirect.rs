//! Redirects: the API key stays with the gateway's origin.

use crate::support::recorder::{HeaderRecorder, Redirector};
use mcp_auth_client::AuthError;
use test_kit::{API_KEY, auth_client_for};

#[tokio::test]
async fn a_redirect_to_another_origin_is_refused_and_never_carries_the_api_key() {
    let elsewhere = HeaderRecorder::start().await;
    let gateway = Redirector::start(&elsewhere.url).await;
    let error = auth_client_for(&gateway.url, API_KEY)
        .get_token("google", "a@example.com", &[])
        .await
        .expect_err("a cross-origin redirect must not be followed");
    assert!(
        elsewhere.api_keys_seen().is_empty(),
        "the API key reached another origin"
    );
    let AuthError::CrossOriginRedirect { to } = &error else {
        panic!("expected CrossOriginRedirect, got {error:?}");
    };
    assert_eq!(to, &elsewhere.url);
    assert!(error.to_string().contains("AUTH_GATEWAY_URL"), "{error}");
}

#[tokio::test]
async fn a_redirect_within_the_gateway_origin_is_followed_with_the_key() {
    let gateway = HeaderRecorder::start().await;
    // `/moved/...` answers 307 to the same path without `/moved`, on the same origin.
    let token = auth_client_for(&format!("{}/moved", gateway.url), API_KEY)
        .get_token("google", "a@example.com", &[])
        .await
        .unwrap();
    assert_eq!(token.token_type(), "Bearer");
    // Both hops, the redirect and its target, are the gateway's own origin.
    assert_eq!(gateway.api_keys_seen(), vec![API_KEY.to_owned(); 2]);
}
