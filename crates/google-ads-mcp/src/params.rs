//! The tools' arguments and their JSON schemas (doc comments become descriptions).
//! Values are parsed in the tools, so a bad value gets a readable tool error rather
//! than a protocol error the model never sees.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;

/// Arguments of `list_accounts`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct UserArgs {
    /// Email of the user whose Google account to use. Leave it out when the server is
    /// set up for one user; required on a shared server.
    #[serde(default)]
    pub user_email: Option<String>,
}

/// Arguments of `execute_gaql_query`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct QueryArgs {
    /// Google Ads customer ID: 10 digits, dashes allowed (123-456-7890).
    pub customer_id: String,
    /// A GAQL SELECT query, e.g. `SELECT campaign.name, metrics.clicks FROM campaign
    /// WHERE segments.date DURING LAST_7_DAYS ORDER BY metrics.clicks DESC LIMIT 20`.
    pub query: String,
    /// Email of the user whose Google account to use. Leave it out when the server is
    /// set up for one user; required on a shared server.
    #[serde(default)]
    pub user_email: Option<String>,
}

/// Arguments of `resolve_customer`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ResolveArgs {
    /// An account name (or part of one, any case) or a customer ID.
    pub customer: String,
    /// Email of the user whose Google account to use. Leave it out when the server is
    /// set up for one user; required on a shared server.
    #[serde(default)]
    pub user_email: Option<String>,
}

/// Arguments of `get_campaign_performance` and `get_ad_performance`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct PerformanceArgs {
    /// Google Ads customer ID: 10 digits, dashes allowed (123-456-7890).
    pub customer_id: String,
    /// A predefined GAQL date range; default `LAST_30_DAYS`.
    // A default from a function, not `default`: schemars would publish `null`, which
    // is not one of the enum's values.
    #[serde(default = "crate::date_range::default_name")]
    #[schemars(schema_with = "crate::date_range::schema")]
    pub date_range: Option<String>,
    /// Email of the user whose Google account to use. Leave it out when the server is
    /// set up for one user; required on a shared server.
    #[serde(default)]
    pub user_email: Option<String>,
}

/// Arguments of `analytics_router`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct RouterArgs {
    /// Google Ads customer ID: 10 digits, dashes allowed (123-456-7890).
    pub customer_id: String,
    /// What to report on: campaigns (campaign performance), ads (ad performance),
    /// creatives (headlines, final URLs, images of ads), images (image assets).
    #[schemars(schema_with = "intent_schema")]
    pub intent: String,
    /// A predefined GAQL date range; default `LAST_30_DAYS` (not used for images).
    // A default from a function, not `default`: schemars would publish `null`, which
    // is not one of the enum's values.
    #[serde(default = "crate::date_range::default_name")]
    #[schemars(schema_with = "crate::date_range::schema")]
    pub date_range: Option<String>,
    /// Email of the user whose Google account to use. Leave it out when the server is
    /// set up for one user; required on a shared server.
    #[serde(default)]
    pub user_email: Option<String>,
}

fn intent_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "enum": crate::reports::INTENTS,
    })
}
