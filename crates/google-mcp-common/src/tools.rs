//! Tool schemas for gateway mode: the user comes from the access token, so the tools
//! must not offer a `user_email` argument a model could fill with someone else.

use crate::user::UserPolicy;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::model::Tool;
use std::sync::Arc;

/// The argument removed from every tool's input schema.
const USER_EMAIL: &str = "user_email";

/// The server's tool router as its users see it: without `user_email` when users are
/// verified. Use it as `#[tool_handler(router = …)]` and in `call_tool`.
pub fn router_for<S>(mut router: ToolRouter<S>, users: &UserPolicy) -> ToolRouter<S> {
    if users.is_verified() {
        for route in router.map.values_mut() {
            strip(&mut route.attr);
        }
    }
    router
}

/// `tools` with `user_email` removed from their input schemas (properties and
/// `required`).
pub fn without_user_email(mut tools: Vec<Tool>) -> Vec<Tool> {
    tools.iter_mut().for_each(strip);
    tools
}

fn strip(tool: &mut Tool) {
    let mut schema = (*tool.input_schema).clone();
    if let Some(serde_json::Value::Object(properties)) = schema.get_mut("properties") {
        properties.remove(USER_EMAIL);
    }
    if let Some(serde_json::Value::Array(required)) = schema.get_mut("required") {
        required.retain(|name| name != USER_EMAIL);
    }
    tool.input_schema = Arc::new(schema);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_argument_is_gone_from_properties_and_required() {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {"user_email": {"type": "string"}, "customer_id": {"type": "string"}},
            "required": ["customer_id", "user_email"],
        });
        let serde_json::Value::Object(schema) = schema else {
            unreachable!()
        };
        let tool = Tool::new("t", "d", Arc::new(schema));
        let tools = without_user_email(vec![tool]);
        let schema = serde_json::Value::Object((*tools[0].input_schema).clone());
        assert_eq!(schema["properties"].as_object().unwrap().len(), 1);
        assert_eq!(schema["required"], serde_json::json!(["customer_id"]));
    }
}
