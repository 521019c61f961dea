//! A refresh request's `scope` (RFC 6749 §6), as Google treats it: a subset of the
//! grant narrows the new access token, anything beyond the grant is `invalid_scope`.

// Helpers outside #[test] fns are not covered by clippy.toml's allow-unwrap-in-tests.
#![allow(clippy::unwrap_used)]

mod support;

use google_emulator::Emulator;
use reqwest::StatusCode;
use serde_json::Value;
use support::{ADWORDS, ALICE, ANALYTICS_EDIT, ANALYTICS_READONLY, get, http, sign_in};

async fn refresh(emu: &Emulator, refresh_token: &str, scope: &str) -> (StatusCode, Value) {
    let response = http()
        .post(emu.token_url())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("scope", scope),
            ("client_id", emu.client_id()),
            ("client_secret", emu.client_secret()),
        ])
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

fn accounts_url(emu: &Emulator) -> String {
    format!("{}/v1beta/accountSummaries", emu.base_url())
}

#[tokio::test]
async fn a_subset_on_refresh_narrows_the_new_token_and_leaves_the_grant_whole() {
    let emu = Emulator::start().await.unwrap();
    let scope = format!("openid email {ADWORDS} {ANALYTICS_READONLY}");
    let full = sign_in(&emu, ALICE, &scope).await;
    let rt = emu.refresh_token_for(ALICE).unwrap();

    let (status, body) = refresh(&emu, &rt, &format!("openid email {ADWORDS}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["scope"], format!("openid email {ADWORDS}"));
    assert!(body["id_token"].is_string());
    let narrow = body["access_token"].as_str().unwrap();
    assert_eq!(
        emu.access_token_scopes(narrow).unwrap(),
        ["openid", "email", ADWORDS]
    );
    // The narrow token cannot reach Analytics; the first token still can.
    assert_eq!(
        get(&accounts_url(&emu), narrow).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(get(&accounts_url(&emu), &full).await.0, StatusCode::OK);

    // Without a scope the refresh is for the whole grant again.
    let (status, body) = refresh(&emu, &rt, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["scope"], scope);
}

#[tokio::test]
async fn a_scope_beyond_the_grant_on_refresh_is_invalid_scope_and_mints_nothing() {
    let emu = Emulator::start().await.unwrap();
    sign_in(&emu, ALICE, &format!("openid email {ADWORDS}")).await;
    let rt = emu.refresh_token_for(ALICE).unwrap();
    let before = emu.counters().refreshes;

    let (status, body) = refresh(&emu, &rt, &format!("{ADWORDS} {ANALYTICS_EDIT}")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_scope");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains(ANALYTICS_EDIT),
        "{body}"
    );
    assert_eq!(emu.counters().refreshes, before);
}
