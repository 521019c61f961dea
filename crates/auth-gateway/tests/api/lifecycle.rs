//! The real binary as an operator runs it: JSON logs with request ids, and a graceful
//! shutdown on SIGTERM (docs/threat-model.md R11).

use crate::support::app::API_KEY;
use crate::support::process::GatewayProcess;
use serde_json::{Value, json};

/// The id a log line's request span carries.
fn request_id_of(line: &Value) -> Option<&str> {
    line["span"]["request_id"].as_str()
}

#[tokio::test]
async fn json_log_lines_parse_and_carry_the_request_id_without_secrets() {
    let mut gateway = GatewayProcess::start(&[]).await;
    let http = reqwest::Client::new();
    let response = http
        .post(gateway.url("/auth/init"))
        .header("X-API-Key", API_KEY)
        .header("X-Request-Id", "ops-test-42")
        .json(&json!({"provider": "nowhere", "user_email": "carol@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["x-request-id"], "ops-test-42");

    let finished = gateway
        .wait_for_line(|line| {
            line["fields"]["message"] == "request finished"
                && request_id_of(line) == Some("ops-test-42")
        })
        .await;
    assert_eq!(finished["fields"]["status"], 400);
    assert_eq!(finished["span"]["route"], "/auth/init");
    assert_eq!(finished["span"]["client"], "default");
    assert_eq!(finished["span"]["user"], "carol@example.com");
    assert_eq!(finished["span"]["provider"], "nowhere");
    // wait_for_line parsed every line before this one as JSON; none names a secret.
    let output = gateway.seen.join("\n");
    assert!(!output.contains(API_KEY), "the API key was logged");
    assert!(!output.contains(crate::support::app::ENCRYPTION_KEY));
}

#[tokio::test]
async fn sigterm_lets_a_slow_request_finish_refuses_new_connections_and_exits_0() {
    // /auth/init only builds a link, so Google's client id needs no server behind it.
    let mut gateway = GatewayProcess::start(&[
        ("SHUTDOWN_GRACE_SECONDS", "30"),
        ("GOOGLE_CLIENT_ID", "ops-test-client"),
        ("GOOGLE_CLIENT_SECRET", "ops-test-secret"),
    ])
    .await;
    let http = reqwest::Client::new();
    // A sign-in nobody completes: its status long-poll is the slow request.
    let response = http
        .post(gateway.url("/auth/init"))
        .header("X-API-Key", API_KEY)
        .json(&json!({"provider": "google", "user_email": "dave@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let session_id = response.json::<Value>().await.unwrap()["session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let slow = tokio::spawn({
        let url = gateway.url(&format!("/auth/status/{session_id}?wait=3"));
        let http = http.clone();
        async move {
            http.get(url)
                .header("X-API-Key", API_KEY)
                .header("X-Request-Id", "slow-one")
                .send()
                .await
        }
    });
    gateway
        .wait_for_line(|line| {
            line["fields"]["message"] == "started processing request"
                && request_id_of(line) == Some("slow-one")
        })
        .await;

    gateway.terminate();
    gateway
        .wait_for_line(|line| {
            line["fields"]["message"]
                .as_str()
                .is_some_and(|message| message.starts_with("stopped accepting connections"))
        })
        .await;
    let refused = tokio::net::TcpStream::connect(("127.0.0.1", gateway.port)).await;
    assert_eq!(
        refused.map(|_| ()).unwrap_err().kind(),
        std::io::ErrorKind::ConnectionRefused
    );

    let response = slow
        .await
        .unwrap()
        .expect("the in-flight request is answered");
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["status"], "pending");
    assert_eq!(gateway.exit_code().await, Some(0));
}
