//! Tool arguments that do not fit a tool's input schema, explained from that schema:
//! which argument is missing or wrong and what it expects (its type and description),
//! instead of rmcp's serde text ("failed to deserialize parameters: missing field").

use rmcp::ErrorData;
use rmcp::handler::server::tool::{ToolCallContext, ToolRouter};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, JsonObject, Tool,
};
use rmcp::service::{RequestContext, RoleServer};
use serde_json::Value;
use std::fmt::Write as _;

/// How rmcp starts the tool error it makes of arguments serde cannot read.
const RMCP_ARGUMENT_ERROR: &str = "failed to deserialize parameters:";

/// Calls the tool `request` names through `router`, as rmcp's generated `call_tool`
/// does, with arguments that do not fit answered by [`explain`]. Use it as the body of
/// `ServerHandler::call_tool`: `call_tool(&Self::tool_router(), self, request, context)`.
pub async fn call_tool<S: Send + Sync + 'static>(
    router: &ToolRouter<S>,
    server: &S,
    request: CallToolRequestParams,
    context: RequestContext<RoleServer>,
) -> Result<CallToolResponse, ErrorData> {
    let tool = router.get(&request.name).cloned();
    let arguments = request.arguments.clone().unwrap_or_default();
    let response = router
        .call(ToolCallContext::new(server, request, context))
        .await?;
    let Some(tool) = tool else {
        return Ok(response);
    };
    let CallToolResponse::Complete(result) = &response else {
        return Ok(response);
    };
    let Some(serde_text) = argument_error(result) else {
        return Ok(response);
    };
    let text = explain(&tool, &arguments, serde_text);
    Ok(CallToolResult::error(vec![ContentBlock::text(text)]).into())
}

/// The serde text of rmcp's tool error for unreadable arguments, if `result` is one.
fn argument_error(result: &CallToolResult) -> Option<&str> {
    if result.is_error != Some(true) {
        return None;
    }
    let text = result.content.first()?.as_text()?;
    text.text.strip_prefix(RMCP_ARGUMENT_ERROR).map(str::trim)
}

/// What is wrong with `arguments` for `tool`: each missing required argument and each
/// argument of the wrong type or out of range, with what it expects. `serde_text` is
/// the fallback when the schema shows no problem.
pub fn explain(tool: &Tool, arguments: &JsonObject, serde_text: &str) -> String {
    let schema = &tool.input_schema;
    let properties = schema.get("properties").and_then(Value::as_object);
    let property = |name: &str| properties.and_then(|all| all.get(name));
    let mut problems = Vec::new();
    let required = schema.get("required").and_then(Value::as_array);
    for name in required.into_iter().flatten().filter_map(Value::as_str) {
        if arguments.get(name).is_none_or(Value::is_null) {
            problems.push(format!(
                "`{name}` is required: {}",
                expects(property(name).unwrap_or(&Value::Null))
            ));
        }
    }
    for (name, value) in arguments {
        let Some(expected) = property(name) else {
            continue;
        };
        if let Some(problem) = mismatch(value, expected) {
            problems.push(format!("`{name}` {problem}: {}", expects(expected)));
        }
    }
    let tool_name = &tool.name;
    if problems.is_empty() {
        return format!("The arguments of {tool_name} could not be read: {serde_text}.");
    }
    let mut text = format!("{tool_name} was not run; correct its arguments and call it again:");
    for problem in problems {
        let _ = write!(text, "\n- {problem}");
    }
    text
}

/// Why `value` does not fit `schema`, if it does not (type, then range).
fn mismatch(value: &Value, schema: &Value) -> Option<String> {
    let types = types_of(schema);
    if !types.is_empty() && !types.iter().any(|kind| is_kind(value, kind)) {
        return Some(format!("must be {}", kinds_text(&types, schema)));
    }
    if let Some(items) = schema.get("items")
        && let Some(values) = value.as_array()
        && values.iter().any(|item| mismatch(item, items).is_some())
    {
        return Some(format!("must be {}", kinds_text(&types, schema)));
    }
    let number = value.as_f64()?;
    let minimum = schema.get("minimum").and_then(Value::as_f64);
    let maximum = schema.get("maximum").and_then(Value::as_f64);
    let below = minimum.is_some_and(|minimum| number < minimum);
    let above = maximum.is_some_and(|maximum| number > maximum);
    (below || above).then(|| "is out of range".to_owned())
}

/// "a string (one of: A, B): the description".
fn expects(schema: &Value) -> String {
    let mut text = kinds_text(&types_of(schema), schema);
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let names: Vec<String> = values
            .iter()
            .map(|value| {
                value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned)
            })
            .collect();
        let _ = write!(text, ", one of: {}", names.join(", "));
    }
    let minimum = schema.get("minimum").and_then(Value::as_f64);
    let maximum = schema.get("maximum").and_then(Value::as_f64);
    if let (Some(minimum), Some(maximum)) = (minimum, maximum) {
        let _ = write!(text, " from {minimum} to {maximum}");
    }
    if let Some(description) = schema.get("description").and_then(Value::as_str) {
        let description = description.split_whitespace().collect::<Vec<_>>().join(" ");
        let _ = write!(text, ". {description}");
    }
    text
}

/// The JSON types a schema allows besides `null` (a left-out value is never wrong).
fn types_of(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(kind)) => vec![kind.as_str()],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .filter(|kind| *kind != "null")
    .collect()
}

fn is_kind(value: &Value, kind: &str) -> bool {
    match kind {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => true,
    }
}

/// "a string", "a list of strings", "a whole number or a string".
fn kinds_text(types: &[&str], schema: &Value) -> String {
    if types.is_empty() {
        return "a value".to_owned();
    }
    let names: Vec<String> = types
        .iter()
        .map(|kind| match *kind {
            "string" => "a string".to_owned(),
            "integer" => "a whole number".to_owned(),
            "number" => "a number".to_owned(),
            "boolean" => "true or false".to_owned(),
            "object" => "an object".to_owned(),
            "array" => {
                let items = schema.get("items").map(|items| types_of(items));
                match items.as_deref() {
                    Some(["string"]) => "a list of strings".to_owned(),
                    _ => "a list".to_owned(),
                }
            }
            other => format!("a {other}"),
        })
        .collect();
    names.join(" or ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::sync::Arc;

    fn tool() -> Tool {
        let schema = json!({
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "A GAQL\n SELECT query."},
                "limit": {"type": ["integer", "null"], "minimum": 1, "maximum": 10},
                "metrics": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["query", "metrics"],
        });
        let Value::Object(schema) = schema else {
            unreachable!()
        };
        Tool::new("run", "a tool", Arc::new(schema))
    }

    fn arguments(value: Value) -> JsonObject {
        match value {
            Value::Object(object) => object,
            _ => JsonObject::new(),
        }
    }

    #[test]
    fn a_missing_argument_is_named_with_its_type_and_description() {
        let text = explain(
            &tool(),
            &arguments(json!({"metrics": ["a"]})),
            "missing field",
        );
        assert!(
            text.contains("- `query` is required: a string. A GAQL SELECT query."),
            "{text}"
        );
        assert!(!text.contains("metrics"), "{text}");
    }

    #[test]
    fn wrong_types_and_ranges_say_what_is_expected() {
        let given = arguments(json!({"query": "q", "metrics": [1], "limit": 11}));
        let text = explain(&tool(), &given, "invalid type");
        assert!(
            text.contains("- `metrics` must be a list of strings"),
            "{text}"
        );
        assert!(
            text.contains("- `limit` is out of range: a whole number from 1 to 10"),
            "{text}"
        );
    }

    #[test]
    fn a_problem_the_schema_does_not_show_keeps_serdes_text() {
        let given = arguments(json!({"query": "q", "metrics": []}));
        let text = explain(&tool(), &given, "something else");
        assert_eq!(
            text,
            "The arguments of run could not be read: something else."
        );
    }
}
