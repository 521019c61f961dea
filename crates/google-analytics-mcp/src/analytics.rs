//! The work behind the tools: whose account, a token (or the sign-in reply), the
//! Google calls, and the rendered answer. Tool handlers make one call in here.

use crate::api::AnalyticsApi;
use crate::api::accounts::AccountSummary;
use crate::api::report::ReportSpec;
use crate::input::{AccountId, PropertyId};
use crate::render::{ReportContext, render_properties, render_report};
use google_mcp_common::{GoogleApiError, GoogleAuth, ToolFailure, UserPolicy};
use mcp_auth_client::ToolCall;
use rmcp::model::{CallToolResult, ContentBlock};
use serde::Serialize;

/// Safety stop for `accountSummaries` paging: 100 pages of 200 accounts.
const MAX_ACCOUNT_PAGES: usize = 100;

/// Where API name lists live, for the model to correct a name.
const API_SCHEMA_URL: &str =
    "https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema";

/// A report to run, checked and ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRequest {
    /// The heading of the answer ("Page views").
    pub title: &'static str,
    pub property: PropertyId,
    pub spec: ReportSpec,
}

/// The Analytics tools' shared state; cheap to clone (one per MCP session).
#[derive(Debug, Clone)]
pub struct Analytics {
    api: AnalyticsApi,
    auth: GoogleAuth,
    users: UserPolicy,
}

impl Analytics {
    pub fn new(api: AnalyticsApi, auth: GoogleAuth, users: UserPolicy) -> Self {
        Self { api, auth, users }
    }

    /// Whose account the server acts for, as the model should be told.
    pub fn users(&self) -> &UserPolicy {
        &self.users
    }

    /// Runs a checked report for the caller and renders it.
    pub async fn report(
        &self,
        call: &ToolCall,
        user_email: Option<&str>,
        request: &ReportRequest,
    ) -> Result<CallToolResult, ToolFailure> {
        let user = self.users.resolve_call(call, user_email)?;
        let body = request.spec.to_request();
        let response = self
            .auth
            .with_token(call, &user, |token| {
                let body = &body;
                async move {
                    self.api
                        .run_report(&token, &request.property, body)
                        .await
                        .map_err(|error| with_analytics_hint(error, &request.property.to_string()))
                }
            })
            .await?;
        let context = ReportContext {
            title: request.title,
            property: &request.property,
            dates: &request.spec.dates,
            limit: request.spec.limit.get(),
        };
        let rendered = render_report(&context, &response);
        Ok(answer(rendered.text, &rendered.structured))
    }

    /// Lists the accounts (all, or the one asked for) with their properties.
    pub async fn list_properties(
        &self,
        call: &ToolCall,
        user_email: Option<&str>,
        account: Option<&AccountId>,
    ) -> Result<CallToolResult, ToolFailure> {
        let user = self.users.resolve_call(call, user_email)?;
        let mut accounts = self.all_account_summaries(call, &user).await?;
        if let Some(wanted) = account {
            let name = wanted.to_string();
            accounts.retain(|summary| summary.account == name);
        }
        let (text, structured) = render_properties(&accounts, account);
        Ok(answer(text, &structured))
    }

    /// Every page of `accountSummaries.list`.
    async fn all_account_summaries(
        &self,
        call: &ToolCall,
        user: &str,
    ) -> Result<Vec<AccountSummary>, ToolFailure> {
        let mut accounts = Vec::new();
        let mut page_token: Option<String> = None;
        for _ in 0..MAX_ACCOUNT_PAGES {
            let page = self
                .auth
                .with_token(call, user, |token| {
                    let page_token = page_token.clone();
                    async move {
                        self.api
                            .account_summaries(&token, page_token.as_deref())
                            .await
                    }
                })
                .await?;
            accounts.extend(page.account_summaries.iter().cloned());
            match page.next_page() {
                // A token that repeats would loop forever; Google never sends one.
                Some(next) if page_token.as_deref() != Some(next) => {
                    page_token = Some(next.to_owned());
                }
                _ => return Ok(accounts),
            }
        }
        tracing::warn!(
            pages = MAX_ACCOUNT_PAGES,
            "stopped paging account summaries"
        );
        Ok(accounts)
    }
}

/// A success result: the text for people and models, the data for programs.
fn answer(text: String, structured: &impl Serialize) -> CallToolResult {
    let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
    // Plain data types (strings, numbers, maps of JSON values) always serialise.
    result.structured_content = serde_json::to_value(structured).ok();
    result
}

/// Adds what an Analytics user can do about a refused report to Google's message.
fn with_analytics_hint(mut error: GoogleApiError, property: &str) -> GoogleApiError {
    let Some(http_status) = error.http_status() else {
        return error;
    };
    let scope_missing = error.has_code("ACCESS_TOKEN_SCOPE_INSUFFICIENT");
    if let GoogleApiError::Status { status, .. } = &mut error {
        let hint = match http_status {
            400 => format!(
                " Metric and dimension names are case-sensitive GA4 API names (e.g. activeUsers, \
                 sessionSource); the full list is at {API_SCHEMA_URL}."
            ),
            403 if !scope_missing => format!(
                " The user cannot read {property}: call list_properties to see the properties \
                 this Google account can access."
            ),
            404 => format!(" Check {property} with list_properties."),
            _ => String::new(),
        };
        status.message.push_str(&hint);
    }
    error
}
