//! Each typed outcome of `get_token`, produced by the situation that causes it.

use mcp_auth_client::{AuthError, SessionStatus};
use std::time::Duration;
use test_kit::{API_KEY, TestStack, auth_client_for, follow};

const DRIVE: &str = "https://www.googleapis.com/auth/drive.readonly";

/// Signs `email` in through the link of a first `get_token`; returns that error's session.
async fn sign_in(stack: &TestStack, email: &str) -> String {
    let error = stack
        .auth_client()
        .get_token("google", email, &[])
        .await
        .unwrap_err();
    let AuthError::SignInRequired {
        auth_url,
        session_id,
    } = error
    else {
        panic!("expected SignInRequired, got {error:?}");
    };
    assert_eq!(follow(&auth_url).await.unwrap(), 200);
    session_id
}

#[tokio::test]
async fn a_new_user_gets_sign_in_required_with_a_link_that_works() {
    let stack = TestStack::start().await.unwrap();
    let client = stack.auth_client();
    let error = client
        .get_token("google", "new@example.com", &[])
        .await
        .unwrap_err();
    let AuthError::SignInRequired {
        auth_url,
        session_id,
    } = &error
    else {
        panic!("expected SignInRequired, got {error:?}");
    };
    assert!(auth_url.starts_with(&format!("{}/connect/", stack.gateway_url)));
    assert!(
        !client
            .is_authenticated("google", "new@example.com")
            .await
            .unwrap()
    );

    // The long-poll returns once a browser completes the sign-in.
    let waiter = {
        let client = client.clone();
        let session_id = session_id.clone();
        tokio::spawn(async move {
            client
                .wait_for_sign_in(&session_id, Duration::from_secs(30))
                .await
        })
    };
    assert_eq!(follow(auth_url).await.unwrap(), 200);
    let status = waiter.await.unwrap().unwrap();
    assert_eq!(status.status, SessionStatus::Completed);

    let token = client
        .get_token("google", "new@example.com", &[])
        .await
        .unwrap();
    assert_eq!(
        Some(secrecy::ExposeSecret::expose_secret(token.access_token()).to_owned()),
        stack.emulator.latest_access_token_for("new@example.com")
    );
    assert!(token.scopes().iter().any(|scope| scope == "openid"));
    assert!(
        client
            .is_authenticated("google", "new@example.com")
            .await
            .unwrap()
    );
    let providers = client.providers("new@example.com").await.unwrap();
    assert_eq!(providers.providers[0].provider, "google");
}

#[tokio::test]
async fn a_revoked_grant_gives_needs_reauth_with_a_fresh_link() {
    let stack = TestStack::start().await.unwrap();
    // Shorter than the gateway's refresh buffer: every request refreshes upstream.
    stack.emulator.set_access_token_lifetime(60);
    sign_in(&stack, "revoked@example.com").await;
    stack.emulator.force_invalid_grant(true);
    let error = stack
        .auth_client()
        .get_token("google", "revoked@example.com", &[])
        .await
        .unwrap_err();
    let AuthError::NeedsReauth {
        auth_url, reason, ..
    } = &error
    else {
        panic!("expected NeedsReauth, got {error:?}");
    };
    assert_eq!(reason, "needs_reauth");
    stack.emulator.force_invalid_grant(false);
    assert_eq!(follow(auth_url).await.unwrap(), 200);
    assert!(
        stack
            .auth_client()
            .get_token("google", "revoked@example.com", &[])
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_missing_scope_gives_insufficient_scope_naming_it() {
    let stack = TestStack::start().await.unwrap();
    sign_in(&stack, "scopes@example.com").await;
    let client = stack.auth_client();
    // A cached token without the scope must not hide the problem.
    client
        .get_token("google", "scopes@example.com", &[])
        .await
        .unwrap();
    let error = client
        .get_token("google", "scopes@example.com", &[DRIVE])
        .await
        .unwrap_err();
    let AuthError::InsufficientScope {
        missing, auth_url, ..
    } = &error
    else {
        panic!("expected InsufficientScope, got {error:?}");
    };
    assert_eq!(missing, &[DRIVE.to_owned()]);
    assert_eq!(follow(auth_url).await.unwrap(), 200);
    let token = client
        .get_token("google", "scopes@example.com", &[DRIVE])
        .await
        .unwrap();
    assert!(token.scopes().iter().any(|scope| scope == DRIVE));
}

#[tokio::test]
async fn an_expired_token_and_a_failing_provider_give_provider_unavailable_with_retry_after() {
    let stack = TestStack::start().await.unwrap();
    sign_in(&stack, "outage@example.com").await;
    stack.clock.advance(chrono::Duration::hours(2));
    stack.emulator.fail_next_token_requests(10, 503);
    let error = stack
        .auth_client()
        .get_token("google", "outage@example.com", &[])
        .await
        .unwrap_err();
    let AuthError::ProviderUnavailable { retry_after } = error else {
        panic!("expected ProviderUnavailable, got {error:?}");
    };
    assert!(retry_after.is_some_and(|wait| wait > Duration::ZERO));
}

#[tokio::test]
async fn a_wrong_api_key_gives_invalid_api_key() {
    let stack = TestStack::start().await.unwrap();
    let client = auth_client_for(&stack.gateway_url, "not-the-key-0123456789abcdefghij");
    let error = client
        .get_token("google", "a@example.com", &[])
        .await
        .unwrap_err();
    assert!(matches!(error, AuthError::InvalidApiKey), "{error:?}");
    let error = client.providers("a@example.com").await.unwrap_err();
    assert!(matches!(error, AuthError::InvalidApiKey), "{error:?}");
    assert!(!format!("{client:?}").contains(API_KEY));
}

#[tokio::test]
async fn a_gateway_that_is_not_running_gives_gateway_unreachable() {
    // Bind a port, then free it: nothing listens there any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let error = auth_client_for(&url, API_KEY)
        .get_token("google", "a@example.com", &[])
        .await
        .unwrap_err();
    assert!(
        matches!(error, AuthError::GatewayUnreachable(_)),
        "{error:?}"
    );
}

#[tokio::test]
async fn revoke_deletes_the_grant_and_the_cached_token() {
    let stack = TestStack::start().await.unwrap();
    sign_in(&stack, "leaving@example.com").await;
    let client = stack.auth_client();
    client
        .get_token("google", "leaving@example.com", &[])
        .await
        .unwrap();
    let answer = client
        .revoke("google", "leaving@example.com")
        .await
        .unwrap();
    assert!(answer.success);
    let error = client
        .get_token("google", "leaving@example.com", &[])
        .await
        .unwrap_err();
    assert!(
        matches!(error, AuthError::SignInRequired { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_unknown_session_is_a_gateway_error_not_a_hang() {
    let stack = TestStack::start().await.unwrap();
    let error = stack
        .auth_client()
        .wait_for_sign_in("no-such-session", Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(
        matches!(error, AuthError::Gateway { status: 404, .. }),
        "{error:?}"
    );
}
