//! End-to-end tests of the Analytics Data (`runReport`) and Admin
//! (`accountSummaries`) emulation over a real socket.

// Helpers outside #[test] fns are not covered by clippy.toml's allow-unwrap-in-tests.
#![allow(clippy::unwrap_used)]

mod support;

use google_emulator::{Emulator, GaAccount, GaProperty, run_report, sample_analytics_accounts};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{ADWORDS, ALICE, ANALYTICS_EDIT, ANALYTICS_READONLY, get, post_json, sign_in};

const WEB: &str = "312345678";

async fn analytics_token(emu: &Emulator) -> String {
    sign_in(emu, ALICE, &format!("openid email {ANALYTICS_READONLY}")).await
}

fn report_url(emu: &Emulator, property: &str) -> String {
    format!("{}/v1beta/properties/{property}:runReport", emu.base_url())
}

async fn report(emu: &Emulator, token: &str, property: &str, body: &Value) -> (StatusCode, Value) {
    let (status, _, answer) = post_json(&report_url(emu, property), token, &[], body).await;
    (status, answer)
}

fn web_property() -> GaProperty {
    sample_analytics_accounts()[0].properties[0].clone()
}

fn values(body: &Value, column: usize) -> Vec<String> {
    body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["metricValues"][column]["value"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn account_summaries_list_accounts_with_their_properties() {
    let emu = Emulator::start().await.unwrap();
    let token = analytics_token(&emu).await;
    let url = format!("{}/v1beta/accountSummaries", emu.base_url());
    let (status, _, body) = get(&url, &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"accountSummaries": [
            {"name": "accountSummaries/201234567", "account": "accounts/201234567",
             "displayName": "Blue Harbor Coffee", "propertySummaries": [
                {"property": "properties/312345678", "displayName": "Blue Harbor Web",
                 "propertyType": "PROPERTY_TYPE_ORDINARY", "parent": "accounts/201234567"},
                {"property": "properties/312345679", "displayName": "Blue Harbor App",
                 "propertyType": "PROPERTY_TYPE_ORDINARY", "parent": "accounts/201234567"}]},
            {"name": "accountSummaries/209876543", "account": "accounts/209876543",
             "displayName": "Northwind Bakery", "propertySummaries": [
                {"property": "properties/398765432", "displayName": "Northwind Web",
                 "propertyType": "PROPERTY_TYPE_ORDINARY", "parent": "accounts/209876543"}]}
        ]})
    );
    assert_eq!(emu.counters().analytics_requests, 1);
}

#[tokio::test]
async fn account_summaries_page_by_50_up_to_200_with_next_page_token() {
    let emu = Emulator::start().await.unwrap();
    let many: Vec<GaAccount> = (0..250)
        .map(|i| GaAccount {
            id: format!("{}", 500_000 + i),
            display_name: format!("Account {i}"),
            properties: vec![],
        })
        .collect();
    emu.set_analytics_accounts(ALICE, many);
    let token = sign_in(&emu, ALICE, ANALYTICS_EDIT).await;
    let url = |query: &str| format!("{}/v1beta/accountSummaries?{query}", emu.base_url());
    let count = |body: &Value| body["accountSummaries"].as_array().map_or(0, Vec::len);

    let (_, _, first) = get(&url(""), &token).await;
    assert_eq!(count(&first), 50);
    assert!(
        first["accountSummaries"][0]
            .get("propertySummaries")
            .is_none()
    );
    let (_, _, big) = get(&url("pageSize=500"), &token).await;
    assert_eq!(count(&big), 200);
    let next = big["nextPageToken"].as_str().unwrap();
    let (_, _, rest) = get(&url(&format!("pageSize=500&pageToken={next}")), &token).await;
    assert_eq!(count(&rest), 50);
    assert_eq!(rest["accountSummaries"][0]["displayName"], "Account 200");
    assert!(rest.get("nextPageToken").is_none());

    let (status, _, body) = get(&url("pageToken=garbage"), &token).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["status"], "INVALID_ARGUMENT");
    assert_eq!(
        get(&url("pageSize=-1"), &token).await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn run_report_by_date_returns_typed_headers_string_values_and_metadata() {
    let emu = Emulator::start().await.unwrap();
    let token = analytics_token(&emu).await;
    let request = json!({
        "dimensions": [{"name": "date"}],
        "metrics": [{"name": "activeUsers"}, {"name": "bounceRate"}, {"name": "averageSessionDuration"}],
        "dateRanges": [{"startDate": "7daysAgo", "endDate": "yesterday"}]
    });
    let (status, body) = report(&emu, &token, WEB, &request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["dimensionHeaders"], json!([{"name": "date"}]));
    assert_eq!(
        body["metricHeaders"],
        json!([{"name": "activeUsers", "type": "TYPE_INTEGER"}, {"name": "bounceRate", "type": "TYPE_FLOAT"},
               {"name": "averageSessionDuration", "type": "TYPE_SECONDS"}])
    );
    assert_eq!(body["rowCount"], 7);
    assert_eq!(
        body["metadata"],
        json!({"currencyCode": "USD", "timeZone": "America/New_York"})
    );
    assert_eq!(body["kind"], "analyticsData#runReport");
    let rows = body["rows"].as_array().unwrap();
    let dates: Vec<&str> = rows
        .iter()
        .map(|r| r["dimensionValues"][0]["value"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] < w[1]));
    assert!(
        dates
            .iter()
            .all(|d| d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()))
    );
    for value in values(&body, 0) {
        assert!(value.parse::<u64>().is_ok(), "{value}");
    }
    for value in values(&body, 1) {
        let rate: f64 = value.parse().unwrap();
        assert!((0.0..=1.0).contains(&rate));
    }
    // The pure function computes exactly what the server answers.
    assert_eq!(run_report(&web_property(), &request).unwrap(), body);
}

#[tokio::test]
async fn limit_and_offset_page_rows_while_row_count_counts_them_all() {
    let emu = Emulator::start().await.unwrap();
    let token = analytics_token(&emu).await;
    let mut request = json!({
        "dimensions": [{"name": "country"}, {"name": "deviceCategory"}],
        "metrics": [{"name": "sessions"}],
        "dateRanges": [{"startDate": "2026-01-01", "endDate": "2026-01-31"}]
    });
    let (_, all) = report(&emu, &token, WEB, &request).await;
    assert_eq!(all["rowCount"], 18);
    request["limit"] = json!("4");
    request["offset"] = json!(3);
    let (status, page) = report(&emu, &token, WEB, &request).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["rowCount"], 18);
    assert_eq!(
        page["rows"].as_array().unwrap()[..],
        all["rows"].as_array().unwrap()[3..7]
    );
    assert_eq!(
        page["rows"][0]["dimensionValues"],
        json!([{"value": "United Kingdom"}, {"value": "desktop"}])
    );
    request["limit"] = json!("-1");
    assert_eq!(
        report(&emu, &token, WEB, &request).await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn metric_aggregations_add_totals_maximums_and_minimums() {
    let emu = Emulator::start().await.unwrap();
    let token = analytics_token(&emu).await;
    let request = json!({
        "dimensions": [{"name": "deviceCategory"}],
        "metrics": [{"name": "screenPageViews"}],
        "dateRanges": [{"startDate": "30daysAgo", "endDate": "yesterday"}],
        "metricAggregations": ["TOTAL", "MAXIMUM", "MINIMUM"],
        "limit": 1
    });
    let (status, body) = report(&emu, &token, WEB, &request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["rows"].as_array().unwrap().len(), 1);
    let (_, full) = report(
        &emu,
        &token,
        WEB,
        &json!({
            "dimensions": [{"name": "deviceCategory"}],
            "metrics": [{"name": "screenPageViews"}],
            "dateRanges": [{"startDate": "30daysAgo", "endDate": "yesterday"}]
        }),
    )
    .await;
    let views: Vec<u64> = values(&full, 0)
        .iter()
        .map(|v| v.parse().unwrap())
        .collect();
    let expect = |label: &str, value: u64| {
        json!([{"dimensionValues": [{"value": label}],
        "metricValues": [{"value": value.to_string()}]}])
    };
    assert_eq!(body["totals"], expect("RESERVED_TOTAL", views.iter().sum()));
    assert_eq!(
        body["maximums"],
        expect("RESERVED_MAX", *views.iter().max().unwrap())
    );
    assert_eq!(
        body["minimums"],
        expect("RESERVED_MIN", *views.iter().min().unwrap())
    );
}

#[tokio::test]
async fn order_bys_sort_by_metric_descending_and_filters_keep_matching_rows() {
    let emu = Emulator::start().await.unwrap();
    let token = analytics_token(&emu).await;
    let request = json!({
        "dimensions": [{"name": "pagePath"}],
        "metrics": [{"name": "screenPageViews"}],
        "dateRanges": [{"startDate": "28daysAgo", "endDate": "today"}],
        "orderBys": [{"metric": {"metricName": "screenPageViews"}, "desc": true}]
    });
    let (status, body) = report(&emu, &token, WEB, &request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let views: Vec<u64> = values(&body, 0)
        .iter()
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(views.len(), 8);
    assert!(views.windows(2).all(|w| w[0] >= w[1]), "{views:?}");

    let mut filtered = request.clone();
    filtered["dimensionFilter"] = json!({"filter": {"fieldName": "pagePath",
        "stringFilter": {"matchType": "BEGINS_WITH", "value": "/blog"}}});
    let (_, body) = report(&emu, &token, WEB, &filtered).await;
    let paths: Vec<&str> = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["dimensionValues"][0]["value"].as_str().unwrap())
        .collect();
    assert_eq!(paths.len(), 2);
    assert!(paths.iter().all(|p| p.starts_with("/blog")));
    assert_eq!(body["rowCount"], 2);
}

#[tokio::test]
async fn daily_counts_add_up_to_the_range_total() {
    let property = web_property();
    let range = json!([{"startDate": "2026-03-01", "endDate": "2026-03-10"}]);
    let daily = run_report(&property, &json!({"dimensions": [{"name": "date"}, {"name": "country"}],
        "metrics": [{"name": "activeUsers"}], "dateRanges": range,
        "dimensionFilter": {"filter": {"fieldName": "country", "inListFilter": {"values": ["Germany"]}}}})).unwrap();
    let total = run_report(
        &property,
        &json!({"dimensions": [{"name": "country"}],
        "metrics": [{"name": "activeUsers"}], "dateRanges": range}),
    )
    .unwrap();
    let sum: u64 = values(&daily, 0)
        .iter()
        .map(|v| v.parse::<u64>().unwrap())
        .sum();
    let germany = total["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dimensionValues"][0]["value"] == "Germany")
        .unwrap();
    assert_eq!(germany["metricValues"][0]["value"], sum.to_string());
    assert_eq!(daily["rowCount"], 10);
}

#[tokio::test]
async fn two_date_ranges_add_a_date_range_dimension() {
    let body = run_report(
        &web_property(),
        &json!({"metrics": [{"name": "sessions"}],
        "dateRanges": [{"startDate": "14daysAgo", "endDate": "8daysAgo", "name": "previous"},
                       {"startDate": "7daysAgo", "endDate": "yesterday"}]}),
    )
    .unwrap();
    assert_eq!(body["dimensionHeaders"], json!([{"name": "dateRange"}]));
    let labels: Vec<&Value> = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["dimensionValues"][0]["value"])
        .collect();
    assert_eq!(labels, [&json!("previous"), &json!("date_range_1")]);
}

#[tokio::test]
async fn a_future_range_gives_an_empty_report_without_rows_or_row_count() {
    let emu = Emulator::start().await.unwrap();
    let token = analytics_token(&emu).await;
    let request = json!({"dimensions": [{"name": "date"}], "metrics": [{"name": "sessions"}],
        "dateRanges": [{"startDate": "2999-01-01", "endDate": "2999-01-31"}], "metricAggregations": ["TOTAL"]});
    let (status, body) = report(&emu, &token, WEB, &request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({
            "dimensionHeaders": [{"name": "date"}],
            "metricHeaders": [{"name": "sessions", "type": "TYPE_INTEGER"}],
            "metadata": {"currencyCode": "USD", "timeZone": "America/New_York"},
            "kind": "analyticsData#runReport"
        })
    );
}

#[tokio::test]
async fn unknown_names_and_bad_dates_are_invalid_arguments() {
    let emu = Emulator::start().await.unwrap();
    let token = analytics_token(&emu).await;
    let range = json!([{"startDate": "7daysAgo", "endDate": "today"}]);
    let cases = [
        (
            json!({"metrics": [{"name": "pageviews"}], "dateRanges": range}),
            "Field pageviews is not a valid metric",
        ),
        (
            json!({"dimensions": [{"name": "source"}], "metrics": [{"name": "sessions"}], "dateRanges": range}),
            "Field source is not a valid dimension",
        ),
        (
            json!({"metrics": [{"name": "sessions"}], "dateRanges": [{"startDate": "2026-13-01", "endDate": "today"}]}),
            "Invalid startDate",
        ),
        (
            json!({"metrics": [{"name": "sessions"}], "dateRanges": [{"startDate": "today", "endDate": "yesterday"}]}),
            "is after endDate",
        ),
        (json!({"metrics": [{"name": "sessions"}]}), "date range"),
    ];
    for (request, message) in cases {
        let (status, body) = report(&emu, &token, WEB, &request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{request}");
        assert_eq!(body["error"]["code"], 400);
        assert_eq!(body["error"]["status"], "INVALID_ARGUMENT");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(message),
            "{body}"
        );
    }
}

#[tokio::test]
async fn a_property_the_account_cannot_see_is_permission_denied() {
    let emu = Emulator::start().await.unwrap();
    let mut accounts = sample_analytics_accounts();
    accounts.truncate(1);
    emu.set_analytics_accounts(ALICE, accounts);
    let token = analytics_token(&emu).await;
    let request = json!({"metrics": [{"name": "sessions"}], "dateRanges": [{"startDate": "yesterday", "endDate": "today"}]});
    for property in ["398765432", "1"] {
        let (status, body) = report(&emu, &token, property, &request).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body["error"]["status"], "PERMISSION_DENIED");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("sufficient permissions")
        );
    }
    assert_eq!(
        report(&emu, &token, "abc", &request).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(report(&emu, &token, WEB, &request).await.0, StatusCode::OK);
}

#[tokio::test]
async fn scopes_decide_which_analytics_api_a_token_may_call() {
    let emu = Emulator::start().await.unwrap();
    let request = json!({"metrics": [{"name": "sessions"}], "dateRanges": [{"startDate": "yesterday", "endDate": "today"}]});
    let summaries = format!("{}/v1beta/accountSummaries", emu.base_url());

    let ads_only = sign_in(&emu, ALICE, ADWORDS).await;
    let (status, body) = report(&emu, &ads_only, WEB, &request).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body["error"]["details"][0]["reason"],
        "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    );
    assert_eq!(
        body["error"]["details"][0]["metadata"]["service"],
        "analyticsdata.googleapis.com"
    );
    let (status, _, body) = get(&summaries, &ads_only).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body["error"]["details"][0]["reason"],
        "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    );

    let edit = sign_in(&emu, ALICE, ANALYTICS_EDIT).await;
    assert_eq!(get(&summaries, &edit).await.0, StatusCode::OK);
    assert_eq!(
        report(&emu, &edit, WEB, &request).await.0,
        StatusCode::FORBIDDEN
    );

    let (status, body) = report(&emu, "ya29.nope", WEB, &request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["status"], "UNAUTHENTICATED");
    let (status, _, _) = get(
        &format!("{}/v1alpha/accountSummaries", emu.base_url()),
        &edit,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn forced_failures_answer_resource_exhausted_then_recover() {
    let emu = Emulator::start().await.unwrap();
    let token = analytics_token(&emu).await;
    let request = json!({"metrics": [{"name": "sessions"}], "dateRanges": [{"startDate": "yesterday", "endDate": "today"}]});
    emu.fail_next_api_requests(1, 429);
    let (status, body) = report(&emu, &token, WEB, &request).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"]["status"], "RESOURCE_EXHAUSTED");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Exhausted property tokens")
    );
    assert_eq!(report(&emu, &token, WEB, &request).await.0, StatusCode::OK);
    let counters = emu.counters();
    assert_eq!(
        (counters.analytics_requests, counters.api_requests_failed),
        (2, 1)
    );
}

#[tokio::test]
async fn http_controls_set_analytics_accounts() {
    let emu = Emulator::start().await.unwrap();
    let control = format!("{}/__emulator/analytics-accounts", emu.base_url());
    let accounts = json!([{"id": "7", "display_name": "Tiny", "properties": [
        {"id": "8", "display_name": "Tiny Web", "time_zone": "UTC", "currency_code": "JPY"}]}]);
    let response = support::http()
        .post(&control)
        .json(&json!({"email": ALICE, "accounts": accounts}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let listed: Value = support::http()
        .get(&control)
        .query(&[("email", ALICE)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed, accounts);

    let token = analytics_token(&emu).await;
    let request = json!({"metrics": [{"name": "totalRevenue"}], "dateRanges": [{"startDate": "yesterday", "endDate": "today"}]});
    let (status, body) = report(&emu, &token, "8", &request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["metadata"]["currencyCode"], "JPY");
    assert_eq!(body["metricHeaders"][0]["type"], "TYPE_CURRENCY");
    assert_eq!(
        report(&emu, &token, WEB, &request).await.0,
        StatusCode::FORBIDDEN
    );
}
