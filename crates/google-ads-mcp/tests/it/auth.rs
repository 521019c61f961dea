//! Whose tokens, and the sign-in paths: the link for a user who has not signed in,
//! incremental consent for a grant without the Ads scope, the one retry after a
//! Google 401, and refusing another person's email on a single-user server.

use crate::support::{
    USER, Via, call, call_ok, connect, is_error, server_env, sign_in_link, signed_in, text_of,
};
use rmcp::ClientHandler;
use rmcp::model::{
    CallToolRequestParams, ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult,
    ElicitationAction, ElicitationCapability, ErrorData, Implementation, ProtocolVersion,
    UrlElicitationCapability,
};
use rmcp::service::{RequestContext, RoleClient};
use serde_json::json;
use std::time::Duration;
use test_kit::{TestStack, follow, mcp};

async fn the_sign_in_link_works_and_then_the_same_call_succeeds(via: Via) {
    let stack = TestStack::start().await.unwrap();
    let client = connect(&stack, Some(USER), via).await;
    let first = call(&client, "list_accounts", json!({})).await;
    assert!(is_error(&first));
    let text = text_of(&first);
    assert!(text.contains("Sign-in required"), "{text}");
    let link = sign_in_link(&text, &stack.gateway_url).expect("a sign-in link");
    assert_eq!(follow(&link).await.unwrap(), 200);
    let again = call_ok(&client, "list_accounts", json!({})).await;
    assert!(text_of(&again).contains("Northwind Bakery"));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_user_who_has_not_signed_in_gets_a_link_that_works_over_stdio() {
    the_sign_in_link_works_and_then_the_same_call_succeeds(Via::Stdio).await;
}

#[tokio::test]
async fn a_user_who_has_not_signed_in_gets_a_link_that_works_over_http() {
    the_sign_in_link_works_and_then_the_same_call_succeeds(Via::Http).await;
}

#[tokio::test]
async fn a_single_user_server_refuses_another_persons_email() {
    let (stack, client) = signed_in(Via::Stdio).await;
    stack.sign_in("mallory@example.com").await.unwrap();
    let refused = call(
        &client,
        "list_accounts",
        json!({"user_email": "mallory@example.com"}),
    )
    .await;
    assert!(is_error(&refused));
    let text = text_of(&refused);
    assert!(text.contains(&format!("acts only for {USER}")), "{text}");
    // Its own user, in any case, is fine.
    call_ok(
        &client,
        "list_accounts",
        json!({"user_email": "ANA@example.com"}),
    )
    .await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_shared_server_needs_the_user_email_and_uses_it() {
    let stack = TestStack::start().await.unwrap();
    stack.sign_in("bo@example.com").await.unwrap();
    let client = connect(&stack, None, Via::Http).await;
    let missing = call(&client, "list_accounts", json!({})).await;
    assert!(is_error(&missing));
    assert!(text_of(&missing).contains("user_email is required"));
    call_ok(
        &client,
        "list_accounts",
        json!({"user_email": "bo@example.com"}),
    )
    .await;
    let other = call(&client, "list_accounts", json!({"user_email": USER})).await;
    assert!(
        text_of(&other).contains("Sign-in required"),
        "{}",
        text_of(&other)
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_google_401_is_retried_once_with_a_fresh_token() {
    let (stack, client) = signed_in(Via::Stdio).await;
    call_ok(&client, "list_accounts", json!({})).await; // the server now caches a token
    let before = stack.emulator.latest_access_token_for(USER).unwrap();
    let refreshes = stack.emulator.counters().refreshes;
    // A minute later Google stops accepting the token before its expiry: the server
    // asks the gateway to replace it, and only the refreshed token gets through.
    stack.clock.advance(chrono::Duration::minutes(1));
    stack.emulator.fail_next_api_requests(1, 401);
    let result = call_ok(
        &client,
        "get_campaign_performance",
        json!({"customer_id": "456-789-0123"}),
    )
    .await;
    assert!(text_of(&result).contains("Bakery Local Search"));
    assert_eq!(stack.emulator.counters().refreshes, refreshes + 1);
    assert_ne!(
        stack.emulator.latest_access_token_for(USER).unwrap(),
        before
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_grant_revoked_at_google_gets_the_sign_in_link_on_the_next_call() {
    let (stack, client) = signed_in(Via::Stdio).await;
    call_ok(&client, "list_accounts", json!({})).await; // the server now caches a token
    // A minute later the user removes the app's access in their Google account: the
    // access and refresh tokens are both dead, while the gateway's copy looks valid.
    stack.clock.advance(chrono::Duration::minutes(1));
    stack.emulator.revoke_all_for(USER);
    let result = call(&client, "list_accounts", json!({})).await;
    assert!(is_error(&result));
    let text = text_of(&result);
    let link = sign_in_link(&text, &stack.gateway_url).expect("a sign-in link");
    assert_eq!(follow(&link).await.unwrap(), 200);
    let again = call_ok(&client, "list_accounts", json!({})).await;
    assert!(text_of(&again).contains("Northwind Bakery"));
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_second_google_401_becomes_a_readable_error() {
    let (stack, client) = signed_in(Via::Http).await;
    stack.emulator.fail_next_api_requests(2, 401);
    let result = call(&client, "list_accounts", json!({})).await;
    assert!(is_error(&result));
    let text = text_of(&result);
    assert!(text.contains("HTTP 401"), "{text}");
    assert!(text.contains("Signing in again"), "{text}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_grant_without_the_ads_scope_asks_for_incremental_consent() {
    let stack = TestStack::start().await.unwrap();
    // The person unticks Google Ads on the consent screen.
    stack
        .emulator
        .grant_only_scopes(Some(vec!["openid".into(), "email".into()]));
    stack.sign_in(USER).await.unwrap();
    stack.emulator.grant_only_scopes(None);
    let client = connect(&stack, Some(USER), Via::Stdio).await;
    let first = call(&client, "list_accounts", json!({})).await;
    assert!(is_error(&first));
    let text = text_of(&first);
    assert!(
        text.contains("https://www.googleapis.com/auth/adwords"),
        "{text}"
    );
    let link = sign_in_link(&text, &stack.gateway_url).expect("a consent link");
    assert_eq!(follow(&link).await.unwrap(), 200);
    call_ok(&client, "list_accounts", json!({})).await;
    client.cancel().await.unwrap();
}

/// An MCP client whose person agrees to open sign-in links and never signs in.
#[derive(Clone)]
struct OpensLinksButNeverSignsIn;

impl ClientHandler for OpensLinksButNeverSignsIn {
    async fn create_elicitation(
        &self,
        _request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        Ok(ElicitResult::new(ElicitationAction::Accept))
    }

    fn get_info(&self) -> ClientConfig {
        let mut capabilities = ClientCapabilities::default();
        capabilities.elicitation =
            Some(ElicitationCapability::new().with_url(UrlElicitationCapability::new()));
        ClientConfig::new(capabilities, Implementation::new("never-signs-in", "1"))
            .with_protocol_version(ProtocolVersion::V_2025_11_25)
    }
}

#[tokio::test]
async fn an_accepted_sign_in_that_never_happens_ends_after_mcp_sign_in_wait_seconds() {
    let stack = TestStack::start().await.unwrap();
    let mut env = server_env(&stack, Some(USER));
    env.push(("MCP_SIGN_IN_WAIT_SECONDS".into(), "1".into()));
    let client = mcp::connect_stdio_with(
        OpensLinksButNeverSignsIn,
        env!("CARGO_BIN_EXE_google-ads-mcp"),
        &[],
        &env,
    )
    .await
    .unwrap();
    let call = client.call_tool(CallToolRequestParams::new("list_accounts"));
    // A bound, not a synchronisation: the default wait would be five minutes.
    let result = tokio::time::timeout(Duration::from_mins(1), call)
        .await
        .expect("the call ends after the configured wait")
        .unwrap();
    assert!(is_error(&result));
    let text = text_of(&result);
    assert!(sign_in_link(&text, &stack.gateway_url).is_some(), "{text}");
    client.cancel().await.unwrap();
}
