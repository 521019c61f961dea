//! The OpenAPI document's frame: title, the `X-API-Key` scheme and the error bodies.
//! Paths come from the handlers' `#[utoipa::path]` annotations, collected by the router
//! itself (`utoipa_axum`), so a route cannot be served without being documented.

use crate::http::routes::ops::ApiDocument;
use gateway_proto::{API_KEY_HEADER, ErrorDetail};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// Name of the API-key security scheme in the document.
pub const API_KEY_SCHEME: &str = "api_key";

/// `{"detail": {...}}`: every error of the JSON API except 403 and 422.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documentation only: the server writes gateway_proto::ApiErrorBody
pub struct ErrorBody {
    pub detail: ErrorDetail,
}

/// `{"detail": "Invalid API key", "hint": ...}`: 403, the original gateway's shape plus
/// a hint.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documentation only
pub struct ApiKeyErrorBody {
    #[schema(example = "Invalid API key")]
    pub detail: String,
    /// Extension: whether the `X-API-Key` header was missing or its key not recognised.
    #[schema(example = "Send the API key in the X-API-Key header.")]
    pub hint: String,
}

/// 403 on routes that check the key's allow-list: the original's invalid-key shape, or
/// `forbidden_provider` / `scope_not_allowed` for a valid key that may not do this.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documentation only
#[serde(untagged)]
pub enum ForbiddenBody {
    InvalidApiKey(ApiKeyErrorBody),
    NotAllowed(ErrorBody),
}

/// One problem in a 422 answer (FastAPI's validation shape).
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documentation only
pub struct ValidationProblem {
    #[schema(example = "invalid_request")]
    pub r#type: String,
    /// Where: `body`, `query` or `path`.
    pub loc: Vec<String>,
    pub msg: String,
}

/// 422: the body, query or path did not parse.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documentation only
pub struct ValidationErrorBody {
    pub detail: Vec<ValidationProblem>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "MCP auth gateway",
        description = "Runs OAuth sign-ins for MCP servers, stores the tokens encrypted and hands out valid access tokens. Wire-compatible with the original Python gateway; fields marked extension are additive."
    ),
    modifiers(&ApiKeyScheme),
    components(schemas(
        ErrorBody,
        ApiKeyErrorBody,
        ForbiddenBody,
        ValidationErrorBody,
        ValidationProblem
    )),
    tags(
        (name = "auth", description = "The JSON API for MCP servers (X-API-Key)"),
        (name = "sign-in", description = "Pages a person's browser visits"),
        (name = "operations", description = "Health, readiness, metrics and this document"),
        (name = "oauth", description = "The OAuth authorization server for MCP clients: metadata, registration, token, revocation and the signing keys (JWKS); for MCP servers, token exchange (RFC 8693) and introspection (RFC 7662)"),
    )
)]
pub struct ApiDoc;

struct ApiKeyScheme;

impl Modify for ApiKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            API_KEY_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new(API_KEY_HEADER))),
        );
    }
}

/// Renders the finished document once, for `/openapi.json` and `/docs`.
pub fn render(openapi: &utoipa::openapi::OpenApi) -> ApiDocument {
    let json = openapi
        .to_pretty_json()
        .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"));
    let value = serde_json::from_str(&json).unwrap_or_default();
    ApiDocument {
        docs_page: super::docs::page(&value).into(),
        json: json.into(),
    }
}
