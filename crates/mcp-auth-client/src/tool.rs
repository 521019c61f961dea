//! The rmcp helper (the Rust `require_auth`): one call inside a tool that returns the
//! token, or answers "sign-in required" the best way the MCP client allows.

use crate::client::AuthClient;
use crate::error::AuthError;
use crate::reply;
use crate::token::Token;
use gateway_proto::SessionStatus;
use rmcp::handler::server::common::FromContextPart;
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::model::{
    CallToolResponse, CustomNotification, ElicitRequest, ElicitRequestParams, ElicitationAction,
    InputRequest, InputRequests, InputRequiredResult, InputResponses, ProtocolVersion,
    ServerNotification,
};
use rmcp::service::{RequestContext, RoleServer};
use std::time::Duration;

mod exchanged;

/// The key of the sign-in request inside an `input_required` result (2026-07-28).
pub const SIGN_IN_INPUT_KEY: &str = "sign_in";
/// `requestState` prefix; the rest is the gateway's session id, used only as a handle
/// to wait on (never trusted for who the user is: the token is asked for afresh).
const STATE_PREFIX: &str = "sign-in:";

/// What the helper needs from one `tools/call`: the request context and, on a
/// 2026-07-28 retry, the echoed `requestState` and `inputResponses`. Take it as a tool
/// parameter; it is an rmcp extractor.
#[derive(Debug)]
pub struct ToolCall {
    context: RequestContext<RoleServer>,
    request_state: Option<String>,
    input_responses: Option<InputResponses>,
}

impl ToolCall {
    /// Builds it by hand (for handlers that do not use the `#[tool]` macro).
    pub fn new(
        context: RequestContext<RoleServer>,
        request_state: Option<String>,
        input_responses: Option<InputResponses>,
    ) -> Self {
        Self {
            context,
            request_state,
            input_responses,
        }
    }

    /// The request context of the call.
    pub fn context(&self) -> &RequestContext<RoleServer> {
        &self.context
    }

    fn is_stateless_era(&self) -> bool {
        self.context
            .protocol_version()
            .is_some_and(|version| version >= ProtocolVersion::V_2026_07_28)
    }

    fn accepts_url_elicitation(&self) -> bool {
        self.context
            .client_capabilities()
            .and_then(|capabilities| capabilities.elicitation)
            .is_some_and(|elicitation| elicitation.url.is_some())
    }

    /// On a 2026-07-28 retry after our sign-in request: the session and the user's answer.
    fn sign_in_retry(&self) -> Option<(&str, Option<ElicitationAction>)> {
        let session = self.request_state.as_deref()?.strip_prefix(STATE_PREFIX)?;
        let action = self
            .input_responses
            .as_ref()
            .and_then(|responses| responses.get(SIGN_IN_INPUT_KEY))
            .and_then(|answer| answer.get("action").cloned())
            .and_then(|action| serde_json::from_value(action).ok());
        Some((session, action))
    }
}

impl<S> FromContextPart<ToolCallContext<'_, S>> for ToolCall {
    fn from_context_part(context: &mut ToolCallContext<'_, S>) -> Result<Self, rmcp::ErrorData> {
        Ok(Self {
            context: context.request_context.clone(),
            request_state: context.request_state.take(),
            input_responses: context.input_responses.take(),
        })
    }
}

/// Gets tokens for one provider inside rmcp tools; see the crate docs for an example.
#[derive(Debug, Clone)]
pub struct RequireAuth {
    client: AuthClient,
    provider: String,
    display_name: String,
    sign_in_timeout: Duration,
}

impl RequireAuth {
    /// A helper for `provider` (e.g. `google`) over `client`.
    pub fn new(client: AuthClient, provider: impl Into<String>) -> Self {
        let provider = provider.into();
        let mut display_name = provider.clone();
        if let Some(first) = display_name.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        Self {
            client,
            provider,
            display_name,
            sign_in_timeout: Duration::from_mins(5),
        }
    }

    /// The provider's name as users know it ("Google"); default: the id, capitalised.
    #[must_use]
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = name.into();
        self
    }

    /// How long a tool call waits for the user to finish signing in after the MCP
    /// client opened the link (URL elicitation). Default 5 minutes.
    #[must_use]
    pub fn sign_in_timeout(mut self, timeout: Duration) -> Self {
        self.sign_in_timeout = timeout;
        self
    }

    /// The underlying client.
    pub fn client(&self) -> &AuthClient {
        &self.client
    }

    /// A token for `user` with `scopes`, or the reply the tool should return instead.
    ///
    /// When the user must sign in and the MCP client declared URL-mode elicitation, a
    /// 2025-11-25 client gets `elicitation/create` (`mode: "url"`) and this call waits
    /// for the sign-in, then returns the token; a 2026-07-28 client gets an
    /// `input_required` result and the call completes on the client's retry. Otherwise
    /// the reply is a tool error (`isError: true`) whose text carries the link, and the
    /// link is also sent as a log message and, when the call asked for progress, as a
    /// progress message.
    pub async fn token(
        &self,
        call: &ToolCall,
        user: &str,
        scopes: &[&str],
    ) -> Result<Token, CallToolResponse> {
        self.token_or_reply(call, user, scopes, None).await
    }

    /// Like [`RequireAuth::token`], to replace `rejected`, a token the provider refused
    /// (HTTP 401) before it expired: the gateway refreshes it now. When the provider
    /// revoked the grant, the reply asks the user to sign in again.
    pub async fn token_replacing(
        &self,
        call: &ToolCall,
        user: &str,
        scopes: &[&str],
        rejected: &Token,
    ) -> Result<Token, CallToolResponse> {
        self.token_or_reply(call, user, scopes, Some(rejected))
            .await
    }

    /// The reply for `error` from a token got another way (the resource's
    /// [`crate::resource::TokenExchange`]): a sign-in gives the tool error with the link
    /// (also sent as log and progress messages), anything else the failure text. No
    /// elicitation here; [`RequireAuth::elicit_sign_in`] offers one and waits.
    pub async fn reply_to(&self, call: &ToolCall, error: &AuthError) -> CallToolResponse {
        if error.is_sign_in() {
            self.fallback(call, error, None).await
        } else {
            Self::failure(&self.display_name, error)
        }
    }

    async fn token_or_reply(
        &self,
        call: &ToolCall,
        user: &str,
        scopes: &[&str],
        rejected: Option<&Token>,
    ) -> Result<Token, CallToolResponse> {
        // On a 2026-07-28 retry after our sign-in request, elicit no second time: a
        // sign-in that did not happen is answered with the link (no retry loop).
        let mut retried = None;
        if let Some((session, action)) = call.sign_in_retry() {
            let mut outcome = None;
            if action == Some(ElicitationAction::Accept) {
                // The client opened the link; the answer says nothing about the sign-in
                // itself, so wait for the gateway to see it complete.
                let waited = self.client.wait_for_sign_in(session, self.sign_in_timeout);
                outcome = waited.await.ok().map(|status| status.status);
            }
            retried = Some(outcome);
        }
        let fetched = match rejected {
            Some(rejected) => {
                self.client
                    .replace_rejected_token(&self.provider, user, scopes, rejected)
                    .await
            }
            None => self.client.get_token(&self.provider, user, scopes).await,
        };
        let error = match fetched {
            Ok(token) => return Ok(token),
            Err(error) if error.is_sign_in() => error,
            Err(error) => return Err(Self::failure(&self.display_name, &error)),
        };
        if let Some(outcome) = retried {
            return Err(self.fallback(call, &error, outcome).await);
        }
        if !call.accepts_url_elicitation() {
            return Err(self.fallback(call, &error, None).await);
        }
        if call.is_stateless_era() {
            return Err(self.input_required(&error));
        }
        self.elicit_and_wait(call, user, scopes, &error).await
    }

    /// 2026-07-28: ask the client to open the link, and to retry with our state.
    fn input_required(&self, error: &AuthError) -> CallToolResponse {
        let url = error.auth_url().unwrap_or_default();
        let session = error.session_id().unwrap_or_default();
        let params = ElicitRequestParams::UrlElicitationParams {
            meta: None,
            message: reply::elicitation_message(&self.display_name, error),
            url: url.to_owned(),
            elicitation_id: String::new(),
        };
        let mut requests = InputRequests::new();
        requests.insert(
            SIGN_IN_INPUT_KEY.to_owned(),
            InputRequest::Elicitation(ElicitRequest::new(params)),
        );
        InputRequiredResult::new(Some(requests), Some(format!("{STATE_PREFIX}{session}"))).into()
    }

    /// 2025-11-25: `elicitation/create` in URL mode, then the gateway's long-poll.
    async fn elicit_and_wait(
        &self,
        call: &ToolCall,
        user: &str,
        scopes: &[&str],
        error: &AuthError,
    ) -> Result<Token, CallToolResponse> {
        let session = error.session_id().unwrap_or_default();
        let Ok(link) = url::Url::parse(error.auth_url().unwrap_or_default()) else {
            return Err(self.fallback(call, error, None).await);
        };
        let peer = &call.context().peer;
        let message = reply::elicitation_message(&self.display_name, error);
        let answer = peer
            .elicit_url_with_timeout(message, link, session, Some(self.sign_in_timeout))
            .await;
        match answer {
            Ok(ElicitationAction::Accept) => {}
            Ok(_) => return Err(self.fallback(call, error, None).await),
            Err(problem) => {
                tracing::debug!(%problem, "URL elicitation failed; answering with the link");
                return Err(self.fallback(call, error, None).await);
            }
        }
        let status = match self
            .client
            .wait_for_sign_in(session, self.sign_in_timeout)
            .await
        {
            Ok(status) => status,
            Err(problem) => return Err(Self::failure(&self.display_name, &problem)),
        };
        if status.status == SessionStatus::Completed {
            // Optional per the 2025-11-25 spec; lets the client close its prompt.
            let done = CustomNotification::new(
                "notifications/elicitation/complete",
                Some(serde_json::json!({ "elicitationId": session })),
            );
            let _ = peer
                .send_notification(ServerNotification::CustomNotification(done))
                .await;
        }
        match self.client.get_token(&self.provider, user, scopes).await {
            Ok(token) => Ok(token),
            Err(again) if again.is_sign_in() => {
                Err(self.fallback(call, &again, Some(status.status)).await)
            }
            Err(again) => Err(Self::failure(&self.display_name, &again)),
        }
    }

    /// The text answer with the link, also sent as log and progress messages.
    async fn fallback(
        &self,
        call: &ToolCall,
        error: &AuthError,
        previous: Option<SessionStatus>,
    ) -> CallToolResponse {
        let text = reply::sign_in_text(&self.display_name, error, previous);
        reply::notify(call.context(), &text).await;
        reply::tool_error(text)
    }

    /// The answer for failures a sign-in does not fix.
    fn failure(display_name: &str, error: &AuthError) -> CallToolResponse {
        reply::tool_error(reply::failure_text(display_name, error))
    }
}
