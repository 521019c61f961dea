//! The `/docs` page, built once from the OpenAPI document: each operation once, whether
//! it needs `X-API-Key`, its parameters, and the shapes of its request and response
//! bodies. Static HTML, no scripts; every text from the document is escaped.

use super::pages::escape;
use serde_json::Value;
use std::fmt::Write as _;

/// How deep nested schemas are spelled out before `…`.
const MAX_DEPTH: usize = 6;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;\
padding:0 1rem;line-height:1.5;color:#222}h2{margin-top:2.5rem;border-bottom:1px solid #ddd}\
section{margin:1.5rem 0 2rem}h3{font-size:1.05rem;margin-bottom:.3rem}\
.method{display:inline-block;min-width:4.5rem;font-weight:bold}\
.key{background:#fff3cd;padding:.05rem .4rem;border-radius:.2rem;font-size:.85rem}\
pre{background:#f5f5f5;padding:.6rem;overflow-x:auto;font-size:.85rem}\
code{background:#f5f5f5;padding:0 .2rem}pre code{padding:0}\
td{padding:.2rem .8rem .2rem 0;vertical-align:top}";

/// The whole page for the OpenAPI document `doc` (as JSON).
pub fn page(doc: &Value) -> String {
    let title = doc["info"]["title"].as_str().unwrap_or("API");
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>{}</h1><p>{}</p><p>Operations marked <span class=\"key\">X-API-Key</span> need \
         the header <code>X-API-Key: &lt;your key&gt;</code>; without it they answer 403 \
         <code>{{\"detail\":\"Invalid API key\",\"hint\":\"...\"}}</code>. The machine-readable document is \
         at <a href=\"/openapi.json\">/openapi.json</a>.</p>",
        escape(title),
        inline(doc["info"]["description"].as_str().unwrap_or_default()),
    );
    let tags = doc["tags"].as_array().cloned().unwrap_or_default();
    let mut error_bodies = Vec::new();
    for tag in &tags {
        let name = tag["name"].as_str().unwrap_or_default();
        let _ = write!(
            body,
            "<h2>{}</h2><p>{}</p>",
            escape(name),
            inline(tag["description"].as_str().unwrap_or_default())
        );
        for (method, path, operation) in operations(doc) {
            if operation["tags"]
                .as_array()
                .is_some_and(|tags| tags.iter().any(|t| t == name))
            {
                operation_section(&mut body, doc, (method, path), operation, &mut error_bodies);
            }
        }
    }
    error_bodies.sort_unstable();
    error_bodies.dedup();
    body.push_str("<h2>Error bodies</h2><p>The shapes the error answers above name.</p>");
    for name in error_bodies {
        let schema = &doc["components"]["schemas"][name];
        let _ = write!(
            body,
            "<section id=\"{id}\"><h3><code>{id}</code></h3><p>{}</p><pre><code>{}</code></pre></section>",
            inline(schema["description"].as_str().unwrap_or_default()),
            escape(&shape(doc, schema, 0)),
            id = escape(name),
        );
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        escape(title)
    )
}

/// Every operation, in path order: `(METHOD, path, operation)`.
fn operations(doc: &Value) -> Vec<(&'static str, &str, &Value)> {
    let mut found = Vec::new();
    let Some(paths) = doc["paths"].as_object() else {
        return found;
    };
    for (path, item) in paths {
        for method in ["get", "post", "put", "patch", "delete"] {
            if let Some(operation) = item.get(method) {
                found.push((method_name(method), path.as_str(), operation));
            }
        }
    }
    found
}

fn method_name(method: &str) -> &'static str {
    match method {
        "get" => "GET",
        "post" => "POST",
        "put" => "PUT",
        "patch" => "PATCH",
        _ => "DELETE",
    }
}

/// One operation. Error answers name their body's schema (spelled out once, at the end,
/// collected into `error_bodies`) rather than repeating it under every operation.
fn operation_section<'a>(
    out: &mut String,
    doc: &'a Value,
    (method, path): (&str, &str),
    operation: &'a Value,
    error_bodies: &mut Vec<&'a str>,
) {
    let needs_key = operation["security"]
        .as_array()
        .is_some_and(|schemes| !schemes.is_empty());
    let _ = write!(
        out,
        "<section><h3><span class=\"method\">{method}</span><code>{}</code>{}</h3>",
        escape(path),
        if needs_key {
            " <span class=\"key\">X-API-Key</span>"
        } else {
            ""
        }
    );
    let text = [&operation["summary"], &operation["description"]]
        .iter()
        .filter_map(|value| value.as_str())
        .map(|text| capitalised(strip_route(text, method, path)))
        .filter(|text| !text.is_empty())
        .collect::<Vec<_>>();
    let mut seen: Vec<&str> = Vec::new();
    for paragraph in &text {
        if !seen.contains(&paragraph.as_str()) {
            let _ = write!(out, "<p>{}</p>", inline(paragraph));
            seen.push(paragraph);
        }
    }
    if let Some(parameters) = operation["parameters"].as_array() {
        out.push_str("<p>Parameters:</p><table>");
        for parameter in parameters {
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td>{}{}</td><td>{}</td></tr>",
                escape(parameter["name"].as_str().unwrap_or_default()),
                escape(parameter["in"].as_str().unwrap_or_default()),
                if parameter["required"] == true {
                    ""
                } else {
                    ", optional"
                },
                inline(parameter["description"].as_str().unwrap_or_default()),
            );
        }
        out.push_str("</table>");
    }
    if let Some(schema) = json_schema(&operation["requestBody"]) {
        let _ = write!(
            out,
            "<p>Request body (JSON):</p><pre><code>{}</code></pre>",
            escape(&shape(doc, schema, 0))
        );
    }
    out.push_str("<p>Responses:</p><table>");
    if let Some(responses) = operation["responses"].as_object() {
        for (status, response) in responses {
            let description = response["description"].as_str().unwrap_or_default();
            let reference = json_schema(response)
                .and_then(|schema| schema["$ref"].as_str())
                .and_then(|reference| reference.rsplit('/').next())
                .filter(|name| !status.starts_with('2') && name.ends_with("Body"));
            let body = match (reference, json_schema(response)) {
                (Some(name), _) => {
                    error_bodies.push(name);
                    format!(
                        " <a href=\"#{name}\"><code>{name}</code></a>",
                        name = escape(name)
                    )
                }
                (None, Some(schema)) => {
                    format!("<pre><code>{}</code></pre>", escape(&shape(doc, schema, 0)))
                }
                (None, None) => String::new(),
            };
            let _ = write!(
                out,
                "<tr><td><b>{}</b></td><td>{}{body}</td></tr>",
                escape(status),
                inline(description)
            );
        }
    }
    out.push_str("</table></section>");
}

/// The JSON schema of a request body or response, when it has one.
fn json_schema(body: &Value) -> Option<&Value> {
    body["content"]["application/json"]["schema"]
        .as_object()
        .map(|_| &body["content"]["application/json"]["schema"])
}

/// Drops a leading "`POST /auth/init`: " that repeats the heading.
fn strip_route<'a>(text: &'a str, method: &str, path: &str) -> &'a str {
    let route = format!("`{method} {path}`");
    let text = text.trim();
    match text.strip_prefix(&route) {
        Some(rest) => rest.trim_start_matches(':').trim(),
        None => text,
    }
}

/// `text` with its first letter upper-cased (summaries read as sentences once the route
/// is stripped).
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// Escapes `text` and turns Markdown inline code (`` `x` ``) into `<code>`.
fn inline(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", escape(part));
        } else {
            out.push_str(&escape(part));
        }
    }
    out
}

/// A compact, JSON-like spelling of a schema: `{ "field": string, "opt"?: integer }`.
fn shape(doc: &Value, schema: &Value, depth: usize) -> String {
    spell(doc, schema, depth, 0)
}

/// `depth` is the nesting (indentation) level; `hops` counts references followed, so a
/// self-referencing schema ends.
fn spell(doc: &Value, schema: &Value, depth: usize, hops: usize) -> String {
    if depth > MAX_DEPTH || hops > MAX_DEPTH * 2 {
        return "…".to_owned();
    }
    let shape = |schema: &Value, depth: usize| spell(doc, schema, depth, hops + 1);
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or_default();
        return shape(&doc["components"]["schemas"][name], depth);
    }
    for (combinator, joiner) in [("oneOf", " | "), ("anyOf", " | "), ("allOf", " & ")] {
        if let Some(options) = schema[combinator].as_array() {
            return options
                .iter()
                .map(|option| shape(option, depth))
                .collect::<Vec<_>>()
                .join(joiner);
        }
    }
    if let Some(values) = schema["enum"].as_array() {
        return values
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join(" | ");
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let nullable = types.contains(&"null");
    let main = types.iter().find(|t| **t != "null").copied();
    let spelled = match main {
        Some("object") | None if schema["properties"].is_object() => {
            object(doc, schema, depth, hops)
        }
        Some("array") => format!("[{}]", shape(&schema["items"], depth)),
        Some(kind) => match schema["format"].as_str() {
            Some("date-time") => "string (date-time)".to_owned(),
            _ => kind.to_owned(),
        },
        None => "any".to_owned(),
    };
    if nullable {
        format!("{spelled} | null")
    } else {
        spelled
    }
}

fn object(doc: &Value, schema: &Value, depth: usize, hops: usize) -> String {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let indent = "  ".repeat(depth + 1);
    let mut out = String::from("{\n");
    if let Some(properties) = schema["properties"].as_object() {
        for (name, property) in properties {
            let optional = if required.contains(&name.as_str()) {
                ""
            } else {
                "?"
            };
            let _ = writeln!(
                out,
                "{indent}\"{name}\"{optional}: {},",
                spell(doc, property, depth + 1, hops + 1)
            );
        }
    }
    let _ = write!(out, "{}}}", "  ".repeat(depth));
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn inline_code_becomes_code_elements_and_the_rest_is_escaped() {
        assert_eq!(
            super::inline("use `X-API-Key` <b>"),
            "use <code>X-API-Key</code> &lt;b&gt;"
        );
    }

    #[test]
    fn a_summary_repeating_the_route_loses_the_repetition() {
        assert_eq!(
            super::strip_route("`POST /auth/init`: start a sign-in", "POST", "/auth/init"),
            "start a sign-in"
        );
        assert_eq!(super::capitalised("start a sign-in"), "Start a sign-in");
    }

    #[test]
    fn shapes_follow_references_and_mark_optional_fields() {
        let doc = json!({"components": {"schemas": {"Req": {
            "type": "object", "required": ["provider"],
            "properties": {"provider": {"type": "string"},
                           "scopes": {"type": ["array", "null"], "items": {"type": "string"}}}
        }}}});
        assert_eq!(
            super::shape(&doc, &json!({"$ref": "#/components/schemas/Req"}), 0),
            "{\n  \"provider\": string,\n  \"scopes\"?: [string] | null,\n}"
        );
    }
}
