//! Gateway mode (`MCP_AUTH=gateway`): the server behind the resource guard with a real
//! gateway as authorization server; each caller's properties are their own, and a
//! shared HTTP server without verification does not start.

use google_analytics_mcp::config::Config;
use google_analytics_mcp::{AnalyticsServer, build_with_access};
use google_emulator::sample_analytics_accounts;
use google_mcp_common::transport::serve_http_guarded;
use google_mcp_common::{Access, AuthMode};
use secrecy::ExposeSecret;
use serde_json::json;
use std::process::Stdio;
use test_kit::mcp::{self, text_of};
use test_kit::oauth::{ANALYTICS_SCOPE, AuthServer};

const ANA: &str = "ana@example.com";
const BOB: &str = "bob@example.com";

/// A gateway-mode server on a free port; returns its resource URL (`…/mcp`).
async fn serve_guarded(auth: &AuthServer) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let bind = listener.local_addr().unwrap();
    let resource = format!("http://{bind}/mcp");
    auth.add_resource_with_scopes(&resource, "Google Analytics", &[ANALYTICS_SCOPE])
        .await;
    let key = auth.server_key.expose_secret().to_owned();
    let vars = [
        ("AUTH_GATEWAY_URL", auth.url.clone()),
        ("AUTH_GATEWAY_API_KEY", key.clone()),
        ("MCP_RESOURCE_URL", resource.clone()),
        ("GOOGLE_ANALYTICS_DATA_URL", auth.emulator.base_url()),
        ("GOOGLE_ANALYTICS_ADMIN_URL", auth.emulator.base_url()),
    ];
    let var = |name: &str| {
        vars.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    };
    let access = Access::resolve(Some(AuthMode::Gateway), true, bind, var).unwrap();
    let config = Config::from_vars(var).unwrap();
    let client = test_kit::auth_client_for(&auth.url, &key);
    let analytics = build_with_access(config, client, &access).unwrap();
    tokio::spawn(serve_http_guarded(
        move || AnalyticsServer::new(analytics.clone()),
        listener,
        Vec::new(),
        access.guard,
        std::future::pending(),
    ));
    resource
}

#[tokio::test]
async fn each_caller_sees_only_their_own_properties_through_one_shared_server() {
    let auth = AuthServer::start().await;
    let resource = serve_guarded(&auth).await;
    let mut bobs = sample_analytics_accounts();
    bobs.retain(|account| account.display_name == "Northwind Bakery");
    auth.emulator.state().set_analytics_accounts(BOB, bobs);

    let ana = mcp::connect_http_with_token(&resource, &auth.access_token(&resource, ANA).await)
        .await
        .unwrap();
    let bob = mcp::connect_http_with_token(&resource, &auth.access_token(&resource, BOB).await)
        .await
        .unwrap();
    for tool in ana.list_all_tools().await.unwrap() {
        let properties = &tool.input_schema["properties"];
        assert!(
            properties.get("user_email").is_none(),
            "{}: {properties}",
            tool.name
        );
    }
    let anas = mcp::call(&ana, "list_properties", json!({})).await.unwrap();
    assert!(!mcp::is_error(&anas), "{}", text_of(&anas));
    assert!(
        text_of(&anas).contains("Blue Harbor Coffee"),
        "{}",
        text_of(&anas)
    );
    let bobs = mcp::call(&bob, "list_properties", json!({})).await.unwrap();
    assert!(
        text_of(&bobs).contains("Northwind Bakery"),
        "{}",
        text_of(&bobs)
    );
    assert!(
        !text_of(&bobs).contains("Blue Harbor"),
        "{}",
        text_of(&bobs)
    );
    ana.cancel().await.unwrap();
    bob.cancel().await.unwrap();
}

#[tokio::test]
async fn no_token_gets_401_with_the_challenge() {
    let auth = AuthServer::start().await;
    let resource = serve_guarded(&auth).await;
    let answer = reqwest::Client::new()
        .post(&resource)
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 401);
    let challenge = answer.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains("resource_metadata="), "{challenge}");
}

#[tokio::test]
async fn a_shared_http_server_without_verification_refuses_to_start() {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_google-analytics-mcp"))
        .args(["--transport", "http", "--bind", "0.0.0.0:0"])
        .env_remove("MCP_AUTH")
        .env_remove("MCP_USER_EMAIL")
        .env("AUTH_GATEWAY_URL", "http://127.0.0.1:9")
        .env("AUTH_GATEWAY_API_KEY", "unused")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for name in ["MCP_AUTH=gateway", "MCP_RESOURCE_URL", "MCP_USER_EMAIL"] {
        assert!(stderr.contains(name), "{stderr}");
    }
}
