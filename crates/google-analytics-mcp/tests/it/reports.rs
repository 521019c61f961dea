//! The four report tools for a signed-in user, over stdio and HTTP, checked against
//! the report the emulator computes for the same request.

use crate::support::{ANALYST, Via, assert_same_report, call_ok, connect, emulator_report};
use serde_json::{Value, json};
use test_kit::TestStack;
use test_kit::mcp::text_of;

const WEB: &str = "312345678";
const START: &str = "2025-06-01";
const END: &str = "2025-06-14";

fn request(dimensions: &[&str], metrics: &[&str], limit: u32, order_bys: &Value) -> Value {
    let named = |names: &[&str]| {
        names
            .iter()
            .map(|name| json!({"name": name}))
            .collect::<Vec<_>>()
    };
    let mut body = json!({
        "dateRanges": [{"startDate": START, "endDate": END}],
        "dimensions": named(dimensions),
        "metrics": named(metrics),
        "limit": limit.to_string(),
        "metricAggregations": ["TOTAL"],
        "orderBys": order_bys.clone(),
    });
    if dimensions.is_empty() {
        body.as_object_mut().unwrap().remove("dimensions");
    }
    body
}

async fn the_report_tools_answer_with_the_emulators_numbers(via: Via) {
    let stack = TestStack::start().await.unwrap();
    stack.sign_in(ANALYST).await.unwrap();
    let client = connect(&stack, via, None).await;
    let scope =
        json!({"property_id": WEB, "start_date": START, "end_date": END, "user_email": ANALYST});

    let pages = call_ok(&client, "get_page_views", scope.clone()).await;
    let expected = emulator_report(
        WEB,
        &request(
            &["pagePath"],
            &["screenPageViews", "activeUsers"],
            10_000,
            &json!([{"metric": {"metricName": "screenPageViews"}, "desc": true}]),
        ),
    );
    assert_same_report(pages.structured_content.as_ref().unwrap(), &expected);
    let text = text_of(&pages);
    assert!(
        text.starts_with(&format!(
            "Page views for properties/{WEB}, {START} to {END} (dates in America/New_York):"
        )),
        "{text}"
    );
    let top_page = expected["rows"][0]["dimensionValues"][0]["value"]
        .as_str()
        .unwrap();
    assert!(text.contains(top_page), "{text}");
    assert!(text.contains("Showing 8 of 8 rows."), "{text}");
    assert!(
        text.contains("Totals over all 8 rows: screenPageViews "),
        "{text}"
    );

    let users = call_ok(&client, "get_active_users", scope.clone()).await;
    let expected = emulator_report(
        WEB,
        &request(
            &["date"],
            &["activeUsers", "newUsers"],
            10_000,
            &json!([{"dimension": {"dimensionName": "date"}, "desc": false}]),
        ),
    );
    assert_same_report(users.structured_content.as_ref().unwrap(), &expected);
    assert_eq!(
        users.structured_content.as_ref().unwrap()["rows"][0]["date"],
        "20250601"
    );
    assert!(
        text_of(&users).contains("2025-06-14 |"),
        "{}",
        text_of(&users)
    );

    let sources = call_ok(&client, "get_traffic_sources", scope.clone()).await;
    let expected = emulator_report(
        WEB,
        &request(
            &["sessionSource", "sessionMedium"],
            &["sessions", "activeUsers"],
            10_000,
            &json!([{"metric": {"metricName": "sessions"}, "desc": true}]),
        ),
    );
    assert_same_report(sources.structured_content.as_ref().unwrap(), &expected);
    assert!(text_of(&sources).contains("sessionSource | sessionMedium | sessions | activeUsers"));

    let mut custom = scope.clone();
    custom["metrics"] = json!(["sessions", "bounceRate", "totalRevenue"]);
    custom["dimensions"] = json!(["country"]);
    custom["limit"] = json!(4);
    let report = call_ok(&client, "run_report", custom).await;
    let expected = emulator_report(
        WEB,
        &request(
            &["country"],
            &["sessions", "bounceRate", "totalRevenue"],
            4,
            &json!([]),
        ),
    );
    assert_same_report(report.structured_content.as_ref().unwrap(), &expected);
    let text = text_of(&report);
    assert!(
        text.contains("Showing 4 of 6 rows. 2 more rows exist beyond the limit of 4"),
        "{text}"
    );
    assert!(
        text.contains(" USD"),
        "currency values carry the property's currency: {text}"
    );
}

#[tokio::test]
async fn over_stdio_the_report_tools_answer_with_the_emulators_numbers() {
    the_report_tools_answer_with_the_emulators_numbers(Via::Stdio).await;
}

#[tokio::test]
async fn over_http_the_report_tools_answer_with_the_emulators_numbers() {
    the_report_tools_answer_with_the_emulators_numbers(Via::Http).await;
}

#[tokio::test]
async fn a_report_without_dimensions_gives_totals_and_relative_dates_pass_through() {
    let stack = TestStack::start().await.unwrap();
    stack.sign_in(ANALYST).await.unwrap();
    let client = connect(&stack, Via::Http, None).await;
    let arguments = json!({
        "property_id": format!("properties/{WEB}"), "start_date": "7daysAgo", "end_date": "Yesterday",
        "metrics": ["activeUsers"], "user_email": ANALYST,
    });
    let result = call_ok(&client, "run_report", arguments).await;
    let structured = result.structured_content.unwrap();
    assert_eq!(
        structured["dateRange"],
        json!({"startDate": "7daysAgo", "endDate": "yesterday"})
    );
    assert_eq!(structured["rows"].as_array().unwrap().len(), 1);
    assert_eq!(
        structured["rows"][0]["activeUsers"],
        structured["totals"]["activeUsers"]
    );
}

#[tokio::test]
async fn a_google_401_is_retried_once_with_a_fresh_token() {
    let stack = TestStack::start().await.unwrap();
    stack.sign_in(ANALYST).await.unwrap();
    let client = connect(&stack, Via::Http, None).await;
    let before = stack.emulator.counters().analytics_requests;
    stack.emulator.fail_next_api_requests(1, 401);
    let arguments =
        json!({"property_id": WEB, "start_date": START, "end_date": END, "user_email": ANALYST});
    call_ok(&client, "get_active_users", arguments).await;
    assert_eq!(stack.emulator.counters().analytics_requests, before + 2);
}
