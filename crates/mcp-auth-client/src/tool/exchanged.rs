//! The sign-in for a token got by token exchange: the exchange's sign-in error carries
//! the gateway's session, so a client with URL elicitation can open the link and the
//! tool call wait for it, as for tokens asked by email.

use super::{RequireAuth, ToolCall};
use crate::error::AuthError;
use crate::reply;
use gateway_proto::SessionStatus;
use rmcp::model::{CallToolResponse, ElicitationAction};

impl RequireAuth {
    /// For a sign-in `error` from a token got another way (the resource's
    /// [`crate::resource::TokenExchange`]): asks the MCP client to open the link as a URL
    /// elicitation where it supports one and waits for the sign-in (up to the sign-in
    /// timeout). `Ok(())` when the sign-in completed, so the caller tries again;
    /// otherwise the reply to return: `input_required` (2026-07-28 clients, which retry
    /// with our state), or the tool error with the link.
    pub async fn elicit_sign_in(
        &self,
        call: &ToolCall,
        error: &AuthError,
    ) -> Result<(), CallToolResponse> {
        if !error.is_sign_in() {
            return Err(Self::failure(&self.display_name, error));
        }
        if let Some((session, action)) = call.sign_in_retry() {
            // A retry after our input request: wait once for that sign-in, never ask again.
            if action == Some(ElicitationAction::Accept) {
                let waited = self.client.wait_for_sign_in(session, self.sign_in_timeout);
                if let Ok(status) = waited.await
                    && status.status == SessionStatus::Completed
                {
                    return Ok(());
                }
            }
            return Err(self.fallback(call, error, None).await);
        }
        if !call.accepts_url_elicitation() {
            return Err(self.fallback(call, error, None).await);
        }
        if call.is_stateless_era() {
            return Err(self.input_required(error));
        }
        let session = error.session_id().unwrap_or_default();
        let Ok(link) = url::Url::parse(error.auth_url().unwrap_or_default()) else {
            return Err(self.fallback(call, error, None).await);
        };
        let message = reply::elicitation_message(&self.display_name, error);
        let answer = call
            .context()
            .peer
            .elicit_url_with_timeout(message, link, session, Some(self.sign_in_timeout))
            .await;
        if !matches!(answer, Ok(ElicitationAction::Accept)) {
            return Err(self.fallback(call, error, None).await);
        }
        match self
            .client
            .wait_for_sign_in(session, self.sign_in_timeout)
            .await
        {
            Ok(status) if status.status == SessionStatus::Completed => Ok(()),
            Ok(status) => Err(self.fallback(call, error, Some(status.status)).await),
            Err(problem) => Err(Self::failure(&self.display_name, &problem)),
        }
    }
}
