//! What the user reads: the sign-in and failure texts of tool results, and the log and
//! progress notifications that carry the link to clients that show them.

use crate::error::AuthError;
use gateway_proto::SessionStatus;
use rmcp::model::{
    CallToolResponse, CallToolResult, ContentBlock, ProgressNotificationParam, ProtocolVersion,
};
use rmcp::service::{RequestContext, RoleServer};
use std::fmt::Write as _;

/// The short prompt shown next to the URL in a URL-mode elicitation.
pub(crate) fn elicitation_message(provider: &str, error: &AuthError) -> String {
    match error {
        AuthError::NeedsReauth { .. } => {
            format!(
                "Your {provider} sign-in has expired or was revoked. Sign in again to continue."
            )
        }
        AuthError::InsufficientScope { missing, .. } => format!(
            "This tool needs more access to your {provider} account ({}). Sign in to grant it.",
            missing.join(", ")
        ),
        _ => format!("Sign in with {provider} so this tool can use your account."),
    }
}

/// The text of the `isError` tool result that carries the sign-in link.
pub(crate) fn sign_in_text(
    provider: &str,
    error: &AuthError,
    previous: Option<SessionStatus>,
) -> String {
    let url = error.auth_url().unwrap_or_default();
    let mut text = String::new();
    match previous {
        Some(SessionStatus::Failed) => text.push_str("The last sign-in did not succeed. "),
        Some(SessionStatus::Expired) => text.push_str("The last sign-in link expired. "),
        Some(SessionStatus::Pending) => text.push_str("The sign-in was not finished in time. "),
        Some(SessionStatus::Completed) | None => {}
    }
    let _ = match error {
        AuthError::NeedsReauth { .. } => write!(
            text,
            "Your {provider} sign-in has expired or was revoked. Open this link in your browser to sign in again:\n\n{url}\n\n"
        ),
        AuthError::InsufficientScope { missing, .. } => write!(
            text,
            "This needs more access to your {provider} account than was granted ({}). Open this link in your browser to grant it:\n\n{url}\n\n",
            missing.join(", ")
        ),
        _ => write!(
            text,
            "Sign-in required: to use your {provider} account, open this link in your browser and sign in:\n\n{url}\n\n"
        ),
    };
    text.push_str("When you have signed in, ask again and the request will be retried.");
    text
}

/// The text of the `isError` tool result for failures a sign-in does not fix.
pub(crate) fn failure_text(provider: &str, error: &AuthError) -> String {
    match error {
        AuthError::ProviderUnavailable { retry_after } => match retry_after {
            Some(wait) => format!(
                "{provider} is temporarily unavailable. Please try again in {} seconds.",
                wait.as_secs().max(1)
            ),
            None => format!("{provider} is temporarily unavailable. Please try again shortly."),
        },
        AuthError::InvalidApiKey => {
            tracing::error!("the auth gateway rejected AUTH_GATEWAY_API_KEY");
            "This MCP server is misconfigured: the auth gateway rejected its API key \
             (AUTH_GATEWAY_API_KEY). Please tell the server's operator."
                .to_owned()
        }
        AuthError::CrossOriginRedirect { to } => {
            tracing::error!(%to, "the auth gateway redirected to another origin: not followed");
            "This MCP server is misconfigured: its auth gateway address (AUTH_GATEWAY_URL) \
             redirects elsewhere. Please tell the server's operator."
                .to_owned()
        }
        AuthError::GatewayUnreachable(problem) => {
            tracing::warn!(%problem, "the auth gateway is unreachable");
            "The sign-in service (auth gateway) is unreachable right now. Please try again shortly."
                .to_owned()
        }
        other => {
            tracing::warn!(error = %other, "the auth gateway refused a token");
            format!("The sign-in service could not provide {provider} access: {other}.")
        }
    }
}

/// A tool result with `isError: true` and `text`.
pub(crate) fn tool_error(text: String) -> CallToolResponse {
    CallToolResult::error(vec![ContentBlock::text(text)]).into()
}

/// Sends `text` as a log message (sessions before 2026-07-28, which deprecated logging)
/// and, when the request asked for progress, as a progress message. Both are best
/// effort: a client that does not take them loses nothing, the tool result carries the
/// same text.
pub(crate) async fn notify(context: &RequestContext<RoleServer>, text: &str) {
    let legacy = context
        .protocol_version()
        .is_none_or(|version| version < ProtocolVersion::V_2026_07_28);
    if legacy {
        log(context, text).await;
    }
    if let Some(token) = context.meta.get_progress_token() {
        let progress = ProgressNotificationParam::new(token, 0.0).with_message(text);
        if let Err(problem) = context.peer.notify_progress(progress).await {
            tracing::debug!(%problem, "progress notification not sent");
        }
    }
}

#[allow(deprecated)] // SEP-2577 deprecates logging from 2026-07-28 on; only older sessions get it
async fn log(context: &RequestContext<RoleServer>, text: &str) {
    use rmcp::model::{LoggingLevel, LoggingMessageNotificationParam};
    let log = LoggingMessageNotificationParam::new(LoggingLevel::Notice, text.into())
        .with_logger("mcp-auth-client");
    if let Err(problem) = context.peer.notify_logging_message(log).await {
        tracing::debug!(%problem, "log notification not sent");
    }
}
