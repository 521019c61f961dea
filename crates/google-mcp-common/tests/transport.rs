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

#[tokio::test]
async fn oversized_bodies_and_slow_request_heads_are_cut_off() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(serve_http(
        || Empty,
        listener,
        Vec::new(),
        std::future::pending(),
    ));
    let big = "x".repeat(google_mcp_common::transport::MAX_BODY_BYTES + 1);
    let answer = reqwest::Client::new()
        .post(format!("http://{address}/mcp"))
        .header(
            reqwest::header::ACCEPT,
            "application/json, text/event-stream",
        )
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 413);

    // A client that never finishes its request head is disconnected after the timeout.
    let mut slow = tokio::net::TcpStream::connect(address).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        slow.read_to_end(&mut rest),
    )
    .await;
    assert!(closed.is_ok(), "the connection is still open after 20 s");
}
