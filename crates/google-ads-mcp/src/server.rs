//! `AdsServer`: the six tools. Each handler parses its arguments, resolves the user,
//! makes its Google calls through [`GoogleAuth::with_token`] and renders the result;
//! failures are readable tool errors ([`ToolFailure`]).

use crate::accounts::Accounts;
use crate::api::{ADWORDS_SCOPE, AdsApi};
use crate::config::{AdsConfig, ConfigError};
use crate::customer_id::CustomerId;
use crate::params::{PerformanceArgs, QueryArgs, ResolveArgs, RouterArgs, UserArgs};
use crate::reports::{Intent, Report};
use crate::tools::{self, Outcome};
use google_mcp_common::{Access, GoogleAuth, ToolFailure, UserPolicy};
use mcp_auth_client::{AuthClient, ToolCall};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ServerCapabilities, ServerConfig,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::{ErrorData, ServerHandler, tool, tool_handler, tool_router};
use std::sync::Arc;

const INSTRUCTIONS: &str = include_str!("instructions.md");

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// A `GOOGLE_ADS_*` variable is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// `AUTH_GATEWAY_URL` or `AUTH_GATEWAY_API_KEY` is missing or invalid.
    #[error(transparent)]
    Gateway(#[from] mcp_auth_client::ConfigError),
    /// The HTTP client could not be built (TLS backend initialisation).
    #[error("cannot build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

/// The Google Ads MCP server. Cheap to clone: clones share the HTTP clients, the token
/// cache and the account cache (one clone per HTTP session).
#[derive(Debug, Clone)]
pub struct AdsServer {
    pub(crate) inner: Arc<tools::Shared>,
}

impl AdsServer {
    /// A server for `users`, with Google tokens from `auth` and the API of `config`.
    pub fn new(
        config: &AdsConfig,
        auth: AuthClient,
        users: UserPolicy,
    ) -> Result<Self, reqwest::Error> {
        Ok(Self {
            inner: Arc::new(tools::Shared::new(
                users,
                GoogleAuth::new(auth, &[ADWORDS_SCOPE]).sign_in_wait(config.sign_in_wait),
                AdsApi::new(config)?,
                config.login_customer_id.clone(),
            )),
        })
    }

    /// Configured from the environment (`AUTH_GATEWAY_*`, `MCP_USER_EMAIL`,
    /// `GOOGLE_ADS_*`).
    pub fn from_env() -> Result<Self, StartupError> {
        let config = AdsConfig::from_env()?;
        let auth = AuthClient::from_env()?;
        Ok(Self::new(&config, auth, UserPolicy::from_env())?)
    }

    /// A server for the callers `access` describes (the transport's `--auth` mode); in
    /// gateway mode Google tokens come by token exchange of each caller's access token.
    pub fn with_access(
        config: &AdsConfig,
        auth: AuthClient,
        access: &Access,
    ) -> Result<Self, reqwest::Error> {
        let google = GoogleAuth::new(auth, &[ADWORDS_SCOPE])
            .sign_in_wait(config.sign_in_wait)
            .with_exchange(access.exchange.clone());
        Ok(Self {
            inner: Arc::new(tools::Shared::new(
                access.users.clone(),
                google,
                AdsApi::new(config)?,
                config.login_customer_id.clone(),
            )),
        })
    }

    /// The tools as this server's callers see them (no `user_email` in gateway mode).
    fn router(&self) -> rmcp::handler::server::router::tool::ToolRouter<Self> {
        google_mcp_common::router_for(Self::tool_router(), self.inner.users())
    }
}

fn respond(outcome: Result<Outcome, ToolFailure>) -> CallToolResponse {
    match outcome {
        Ok(outcome) => outcome.into_result().into(),
        Err(failure) => failure.into_response(),
    }
}

fn parse_customer(input: &str) -> Result<CustomerId, ToolFailure> {
    CustomerId::parse(input).map_err(ToolFailure::Message)
}

#[tool_router]
impl AdsServer {
    /// Lists accounts, with the clients of manager accounts.
    #[tool(
        title = "List Google Ads accounts",
        description = "List the Google Ads accounts the user can access: ID, name, currency, time zone, \
                       whether it is a manager (MCC), and for client accounts the manager they are reached through.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn list_accounts(
        &self,
        Parameters(args): Parameters<UserArgs>,
        call: ToolCall,
    ) -> Result<CallToolResponse, ErrorData> {
        Ok(respond(
            self.accounts_outcome(&call, args.user_email.as_deref())
                .await,
        ))
    }

    /// Runs a GAQL query.
    #[tool(
        title = "Run a GAQL query",
        description = "Run a Google Ads Query Language (GAQL) SELECT query on one account and return the rows \
                       (at most 1000). Use snake_case field names (campaign.name, metrics.clicks); \
                       cost_micros is the cost x 1,000,000.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn execute_gaql_query(
        &self,
        Parameters(args): Parameters<QueryArgs>,
        call: ToolCall,
    ) -> Result<CallToolResponse, ErrorData> {
        Ok(respond(self.query_outcome(&call, &args).await))
    }

    /// Finds an account by name or ID.
    #[tool(
        title = "Find a Google Ads customer ID",
        description = "Turn an account name (or part of one) or an ID into the 10-digit customer ID. \
                       Lists the candidates when several accounts match.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn resolve_customer(
        &self,
        Parameters(args): Parameters<ResolveArgs>,
        call: ToolCall,
    ) -> Result<CallToolResponse, ErrorData> {
        Ok(respond(self.resolve_outcome(&call, &args).await))
    }

    /// Campaign performance.
    #[tool(
        title = "Campaign performance",
        description = "Impressions, clicks, CTR, cost and conversions per campaign (removed campaigns left out) \
                       for a predefined date range (default LAST_30_DAYS), most expensive first, with totals.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn get_campaign_performance(
        &self,
        Parameters(args): Parameters<PerformanceArgs>,
        call: ToolCall,
    ) -> Result<CallToolResponse, ErrorData> {
        let outcome = self
            .report_outcome(
                &call,
                args.user_email.as_deref(),
                &args.customer_id,
                Ok(Intent::Campaigns),
                args.date_range.as_deref(),
            )
            .await;
        Ok(respond(outcome))
    }

    /// Ad performance.
    #[tool(
        title = "Ad performance",
        description = "Impressions, clicks, CTR, cost and conversions per ad (with its ad group and campaign) \
                       for a predefined date range (default LAST_30_DAYS), most impressions first, with totals.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn get_ad_performance(
        &self,
        Parameters(args): Parameters<PerformanceArgs>,
        call: ToolCall,
    ) -> Result<CallToolResponse, ErrorData> {
        let outcome = self
            .report_outcome(
                &call,
                args.user_email.as_deref(),
                &args.customer_id,
                Ok(Intent::Ads),
                args.date_range.as_deref(),
            )
            .await;
        Ok(respond(outcome))
    }

    /// One report by intent.
    #[tool(
        title = "Google Ads report by intent",
        description = "One report chosen by intent: campaigns (campaign performance), ads (ad performance), \
                       creatives (ad headlines, final URLs and images), images (image assets).",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn analytics_router(
        &self,
        Parameters(args): Parameters<RouterArgs>,
        call: ToolCall,
    ) -> Result<CallToolResponse, ErrorData> {
        let intent = Intent::parse(&args.intent);
        let outcome = self
            .report_outcome(
                &call,
                args.user_email.as_deref(),
                &args.customer_id,
                intent,
                args.date_range.as_deref(),
            )
            .await;
        Ok(respond(outcome))
    }
}

#[tool_handler(router = self.router())]
impl ServerHandler for AdsServer {
    /// Like rmcp's, but arguments that do not fit a tool's schema get a readable answer.
    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        google_mcp_common::call_tool(&self.router(), self, request, context).await
    }

    fn get_info(&self) -> ServerConfig {
        let mut instructions = INSTRUCTIONS.to_owned();
        instructions.push_str("- ");
        instructions.push_str(&self.inner.users().instructions());
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "google-ads-mcp",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(instructions)
    }
}

impl AdsServer {
    async fn accounts_outcome(
        &self,
        call: &ToolCall,
        user: Option<&str>,
    ) -> Result<Outcome, ToolFailure> {
        let user = self.inner.users().resolve_call(call, user)?;
        let accounts: Arc<Accounts> = self.inner.fresh_accounts(call, &user).await?;
        Ok(tools::render_accounts(&accounts))
    }

    async fn query_outcome(
        &self,
        call: &ToolCall,
        args: &QueryArgs,
    ) -> Result<Outcome, ToolFailure> {
        let user = self
            .inner
            .users()
            .resolve_call(call, args.user_email.as_deref())?;
        let customer = parse_customer(&args.customer_id)?;
        let query = tools::checked_query(&args.query)?;
        let found = self.inner.search(call, &user, &customer, query).await?;
        Ok(tools::render_query(&customer, query, &found))
    }

    async fn resolve_outcome(
        &self,
        call: &ToolCall,
        args: &ResolveArgs,
    ) -> Result<Outcome, ToolFailure> {
        let user = self
            .inner
            .users()
            .resolve_call(call, args.user_email.as_deref())?;
        let accounts = self.inner.accounts(call, &user).await?;
        tools::resolve(&accounts, &args.customer, &user)
    }

    async fn report_outcome(
        &self,
        call: &ToolCall,
        user: Option<&str>,
        customer: &str,
        intent: Result<Intent, String>,
        date_range: Option<&str>,
    ) -> Result<Outcome, ToolFailure> {
        let user = self.inner.users().resolve_call(call, user)?;
        let customer = parse_customer(customer)?;
        let intent = intent.map_err(ToolFailure::Message)?;
        let range = crate::DateRange::parse(date_range).map_err(ToolFailure::Message)?;
        let report = Report::new(intent, range);
        let found = self
            .inner
            .search(call, &user, &customer, report.query())
            .await?;
        Ok(tools::render_report(&customer, range, &report, &found))
    }
}
