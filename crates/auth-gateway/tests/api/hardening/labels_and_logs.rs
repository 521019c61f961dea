//! Metric labels stay a known set whatever a request says (issue 16, finding 2), and the
//! connect link's token never reaches the logs (finding 6; docs/threat-model.md H1).

use crate::support::app::TestApp;
use crate::support::db::Backend;
use crate::support::logs;
use crate::support::metrics::sample;

#[tokio::test]
async fn a_made_up_http_method_is_counted_as_other_and_never_becomes_a_label() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for method in ["BOGUSONE", "BOGUSTWO"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = app
            .http
            .request(method, app.url("/health"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405);
    }
    let metrics = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!metrics.contains("BOGUS"), "{metrics}");
    let others = sample(
        &metrics,
        "http_requests_total",
        &[("method", "other"), ("route", "/health")],
    );
    assert_eq!(others, 2, "{metrics}");
}

#[tokio::test]
async fn the_connect_link_token_is_never_logged() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let email = "link-logs@example.com";
    let link = app.init(email).await;
    let auth_url = link["auth_url"].as_str().unwrap();
    let token = auth_url.rsplit('/').next().unwrap().to_owned();
    assert!(token.len() >= 32, "{auth_url}");
    let (status, page) = app.follow(auth_url).await;
    assert_eq!(status, 200, "{page}");
    let logged = logs::captured();
    assert!(
        logged.contains("/connect/{token}"),
        "the access log names the route template"
    );
    assert!(!logged.contains(&token), "the connect token was logged");
}
