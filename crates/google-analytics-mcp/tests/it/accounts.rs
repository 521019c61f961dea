//! `list_properties`: the Admin API's account summaries, every page, optionally one
//! account.

use crate::support::{ANALYST, Via, call_err, call_ok, connect};
use google_emulator::{GaAccount, GaProperty, sample_analytics_accounts};
use serde_json::{Value, json};
use test_kit::TestStack;
use test_kit::mcp::text_of;

/// `(account id, name, [(property id, name)])` per account.
type Summary = Vec<(String, String, Vec<(String, String)>)>;

/// The [`Summary`] of a structured answer.
fn summary(structured: &Value) -> Summary {
    let text = |value: &Value| value.as_str().unwrap().to_owned();
    structured["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|account| {
            let properties = account["properties"].as_array().unwrap();
            (
                text(&account["accountId"]),
                text(&account["displayName"]),
                properties
                    .iter()
                    .map(|p| (text(&p["propertyId"]), text(&p["displayName"])))
                    .collect(),
            )
        })
        .collect()
}

fn expected(accounts: &[GaAccount]) -> Summary {
    accounts
        .iter()
        .map(|account| {
            let properties = account.properties.iter();
            (
                account.id.clone(),
                account.display_name.clone(),
                properties
                    .map(|p| (p.id.clone(), p.display_name.clone()))
                    .collect(),
            )
        })
        .collect()
}

async fn list_properties_shows_the_users_accounts_and_properties(via: Via) {
    let stack = TestStack::start().await.unwrap();
    stack.sign_in(ANALYST).await.unwrap();
    let client = connect(&stack, via, None).await;
    let result = call_ok(&client, "list_properties", json!({"user_email": ANALYST})).await;
    let sample = sample_analytics_accounts();
    assert_eq!(
        summary(result.structured_content.as_ref().unwrap()),
        expected(&sample)
    );
    let text = text_of(&result);
    assert!(
        text.starts_with("2 Google Analytics accounts with 3 GA4 properties"),
        "{text}"
    );
    assert!(
        text.contains("Blue Harbor Coffee |  201234567 | Blue Harbor Web |   312345678"),
        "{text}"
    );

    let one = json!({"user_email": ANALYST, "account_id": "accounts/209876543"});
    let result = call_ok(&client, "list_properties", one).await;
    assert_eq!(
        summary(result.structured_content.as_ref().unwrap()),
        expected(&sample[1..])
    );
}

#[tokio::test]
async fn over_stdio_list_properties_shows_the_users_accounts_and_properties() {
    list_properties_shows_the_users_accounts_and_properties(Via::Stdio).await;
}

#[tokio::test]
async fn over_http_list_properties_shows_the_users_accounts_and_properties() {
    list_properties_shows_the_users_accounts_and_properties(Via::Http).await;
}

#[tokio::test]
async fn list_properties_follows_every_page_of_account_summaries() {
    let stack = TestStack::start().await.unwrap();
    stack.sign_in(ANALYST).await.unwrap();
    // More accounts than the largest page (200) the Admin API serves.
    let accounts: Vec<GaAccount> = (0..230)
        .map(|index| GaAccount {
            id: format!("{}", 500_000 + index),
            display_name: format!("Account {index}"),
            properties: vec![GaProperty {
                id: format!("{}", 900_000 + index),
                display_name: format!("Site {index}"),
                time_zone: "UTC".into(),
                currency_code: "EUR".into(),
            }],
        })
        .collect();
    stack
        .emulator
        .set_analytics_accounts(ANALYST, accounts.clone());
    let client = connect(&stack, Via::Http, None).await;
    let before = stack.emulator.counters().analytics_requests;
    let result = call_ok(&client, "list_properties", json!({"user_email": ANALYST})).await;
    assert_eq!(
        summary(result.structured_content.as_ref().unwrap()),
        expected(&accounts)
    );
    assert_eq!(
        stack.emulator.counters().analytics_requests,
        before + 2,
        "two pages"
    );
}

#[tokio::test]
async fn an_account_the_user_cannot_see_is_named_in_the_answer() {
    let stack = TestStack::start().await.unwrap();
    stack.sign_in(ANALYST).await.unwrap();
    let client = connect(&stack, Via::Http, None).await;
    let result = call_ok(
        &client,
        "list_properties",
        json!({"user_email": ANALYST, "account_id": "42"}),
    )
    .await;
    assert!(text_of(&result).contains("cannot see the Google Analytics account accounts/42"));
    let text = call_err(
        &client,
        "list_properties",
        json!({"user_email": ANALYST, "account_id": "acme"}),
    )
    .await;
    assert!(text.contains("is not a GA4 account id"), "{text}");
}
