//! The rmcp helper driven by rmcp's own client over an in-process stream, in both MCP
//! protocol eras, with and without URL-mode elicitation.

use crate::support::server::WhoAmI;
use mcp_auth_client::RequireAuth;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ElicitRequestParams,
    ElicitResult, ElicitationAction, ElicitationCapability, ErrorData, Implementation,
    ProtocolVersion, UrlElicitationCapability,
};
use rmcp::service::{
    ClientLifecycleMode, ClientServiceExt, RequestContext, RoleClient, RunningService,
};
use rmcp::{ClientHandler, ServiceExt};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use test_kit::{TestStack, follow};
use tokio::task::JoinHandle;

#[derive(Clone, Copy, PartialEq)]
enum Era {
    /// 2025-11-25: `initialize`, sessions, server-to-client requests.
    Legacy,
    /// 2026-07-28: `server/discover`, stateless, `input_required` results.
    Stateless,
}

/// An MCP client with a person behind it who opens elicited links in a browser.
#[derive(Clone, Default)]
struct Person {
    url_elicitation: bool,
    /// What the person answers to an elicitation.
    declines: bool,
    elicited: Arc<Mutex<Vec<String>>>,
    browsers: Arc<Mutex<Vec<JoinHandle<u16>>>>,
    logs: Arc<Mutex<Vec<String>>>,
    logged: Arc<tokio::sync::Notify>,
}

impl Person {
    fn with_url_elicitation() -> Self {
        Self {
            url_elicitation: true,
            ..Self::default()
        }
    }

    fn elicited(&self) -> Vec<String> {
        self.elicited.lock().unwrap().clone()
    }

    /// Waits for every browser the person opened; returns their final statuses.
    async fn browser_statuses(&self) -> Vec<u16> {
        let browsers: Vec<_> = self.browsers.lock().unwrap().drain(..).collect();
        let mut statuses = Vec::new();
        for browser in browsers {
            statuses.push(browser.await.unwrap());
        }
        statuses
    }
}

impl ClientHandler for Person {
    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let ElicitRequestParams::UrlElicitationParams { url, .. } = request else {
            return Ok(ElicitResult::new(ElicitationAction::Decline));
        };
        self.elicited.lock().unwrap().push(url.clone());
        if self.declines {
            return Ok(ElicitResult::new(ElicitationAction::Decline));
        }
        // The person signs in in a browser, separately from the MCP client; "accept"
        // only says they agreed to open the link.
        let browser = tokio::spawn(async move { follow(&url).await.unwrap() });
        self.browsers.lock().unwrap().push(browser);
        Ok(ElicitResult::new(ElicitationAction::Accept))
    }

    #[allow(deprecated)] // logging: deprecated from 2026-07-28, still sent to 2025-11-25 sessions
    async fn on_logging_message(
        &self,
        params: rmcp::model::LoggingMessageNotificationParam,
        _context: rmcp::service::NotificationContext<RoleClient>,
    ) {
        self.logs.lock().unwrap().push(params.data.to_string());
        self.logged.notify_one();
    }

    fn get_info(&self) -> ClientConfig {
        let mut capabilities = ClientCapabilities::default();
        if self.url_elicitation {
            capabilities.elicitation =
                Some(ElicitationCapability::new().with_url(UrlElicitationCapability::new()));
        }
        ClientConfig::new(
            capabilities,
            Implementation::new("rust-test-client", "0.1.0"),
        )
        .with_protocol_version(ProtocolVersion::V_2025_11_25)
    }
}

async fn connect(
    stack: &TestStack,
    person: Person,
    era: Era,
) -> RunningService<RoleClient, Person> {
    let (server_io, client_io) = tokio::io::duplex(1 << 16);
    let auth =
        RequireAuth::new(stack.auth_client(), "google").sign_in_timeout(Duration::from_secs(30));
    tokio::spawn(async move {
        if let Ok(running) = WhoAmI::new(auth).serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    let client = match era {
        Era::Legacy => person.serve(client_io).await.unwrap(),
        Era::Stateless => person
            .serve_with_lifecycle(
                client_io,
                ClientLifecycleMode::Discover {
                    preferred_versions: vec![ProtocolVersion::V_2026_07_28],
                },
            )
            .await
            .unwrap(),
    };
    let expected = match era {
        Era::Legacy => ProtocolVersion::V_2025_11_25,
        Era::Stateless => ProtocolVersion::V_2026_07_28,
    };
    assert_eq!(client.peer_info().unwrap().protocol_version, expected);
    client
}

async fn whoami(client: &RunningService<RoleClient, Person>, email: &str) -> CallToolResult {
    let arguments = serde_json::json!({ "user_email": email });
    let params =
        CallToolRequestParams::new("whoami").with_arguments(arguments.as_object().unwrap().clone());
    client.call_tool(params).await.unwrap()
}

fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|block| block.as_text().map(|text| text.text.clone()))
        .collect()
}

async fn a_tool_call_completes_after_the_elicited_link_is_followed(era: Era) {
    let stack = TestStack::start().await.unwrap();
    let person = Person::with_url_elicitation();
    let client = connect(&stack, person.clone(), era).await;
    let email = "elicited@example.com";
    let result = whoami(&client, email).await;
    assert_ne!(result.is_error, Some(true), "{}", text(&result));
    assert!(
        text(&result).starts_with(&format!("Google access for {email}")),
        "{}",
        text(&result)
    );
    let elicited = person.elicited();
    assert_eq!(elicited.len(), 1, "one click: {elicited:?}");
    assert!(elicited[0].starts_with(&format!("{}/connect/", stack.gateway_url)));
    assert_eq!(person.browser_statuses().await, [200]);
    // Signed in now: the next call needs no elicitation.
    assert_ne!(whoami(&client, email).await.is_error, Some(true));
    assert_eq!(person.elicited().len(), 1);
}

#[tokio::test]
async fn with_url_elicitation_a_2025_11_25_call_completes_once_the_link_is_followed() {
    a_tool_call_completes_after_the_elicited_link_is_followed(Era::Legacy).await;
}

#[tokio::test]
async fn with_url_elicitation_a_2026_07_28_call_completes_on_the_retry_once_the_link_is_followed() {
    a_tool_call_completes_after_the_elicited_link_is_followed(Era::Stateless).await;
}

async fn without_url_elicitation_the_result_carries_the_link(era: Era) {
    let stack = TestStack::start().await.unwrap();
    let person = Person::default();
    let client = connect(&stack, person.clone(), era).await;
    let email = "plain@example.com";
    let result = whoami(&client, email).await;
    assert_eq!(result.is_error, Some(true));
    let message = text(&result);
    assert!(message.contains("Sign-in required"), "{message}");
    assert!(message.contains("ask again"), "{message}");
    let link = message
        .split_whitespace()
        .find(|word| word.starts_with(&format!("{}/connect/", stack.gateway_url)))
        .unwrap_or_else(|| panic!("no link in {message}"));
    assert!(person.elicited().is_empty());
    if era == Era::Legacy {
        // The log notification carries the same link (logging is gone from 2026-07-28).
        // Notifications are handled apart from the result: wait for it to arrive.
        while !person
            .logs
            .lock()
            .unwrap()
            .iter()
            .any(|log| log.contains(link))
        {
            tokio::time::timeout(Duration::from_secs(10), person.logged.notified())
                .await
                .expect("a log notification with the link");
        }
    }
    // The person follows the link, then asks again.
    assert_eq!(follow(link).await.unwrap(), 200);
    let result = whoami(&client, email).await;
    assert_ne!(result.is_error, Some(true), "{}", text(&result));
}

#[tokio::test]
async fn without_url_elicitation_a_2025_11_25_result_carries_the_link_and_works_on_retry() {
    without_url_elicitation_the_result_carries_the_link(Era::Legacy).await;
}

#[tokio::test]
async fn without_url_elicitation_a_2026_07_28_result_carries_the_link_and_works_on_retry() {
    without_url_elicitation_the_result_carries_the_link(Era::Stateless).await;
}

#[tokio::test]
async fn a_declined_elicitation_answers_with_the_link_in_both_eras() {
    let stack = TestStack::start().await.unwrap();
    for era in [Era::Legacy, Era::Stateless] {
        let person = Person {
            declines: true,
            ..Person::with_url_elicitation()
        };
        let client = connect(&stack, person.clone(), era).await;
        let result = whoami(&client, "declines@example.com").await;
        assert_eq!(result.is_error, Some(true));
        assert!(text(&result).contains("/connect/"), "{}", text(&result));
        assert_eq!(person.elicited().len(), 1);
    }
}

#[tokio::test]
async fn a_provider_outage_is_a_tool_error_saying_when_to_retry() {
    let stack = TestStack::start().await.unwrap();
    let client = connect(&stack, Person::default(), Era::Legacy).await;
    let email = "outage@example.com";
    let first = text(&whoami(&client, email).await);
    let link = first
        .split_whitespace()
        .find(|word| word.contains("/connect/"))
        .unwrap();
    assert_eq!(follow(link).await.unwrap(), 200);
    stack.clock.advance(chrono::Duration::hours(2));
    stack.emulator.fail_next_token_requests(10, 503);
    let result = whoami(&client, email).await;
    assert_eq!(result.is_error, Some(true));
    assert!(
        text(&result).contains("temporarily unavailable"),
        "{}",
        text(&result)
    );
}
