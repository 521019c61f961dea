//! End-to-end tests of the Google Ads REST emulation over a real socket,
//! with tokens from the emulator's own OAuth flow.

// Helpers outside #[test] fns are not covered by clippy.toml's allow-unwrap-in-tests.
#![allow(clippy::unwrap_used)]

mod support;

use google_emulator::{
    AdsCampaign, AdsCustomer, AdsMetrics, Emulator, sample_ads_customers, sample_ids,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{ADWORDS, ALICE, get, http, post_json, sign_in};

const MANAGER: &str = sample_ids::MANAGER;
const HARBOR: &str = sample_ids::BLUE_HARBOR;
const RIDGE: &str = sample_ids::BLUE_RIDGE;
const NORTHWIND: &str = sample_ids::NORTHWIND;

async fn ads_token(emu: &Emulator) -> String {
    sign_in(emu, ALICE, &format!("openid email {ADWORDS}")).await
}

fn search_url(emu: &Emulator, version: &str, customer: &str, stream: bool) -> String {
    let method = if stream { "searchStream" } else { "search" };
    format!(
        "{}/{version}/customers/{customer}/googleAds:{method}",
        emu.base_url()
    )
}

/// `googleAds:search` on v26 with an optional `login-customer-id`.
async fn search(
    emu: &Emulator,
    token: &str,
    customer: &str,
    login: Option<&str>,
    body: Value,
) -> (StatusCode, Option<String>, Value) {
    let headers: Vec<(&str, &str)> = login
        .map(|l| ("login-customer-id", l))
        .into_iter()
        .collect();
    post_json(
        &search_url(emu, "v26", customer, false),
        token,
        &headers,
        &body,
    )
    .await
}

/// The single `GoogleAdsFailure` error of an error body, checked for shape.
fn ads_failure(body: &Value, request_id: Option<&String>, version: &str) -> Value {
    let detail = &body["error"]["details"][0];
    assert_eq!(
        detail["@type"],
        format!("type.googleapis.com/google.ads.googleads.{version}.errors.GoogleAdsFailure")
    );
    assert_eq!(detail["requestId"].as_str(), request_id.map(String::as_str));
    assert_eq!(detail["errors"].as_array().unwrap().len(), 1);
    detail["errors"][0].clone()
}

fn query_error(result: &(StatusCode, Option<String>, Value)) -> Value {
    assert_eq!(result.0, StatusCode::BAD_REQUEST, "{}", result.2);
    assert_eq!(result.2["error"]["status"], "INVALID_ARGUMENT");
    let error = ads_failure(&result.2, result.1.as_ref(), "v26");
    assert_eq!(
        error["location"],
        json!({"fieldPathElements": [{"fieldName": "query"}]})
    );
    error
}

#[tokio::test]
async fn list_accessible_customers_returns_direct_customers_with_a_request_id() {
    let emu = Emulator::start().await.unwrap();
    let token = ads_token(&emu).await;
    let url = format!("{}/v26/customers:listAccessibleCustomers", emu.base_url());
    let (status, request_id, body) = get(&url, &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"resourceNames": [format!("customers/{MANAGER}"), format!("customers/{NORTHWIND}")]})
    );
    assert_eq!(request_id.unwrap().len(), 22);
    assert_eq!(emu.counters().ads_requests, 1);
}

#[tokio::test]
async fn sunset_versions_answer_404_unsupported_and_userinfo_still_routes() {
    let emu = Emulator::start().await.unwrap();
    let token = ads_token(&emu).await;
    let list = |v: &str| format!("{}/{v}/customers:listAccessibleCustomers", emu.base_url());
    for version in ["v19", "v22", "v18", "v1"] {
        let (status, request_id, body) = get(&list(version), &token).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{version}");
        assert!(request_id.is_some());
        assert_eq!(body["error"]["status"], "NOT_FOUND");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("unsupported"),
            "{body}"
        );
    }
    for version in ["v23", "v24", "v25", "v26", "v27"] {
        assert_eq!(
            get(&list(version), &token).await.0,
            StatusCode::OK,
            "{version}"
        );
    }
    assert_eq!(get(&list("v1beta"), &token).await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&list("vx"), &token).await.0, StatusCode::NOT_FOUND);

    emu.set_sunset_ads_versions(&[23]);
    assert_eq!(get(&list("v23"), &token).await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&list("v20"), &token).await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&list("v24"), &token).await.0, StatusCode::OK);
    let search = search_url(&emu, "v23", NORTHWIND, false);
    let body = json!({"query": "SELECT customer.id FROM customer"});
    assert_eq!(
        post_json(&search, &token, &[], &body).await.0,
        StatusCode::NOT_FOUND
    );

    // The OAuth userinfo route shares the `/v1/…` shape and keeps working.
    let (status, _, userinfo) = get(&emu.userinfo_url(), &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(userinfo["email"], ALICE);
}

#[tokio::test]
async fn a_garbage_or_missing_token_gets_googles_plain_unauthenticated() {
    let emu = Emulator::start().await.unwrap();
    let url = format!("{}/v26/customers:listAccessibleCustomers", emu.base_url());
    let (status, _, body) = get(&url, "ya29.garbage").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], 401);
    assert_eq!(body["error"]["status"], "UNAUTHENTICATED");
    assert!(body["error"].get("details").is_none(), "{body}");

    let response = http().get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().contains_key("www-authenticate"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["details"][0]["reason"], "CREDENTIALS_MISSING");
}

#[tokio::test]
async fn an_expired_token_gets_oauth_token_expired_and_a_revoked_one_plain_401() {
    let emu = Emulator::start().await.unwrap();
    emu.set_access_token_lifetime(0);
    let expired = ads_token(&emu).await;
    let (status, request_id, body) = search(
        &emu,
        &expired,
        NORTHWIND,
        None,
        json!({"query": "SELECT customer.id FROM customer"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["status"], "UNAUTHENTICATED");
    let error = ads_failure(&body, request_id.as_ref(), "v26");
    assert_eq!(
        error["errorCode"],
        json!({"authenticationError": "OAUTH_TOKEN_EXPIRED"})
    );

    emu.set_access_token_lifetime(3599);
    let live = ads_token(&emu).await;
    emu.revoke_all_for(ALICE);
    let (status, _, body) = search(
        &emu,
        &live,
        NORTHWIND,
        None,
        json!({"query": "SELECT customer.id FROM customer"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["error"].get("details").is_none());
}

#[tokio::test]
async fn a_token_without_the_adwords_scope_is_refused_as_scope_insufficient() {
    let emu = Emulator::start().await.unwrap();
    let token = sign_in(&emu, ALICE, "openid email").await;
    let url = format!("{}/v26/customers:listAccessibleCustomers", emu.base_url());
    let (status, _, body) = get(&url, &token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["status"], "PERMISSION_DENIED");
    assert_eq!(
        body["error"]["message"],
        "Request had insufficient authentication scopes."
    );
    let info = &body["error"]["details"][0];
    assert_eq!(info["@type"], "type.googleapis.com/google.rpc.ErrorInfo");
    assert_eq!(info["reason"], "ACCESS_TOKEN_SCOPE_INSUFFICIENT");
    assert_eq!(info["metadata"]["service"], "googleads.googleapis.com");
}

#[tokio::test]
async fn campaign_rows_use_camel_case_int64_strings_and_omit_zero_values() {
    let emu = Emulator::start().await.unwrap();
    let token = ads_token(&emu).await;
    let query = "SELECT campaign.id, campaign.name, campaign.status, campaign.advertising_channel_type, \
                 metrics.impressions, metrics.clicks, metrics.cost_micros, metrics.conversions, metrics.ctr, \
                 metrics.average_cpc FROM campaign ORDER BY campaign.id";
    let (status, request_id, body) =
        search(&emu, &token, NORTHWIND, None, json!({"query": query})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(request_id.is_some());
    assert_eq!(
        body["results"],
        json!([
            {
                "campaign": {
                    "resourceName": "customers/4567890123/campaigns/23000000001",
                    "id": "23000000001",
                    "name": "Bakery Local Search",
                    "status": "ENABLED",
                    "advertisingChannelType": "SEARCH"
                },
                "metrics": {
                    "impressions": "21000",
                    "clicks": "600",
                    "costMicros": "4500000",
                    "conversions": 18.0,
                    "ctr": 600.0 / 21_000.0,
                    "averageCpc": 7500.0
                }
            },
            {
                "campaign": {
                    "resourceName": "customers/4567890123/campaigns/23000000002",
                    "id": "23000000002",
                    "name": "Holiday Video",
                    "status": "REMOVED",
                    "advertisingChannelType": "VIDEO"
                }
            }
        ])
    );
    assert_eq!(
        body["fieldMask"],
        "campaign.id,campaign.name,campaign.status,campaign.advertisingChannelType,metrics.impressions,\
         metrics.clicks,metrics.costMicros,metrics.conversions,metrics.ctr,metrics.averageCpc"
    );
    assert!(body.get("nextPageToken").is_none());
    assert!(body.get("totalResultsCount").is_none());
}

#[tokio::test]
async fn customer_fields_come_from_the_customer_resource() {
    let emu = Emulator::start().await.unwrap();
    let token = ads_token(&emu).await;
    let query = "SELECT customer.id, customer.descriptive_name, customer.currency_code, \
                 customer.time_zone, customer.manager FROM customer";
    let (status, _, body) = search(&emu, &token, NORTHWIND, None, json!({"query": query})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["results"],
        json!([{"customer": {
            "resourceName": "customers/4567890123",
            "id": "4567890123",
            "descriptiveName": "Northwind Bakery",
            "currencyCode": "GBP",
            "timeZone": "Europe/London"
        }}])
    );
    let (_, _, body) = search(&emu, &token, MANAGER, None, json!({"query": query})).await;
    assert_eq!(body["results"][0]["customer"]["manager"], true);
    assert_eq!(
        body["results"][0]["customer"]["descriptiveName"],
        "Acme Agency MCC"
    );
}

#[tokio::test]
async fn a_client_customer_needs_its_manager_as_login_customer_id() {
    let emu = Emulator::start().await.unwrap();
    let token = ads_token(&emu).await;
    let body = json!({"query": "SELECT customer.descriptive_name FROM customer"});
    for login in [None, Some(NORTHWIND), Some("9999999999")] {
        let (status, request_id, answer) = search(&emu, &token, HARBOR, login, body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login:?}");
        assert_eq!(answer["error"]["status"], "PERMISSION_DENIED");
        let error = ads_failure(&answer, request_id.as_ref(), "v26");
        assert_eq!(
            error["errorCode"],
            json!({"authorizationError": "USER_PERMISSION_DENIED"})
        );
    }
    let (status, request_id, answer) =
        search(&emu, &token, HARBOR, Some("123-456-7890"), body.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let error = ads_failure(&answer, request_id.as_ref(), "v26");
    assert_eq!(
        error["errorCode"],
        json!({"headerError": "INVALID_LOGIN_CUSTOMER_ID"})
    );

    for client in [HARBOR, RIDGE] {
        let (status, _, answer) = search(&emu, &token, client, Some(MANAGER), body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    let (_, _, answer) = search(&emu, &token, HARBOR, Some(MANAGER), body.clone()).await;
    assert_eq!(
        answer["results"][0]["customer"]["descriptiveName"],
        "Blue Harbor Coffee"
    );
    // Direct customers work with or without naming themselves as login customer.
    assert_eq!(
        search(&emu, &token, NORTHWIND, Some(NORTHWIND), body.clone())
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        search(&emu, &token, MANAGER, None, body.clone()).await.0,
        StatusCode::OK
    );
    // A direct customer is not reachable through an unrelated manager.
    assert_eq!(
        search(&emu, &token, NORTHWIND, Some(MANAGER), body).await.0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn customer_client_lists_the_manager_hierarchy() {
    let emu = Emulator::start().await.unwrap();
    let token = ads_token(&emu).await;
    let query = "SELECT customer_client.client_customer, customer_client.id, customer_client.descriptive_name, \
                 customer_client.manager, customer_client.level FROM customer_client";
    let (status, _, body) = search(&emu, &token, MANAGER, None, json!({"query": query})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["results"],
        json!([
            {"customerClient": {"resourceName": "customers/1234567890/customerClients/1234567890",
                "clientCustomer": "customers/1234567890", "id": "1234567890",
                "descriptiveName": "Acme Agency MCC", "manager": true}},
            {"customerClient": {"resourceName": "customers/1234567890/customerClients/2345678901",
                "clientCustomer": "customers/2345678901", "id": "2345678901",
                "descriptiveName": "Blue Harbor Coffee", "level": "1"}},
            {"customerClient": {"resourceName": "customers/1234567890/customerClients/3456789012",
                "clientCustomer": "customers/3456789012", "id": "3456789012",
                "descriptiveName": "Blue Ridge Outfitters", "level": "1"}}
        ])
    );
    let filtered = "SELECT customer_client.id FROM customer_client WHERE customer_client.level = 1 \
                    AND customer_client.descriptive_name LIKE 'Blue R%'";
    let (_, _, body) = search(&emu, &token, MANAGER, None, json!({"query": filtered})).await;
    assert_eq!(body["results"].as_array().unwrap().len(), 1);
    assert_eq!(body["results"][0]["customerClient"]["id"], RIDGE);
}

#[tokio::test]
async fn search_pages_with_next_page_token_and_rejects_bad_tokens() {
    let emu = Emulator::start().await.unwrap();
    emu.set_ads_page_size(2);
    let token = ads_token(&emu).await;
    let query = "SELECT ad_group_ad.ad.id FROM ad_group_ad";
    let first_body = json!({"query": query, "searchSettings": {"returnTotalResultsCount": true}});
    let (status, _, first) = search(&emu, &token, HARBOR, Some(MANAGER), first_body).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["results"].as_array().unwrap().len(), 2);
    assert_eq!(first["totalResultsCount"], "3");
    let next = first["nextPageToken"].as_str().unwrap().to_owned();

    let (status, _, second) = search(
        &emu,
        &token,
        HARBOR,
        Some(MANAGER),
        json!({"query": query, "pageToken": next}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        second["results"],
        json!([{"adGroupAd": {
        "resourceName": "customers/2345678901/adGroupAds/31000000003~41000000003",
        "ad": {"id": "41000000003"}}}])
    );
    assert!(second.get("nextPageToken").is_none());

    for bad in [
        json!({"query": query, "pageToken": "bm9wZQ"}),
        json!({"query": "SELECT ad_group.id FROM ad_group", "pageToken": next}),
    ] {
        let (status, request_id, body) = search(&emu, &token, HARBOR, Some(MANAGER), bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let error = ads_failure(&body, request_id.as_ref(), "v26");
        assert_eq!(
            error["errorCode"],
            json!({"requestError": "INVALID_PAGE_TOKEN"})
        );
    }
}

#[tokio::test]
async fn page_size_in_the_body_is_rejected() {
    let emu = Emulator::start().await.unwrap();
    let token = ads_token(&emu).await;
    let body = json!({"query": "SELECT campaign.id FROM campaign", "pageSize": 100});
    let (status, request_id, answer) = search(&emu, &token, NORTHWIND, None, body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"]["status"], "INVALID_ARGUMENT");
    let error = ads_failure(&answer, request_id.as_ref(), "v26");
    assert_eq!(
        error["errorCode"],
        json!({"requestError": "PAGE_SIZE_NOT_SUPPORTED"})
    );
    assert_eq!(
        error["location"]["fieldPathElements"][0]["fieldName"],
        "page_size"
    );
}

#[tokio::test]
async fn search_stream_returns_an_array_of_batches_and_a_summary_batch() {
    let emu = Emulator::start().await.unwrap();
    emu.set_ads_page_size(2);
    let token = ads_token(&emu).await;
    let url = search_url(&emu, "v25", HARBOR, true);
    let login = [("login-customer-id", MANAGER)];
    let query = "SELECT ad_group_ad.ad.id, metrics.clicks FROM ad_group_ad";
    let (status, request_id, body) =
        post_json(&url, &token, &login, &json!({"query": query})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let request_id = request_id.unwrap();
    let batches = body.as_array().unwrap();
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[0]["results"].as_array().unwrap().len(), 2);
    assert_eq!(batches[1]["results"].as_array().unwrap().len(), 1);
    for batch in batches {
        assert_eq!(batch["fieldMask"], "adGroupAd.ad.id,metrics.clicks");
        assert_eq!(batch["requestId"], request_id.as_str());
    }
    assert!(batches[1]["queryResourceConsumption"].is_string());

    let with_summary = json!({"query": query, "summaryRowSetting": "SUMMARY_ROW_WITH_RESULTS"});
    let (_, _, body) = post_json(&url, &token, &login, &with_summary).await;
    let batches = body.as_array().unwrap();
    assert_eq!(batches.len(), 3);
    assert_eq!(
        batches[2]["summaryRow"],
        json!({"metrics": {"clicks": "1800"}})
    );
    assert!(batches[2].get("results").is_none());

    let only = json!({"query": query, "summaryRowSetting": "SUMMARY_ROW_ONLY"});
    let (_, _, body) = post_json(&url, &token, &login, &only).await;
    assert_eq!(body.as_array().unwrap().len(), 1);
    assert_eq!(body[0]["summaryRow"]["metrics"]["clicks"], "1800");

    let empty = json!({"query": "SELECT campaign.id FROM campaign WHERE campaign.name = 'none'"});
    let (_, _, body) = post_json(&url, &token, &login, &empty).await;
    assert_eq!(
        body,
        json!([{"fieldMask": "campaign.id", "requestId": body[0]["requestId"],
        "queryResourceConsumption": body[0]["queryResourceConsumption"]}])
    );
}

#[tokio::test]
async fn gaql_mistakes_answer_query_errors_with_trigger_and_location() {
    let emu = Emulator::start().await.unwrap();
    let token = ads_token(&emu).await;
    let cases = [
        (
            "SELECT campaign.nam FROM campaign",
            "UNRECOGNIZED_FIELD",
            Some("campaign.nam"),
        ),
        (
            "SELECT campaign.id FROM campaigns",
            "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
            Some("campaigns"),
        ),
        (
            "SELECT campaign.id FROM campaign WHERE campaign.id == 1",
            "UNEXPECTED_INPUT",
            Some("="),
        ),
        (
            "SELECT campaign.id FROM campaign WHERE",
            "UNEXPECTED_END_OF_QUERY",
            None,
        ),
        (
            "SELECT campaign.id campaign",
            "UNEXPECTED_INPUT",
            Some("campaign"),
        ),
        (
            "SELECT ad_group.id FROM campaign",
            "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE",
            Some("ad_group.id"),
        ),
        (
            "SELECT campaign.id FROM campaign WHERE metrics.nope > 1",
            "UNRECOGNIZED_FIELD",
            Some("metrics.nope"),
        ),
        (
            "SELECT campaign.id, segments.date FROM campaign",
            "EXPECTED_FILTERS_ON_DATE_RANGE",
            Some("segments.date"),
        ),
        (
            "SELECT campaign.id FROM campaign WHERE segments.date DURING LAST_3_YEARS",
            "INVALID_VALUE_WITH_DURING_OPERATOR",
            Some("LAST_3_YEARS"),
        ),
        (
            "SELECT asset.id, metrics.clicks FROM asset",
            "PROHIBITED_METRIC_IN_SELECT_OR_WHERE_CLAUSE",
            Some("metrics.clicks"),
        ),
        (
            "SELECT campaign.id FROM campaign LIMIT 0",
            "LIMIT_VALUE_TOO_LOW",
            Some("0"),
        ),
    ];
    for (query, code, trigger) in cases {
        let result = search(&emu, &token, NORTHWIND, None, json!({"query": query})).await;
        let error = query_error(&result);
        assert_eq!(error["errorCode"], json!({"queryError": code}), "{query}");
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .starts_with("Error in query"),
            "{error}"
        );
        assert_eq!(error["trigger"]["stringValue"].as_str(), trigger, "{query}");
    }
    let manager_metrics = "SELECT customer.id, metrics.clicks FROM customer";
    let result = search(
        &emu,
        &token,
        MANAGER,
        None,
        json!({"query": manager_metrics}),
    )
    .await;
    assert_eq!(
        query_error(&result)["errorCode"],
        json!({"queryError": "REQUESTED_METRICS_FOR_MANAGER"})
    );

    let (status, request_id, body) = search(&emu, &token, NORTHWIND, None, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let error = ads_failure(&body, request_id.as_ref(), "v26");
    assert_eq!(error["errorCode"], json!({"fieldError": "REQUIRED"}));
}

async fn ids_of(
    emu: &Emulator,
    token: &str,
    customer: &str,
    login: Option<&str>,
    query: &str,
) -> Vec<String> {
    let (status, _, body) = search(emu, token, customer, login, json!({"query": query})).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body["results"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| r["campaign"]["id"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn where_order_by_and_limit_filter_and_sort_rows() {
    let emu = Emulator::start().await.unwrap();
    let token = ads_token(&emu).await;
    let m = Some(MANAGER);
    let base = "SELECT campaign.id, metrics.clicks FROM campaign";
    assert_eq!(
        ids_of(&emu, &token, RIDGE, m, base).await,
        ["22000000001", "22000000002"]
    );
    let cases = [
        ("WHERE campaign.status = 'PAUSED'", vec!["21000000002"]),
        ("WHERE campaign.status != PAUSED", vec!["21000000001"]),
        (
            "WHERE campaign.advertising_channel_type IN (DISPLAY, 'VIDEO')",
            vec!["21000000002"],
        ),
        ("WHERE campaign.name LIKE '%Brand%'", vec!["21000000001"]),
        ("WHERE campaign.id = 21000000002", vec!["21000000002"]),
        ("WHERE metrics.clicks > 1000", vec!["21000000001"]),
        (
            "WHERE campaign.status IN ('ENABLED', 'PAUSED') ORDER BY metrics.clicks ASC",
            vec!["21000000002", "21000000001"],
        ),
        ("ORDER BY campaign.name DESC LIMIT 1", vec!["21000000002"]),
        ("WHERE campaign.name NOT LIKE 'Coffee%'", vec![]),
    ];
    for (tail, want) in cases {
        let query = format!("{base} {tail} PARAMETERS include_drafts=true");
        assert_eq!(
            ids_of(&emu, &token, HARBOR, m, &query).await,
            want,
            "{tail}"
        );
    }
}

#[tokio::test]
async fn date_ranges_scale_metrics_and_segments_date_splits_them_by_day() {
    let emu = Emulator::start().await.unwrap();
    let token = ads_token(&emu).await;
    let base = "SELECT campaign.id, metrics.impressions, metrics.clicks, metrics.conversions FROM campaign \
                WHERE campaign.id = 23000000001";
    let (_, _, totals) = search(&emu, &token, NORTHWIND, None, json!({"query": base})).await;
    let (_, _, month) = search(
        &emu,
        &token,
        NORTHWIND,
        None,
        json!({"query": format!("{base} AND segments.date DURING LAST_30_DAYS")}),
    )
    .await;
    assert_eq!(
        totals["results"][0]["metrics"],
        json!({"impressions": "21000", "clicks": "600", "conversions": 18.0})
    );
    assert_eq!(month["results"], totals["results"]);

    let (_, _, week) = search(
        &emu,
        &token,
        NORTHWIND,
        None,
        json!({"query": format!("{base} AND segments.date DURING LAST_7_DAYS")}),
    )
    .await;
    assert_eq!(
        week["results"][0]["metrics"],
        json!({"impressions": "4900", "clicks": "140", "conversions": 4.2})
    );

    let daily = "SELECT campaign.id, segments.date, metrics.clicks FROM campaign WHERE campaign.id = 23000000001 \
                 AND segments.date BETWEEN '2026-02-27' AND '2026-03-02' ORDER BY segments.date DESC";
    let (status, _, body) = search(&emu, &token, NORTHWIND, None, json!({"query": daily})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let rows = body["results"].as_array().unwrap();
    let dates: Vec<&str> = rows
        .iter()
        .map(|r| r["segments"]["date"].as_str().unwrap())
        .collect();
    assert_eq!(
        dates,
        ["2026-03-02", "2026-03-01", "2026-02-28", "2026-02-27"]
    );
    assert!(rows.iter().all(|r| r["metrics"]["clicks"] == "20"));
    assert_eq!(
        body["fieldMask"],
        "campaign.id,segments.date,metrics.clicks"
    );

    let bounded = "SELECT campaign.id, segments.date FROM campaign WHERE segments.date >= '2026-01-01' \
                   AND segments.date < '2026-01-03'";
    let (_, _, body) = search(&emu, &token, NORTHWIND, None, json!({"query": bounded})).await;
    assert_eq!(body["results"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn ads_expose_headlines_final_urls_and_images() {
    let emu = Emulator::start().await.unwrap();
    let token = ads_token(&emu).await;
    let query = "SELECT ad_group.name, ad_group_ad.ad.id, ad_group_ad.ad.type, ad_group_ad.ad.final_urls, \
                 ad_group_ad.ad.responsive_search_ad.headlines, ad_group_ad.ad.image_ad.image_url, \
                 ad_group_ad.status FROM ad_group_ad WHERE ad_group_ad.status = 'ENABLED'";
    let (status, _, body) = search(&emu, &token, NORTHWIND, None, json!({"query": query})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["results"][0],
        json!({
            "adGroup": {"resourceName": "customers/4567890123/adGroups/33000000001", "name": "Sourdough"},
            "adGroupAd": {
                "resourceName": "customers/4567890123/adGroupAds/33000000001~43000000001",
                "ad": {
                    "id": "43000000001",
                    "type": "RESPONSIVE_SEARCH_AD",
                    "finalUrls": ["https://northwind.example.com/sourdough"],
                    "responsiveSearchAd": {"headlines": [
                        {"text": "Sourdough Baked Fresh"}, {"text": "Order Online Today"}, {"text": "Local Bakery"}
                    ]}
                },
                "status": "ENABLED"
            }
        })
    );
    let image = &body["results"][1]["adGroupAd"]["ad"];
    assert_eq!(image["type"], "IMAGE_AD");
    assert_eq!(
        image["imageAd"]["imageUrl"],
        "https://tpc.googlesyndication.com/simgad/10000000000000000002"
    );
    assert!(image.get("responsiveSearchAd").is_none());

    let assets = "SELECT asset.id, asset.name, asset.type, asset.image_asset.full_size.url FROM asset \
                  WHERE asset.type = 'IMAGE'";
    let (status, _, body) = search(&emu, &token, NORTHWIND, None, json!({"query": assets})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["results"],
        json!([{"asset": {
            "resourceName": "customers/4567890123/assets/943000000002",
            "id": "943000000002",
            "name": "Croissant Poster",
            "type": "IMAGE",
            "imageAsset": {"fullSize": {"url": "https://tpc.googlesyndication.com/simgad/10000000000000000002"}}
        }}])
    );
}

#[tokio::test]
async fn validate_only_checks_the_query_without_results() {
    let emu = Emulator::start().await.unwrap();
    let token = ads_token(&emu).await;
    let body = json!({"query": "SELECT campaign.id FROM campaign", "validateOnly": true});
    let (status, _, answer) = search(&emu, &token, NORTHWIND, None, body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer, json!({"fieldMask": "campaign.id"}));
    let bad = json!({"query": "SELECT campaign.nope FROM campaign", "validateOnly": true});
    assert_eq!(
        search(&emu, &token, NORTHWIND, None, bad).await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn forced_failures_answer_google_ads_failures_then_recover() {
    let emu = Emulator::start().await.unwrap();
    let token = ads_token(&emu).await;
    let body = json!({"query": "SELECT customer.id FROM customer"});
    emu.fail_next_api_requests(1, 429);
    let (status, request_id, answer) = search(&emu, &token, NORTHWIND, None, body.clone()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answer["error"]["status"], "RESOURCE_EXHAUSTED");
    let error = ads_failure(&answer, request_id.as_ref(), "v26");
    assert_eq!(
        error["errorCode"],
        json!({"quotaError": "RESOURCE_EXHAUSTED"})
    );
    assert_eq!(
        search(&emu, &token, NORTHWIND, None, body.clone()).await.0,
        StatusCode::OK
    );

    emu.fail_next_api_requests(2, 401);
    for _ in 0..2 {
        let (status, request_id, answer) =
            search(&emu, &token, NORTHWIND, None, body.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let error = ads_failure(&answer, request_id.as_ref(), "v26");
        assert_eq!(
            error["errorCode"],
            json!({"authenticationError": "OAUTH_TOKEN_EXPIRED"})
        );
    }
    emu.fail_next_api_requests(1, 503);
    let (status, _, answer) = search(&emu, &token, NORTHWIND, None, body.clone()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer["error"]["status"], "UNAVAILABLE");
    assert_eq!(
        search(&emu, &token, NORTHWIND, None, body).await.0,
        StatusCode::OK
    );
    let counters = emu.counters();
    assert_eq!(counters.api_requests_failed, 4);
    assert_eq!(counters.ads_requests, 6);
}

#[tokio::test]
async fn custom_customers_replace_the_sample_data_for_one_account_only() {
    let emu = Emulator::start().await.unwrap();
    let custom = AdsCustomer {
        id: "1111111111".into(),
        descriptive_name: "Solo Shop".into(),
        currency_code: "EUR".into(),
        time_zone: "Europe/Paris".into(),
        manager: false,
        client_ids: vec![],
        campaigns: vec![AdsCampaign {
            id: "5".into(),
            name: "Only".into(),
            status: "ENABLED".into(),
            channel_type: "SEARCH".into(),
            metrics: AdsMetrics {
                impressions: 10,
                clicks: 0,
                cost_micros: 0,
                conversions: 0.0,
            },
            ad_groups: vec![],
        }],
    };
    emu.set_ads_customers(ALICE, vec![custom.clone()]);
    assert_eq!(emu.ads_customers("Alice.Smith@example.com"), vec![custom]);
    assert_eq!(emu.ads_customers("bob@example.com"), sample_ads_customers());

    let token = ads_token(&emu).await;
    let url = format!("{}/v26/customers:listAccessibleCustomers", emu.base_url());
    assert_eq!(
        get(&url, &token).await.2,
        json!({"resourceNames": ["customers/1111111111"]})
    );
    let query =
        json!({"query": "SELECT campaign.name, metrics.impressions, metrics.clicks FROM campaign"});
    let (_, _, body) = search(&emu, &token, "1111111111", None, query).await;
    assert_eq!(
        body["results"],
        json!([{"campaign": {"resourceName": "customers/1111111111/campaigns/5",
        "name": "Only"}, "metrics": {"impressions": "10"}}])
    );
    assert_eq!(
        search(
            &emu,
            &token,
            NORTHWIND,
            None,
            json!({"query": "SELECT customer.id FROM customer"})
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn http_controls_set_customers_versions_page_size_and_failures() {
    let emu = Emulator::start().await.unwrap();
    let control = |path: &str| format!("{}/__emulator/{path}", emu.base_url());
    let post = |path: &str, body: Value| http().post(control(path)).json(&body).send();

    let customers = json!([{"id": "2222222222", "descriptive_name": "Via HTTP",
        "currency_code": "USD", "time_zone": "UTC"}]);
    let answer = post(
        "ads-customers",
        json!({"email": ALICE, "customers": customers}),
    )
    .await
    .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let listed: Value = http()
        .get(control("ads-customers"))
        .query(&[("email", ALICE)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["descriptive_name"], "Via HTTP");
    assert_eq!(listed[0]["manager"], false);
    let sample: Value = http()
        .get(control("ads-customers"))
        .query(&[("email", "x@example.com")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sample.as_array().unwrap().len(), 4);

    post("sunset-ads-versions", json!({"versions": [26]}))
        .await
        .unwrap();
    post("ads-page-size", json!({"rows": 1})).await.unwrap();
    let token = ads_token(&emu).await;
    let list = |v: &str| format!("{}/{v}/customers:listAccessibleCustomers", emu.base_url());
    assert_eq!(get(&list("v26"), &token).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        get(&list("v27"), &token).await.2,
        json!({"resourceNames": ["customers/2222222222"]})
    );

    post("fail-next-api-requests", json!({"count": 1, "status": 500}))
        .await
        .unwrap();
    let (status, _, body) = get(&list("v27"), &token).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["error"]["status"], "INTERNAL");
    assert_eq!(
        body["error"]["details"][0]["errors"][0]["errorCode"],
        json!({"internalError": "INTERNAL_ERROR"})
    );
}
