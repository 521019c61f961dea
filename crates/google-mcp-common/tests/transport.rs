//! The streamable HTTP transport as deployed: Host validation with `--allowed-host`,
//! the health route, and graceful shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use google_mcp_common::transport::serve_http;
use rmcp::ServerHandler;
use tokio::sync::oneshot;

#[derive(Clone)]
struct Empty;

impl ServerHandler for Empty {}

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#;

async fn post_with_host(url: &str, host: &str) -> u16 {
    reqwest::Client::new()
        .post(url)
        .header(reqwest::header::HOST, host)
        .header(
            reqwest::header::ACCEPT,
            "application/json, text/event-stream",
        )
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(INITIALIZE)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn only_loopback_and_allowed_hosts_reach_the_server_until_shutdown() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve_http(
        || Empty,
        listener,
        vec!["mcp.example.test".to_owned()],
        async move {
            let _ = stopped.await;
        },
    ));
    let mcp = format!("{base}/mcp");
    assert_eq!(post_with_host(&mcp, "mcp.example.test").await, 200);
    assert_eq!(post_with_host(&mcp, "localhost").await, 200);
    let refused = post_with_host(&mcp, "attacker.example").await;
    assert!((400..500).contains(&refused), "{refused}");
    let health = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
    assert!(reqwest::get(format!("{base}/healthz")).await.is_err());
}
