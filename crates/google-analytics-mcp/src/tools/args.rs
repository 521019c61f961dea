//! The tools' arguments as MCP clients see them: JSON Schemas generated from these
//! types, with the doc comments as the descriptions a model reads.

use schemars::JsonSchema;
use serde::Deserialize;

/// Arguments of `list_properties`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListPropertiesArgs {
    /// Only this Google Analytics account, as `123456` or `accounts/123456`. Leave out
    /// to list every account the user can see.
    #[serde(default)]
    pub account_id: Option<String>,
    /// Whose Google account to use: the email the user signs in to Google with. Leave
    /// out when the server is configured for one user.
    #[serde(default)]
    pub user_email: Option<String>,
}

/// The property and dates every report needs.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ReportScope {
    /// The GA4 property, as `123456789` or `properties/123456789` (not a `G-` measurement
    /// ID). Get it from `list_properties`.
    pub property_id: String,
    /// First day, inclusive: `YYYY-MM-DD`, `today`, `yesterday` or `NdaysAgo` (e.g.
    /// `28daysAgo`). Relative dates use the property's time zone.
    pub start_date: String,
    /// Last day, inclusive, in the same forms as `start_date` (e.g. `yesterday` for the
    /// last complete day).
    pub end_date: String,
    /// Whose Google account to use: the email the user signs in to Google with. Leave
    /// out when the server is configured for one user.
    #[serde(default)]
    pub user_email: Option<String>,
}

/// Arguments of `get_page_views`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct PageViewsArgs {
    #[serde(flatten)]
    pub scope: ReportScope,
    /// Dimensions to break page views down by, e.g. `["pagePath"]` (the default),
    /// `["pageTitle"]`, `["pagePath", "date"]` or `["hostName", "pagePath"]`.
    #[serde(default)]
    #[schemars(length(max = 9))]
    pub dimensions: Option<Vec<String>>,
    /// Most rows to return (1 to 250000, default 10000); rows come busiest first.
    #[serde(default)]
    #[schemars(range(min = 1, max = 250_000))]
    pub limit: Option<u64>,
}

/// Arguments of `get_active_users` and `get_traffic_sources`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct PresetReportArgs {
    #[serde(flatten)]
    pub scope: ReportScope,
    /// Most rows to return (1 to 250000, default 10000).
    #[serde(default)]
    #[schemars(range(min = 1, max = 250_000))]
    pub limit: Option<u64>,
}

/// Arguments of `run_report`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct RunReportArgs {
    #[serde(flatten)]
    pub scope: ReportScope,
    /// One to 10 GA4 metric API names, e.g. `["activeUsers", "sessions",
    /// "screenPageViews", "engagementRate", "averageSessionDuration", "conversions",
    /// "totalRevenue"]`.
    #[schemars(length(min = 1, max = 10))]
    pub metrics: Vec<String>,
    /// Up to 9 GA4 dimension API names, e.g. `["date", "country", "deviceCategory",
    /// "sessionDefaultChannelGroup", "pagePath", "eventName"]`. Leave out for totals only.
    #[serde(default)]
    #[schemars(length(max = 9))]
    pub dimensions: Option<Vec<String>>,
    /// Most rows to return (1 to 250000, default 10000).
    #[serde(default)]
    #[schemars(range(min = 1, max = 250_000))]
    pub limit: Option<u64>,
}
