//! What an MCP client sees before calling: five read-only tools with input and output
//! schemas, and instructions for the model.

use crate::support::{Via, connect};
use test_kit::TestStack;
use test_kit::mcp::defaults_outside_their_schema;

#[tokio::test]
async fn five_read_only_tools_are_listed_with_input_and_output_schemas() {
    let stack = TestStack::start().await.unwrap();
    let client = connect(&stack, Via::Stdio, None).await;
    let mut tools = client.list_all_tools().await.unwrap();
    tools.sort_by(|a, b| a.name.cmp(&b.name));
    let names: Vec<&str> = tools.iter().map(|tool| tool.name.as_ref()).collect();
    assert_eq!(
        names,
        [
            "get_active_users",
            "get_page_views",
            "get_traffic_sources",
            "list_properties",
            "run_report"
        ]
    );
    for tool in &tools {
        let annotations = tool.annotations.as_ref().unwrap();
        assert_eq!(annotations.read_only_hint, Some(true), "{}", tool.name);
        assert!(tool.output_schema.is_some(), "{}", tool.name);
        assert!(
            tool.description.as_deref().is_some_and(|d| d.len() > 40),
            "{}",
            tool.name
        );
        let properties = tool.input_schema["properties"].as_object().unwrap();
        assert!(properties.contains_key("user_email"), "{}", tool.name);
    }
    assert_eq!(defaults_outside_their_schema(&tools), Vec::<String>::new());
    let run_report = &tools[4].input_schema;
    assert_eq!(
        run_report["required"],
        serde_json::json!(["property_id", "start_date", "end_date", "metrics"])
    );
    assert_eq!(run_report["properties"]["limit"]["maximum"], 250_000);

    let instructions = client.peer_info().unwrap().instructions.clone().unwrap();
    assert!(
        instructions.contains("Start with list_properties"),
        "{instructions}"
    );
    assert!(instructions.contains("Pass user_email"), "{instructions}");
}
