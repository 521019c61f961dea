//! Connection fairness (issue 16, finding 5; docs/threat-model.md G2): one address
//! cannot hold every connection slot with idle keep-alives.

use crate::support::app::TestApp;
use crate::support::db::Backend;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// A connection from `source` (any 127.0.0.0/8 address is loopback on Linux).
async fn connect_from(source: &str, gateway: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    socket.connect(gateway).await.unwrap()
}

/// Sends `GET /health` and reads until the server closes: the answer, or nothing.
async fn health_over(mut stream: TcpStream) -> String {
    let request = "GET /health HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n";
    // A refused connection may already be closed when we write.
    let _ = stream.write_all(request.as_bytes()).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn an_address_over_its_connection_cap_is_closed_while_others_get_in() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("MAX_CONNECTIONS", "8"), ("MAX_CONNECTIONS_PER_IP", "2")],
    )
    .await;
    let gateway: SocketAddr = app.address.trim_start_matches("http://").parse().unwrap();
    // Two idle keep-alives from one address hold its share.
    let idle = [
        connect_from("127.0.0.3", gateway).await,
        connect_from("127.0.0.3", gateway).await,
    ];
    // Served: the idle ones are accepted first (the loop accepts in order).
    let third = health_over(connect_from("127.0.0.3", gateway).await).await;
    assert!(third.is_empty(), "a third connection was served: {third}");
    let other = health_over(connect_from("127.0.0.4", gateway).await).await;
    assert!(other.starts_with("HTTP/1.1 200"), "{other}");
    drop(idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_over_its_long_poll_cap_gets_429_while_its_waiting_poll_completes() {
    let app = TestApp::spawn_with(Backend::Sqlite, &[("MAX_LONG_POLLS_PER_CLIENT", "1")]).await;
    let link = app.init("waiting@example.com").await;
    let session_id = link["session_id"].as_str().unwrap();
    // Two waits of 30 s from one client with room for one: the later is refused at once.
    let mut first = app.long_poll(&app.address, session_id);
    let mut second = app.long_poll(&app.address, session_id);
    let refused = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        tokio::select! {
            done = &mut first => (done, second),
            done = &mut second => (done, first),
        }
    })
    .await
    .expect("neither wait was refused");
    let (done, waiting) = refused;
    let (refusal, _) = done.unwrap();
    assert_eq!(refusal["detail"]["error"], "rate_limited", "{refusal}");
    // A plain look (no wait) is always answered.
    assert_eq!(app.status(session_id, "").await.status(), 200);
    let (status, page) = app.follow(link["auth_url"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{page}");
    let (answer, _) = waiting.await.unwrap();
    assert_eq!(answer["status"], "completed", "{answer}");
}
