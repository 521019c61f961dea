//! The tool list and schemas as MCP clients see them, and the binary's HTTP mode.

use crate::support::{USER, server_env, text_of};
use serde_json::json;
use std::process::Stdio;
use test_kit::TestStack;
use test_kit::mcp;
use tokio::io::{AsyncBufReadExt, BufReader};

const TOOLS: [&str; 6] = [
    "analytics_router",
    "execute_gaql_query",
    "get_ad_performance",
    "get_campaign_performance",
    "list_accounts",
    "resolve_customer",
];

#[tokio::test]
async fn stdio_lists_six_read_only_tools_with_enums_in_their_schemas() {
    let stack = TestStack::start().await.unwrap();
    let env = server_env(&stack, Some(USER));
    let client = mcp::connect_stdio(env!("CARGO_BIN_EXE_google-ads-mcp"), &[], &env)
        .await
        .unwrap();
    let info = client.peer_info().unwrap();
    assert_eq!(info.server_info.as_ref().unwrap().name, "google-ads-mcp");
    let instructions = info.instructions.clone().unwrap();
    assert!(
        instructions.contains(&format!("acts only for {USER}")),
        "{instructions}"
    );
    let tools = client.list_all_tools().await.unwrap();
    let mut names: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
    names.sort_unstable();
    assert_eq!(names, TOOLS);
    for tool in &tools {
        let hints = tool.annotations.as_ref().unwrap();
        assert_eq!(hints.read_only_hint, Some(true), "{}", tool.name);
        assert!(
            tool.input_schema["properties"].get("user_email").is_some(),
            "{}",
            tool.name
        );
    }
    let router = tools
        .iter()
        .find(|tool| tool.name == "analytics_router")
        .unwrap();
    let properties = &router.input_schema["properties"];
    assert_eq!(
        properties["intent"]["enum"],
        json!(["campaigns", "ads", "creatives", "images"])
    );
    assert_eq!(properties["date_range"]["enum"][4], "LAST_30_DAYS");
    assert_eq!(properties["date_range"]["default"], "LAST_30_DAYS");
    assert_eq!(
        mcp::defaults_outside_their_schema(&tools),
        Vec::<String>::new()
    );
    assert_eq!(
        router.input_schema["required"],
        json!(["customer_id", "intent"])
    );
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_binary_serves_streamable_http_at_mcp() {
    let stack = TestStack::start().await.unwrap();
    stack.sign_in(USER).await.unwrap();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_google-ads-mcp"));
    command
        .args(["--transport", "http", "--bind", "127.0.0.1:0"])
        .envs(server_env(&stack, Some(USER)))
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().unwrap();
    // The server logs the address it bound (port 0 picks a free one).
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let address = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("the server logs its address");
        if let Some(rest) = line.split("address=").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    let client = mcp::connect_http(&format!("http://{address}/mcp"))
        .await
        .unwrap();
    let result = mcp::call(
        &client,
        "resolve_customer",
        json!({"customer": "Northwind"}),
    )
    .await
    .unwrap();
    assert!(
        text_of(&result).contains("4567890123"),
        "{}",
        text_of(&result)
    );
    client.cancel().await.unwrap();
    child.kill().await.unwrap();
}

/// The binary run with `args`, `env` and a gateway configuration nothing is asked of;
/// its exit status and stderr (or stdout, for `--help`).
async fn run_binary(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_google-ads-mcp"))
        .args(args)
        .env_remove("MCP_BIND")
        .env_remove("MCP_TRANSPORT")
        .env_remove("MCP_AUTH")
        .env_remove("MCP_USER_EMAIL")
        .env_remove("MCP_RESOURCE_URL")
        .envs(env.iter().copied())
        .env("AUTH_GATEWAY_URL", "http://127.0.0.1:9")
        .env("AUTH_GATEWAY_API_KEY", "unused")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_default_http_address_is_port_8001_next_to_the_gateway() {
    let help = run_binary(&["--help"], &[]).await;
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("[default: 127.0.0.1:8001]"), "{text}");
}

#[tokio::test]
async fn an_address_in_use_is_named_in_the_startup_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let output = run_binary(
        &["--transport", "http", "--bind", &address],
        &[("MCP_USER_EMAIL", "ana@example.com")],
    )
    .await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("could not listen on {address}: ")),
        "{stderr}"
    );
}

#[tokio::test]
async fn a_shared_http_server_without_verification_refuses_to_start() {
    let bind = ["--transport", "http", "--bind", "0.0.0.0:0"];
    let cases: [&[(&str, &str)]; 3] = [
        &[],
        // One person's account on a non-loopback address: others could reach it.
        &[("MCP_USER_EMAIL", "ana@example.com")],
        &[("MCP_AUTH", "gateway")],
    ];
    for env in cases {
        let output = run_binary(&bind, env).await;
        assert!(!output.status.success(), "{env:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        for name in ["MCP_AUTH=gateway", "MCP_RESOURCE_URL", "MCP_USER_EMAIL"] {
            assert!(stderr.contains(name), "{env:?}: {stderr}");
        }
        assert!(!stderr.contains("serving MCP"), "{stderr}");
    }
}
