//! Google's errors and bad arguments come back as readable tool errors.

use crate::support::{USER, Via, call, call_ok, connect, is_error, server_env, signed_in, text_of};
use serde_json::json;
use test_kit::{TestStack, mcp};

#[tokio::test]
async fn a_gaql_error_names_the_code_the_field_and_the_location() {
    let (_stack, client) = signed_in(Via::Http).await;
    let result = call(
        &client,
        "execute_gaql_query",
        json!({"customer_id": "4567890123", "query": "SELECT campaign.nme FROM campaign"}),
    )
    .await;
    assert!(is_error(&result));
    let text = text_of(&result);
    assert!(
        text.starts_with("Google Ads API error (HTTP 400 INVALID_ARGUMENT)"),
        "{text}"
    );
    assert!(text.contains("queryError.UNRECOGNIZED_FIELD"), "{text}");
    assert!(text.contains("campaign.nme"), "{text}");
    assert!(text.contains("(at query)"), "{text}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn an_account_the_user_cannot_access_is_a_readable_permission_error() {
    let (_stack, client) = signed_in(Via::Stdio).await;
    let result = call(
        &client,
        "get_campaign_performance",
        json!({"customer_id": "999-999-9999"}),
    )
    .await;
    assert!(is_error(&result));
    let text = text_of(&result);
    assert!(text.contains("HTTP 403 PERMISSION_DENIED"), "{text}");
    assert!(
        text.contains("authorizationError.USER_PERMISSION_DENIED"),
        "{text}"
    );
    assert!(
        text.contains("999-999-9999 is not among the Google Ads accounts"),
        "{text}"
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn bad_ids_date_ranges_intents_and_queries_are_explained_without_calling_google() {
    let (stack, client) = signed_in(Via::Http).await;
    let before = stack.emulator.counters().ads_requests;
    let cases = [
        (
            "get_ad_performance",
            json!({"customer_id": "12345"}),
            "not a Google Ads customer ID",
        ),
        (
            "get_campaign_performance",
            json!({"customer_id": "4567890123", "date_range": "LAST_30_DAYS AND campaign.id = 1"}),
            "is not supported; use one of: TODAY",
        ),
        (
            "analytics_router",
            json!({"customer_id": "4567890123", "intent": "keywords"}),
            "use one of: campaigns, ads, creatives, images",
        ),
        (
            "execute_gaql_query",
            json!({"customer_id": "4567890123", "query": "DELETE FROM campaign"}),
            "must be a GAQL SELECT query",
        ),
    ];
    for (tool, arguments, expected) in cases {
        let result = call(&client, tool, arguments).await;
        assert!(is_error(&result), "{tool}");
        assert!(
            text_of(&result).contains(expected),
            "{tool}: {}",
            text_of(&result)
        );
    }
    assert_eq!(stack.emulator.counters().ads_requests, before);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn quota_errors_say_to_wait() {
    let (stack, client) = signed_in(Via::Http).await;
    call_ok(&client, "list_accounts", json!({})).await; // accounts cached
    stack.emulator.fail_next_api_requests(1, 429);
    let result = call(
        &client,
        "get_ad_performance",
        json!({"customer_id": "4567890123"}),
    )
    .await;
    assert!(is_error(&result));
    let text = text_of(&result);
    assert!(text.contains("RESOURCE_EXHAUSTED"), "{text}");
    assert!(text.contains("Wait a minute"), "{text}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn results_follow_next_page_token_across_pages() {
    let (stack, client) = signed_in(Via::Http).await;
    stack.emulator.set_ads_page_size(1);
    let result = call_ok(
        &client,
        "execute_gaql_query",
        json!({"customer_id": "2345678901", "query": "SELECT ad_group_ad.ad.id FROM ad_group_ad"}),
    )
    .await;
    let data = result.structured_content.unwrap();
    assert_eq!(data["row_count"], 3);
    assert_eq!(data["truncated"], false);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_sunset_api_version_is_explained() {
    let (stack, _client) = signed_in(Via::Http).await;
    let mut env = server_env(&stack, Some(USER));
    env.push(("GOOGLE_ADS_API_VERSION".into(), "v21".into()));
    let client = mcp::connect_stdio(env!("CARGO_BIN_EXE_google-ads-mcp"), &[], &env)
        .await
        .unwrap();
    let result = call(&client, "list_accounts", json!({})).await;
    assert!(is_error(&result));
    let text = text_of(&result);
    assert!(text.contains("HTTP 404"), "{text}");
    assert!(text.contains("sunset"), "{text}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn an_api_url_nobody_listens_on_is_explained_as_a_setting_to_check_not_as_temporary() {
    let stack = TestStack::start().await.unwrap();
    stack.sign_in(USER).await.unwrap();
    let closed = closed_address();
    let mut env = server_env(&stack, Some(USER));
    env.retain(|(name, _)| name != "GOOGLE_ADS_API_URL");
    env.push(("GOOGLE_ADS_API_URL".into(), format!("http://{closed}")));
    let client = mcp::connect_stdio(env!("CARGO_BIN_EXE_google-ads-mcp"), &[], &env)
        .await
        .unwrap();
    let result = call(&client, "list_accounts", json!({})).await;
    assert!(is_error(&result));
    let text = text_of(&result);
    assert!(
        text.contains(&format!(
            "The Google Ads API could not be reached: {closed} refused the connection"
        )),
        "{text}"
    );
    assert!(text.contains("GOOGLE_ADS_API_URL"), "{text}");
    assert!(!text.contains("usually temporary"), "{text}");
    client.cancel().await.unwrap();
}

/// A local address nothing listens on: bound on port 0, then released.
fn closed_address() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

#[tokio::test]
async fn a_missing_argument_is_named_with_what_it_expects_instead_of_serdes_text() {
    let stack = TestStack::start().await.unwrap();
    let client = connect(&stack, Some(USER), Via::Stdio).await;
    let result = call(
        &client,
        "execute_gaql_query",
        json!({"customer_id": "4567890123"}),
    )
    .await;
    assert!(is_error(&result));
    let text = text_of(&result);
    assert!(
        text.starts_with("execute_gaql_query was not run; correct its arguments"),
        "{text}"
    );
    assert!(
        text.contains("- `query` is required: a string. A GAQL SELECT query"),
        "{text}"
    );
    assert!(!text.contains("missing field"), "{text}");
    client.cancel().await.unwrap();
}
