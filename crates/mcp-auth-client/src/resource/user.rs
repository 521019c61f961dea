//! The user a verified token names, as the tools see it. The layer puts it in the
//! request's extensions; rmcp's streamable HTTP service moves the request's
//! `http::request::Parts` into the tool call's context (rmcp 3.11,
//! `transport/streamable_http_server/tower.rs`), which is where tools find it.

use rmcp::model::Extensions;
use rmcp::service::{RequestContext, RoleServer};
use secrecy::SecretString;

/// Who called, proven by the gateway's signature. `Debug` never shows the token.
#[derive(Debug, Clone)]
pub struct VerifiedUser {
    /// The user's stable subject at the login provider (`sub`): key per-user state on
    /// it, not on the email.
    pub subject: String,
    /// The user's verified email (`email`).
    pub email: String,
    /// The MCP client the user authorized (`client_id`).
    pub client_id: String,
    /// The gateway scopes of the token.
    pub scopes: Vec<String>,
    /// The bearer token itself, for token exchange; never log it.
    pub token: SecretString,
}

impl VerifiedUser {
    /// The verified user of the request behind a tool call, when the guard let it in.
    pub fn from_context(context: &RequestContext<RoleServer>) -> Option<Self> {
        Self::from_extensions(&context.extensions)
    }

    /// The same from the [`crate::ToolCall`] a `RequireAuth` tool already takes.
    pub fn from_call(call: &crate::ToolCall) -> Option<Self> {
        Self::from_context(call.context())
    }

    /// The same from rmcp's extensions (of a request or notification).
    pub fn from_extensions(extensions: &Extensions) -> Option<Self> {
        extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Self>())
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_token() {
        let user = VerifiedUser {
            subject: "sub-1".into(),
            email: "a@example.com".into(),
            client_id: "c".into(),
            scopes: vec![],
            token: SecretString::from("eyJ.secret.sig"),
        };
        let shown = format!("{user:?}");
        assert!(!shown.contains("eyJ"), "{shown}");
    }
}
