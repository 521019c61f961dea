//! The server under test, reached over stdio (the built binary as a child process) or
//! streamable HTTP (served in this process), and the emulator's own answers to compare
//! tool results with.

use google_analytics_mcp::config::{ADMIN_URL_VAR, Config, DATA_URL_VAR};
use google_analytics_mcp::{AnalyticsServer, build};
use google_emulator::{GaProperty, sample_analytics_accounts};
use rmcp::model::CallToolResult;
use serde_json::Value;
use std::collections::HashMap;
use test_kit::TestStack;
use test_kit::mcp::{
    McpClient, call, connect_http, connect_stdio, is_error, serve_http_locally, text_of,
};

/// How the test client reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The built binary as a child process, MCP over its stdin/stdout.
    Stdio,
    /// Streamable HTTP to the server running in this process.
    Http,
}

/// A signed-in analyst of the sample data in most tests.
pub const ANALYST: &str = "analyst@example.com";

/// The server's environment: the gateway, the emulator as both Analytics APIs, and
/// `MCP_USER_EMAIL` when the server is for one user.
pub fn server_env(stack: &TestStack, single_user: Option<&str>) -> Vec<(String, String)> {
    let mut env = stack.gateway_env();
    env.push((DATA_URL_VAR.to_owned(), stack.emulator.base_url()));
    env.push((ADMIN_URL_VAR.to_owned(), stack.emulator.base_url()));
    if let Some(user) = single_user {
        env.push(("MCP_USER_EMAIL".to_owned(), user.to_owned()));
    }
    env
}

/// A client connected to a fresh server configured against `stack`.
pub async fn connect(stack: &TestStack, via: Via, single_user: Option<&str>) -> McpClient {
    let env = server_env(stack, single_user);
    match via {
        Via::Stdio => connect_stdio(env!("CARGO_BIN_EXE_google-analytics-mcp"), &[], &env)
            .await
            .unwrap(),
        Via::Http => {
            let vars: HashMap<String, String> = env.into_iter().collect();
            let config = Config::from_vars(|name| vars.get(name).cloned()).unwrap();
            let analytics = build(config, stack.auth_client()).unwrap();
            let url = serve_http_locally(move || AnalyticsServer::new(analytics.clone()))
                .await
                .unwrap();
            connect_http(&url).await.unwrap()
        }
    }
}

/// Calls `tool` and expects data; returns the result.
pub async fn call_ok(client: &McpClient, tool: &str, arguments: Value) -> CallToolResult {
    let result = call(client, tool, arguments).await.unwrap();
    assert!(!is_error(&result), "{tool} failed: {}", text_of(&result));
    result
}

/// Calls `tool` and expects a tool error; returns its text.
pub async fn call_err(client: &McpClient, tool: &str, arguments: Value) -> String {
    let result = call(client, tool, arguments).await.unwrap();
    assert!(
        is_error(&result),
        "{tool} should fail: {}",
        text_of(&result)
    );
    text_of(&result)
}

/// A property of the sample data.
pub fn sample_property(id: &str) -> GaProperty {
    sample_analytics_accounts()
        .into_iter()
        .flat_map(|account| account.properties)
        .find(|property| property.id == id)
        .unwrap()
}

/// The report the emulator serves for `request` about the sample property `id`.
pub fn emulator_report(id: &str, request: &Value) -> Value {
    google_emulator::run_report(&sample_property(id), request)
        .unwrap_or_else(|error| panic!("emulator refused {request}: {error:?}"))
}

/// Asserts that a tool's structured content holds exactly the emulator's report:
/// same rows in the same order (dimension strings, metric numbers), row count, totals.
pub fn assert_same_report(structured: &Value, expected: &Value) {
    let dimensions: Vec<&str> = names(&expected["dimensionHeaders"]);
    let metrics: Vec<&str> = names(&expected["metricHeaders"]);
    let rows = expected["rows"].as_array().cloned().unwrap_or_default();
    let got = structured["rows"].as_array().unwrap();
    assert_eq!(got.len(), rows.len(), "rows: {structured}");
    for (row, want) in got.iter().zip(&rows) {
        for (index, name) in dimensions.iter().enumerate() {
            assert_eq!(
                row[name], want["dimensionValues"][index]["value"],
                "{name} in {row}"
            );
        }
        assert_metrics(row, &metrics, &want["metricValues"]);
    }
    let row_count = expected["rowCount"].as_u64().unwrap_or(0);
    assert_eq!(structured["rowCount"], row_count);
    if let Some(totals) = expected["totals"].get(0) {
        assert_metrics(&structured["totals"], &metrics, &totals["metricValues"]);
    }
}

fn names(headers: &Value) -> Vec<&str> {
    headers
        .as_array()
        .into_iter()
        .flatten()
        .map(|header| header["name"].as_str().unwrap())
        .collect()
}

fn assert_metrics(got: &Value, metrics: &[&str], want: &Value) {
    for (index, name) in metrics.iter().enumerate() {
        let expected: f64 = want[index]["value"].as_str().unwrap().parse().unwrap();
        let actual = got[name]
            .as_f64()
            .unwrap_or_else(|| panic!("{name} in {got}"));
        assert!(
            (actual - expected).abs() < 1e-9,
            "{name}: {actual} != {expected}"
        );
    }
}
