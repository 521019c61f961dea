//! `ToolFailure`: why a tool call ends without data, already in the shape the MCP
//! client should see (a readable `isError` text, or a prepared reply such as the
//! sign-in link or a URL elicitation).

use crate::google_error::GoogleApiError;
use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock};

/// A tool call that ends without data. Tools return `Result<_, ToolFailure>` from their
/// inner steps and turn it into a response with [`ToolFailure::into_response`] (or
/// `CallToolResponse::from`).
#[derive(Debug)]
pub enum ToolFailure {
    /// A message for the person and the model; becomes an `isError: true` text result
    /// (a tool-level error the model can read and act on, not a protocol error).
    Message(String),
    /// A reply prepared elsewhere, returned as is: the sign-in link, an `input_required`
    /// URL elicitation, or a gateway failure text from `mcp-auth-client`.
    Reply(Box<CallToolResponse>),
}

impl ToolFailure {
    /// A readable failure text.
    pub fn message(text: impl Into<String>) -> Self {
        Self::Message(text.into())
    }

    /// The text of a [`ToolFailure::Message`] (`None` for prepared replies).
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Message(text) => Some(text),
            Self::Reply(_) => None,
        }
    }

    /// The response the tool returns.
    pub fn into_response(self) -> CallToolResponse {
        match self {
            Self::Message(text) => CallToolResult::error(vec![ContentBlock::text(text)]).into(),
            Self::Reply(reply) => *reply,
        }
    }
}

impl From<GoogleApiError> for ToolFailure {
    fn from(error: GoogleApiError) -> Self {
        Self::Message(error.explain())
    }
}

impl From<CallToolResponse> for ToolFailure {
    fn from(reply: CallToolResponse) -> Self {
        Self::Reply(Box::new(reply))
    }
}

impl From<ToolFailure> for CallToolResponse {
    fn from(failure: ToolFailure) -> Self {
        failure.into_response()
    }
}
