//! rmcp clients for black-box tests: one over stdio talking to the server's built
//! binary as a child process, one over streamable HTTP (to an in-process server or any
//! URL), and helpers to read tool results.

use rmcp::model::{CallToolRequestParams, CallToolResult, ContentBlock};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientHandler, ServerHandler, ServiceExt};
use std::process::Stdio;

/// A connected MCP client.
pub type McpClient = RunningService<RoleClient, ()>;

/// Environment variables a server under test must not inherit from the developer's
/// shell (they would change its behaviour): every variable with these prefixes.
const ISOLATED_PREFIXES: [&str; 4] = ["AUTH_GATEWAY_", "GOOGLE_", "MCP_", "RUST_LOG"];

/// Starts `binary` (e.g. `env!("CARGO_BIN_EXE_google-ads-mcp")`) with `args` and
/// exactly `env` among the server's variables, and connects over its stdio.
pub async fn connect_stdio(
    binary: &str,
    args: &[&str],
    env: &[(String, String)],
) -> anyhow::Result<McpClient> {
    connect_stdio_with((), binary, args, env).await
}

/// Like [`connect_stdio`], with `client` answering the server's requests (elicitation).
pub async fn connect_stdio_with<C: ClientHandler>(
    client: C,
    binary: &str,
    args: &[&str],
    env: &[(String, String)],
) -> anyhow::Result<RunningService<RoleClient, C>> {
    let mut command = tokio::process::Command::new(binary);
    command.args(args);
    for (name, _) in std::env::vars() {
        if ISOLATED_PREFIXES
            .iter()
            .any(|prefix| name.starts_with(prefix))
        {
            command.env_remove(name);
        }
    }
    command.envs(env.iter().map(|(name, value)| (name, value)));
    command.env("RUST_LOG", "warn");
    let (transport, _) = TokioChildProcess::builder(command)
        .stderr(Stdio::inherit())
        .spawn()?;
    Ok(client.serve(transport).await?)
}

/// Connects over streamable HTTP to `url` sending `token` as `Authorization: Bearer`
/// (a gateway access token for a server in gateway mode).
pub async fn connect_http_with_token(url: &str, token: &str) -> anyhow::Result<McpClient> {
    connect_http_with_token_as((), url, token).await
}

/// Like [`connect_http_with_token`], with `client` answering the server's requests
/// (elicitation).
pub async fn connect_http_with_token_as<C: ClientHandler>(
    client: C,
    url: &str,
    token: &str,
) -> anyhow::Result<RunningService<RoleClient, C>> {
    use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
    let config = StreamableHttpClientTransportConfig::with_uri(url.to_owned()).auth_header(token);
    let transport = StreamableHttpClientTransport::from_config(config);
    Ok(client.serve(transport).await?)
}

/// Connects over streamable HTTP to `url` (`http://…/mcp`).
pub async fn connect_http(url: &str) -> anyhow::Result<McpClient> {
    let transport = StreamableHttpClientTransport::from_uri(url.to_owned());
    Ok(().serve(transport).await?)
}

/// Serves servers made by `factory` over streamable HTTP on a free local port, in this
/// process, until the runtime ends; returns the `http://127.0.0.1:PORT/mcp` URL.
pub async fn serve_http_locally<S, F>(factory: F) -> anyhow::Result<String>
where
    S: ServerHandler + Send + 'static,
    F: Fn() -> S + Send + Sync + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!(
        "http://{}{}",
        listener.local_addr()?,
        google_mcp_common::transport::MCP_PATH
    );
    tokio::spawn(google_mcp_common::transport::serve_http(
        factory,
        listener,
        Vec::new(),
        std::future::pending(),
    ));
    Ok(url)
}

/// Calls `tool` with `arguments` (a JSON object).
pub async fn call(
    client: &McpClient,
    tool: &str,
    arguments: serde_json::Value,
) -> anyhow::Result<CallToolResult> {
    let serde_json::Value::Object(arguments) = arguments else {
        anyhow::bail!("tool arguments must be a JSON object");
    };
    let params = CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments);
    Ok(client.call_tool(params).await?)
}

/// The text blocks of a result, joined.
pub fn text_of(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(ContentBlock::as_text)
        .map(|text| text.text.as_str())
        .collect()
}

/// True when the result is a tool error (`isError: true`).
pub fn is_error(result: &CallToolResult) -> bool {
    result.is_error == Some(true)
}

/// The sign-in link of the gateway at `gateway_url` in `text`, if any.
pub fn sign_in_link(text: &str, gateway_url: &str) -> Option<String> {
    let prefix = format!("{gateway_url}/connect/");
    text.split_whitespace()
        .find(|word| word.starts_with(&prefix))
        .map(str::to_owned)
}

/// Every property default in the tools' input schemas that the property's own schema
/// refuses (a value outside its `enum`, or of a type it does not allow), as
/// `tool.property: default`.
pub fn defaults_outside_their_schema(tools: &[rmcp::model::Tool]) -> Vec<String> {
    let mut wrong = Vec::new();
    for tool in tools {
        let properties = tool
            .input_schema
            .get("properties")
            .and_then(|p| p.as_object());
        for (name, schema) in properties.into_iter().flatten() {
            let Some(default) = schema.get("default") else {
                continue;
            };
            let in_enum = schema
                .get("enum")
                .and_then(serde_json::Value::as_array)
                .is_none_or(|values| values.contains(default));
            let of_allowed_type = match schema.get("type") {
                Some(serde_json::Value::String(kind)) => json_type_is(default, kind),
                Some(serde_json::Value::Array(kinds)) => kinds
                    .iter()
                    .filter_map(serde_json::Value::as_str)
                    .any(|kind| json_type_is(default, kind)),
                _ => !default.is_null(),
            };
            if !in_enum || !of_allowed_type {
                wrong.push(format!("{}.{name}: {default}", tool.name));
            }
        }
    }
    wrong
}

fn json_type_is(value: &serde_json::Value, kind: &str) -> bool {
    match kind {
        "null" => value.is_null(),
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    }
}
