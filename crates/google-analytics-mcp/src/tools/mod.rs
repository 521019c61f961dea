//! The MCP surface: five read-only tools, the server's instructions for the model, and
//! thin handlers (parse the arguments, one call into [`Analytics`], map the result).

pub mod args;
pub mod presets;

use crate::analytics::{Analytics, ReportRequest};
use crate::input::AccountId;
use crate::render::{PropertiesOutput, ReportOutput};
use args::{ListPropertiesArgs, PageViewsArgs, PresetReportArgs, RunReportArgs};
use google_mcp_common::ToolFailure;
use mcp_auth_client::ToolCall;
use presets::InputError;
use rmcp::handler::server::tool::schema_for_output;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ServerCapabilities, ServerConfig,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, ServerHandler, tool, tool_handler, tool_router};

/// What the model reads before it uses the tools.
const INSTRUCTIONS: &str = "\
Google Analytics 4 reports for the signed-in user (read-only).
Start with list_properties to find the property ID (a number such as 123456789; not a G- \
measurement ID). Then use get_page_views, get_active_users or get_traffic_sources for the \
common questions, or run_report with any GA4 metric and dimension API names.
Dates are YYYY-MM-DD, today, yesterday or NdaysAgo (e.g. 28daysAgo), in the property's time \
zone; yesterday is the last complete day. Results are text tables with the row count and \
totals over all rows, plus the same data as structured content.
If a tool answers with a sign-in link, show the link to the user, ask them to open it, and \
call the tool again after they have signed in.";

/// The MCP server: one per session, all sharing [`Analytics`].
#[derive(Debug, Clone)]
pub struct AnalyticsServer {
    analytics: Analytics,
}

impl AnalyticsServer {
    pub fn new(analytics: Analytics) -> Self {
        Self { analytics }
    }

    /// The tools as this server's callers see them (no `user_email` in gateway mode).
    fn router(&self) -> rmcp::handler::server::router::tool::ToolRouter<Self> {
        google_mcp_common::router_for(Self::tool_router(), self.analytics.users())
    }

    async fn run(
        &self,
        call: &ToolCall,
        user_email: Option<&str>,
        request: Result<ReportRequest, InputError>,
    ) -> CallToolResponse {
        let outcome = match request {
            Ok(request) => self.analytics.report(call, user_email, &request).await,
            Err(problem) => Err(ToolFailure::message(problem.to_string())),
        };
        respond(outcome)
    }
}

fn respond(outcome: Result<rmcp::model::CallToolResult, ToolFailure>) -> CallToolResponse {
    outcome.map_or_else(ToolFailure::into_response, Into::into)
}

#[tool_router]
impl AnalyticsServer {
    /// List the Google Analytics accounts the user can access, each with its GA4
    /// properties (name, property ID, type). Call this first to find the `property_id`
    /// the report tools need.
    #[tool(
        title = "List Analytics accounts and properties",
        output_schema = schema_for_output::<PropertiesOutput>(),
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn list_properties(
        &self,
        Parameters(args): Parameters<ListPropertiesArgs>,
        call: ToolCall,
    ) -> Result<CallToolResponse, ErrorData> {
        let account = match args.account_id.as_deref().map(AccountId::parse).transpose() {
            Ok(account) => account,
            Err(problem) => return Ok(ToolFailure::message(problem.to_string()).into_response()),
        };
        let outcome = self
            .analytics
            .list_properties(&call, args.user_email.as_deref(), account.as_ref())
            .await;
        Ok(respond(outcome))
    }

    /// Page views (screenPageViews) and active users per page for a date range, busiest
    /// pages first, with totals. Break down by other dimensions with `dimensions`
    /// (default `["pagePath"]`).
    #[tool(
        title = "Page views",
        output_schema = schema_for_output::<ReportOutput>(),
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn get_page_views(
        &self,
        Parameters(args): Parameters<PageViewsArgs>,
        call: ToolCall,
    ) -> Result<CallToolResponse, ErrorData> {
        let request = presets::page_views(&args);
        Ok(self
            .run(&call, args.scope.user_email.as_deref(), request)
            .await)
    }

    /// Active users and new users per day for a date range, oldest day first, with
    /// totals over the whole range.
    #[tool(
        title = "Active users by day",
        output_schema = schema_for_output::<ReportOutput>(),
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn get_active_users(
        &self,
        Parameters(args): Parameters<PresetReportArgs>,
        call: ToolCall,
    ) -> Result<CallToolResponse, ErrorData> {
        let request = presets::active_users(&args);
        Ok(self
            .run(&call, args.scope.user_email.as_deref(), request)
            .await)
    }

    /// Where visitors come from: sessions and active users per session source and
    /// medium (e.g. google / organic, newsletter / email), busiest first, with totals.
    #[tool(
        title = "Traffic sources",
        output_schema = schema_for_output::<ReportOutput>(),
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn get_traffic_sources(
        &self,
        Parameters(args): Parameters<PresetReportArgs>,
        call: ToolCall,
    ) -> Result<CallToolResponse, ErrorData> {
        let request = presets::traffic_sources(&args);
        Ok(self
            .run(&call, args.scope.user_email.as_deref(), request)
            .await)
    }

    /// Run any GA4 report: 1-10 metrics and up to 9 dimensions by their API names, for a
    /// date range, with totals. Unknown names come back as an error naming them.
    #[tool(
        title = "Run a GA4 report",
        output_schema = schema_for_output::<ReportOutput>(),
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn run_report(
        &self,
        Parameters(args): Parameters<RunReportArgs>,
        call: ToolCall,
    ) -> Result<CallToolResponse, ErrorData> {
        let request = presets::custom(&args);
        Ok(self
            .run(&call, args.scope.user_email.as_deref(), request)
            .await)
    }
}

#[tool_handler(router = self.router())]
impl ServerHandler for AnalyticsServer {
    /// Like rmcp's, but arguments that do not fit a tool's schema get a readable answer.
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        google_mcp_common::call_tool(&self.router(), self, request, context).await
    }

    fn get_info(&self) -> ServerConfig {
        let instructions = format!("{INSTRUCTIONS}\n{}", self.analytics.users().instructions());
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                env!("CARGO_PKG_NAME"),
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(instructions)
    }
}
