//! `GOOGLE_HOSTED_DOMAIN` (issue 16, finding 11): only accounts whose `hd` claim is that
//! Workspace domain sign in; any other is refused with its own page and code, and the
//! grant it was given is revoked. The authorization URL carries `hd=` as a hint.

use crate::support::app::TestApp;
use crate::support::db::Backend;
use google_emulator::AccountOptions;
use serde_json::Value;

const DOMAIN: &str = "example.com";

async fn restricted_app() -> TestApp {
    TestApp::spawn_with(Backend::Sqlite, &[("GOOGLE_HOSTED_DOMAIN", DOMAIN)]).await
}

fn with_hd(hd: Option<&str>) -> AccountOptions {
    AccountOptions {
        email_verified: true,
        hd: hd.map(str::to_owned),
        ..AccountOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorization_url_hints_the_hosted_domain() {
    let app = restricted_app().await;
    let link = app.init("alice@example.com").await;
    let response = app
        .http
        .get(link["auth_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let hd: Vec<_> = location
        .query_pairs()
        .filter(|(name, _)| name == "hd")
        .map(|(_, value)| value.into_owned())
        .collect();
    assert_eq!(hd, [DOMAIN]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_of_the_hosted_domain_signs_in() {
    let app = restricted_app().await;
    app.emulator
        .add_account("alice@example.com", with_hd(Some(DOMAIN)));
    app.sign_in("alice@example.com").await;
    assert_eq!(app.emulator.counters().revocations, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_outside_the_hosted_domain_is_refused_and_its_grant_revoked() {
    let app = restricted_app().await;
    // A consumer account whose address merely ends in the domain, and one of another
    // Workspace domain: neither is a member.
    for (email, hd) in [
        ("bob@example.com", None),
        ("carol@example.com", Some("other.example")),
    ] {
        app.emulator.add_account(email, with_hd(hd));
        let link = app.init(email).await;
        let (status, page) = app.follow(link["auth_url"].as_str().unwrap()).await;
        assert_eq!(status, 403, "{page}");
        assert!(page.contains("hosted_domain_mismatch"), "{page}");
        assert!(page.contains(DOMAIN), "{page}");
        let session_id = link["session_id"].as_str().unwrap();
        let status: Value = app.status(session_id, "").await.json().await.unwrap();
        assert_eq!(status["error"], "hosted_domain_mismatch", "{status}");
        assert_eq!(app.emulator.latest_access_token_for(email), None);
        assert_eq!(app.token(email).await.status(), 404);
    }
    assert_eq!(app.emulator.counters().revocations, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_setting_any_domain_signs_in_and_no_hint_is_sent() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.emulator.add_account("dave@example.com", with_hd(None));
    let link = app.init("dave@example.com").await;
    let response = app
        .http
        .get(link["auth_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(!location.contains("hd="), "{location}");
    app.sign_in("dave@example.com").await;
}
