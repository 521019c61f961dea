//! `/auth/token` for a user who has not signed in (issue 16, finding 11): an MCP server
//! that retries gets the same pending session and link while it is fresh, not a new
//! session per call; past half its lifetime, or for other scopes, a new one.

use crate::on_both_backends;
use crate::support::app::TestApp;
use crate::support::db::Backend;
use chrono::Duration;
use serde_json::Value;

on_both_backends!(
    retried_token_requests_reuse_the_pending_session_and_its_link,
    a_pending_session_past_half_its_lifetime_or_expired_is_not_reused,
);

/// The `(session_id, auth_url)` a 404 from `/auth/token` carries.
async fn link_of(response: reqwest::Response) -> (String, String) {
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    let detail = &body["detail"];
    (
        detail["session_id"].as_str().unwrap().to_owned(),
        detail["auth_url"].as_str().unwrap().to_owned(),
    )
}

async fn retried_token_requests_reuse_the_pending_session_and_its_link(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "retry@example.com";
    let first = link_of(app.token(email).await).await;
    let second = link_of(app.token(email).await).await;
    assert_eq!(first, second);
    // Other scopes are another sign-in.
    let wider = link_of(
        app.token_with_scopes(email, &["https://www.googleapis.com/auth/drive.readonly"])
            .await,
    )
    .await;
    assert_ne!(wider.0, first.0);
    // The link handed out twice still signs in.
    let (status, page) = app.follow(&first.1).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(app.token(email).await.status(), 200);
}

async fn a_pending_session_past_half_its_lifetime_or_expired_is_not_reused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "slow@example.com";
    let first = link_of(app.token(email).await).await;
    app.clock.advance(Duration::minutes(4));
    assert_eq!(link_of(app.token(email).await).await, first);
    // Sessions live 10 minutes: at 6 minutes less than half is left.
    app.clock.advance(Duration::minutes(2));
    let second = link_of(app.token(email).await).await;
    assert_ne!(second.0, first.0);
    assert_ne!(second.1, first.1);
    app.clock.advance(Duration::minutes(11));
    let third = link_of(app.token(email).await).await;
    assert_ne!(third.0, second.0);
}
