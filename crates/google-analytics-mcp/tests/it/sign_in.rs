//! Not signed in (or signed in without the Analytics scope): the tool answers with the
//! gateway's link; once it is followed, the same call works.

use crate::support::{Via, call_err, call_ok, connect};
use google_analytics_mcp::config::ANALYTICS_READONLY_SCOPE;
use serde_json::json;
use test_kit::mcp::sign_in_link;
use test_kit::{TestStack, follow};

async fn the_sign_in_link_path_ends_in_data(via: Via) {
    let stack = TestStack::start().await.unwrap();
    let client = connect(&stack, via, None).await;
    let user = "newcomer@example.com";
    let arguments = json!({"property_id": "398765432", "start_date": "2025-06-01", "end_date": "2025-06-02", "user_email": user});
    let text = call_err(&client, "get_traffic_sources", arguments.clone()).await;
    assert!(text.contains("Sign-in required"), "{text}");
    let link =
        sign_in_link(&text, &stack.gateway_url).unwrap_or_else(|| panic!("no link in {text}"));
    assert_eq!(stack.emulator.counters().analytics_requests, 0);

    assert_eq!(follow(&link).await.unwrap(), 200);
    let result = call_ok(&client, "get_traffic_sources", arguments).await;
    assert_eq!(
        result.structured_content.unwrap()["property"],
        "properties/398765432"
    );
}

#[tokio::test]
async fn over_stdio_a_user_who_has_not_signed_in_gets_a_link_and_then_data() {
    the_sign_in_link_path_ends_in_data(Via::Stdio).await;
}

#[tokio::test]
async fn over_http_a_user_who_has_not_signed_in_gets_a_link_and_then_data() {
    the_sign_in_link_path_ends_in_data(Via::Http).await;
}

#[tokio::test]
async fn a_grant_without_the_analytics_scope_asks_for_it_and_then_works() {
    let stack = TestStack::start().await.unwrap();
    let user = "narrow@example.com";
    // The person unticks Analytics on Google's consent screen.
    stack
        .emulator
        .grant_only_scopes(Some(vec!["openid".into(), "email".into()]));
    let link = stack
        .auth_client()
        .init("google", user, &[])
        .await
        .unwrap()
        .auth_url;
    assert_eq!(follow(&link).await.unwrap(), 200);
    stack.emulator.grant_only_scopes(None);

    let client = connect(&stack, Via::Http, None).await;
    let arguments = json!({"user_email": user});
    let text = call_err(&client, "list_properties", arguments.clone()).await;
    assert!(text.contains("more access"), "{text}");
    assert!(text.contains(ANALYTICS_READONLY_SCOPE), "{text}");
    let link = sign_in_link(&text, &stack.gateway_url).unwrap();
    assert_eq!(follow(&link).await.unwrap(), 200);
    call_ok(&client, "list_properties", arguments).await;
}
