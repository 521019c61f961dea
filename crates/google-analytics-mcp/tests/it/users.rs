//! `MCP_USER_EMAIL`: a server for one person never uses another person's Google
//! account; a shared server needs `user_email` on every call.

use crate::support::{ANALYST, Via, call_err, call_ok, connect};
use serde_json::json;
use test_kit::TestStack;

#[tokio::test]
async fn a_single_user_server_refuses_another_users_email_and_acts_for_its_user() {
    let stack = TestStack::start().await.unwrap();
    stack.sign_in(ANALYST).await.unwrap();
    stack.sign_in("mallory@example.com").await.unwrap();
    let client = connect(&stack, Via::Stdio, Some(ANALYST)).await;
    let info = client.peer_info().unwrap();
    assert!(
        info.instructions
            .as_deref()
            .unwrap()
            .contains(&format!("acts only for {ANALYST}"))
    );

    let text = call_err(
        &client,
        "list_properties",
        json!({"user_email": "mallory@example.com"}),
    )
    .await;
    assert!(text.contains(&format!("acts only for {ANALYST}")), "{text}");
    assert_eq!(stack.emulator.counters().analytics_requests, 0);

    call_ok(&client, "list_properties", json!({})).await;
    call_ok(
        &client,
        "list_properties",
        json!({"user_email": ANALYST.to_uppercase()}),
    )
    .await;
}

#[tokio::test]
async fn a_shared_server_needs_user_email() {
    let stack = TestStack::start().await.unwrap();
    let client = connect(&stack, Via::Http, None).await;
    let arguments = json!({"property_id": "312345678", "start_date": "today", "end_date": "today"});
    let text = call_err(&client, "get_active_users", arguments).await;
    assert!(text.contains("user_email is required"), "{text}");
}
