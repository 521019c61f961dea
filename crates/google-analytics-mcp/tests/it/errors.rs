//! Failures come back as tool errors a person and a model can act on; input errors
//! are caught before any call to Google.

use crate::support::{ANALYST, Via, call_err, connect, server_env};
use google_analytics_mcp::config::ADMIN_URL_VAR;
use serde_json::json;
use test_kit::TestStack;
use test_kit::mcp::connect_stdio;

async fn google_refusals_are_readable_tool_errors(via: Via) {
    let stack = TestStack::start().await.unwrap();
    stack.sign_in(ANALYST).await.unwrap();
    let client = connect(&stack, via, None).await;

    let unknown_metric = json!({
        "property_id": "312345678", "start_date": "2025-06-01", "end_date": "2025-06-07",
        "metrics": ["sessions", "fooBar"], "user_email": ANALYST,
    });
    let text = call_err(&client, "run_report", unknown_metric).await;
    assert!(
        text.starts_with("Google Analytics Data API error (HTTP 400 INVALID_ARGUMENT)"),
        "{text}"
    );
    assert!(
        text.contains("Field fooBar is not a valid metric"),
        "{text}"
    );
    assert!(text.contains("case-sensitive GA4 API names"), "{text}");

    let forbidden = json!({
        "property_id": "properties/111111111", "start_date": "2025-06-01", "end_date": "2025-06-07",
        "user_email": ANALYST,
    });
    let text = call_err(&client, "get_page_views", forbidden).await;
    assert!(text.contains("HTTP 403 PERMISSION_DENIED"), "{text}");
    assert!(text.contains("cannot read properties/111111111"), "{text}");
    assert!(text.contains("list_properties"), "{text}");
}

#[tokio::test]
async fn over_stdio_an_unknown_metric_and_a_forbidden_property_are_readable_tool_errors() {
    google_refusals_are_readable_tool_errors(Via::Stdio).await;
}

#[tokio::test]
async fn over_http_an_unknown_metric_and_a_forbidden_property_are_readable_tool_errors() {
    google_refusals_are_readable_tool_errors(Via::Http).await;
}

#[tokio::test]
async fn invalid_input_is_refused_without_calling_google_or_the_gateway() {
    let stack = TestStack::start().await.unwrap();
    // Not even signed in: input is checked before anything else is asked.
    let client = connect(&stack, Via::Http, None).await;
    let cases = [
        (
            "get_active_users",
            json!({"start_date": "2025-02-30", "end_date": "2025-03-01"}),
            "`2025-02-30` is not a real calendar date",
        ),
        (
            "get_active_users",
            json!({"start_date": "last week", "end_date": "today"}),
            "use YYYY-MM-DD",
        ),
        (
            "get_traffic_sources",
            json!({"start_date": "2025-06-08", "end_date": "2025-06-01"}),
            "the start date 2025-06-08 is after the end date 2025-06-01",
        ),
        (
            "get_page_views",
            json!({"start_date": "today", "end_date": "today", "property_id": "G-ABC123"}),
            "measurement id",
        ),
        (
            "run_report",
            json!({"start_date": "today", "end_date": "today", "metrics": ["page views"]}),
            "`page views` is not a GA4 API name",
        ),
        (
            "run_report",
            json!({"start_date": "today", "end_date": "today", "metrics": ["sessions"], "limit": 250_001}),
            "limit must be between 1 and 250000",
        ),
        (
            "run_report",
            json!({"start_date": "today", "end_date": "today", "metrics": []}),
            "at least one metric",
        ),
    ];
    for (tool, mut arguments, expected) in cases {
        let object = arguments.as_object_mut().unwrap();
        object.entry("property_id").or_insert(json!("312345678"));
        object.insert("user_email".into(), json!(ANALYST));
        let text = call_err(&client, tool, arguments).await;
        assert!(text.contains(expected), "{tool}: {text}");
    }
    assert_eq!(stack.emulator.counters().analytics_requests, 0);
    assert!(
        !stack
            .auth_client()
            .is_authenticated("google", ANALYST)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn an_api_url_nobody_listens_on_is_explained_as_a_setting_to_check_not_as_temporary() {
    let stack = TestStack::start().await.unwrap();
    stack.sign_in(ANALYST).await.unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut env = server_env(&stack, Some(ANALYST));
    env.retain(|(name, _)| name != ADMIN_URL_VAR);
    env.push((ADMIN_URL_VAR.to_owned(), format!("http://{closed}")));
    let client = connect_stdio(env!("CARGO_BIN_EXE_google-analytics-mcp"), &[], &env)
        .await
        .unwrap();
    let text = call_err(&client, "list_properties", json!({})).await;
    assert!(
        text.contains(&format!(
            "The Google Analytics Admin API could not be reached: {closed} refused the connection"
        )),
        "{text}"
    );
    assert!(text.contains(ADMIN_URL_VAR), "{text}");
    assert!(!text.contains("usually temporary"), "{text}");
}

#[tokio::test]
async fn missing_and_mistyped_arguments_are_named_with_what_they_expect() {
    let stack = TestStack::start().await.unwrap();
    let client = connect(&stack, Via::Http, Some(ANALYST)).await;
    let arguments = json!({
        "property_id": "312345678", "start_date": "today", "end_date": "today", "limit": "ten",
    });
    let text = call_err(&client, "run_report", arguments).await;
    assert!(
        text.starts_with("run_report was not run; correct its arguments"),
        "{text}"
    );
    assert!(
        text.contains("- `metrics` is required: a list of strings. One to 10 GA4 metric API names"),
        "{text}"
    );
    assert!(
        text.contains("- `limit` must be a whole number: a whole number from 1 to 250000"),
        "{text}"
    );
    assert!(!text.contains("failed to deserialize"), "{text}");
}
