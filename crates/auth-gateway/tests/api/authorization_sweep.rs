//! The periodic sweep covers the authorization server's rows: abandoned logins, spent
//! codes and refresh tokens past their expiry, and dynamic registrations never used. Time
//! moves on the injected clock; nothing sleeps.

use crate::support::app::TestApp;
use crate::support::db::Backend;
use crate::support::oauth::{RESOURCE, add_resource, client, exchange, new_code, verifier};
use auth_gateway::core::random;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_removes_spent_authorization_rows_on_sqlite() {
    the_sweep_removes_spent_authorization_rows(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_removes_spent_authorization_rows_on_postgres() {
    the_sweep_removes_spent_authorization_rows(Backend::Postgres).await;
}

async fn the_sweep_removes_spent_authorization_rows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let store = app.db.store().await;
    add_resource(&app, RESOURCE).await;
    let (unused, _) = client(&app, "none").await;
    let (used, _) = client(&app, "none").await;
    let (code, grant) = new_code(&app, &used, &verifier("sweep")).await;
    let tokens = exchange(&app, &used, &code, &verifier("sweep")).await;
    assert!(tokens["refresh_token"].is_string());

    // A browser that went to Google and never came back leaves a login behind.
    let registered = store.oauth_client(&used).await.unwrap().unwrap();
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &used)
        .append_pair("redirect_uri", &registered.redirect_uris[0])
        .append_pair("code_challenge", &random::pkce_challenge(&verifier("x")))
        .append_pair("code_challenge_method", "S256")
        .append_pair("resource", RESOURCE)
        .finish();
    let to_google = app
        .http
        .get(app.url(&format!("/oauth/authorize?{query}")))
        .send()
        .await
        .unwrap();
    let location = url::Url::parse(to_google.headers()["location"].to_str().unwrap()).unwrap();
    let state = location
        .query_pairs()
        .find(|(name, _)| name == "state")
        .unwrap()
        .1
        .into_owned();
    let login = random::digest(&state);
    assert!(store.login_by_state(&login).await.unwrap().is_some());

    // Nothing is due yet.
    assert_eq!(app.gateway.sweep_sessions().await.unwrap(), 0);

    // Past the refresh token's lifetime and the registration's unused period.
    app.clock.advance(chrono::Duration::days(31));
    let swept = app.gateway.sweep_sessions().await.unwrap();
    assert!(
        swept >= 4,
        "login, code, refresh token and a registration: {swept}"
    );
    assert!(store.login_by_state(&login).await.unwrap().is_none());
    assert!(store.oauth_client(&unused).await.unwrap().is_none());
    // A used client with a live grant stays, and so does the grant.
    assert!(store.oauth_client(&used).await.unwrap().is_some());
    assert!(store.grant(grant).await.unwrap().is_some());
    assert_eq!(app.gateway.sweep_sessions().await.unwrap(), 0);
}
