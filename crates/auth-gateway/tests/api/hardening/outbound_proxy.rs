//! Outbound HTTP ignores proxy variables it inherits (issue 16, finding 11): the real
//! binary, started with `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY` naming a dead port, still
//! exchanges a sign-in's code at the emulator. Only `AUTH_GATEWAY_OUTBOUND_PROXY` turns
//! a proxy on.

use crate::support::app::API_KEY;
use crate::support::process::GatewayProcess;
use google_emulator::Emulator;
use serde_json::{Value, json};

/// A port nothing listens on (bound, then released).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inherited_proxy_variables_do_not_divert_calls_to_google() {
    let emulator = Emulator::start().await.unwrap();
    let dead_proxy = format!("http://127.0.0.1:{}", free_port());
    let port = free_port().to_string();
    let callback = format!("http://127.0.0.1:{port}/auth/callback/google");
    let mut settings = emulator.gateway_env();
    settings.push(("GOOGLE_REDIRECT_URI", callback));
    settings.push(("PORT", port));
    for name in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        settings.push((name, dead_proxy.clone()));
    }
    let env: Vec<(&str, &str)> = settings
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    let gateway = GatewayProcess::start(&env).await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let email = "proxied@example.com";
    let ask = |path: &str| {
        http.post(gateway.url(path))
            .header("X-API-Key", API_KEY)
            .json(&json!({"provider": "google", "user_email": email}))
            .send()
    };
    let link: Value = ask("/auth/init").await.unwrap().json().await.unwrap();
    let auth_url = link["auth_url"].as_str().unwrap();
    let browser = reqwest::Client::builder()
        .no_proxy()
        .cookie_store(true)
        .build()
        .unwrap();
    let page = browser.get(auth_url).send().await.unwrap();
    assert_eq!(page.status(), 200, "{}", page.text().await.unwrap());
    assert_eq!(emulator.counters().code_exchanges, 1);
    assert_eq!(ask("/auth/token").await.unwrap().status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configured_outbound_proxy_is_used() {
    let dead_proxy = format!("http://127.0.0.1:{}", free_port());
    let app = crate::support::app::TestApp::spawn_with(
        crate::support::db::Backend::Sqlite,
        &[("AUTH_GATEWAY_OUTBOUND_PROXY", &dead_proxy)],
    )
    .await;
    let link = app.init("configured@example.com").await;
    let (status, page) = app.follow(link["auth_url"].as_str().unwrap()).await;
    assert_eq!(status, 503, "the exchange went to the (dead) proxy: {page}");
    assert_eq!(app.emulator.counters().code_exchanges, 0);
}
