//! A sign-in the gateway refuses leaves no grant live at Google (issue 16, finding 11):
//! whatever the reason for the refusal, the tokens the code exchange produced are revoked.

use crate::support::app::TestApp;
use crate::support::db::Backend;

/// Runs a sign-in for `email` to its end and checks it was refused, its one exchanged
/// grant revoked, and nothing stored.
async fn assert_refused_and_revoked(app: &TestApp, email: &str, signed_in_as: &str) {
    let link = app.init(email).await;
    let (status, page) = app.follow(link["auth_url"].as_str().unwrap()).await;
    assert!(
        status.is_client_error() || status.is_server_error(),
        "{status} {page}"
    );
    let counters = app.emulator.counters();
    assert_eq!(counters.code_exchanges, 1);
    assert_eq!(counters.revocations, 1, "the refused grant is revoked");
    assert_eq!(app.emulator.latest_access_token_for(signed_in_as), None);
    assert_eq!(app.token(email).await.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_whose_id_token_is_refused_has_its_grant_revoked() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let email = "foreign-id-token@example.com";
    app.emulator.issue_foreign_next_id_token();
    assert_refused_and_revoked(&app, email, email).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_whose_email_does_not_parse_has_its_grant_revoked() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.emulator.sign_in_as(Some("no-at-sign".to_owned()));
    assert_refused_and_revoked(&app, "alice@example.com", "no-at-sign").await;
}
