//! Every tool for a signed-in user, over stdio and over HTTP, checked against the
//! emulator's sample data.

use crate::support::{
    USER, Via, ads_of, call, call_ok, customer, ids, is_error, over_days, signed_in, text_of,
};
use serde_json::{Value, json};
use test_kit::mcp::McpClient;

#[tokio::test]
async fn every_tool_over_stdio_returns_the_emulators_data() {
    let (_stack, client) = signed_in(Via::Stdio).await;
    every_tool_returns_the_emulators_data(&client).await;
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn every_tool_over_http_returns_the_emulators_data() {
    let (_stack, client) = signed_in(Via::Http).await;
    every_tool_returns_the_emulators_data(&client).await;
    client.cancel().await.unwrap();
}

async fn every_tool_returns_the_emulators_data(client: &McpClient) {
    list_accounts_shows_managers_and_their_clients(client).await;
    resolve_customer_finds_ids_by_name(client).await;
    campaign_performance_matches_the_fixture(client).await;
    ad_performance_scales_to_the_date_range(client).await;
    analytics_router_reports_creatives_and_images(client).await;
    gaql_queries_return_the_selected_fields(client).await;
}

fn structured(result: &rmcp::model::CallToolResult) -> &Value {
    result
        .structured_content
        .as_ref()
        .expect("structured content")
}

async fn list_accounts_shows_managers_and_their_clients(client: &McpClient) {
    let result = call_ok(client, "list_accounts", json!({})).await;
    let accounts = structured(&result)["accounts"].as_array().unwrap().clone();
    let mut found: Vec<&str> = accounts.iter().map(|a| a["id"].as_str().unwrap()).collect();
    found.sort_unstable();
    assert_eq!(
        found,
        [
            ids::MANAGER,
            ids::BLUE_HARBOR,
            ids::BLUE_RIDGE,
            ids::NORTHWIND
        ]
    );
    let by_id = |id: &str| accounts.iter().find(|a| a["id"] == id).unwrap().clone();
    assert_eq!(by_id(ids::MANAGER)["manager"], true);
    assert_eq!(by_id(ids::MANAGER)["name"], "Acme Agency MCC");
    assert_eq!(by_id(ids::BLUE_HARBOR)["via_manager"], ids::MANAGER);
    assert_eq!(
        by_id(ids::BLUE_HARBOR)["name"],
        customer(ids::BLUE_HARBOR).descriptive_name
    );
    assert_eq!(by_id(ids::NORTHWIND)["via_manager"], Value::Null);
    assert_eq!(by_id(ids::NORTHWIND)["currency_code"], "GBP");
    let text = text_of(&result);
    assert!(text.contains("234-567-8901 | Blue Harbor Coffee"), "{text}");
    assert!(text.contains("via manager 123-456-7890"), "{text}");
    assert!(text.contains("(4 rows)"), "{text}");
}

async fn resolve_customer_finds_ids_by_name(client: &McpClient) {
    let one = call_ok(client, "resolve_customer", json!({"customer": "northwind"})).await;
    assert_eq!(structured(&one)["status"], "resolved");
    assert_eq!(structured(&one)["customer_id"], ids::NORTHWIND);
    assert!(text_of(&one).contains("456-789-0123"), "{}", text_of(&one));

    let by_id = call_ok(
        client,
        "resolve_customer",
        json!({"customer": "234-567-8901"}),
    )
    .await;
    assert_eq!(structured(&by_id)["customer_id"], ids::BLUE_HARBOR);

    let several = call_ok(client, "resolve_customer", json!({"customer": "Blue"})).await;
    assert_eq!(structured(&several)["status"], "ambiguous");
    let text = text_of(&several);
    assert!(text.contains("Blue Harbor Coffee (234-567-8901)"), "{text}");
    assert!(
        text.contains("Blue Ridge Outfitters (345-678-9012)"),
        "{text}"
    );

    let none = call(client, "resolve_customer", json!({"customer": "Contoso"})).await;
    assert!(is_error(&none));
    let text = text_of(&none);
    assert!(
        text.contains(&format!(
            "No Google Ads account of {USER} matches \"Contoso\""
        )),
        "{text}"
    );
    assert!(text.contains("Northwind Bakery (456-789-0123)"), "{text}");
}

async fn campaign_performance_matches_the_fixture(client: &McpClient) {
    // A client of the manager, with dashes: the server must send login-customer-id.
    let result = call_ok(
        client,
        "get_campaign_performance",
        json!({"customer_id": "234-567-8901"}),
    )
    .await;
    let data = structured(&result);
    assert_eq!(data["date_range"], "LAST_30_DAYS");
    let mut expected = customer(ids::BLUE_HARBOR).campaigns;
    expected.sort_by_key(|campaign| std::cmp::Reverse(campaign.metrics.cost_micros));
    let rows = data["rows"].as_array().unwrap();
    assert_eq!(rows.len(), expected.len());
    for (row, campaign) in rows.iter().zip(&expected) {
        assert_eq!(row["campaign.name"], campaign.name.as_str());
        assert_eq!(row["campaign.status"], campaign.status.as_str());
        assert_eq!(
            row["campaign.advertising_channel_type"],
            campaign.channel_type.as_str()
        );
        assert_eq!(
            row["metrics.impressions"],
            over_days(campaign.metrics.impressions, 30)
        );
        assert_eq!(
            row["metrics.clicks"],
            over_days(campaign.metrics.clicks, 30)
        );
        assert_eq!(
            row["metrics.cost_micros"],
            over_days(campaign.metrics.cost_micros, 30)
        );
    }
    let total: u64 = expected
        .iter()
        .map(|c| over_days(c.metrics.impressions, 30))
        .sum();
    assert_eq!(data["totals"]["impressions"], total);
    let text = text_of(&result);
    assert!(
        text.contains("Blue Harbor Coffee (234-567-8901), LAST_30_DAYS"),
        "{text}"
    );
    assert!(text.contains("Totals:") && text.contains(" USD"), "{text}");

    // Removed campaigns are left out.
    let northwind = call_ok(
        client,
        "get_campaign_performance",
        json!({"customer_id": ids::NORTHWIND}),
    )
    .await;
    let names: Vec<&str> = structured(&northwind)["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["campaign.name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Bakery Local Search"]);
}

async fn ad_performance_scales_to_the_date_range(client: &McpClient) {
    let result = call_ok(
        client,
        "get_ad_performance",
        json!({"customer_id": "456-789-0123", "date_range": "last_7_days"}),
    )
    .await;
    let data = structured(&result);
    assert_eq!(data["date_range"], "LAST_7_DAYS");
    let rows = data["rows"].as_array().unwrap();
    let expected = ads_of(&customer(ids::NORTHWIND));
    assert_eq!(rows.len(), expected.len());
    for (id, kind, metrics) in expected {
        let row = rows
            .iter()
            .find(|row| row["ad_group_ad.ad.id"] == id.as_str())
            .unwrap();
        assert_eq!(row["ad_group_ad.ad.type"], kind.as_str());
        assert_eq!(
            row["metrics.impressions"],
            over_days(metrics.impressions, 7)
        );
        assert_eq!(row["metrics.clicks"], over_days(metrics.clicks, 7));
    }
}

async fn analytics_router_reports_creatives_and_images(client: &McpClient) {
    let creatives = call_ok(
        client,
        "analytics_router",
        json!({"customer_id": ids::NORTHWIND, "intent": "creatives"}),
    )
    .await;
    let text = text_of(&creatives);
    assert!(
        text.contains("Sourdough Baked Fresh | Order Online Today | Local Bakery"),
        "{text}"
    );
    assert!(
        text.contains("https://northwind.example.com/croissants"),
        "{text}"
    );

    let images = call_ok(
        client,
        "analytics_router",
        json!({"customer_id": "2345678901", "intent": "images"}),
    )
    .await;
    let rows = structured(&images)["rows"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["asset.name"], "Summer Sale Banner");
    assert_eq!(
        rows[0]["asset.image_asset.full_size.url"],
        "https://tpc.googlesyndication.com/simgad/10000000000000000001"
    );

    let campaigns = call_ok(
        client,
        "analytics_router",
        json!({"customer_id": ids::BLUE_RIDGE, "intent": "campaigns", "date_range": "THIS_MONTH"}),
    )
    .await;
    assert_eq!(structured(&campaigns)["intent"], "campaigns");
    assert_eq!(structured(&campaigns)["rows"].as_array().unwrap().len(), 2);
}

async fn gaql_queries_return_the_selected_fields(client: &McpClient) {
    let result = call_ok(
        client,
        "execute_gaql_query",
        json!({
            "customer_id": "345-678-9012",
            "query": "SELECT campaign.id, campaign.name FROM campaign ORDER BY campaign.id",
        }),
    )
    .await;
    let data = structured(&result);
    assert_eq!(data["columns"], json!(["campaign.id", "campaign.name"]));
    let names: Vec<&str> = data["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["campaign.name"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = customer(ids::BLUE_RIDGE)
        .campaigns
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, expected);
    assert_eq!(data["login_customer_id"], ids::MANAGER);
    assert!(
        text_of(&result).contains("(2 rows)"),
        "{}",
        text_of(&result)
    );
}
