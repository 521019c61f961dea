//! The data the Ads and Analytics emulations serve, per signed-in account.
//! Plain values so tests (and the control routes, as JSON) can build their own.

use serde::{Deserialize, Serialize};

/// A Google Ads customer (account) and everything under it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdsCustomer {
    /// Ten digits, no hyphens.
    pub id: String,
    pub descriptive_name: String,
    /// ISO 4217, e.g. `USD`.
    pub currency_code: String,
    /// IANA zone, e.g. `America/New_York`.
    pub time_zone: String,
    /// Whether this is a manager (MCC) account.
    #[serde(default)]
    pub manager: bool,
    /// For a manager: ids of its client customers (entries of the same list).
    #[serde(default)]
    pub client_ids: Vec<String>,
    #[serde(default)]
    pub campaigns: Vec<AdsCampaign>,
}

/// A campaign; its metrics are the fixture totals (see [`AdsMetrics`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdsCampaign {
    pub id: String,
    pub name: String,
    /// `ENABLED`, `PAUSED` or `REMOVED`.
    pub status: String,
    /// `advertising_channel_type`: `SEARCH`, `DISPLAY`, `PERFORMANCE_MAX`, …
    pub channel_type: String,
    #[serde(default)]
    pub metrics: AdsMetrics,
    #[serde(default)]
    pub ad_groups: Vec<AdsAdGroup>,
}

/// An ad group; its metrics are the sum of its ads'.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdsAdGroup {
    pub id: String,
    pub name: String,
    pub status: String,
    #[serde(default)]
    pub ads: Vec<AdsAd>,
}

/// An ad (`ad_group_ad`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdsAd {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// `RESPONSIVE_SEARCH_AD`, `IMAGE_AD`, …
    pub ad_type: String,
    pub status: String,
    /// Responsive search ad headlines.
    #[serde(default)]
    pub headlines: Vec<String>,
    #[serde(default)]
    pub final_urls: Vec<String>,
    /// For `IMAGE_AD`: the image (also served as an `asset` row).
    #[serde(default)]
    pub image_url: Option<String>,
    #[serde(default)]
    pub metrics: AdsMetrics,
}

/// Fixture performance numbers covering a 30-day period: a query over a date
/// range gets `value / 30` (integer division) per day of the range; a query
/// without any `segments.date` condition gets these totals unchanged.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AdsMetrics {
    #[serde(default)]
    pub impressions: u64,
    #[serde(default)]
    pub clicks: u64,
    #[serde(default)]
    pub cost_micros: u64,
    #[serde(default)]
    pub conversions: f64,
}

/// A Google Analytics account with its GA4 properties.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GaAccount {
    /// Digits only.
    pub id: String,
    pub display_name: String,
    #[serde(default)]
    pub properties: Vec<GaProperty>,
}

/// A GA4 property; reports about it are computed (see [`crate::run_report`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GaProperty {
    /// Digits only.
    pub id: String,
    pub display_name: String,
    pub time_zone: String,
    pub currency_code: String,
}
