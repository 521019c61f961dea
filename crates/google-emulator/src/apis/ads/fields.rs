//! The GAQL catalogue: which resources can be queried, which fields each
//! exposes, and how a field's value is read from a row of fixture data.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use crate::apis::model::{AdsAd, AdsAdGroup, AdsCampaign, AdsCustomer, AdsMetrics};

/// Resources a query may name in `FROM`. Images are served as `asset` rows
/// (`asset.image_asset.full_size.url`), one per `IMAGE_AD`, and also as
/// `ad_group_ad.ad.image_ad.image_url` on the ad itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Resource {
    Customer,
    CustomerClient,
    Campaign,
    AdGroup,
    AdGroupAd,
    Asset,
}

impl Resource {
    pub(crate) fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "customer" => Self::Customer,
            "customer_client" => Self::CustomerClient,
            "campaign" => Self::Campaign,
            "ad_group" => Self::AdGroup,
            "ad_group_ad" => Self::AdGroupAd,
            "asset" => Self::Asset,
            _ => return None,
        })
    }

    /// Resources whose attributes a query `FROM self` may select: itself
    /// and the resources it belongs to.
    pub(crate) fn attributable(self) -> &'static [Resource] {
        use Resource::{AdGroup, AdGroupAd, Asset, Campaign, Customer, CustomerClient};
        match self {
            Customer => &[Customer],
            CustomerClient => &[CustomerClient, Customer],
            Campaign => &[Campaign, Customer],
            AdGroup => &[AdGroup, Campaign, Customer],
            AdGroupAd => &[AdGroupAd, AdGroup, Campaign, Customer],
            Asset => &[Asset, Customer],
        }
    }

    /// Whether metrics and `segments.date` can be selected.
    pub(crate) fn has_metrics(self) -> bool {
        !matches!(self, Self::CustomerClient | Self::Asset)
    }
}

/// What kind of field a name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Category {
    Attribute(Resource),
    Metric,
    Segment,
}

/// A field's value in one row.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Val {
    Int(i64),
    Double(f64),
    Bool(bool),
    Str(String),
    Enum(String),
    StrList(Vec<String>),
    /// `AdTextAsset`s: `[{"text": …}]`.
    TextAssets(Vec<String>),
    Null,
}

impl Val {
    /// Proto3 JSON: int64 as a string, zero and empty values omitted (`None`).
    pub(crate) fn to_json(&self) -> Option<Value> {
        match self {
            Self::Int(0) | Self::Bool(false) | Self::Null => None,
            Self::Int(i) => Some(Value::String(i.to_string())),
            Self::Double(f) if *f == 0.0 => None,
            Self::Double(f) => serde_json::Number::from_f64(*f).map(Value::Number),
            Self::Bool(true) => Some(Value::Bool(true)),
            Self::Str(s) | Self::Enum(s) if s.is_empty() => None,
            Self::Str(s) | Self::Enum(s) => Some(Value::String(s.clone())),
            Self::StrList(v) | Self::TextAssets(v) if v.is_empty() => None,
            Self::StrList(v) => Some(v.iter().map(|s| Value::String(s.clone())).collect()),
            Self::TextAssets(v) => {
                Some(v.iter().map(|s| serde_json::json!({ "text": s })).collect())
            }
        }
    }
}

/// Metric totals of one row (already scaled to its date span).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct RowMetrics {
    pub impressions: u64,
    pub clicks: u64,
    pub cost_micros: u64,
    pub conversions: f64,
}

impl RowMetrics {
    pub(crate) fn add(&mut self, other: &AdsMetrics) {
        self.impressions += other.impressions;
        self.clicks += other.clicks;
        self.cost_micros += other.cost_micros;
        self.conversions += other.conversions;
    }
}

/// One result row before rendering: the entities it is about.
#[derive(Clone, Debug)]
pub(crate) struct Row<'a> {
    /// The customer the request is for.
    pub customer: &'a AdsCustomer,
    /// For `customer_client`: the client and its level below `customer`.
    pub client: Option<(&'a AdsCustomer, u32)>,
    pub campaign: Option<&'a AdsCampaign>,
    pub ad_group: Option<&'a AdsAdGroup>,
    /// For `ad_group_ad`, and for `asset` the image ad the asset comes from.
    pub ad: Option<&'a AdsAd>,
    pub date: Option<NaiveDate>,
    pub metrics: RowMetrics,
}

/// A selectable field.
#[derive(Debug)]
pub(crate) struct Field {
    pub name: &'static str,
    pub category: Category,
    get: fn(&Row<'_>) -> Val,
}

impl Field {
    pub(crate) fn value(&self, row: &Row<'_>) -> Val {
        (self.get)(row)
    }

    /// The JSON path: the GAQL name with each part in lowerCamelCase.
    pub(crate) fn json_path(&self) -> Vec<String> {
        self.name.split('.').map(camel).collect()
    }
}

pub(crate) fn camel(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Ids are int64 in the API; fixture ids that are not numbers stay strings.
fn id(value: &str) -> Val {
    value
        .parse()
        .map_or_else(|_| Val::Str(value.to_owned()), Val::Int)
}

fn text(value: &str) -> Val {
    Val::Str(value.to_owned())
}

fn word(value: &str) -> Val {
    Val::Enum(value.to_owned())
}

fn client<'a>(row: &Row<'a>) -> Option<&'a AdsCustomer> {
    row.client.map(|(c, _)| c)
}

/// The `asset` id of an image ad: its ad id behind a `9`, so it is stable
/// and cannot collide with ad ids of the same length.
pub(crate) fn asset_id(ad: &AdsAd) -> String {
    format!("9{}", ad.id)
}

fn as_u64_i64(value: u64) -> Val {
    Val::Int(i64::try_from(value).unwrap_or(i64::MAX))
}

#[expect(
    clippy::cast_precision_loss,
    reason = "metric ratios are doubles in the API too"
)]
fn ratio(numerator: u64, denominator: u64) -> Val {
    if denominator == 0 {
        Val::Null
    } else {
        Val::Double(numerator as f64 / denominator as f64)
    }
}

macro_rules! field {
    ($name:literal, $cat:expr, $get:expr) => {
        Field {
            name: $name,
            category: $cat,
            get: $get,
        }
    };
}

const CUSTOMER: Category = Category::Attribute(Resource::Customer);
const CLIENT: Category = Category::Attribute(Resource::CustomerClient);
const CAMPAIGN: Category = Category::Attribute(Resource::Campaign);
const AD_GROUP: Category = Category::Attribute(Resource::AdGroup);
const AD: Category = Category::Attribute(Resource::AdGroupAd);
const ASSET: Category = Category::Attribute(Resource::Asset);

static FIELDS: &[Field] = &[
    field!("customer.resource_name", CUSTOMER, |r| resource_name(
        Resource::Customer,
        r
    )
    .map_or(Val::Null, Val::Str)),
    field!("customer.id", CUSTOMER, |r| id(&r.customer.id)),
    field!("customer.descriptive_name", CUSTOMER, |r| text(
        &r.customer.descriptive_name
    )),
    field!("customer.currency_code", CUSTOMER, |r| text(
        &r.customer.currency_code
    )),
    field!("customer.time_zone", CUSTOMER, |r| text(
        &r.customer.time_zone
    )),
    field!("customer.manager", CUSTOMER, |r| Val::Bool(
        r.customer.manager
    )),
    field!("customer.status", CUSTOMER, |_| word("ENABLED")),
    field!("customer_client.resource_name", CLIENT, |r| resource_name(
        Resource::CustomerClient,
        r
    )
    .map_or(Val::Null, Val::Str)),
    field!("customer_client.id", CLIENT, |r| client(r)
        .map_or(Val::Null, |c| id(&c.id))),
    field!("customer_client.client_customer", CLIENT, |r| client(r)
        .map_or(Val::Null, |c| Val::Str(format!("customers/{}", c.id)))),
    field!("customer_client.descriptive_name", CLIENT, |r| client(r)
        .map_or(Val::Null, |c| text(&c.descriptive_name))),
    field!("customer_client.currency_code", CLIENT, |r| client(r)
        .map_or(Val::Null, |c| text(&c.currency_code))),
    field!("customer_client.time_zone", CLIENT, |r| client(r)
        .map_or(Val::Null, |c| text(&c.time_zone))),
    field!("customer_client.manager", CLIENT, |r| Val::Bool(
        client(r).is_some_and(|c| c.manager)
    )),
    field!("customer_client.level", CLIENT, |r| r
        .client
        .map_or(Val::Null, |(_, level)| Val::Int(i64::from(level)))),
    field!("customer_client.hidden", CLIENT, |_| Val::Bool(false)),
    field!("customer_client.status", CLIENT, |_| word("ENABLED")),
    field!("campaign.resource_name", CAMPAIGN, |r| resource_name(
        Resource::Campaign,
        r
    )
    .map_or(Val::Null, Val::Str)),
    field!("campaign.id", CAMPAIGN, |r| r
        .campaign
        .map_or(Val::Null, |c| id(&c.id))),
    field!("campaign.name", CAMPAIGN, |r| r
        .campaign
        .map_or(Val::Null, |c| text(&c.name))),
    field!("campaign.status", CAMPAIGN, |r| r
        .campaign
        .map_or(Val::Null, |c| word(&c.status))),
    field!("campaign.advertising_channel_type", CAMPAIGN, |r| r
        .campaign
        .map_or(Val::Null, |c| word(&c.channel_type))),
    field!("ad_group.resource_name", AD_GROUP, |r| resource_name(
        Resource::AdGroup,
        r
    )
    .map_or(Val::Null, Val::Str)),
    field!("ad_group.id", AD_GROUP, |r| r
        .ad_group
        .map_or(Val::Null, |g| id(&g.id))),
    field!("ad_group.name", AD_GROUP, |r| r
        .ad_group
        .map_or(Val::Null, |g| text(&g.name))),
    field!("ad_group.status", AD_GROUP, |r| r
        .ad_group
        .map_or(Val::Null, |g| word(&g.status))),
    field!("ad_group.campaign", AD_GROUP, |r| resource_name(
        Resource::Campaign,
        r
    )
    .map_or(Val::Null, Val::Str)),
    field!("ad_group_ad.resource_name", AD, |r| resource_name(
        Resource::AdGroupAd,
        r
    )
    .map_or(Val::Null, Val::Str)),
    field!("ad_group_ad.status", AD, |r| r
        .ad
        .map_or(Val::Null, |a| word(&a.status))),
    field!("ad_group_ad.ad_group", AD, |r| resource_name(
        Resource::AdGroup,
        r
    )
    .map_or(Val::Null, Val::Str)),
    field!("ad_group_ad.ad.resource_name", AD, |r| r.ad.map_or(
        Val::Null,
        |a| Val::Str(format!("customers/{}/ads/{}", r.customer.id, a.id))
    )),
    field!("ad_group_ad.ad.id", AD, |r| r
        .ad
        .map_or(Val::Null, |a| id(&a.id))),
    field!("ad_group_ad.ad.name", AD, |r| r
        .ad
        .map_or(Val::Null, |a| text(&a.name))),
    field!("ad_group_ad.ad.type", AD, |r| r
        .ad
        .map_or(Val::Null, |a| word(&a.ad_type))),
    field!("ad_group_ad.ad.final_urls", AD, |r| r
        .ad
        .map_or(Val::Null, |a| Val::StrList(a.final_urls.clone()))),
    field!("ad_group_ad.ad.responsive_search_ad.headlines", AD, |r| r
        .ad
        .map_or(Val::Null, |a| Val::TextAssets(a.headlines.clone()))),
    field!("ad_group_ad.ad.image_ad.image_url", AD, |r| r
        .ad
        .and_then(|a| a.image_url.as_deref())
        .map_or(Val::Null, text)),
    field!("asset.resource_name", ASSET, |r| resource_name(
        Resource::Asset,
        r
    )
    .map_or(Val::Null, Val::Str)),
    field!("asset.id", ASSET, |r| r
        .ad
        .map_or(Val::Null, |a| id(&asset_id(a)))),
    field!("asset.name", ASSET, |r| r
        .ad
        .map_or(Val::Null, |a| text(&a.name))),
    field!("asset.type", ASSET, |_| word("IMAGE")),
    field!("asset.image_asset.full_size.url", ASSET, |r| r
        .ad
        .and_then(|a| a.image_url.as_deref())
        .map_or(Val::Null, text)),
    // The emulator has no image bytes; every image claims the common
    // 1.91:1 display size.
    field!("asset.image_asset.full_size.width_pixels", ASSET, |_| {
        Val::Int(1200)
    }),
    field!("asset.image_asset.full_size.height_pixels", ASSET, |_| {
        Val::Int(628)
    }),
    field!("metrics.impressions", Category::Metric, |r| as_u64_i64(
        r.metrics.impressions
    )),
    field!("metrics.clicks", Category::Metric, |r| as_u64_i64(
        r.metrics.clicks
    )),
    field!("metrics.cost_micros", Category::Metric, |r| as_u64_i64(
        r.metrics.cost_micros
    )),
    field!("metrics.conversions", Category::Metric, |r| Val::Double(
        r.metrics.conversions
    )),
    field!("metrics.ctr", Category::Metric, |r| ratio(
        r.metrics.clicks,
        r.metrics.impressions
    )),
    field!("metrics.average_cpc", Category::Metric, |r| ratio(
        r.metrics.cost_micros,
        r.metrics.clicks
    )),
    field!("segments.date", Category::Segment, |r| r
        .date
        .map_or(Val::Null, |d| Val::Str(
            d.format("%Y-%m-%d").to_string()
        ))),
];

/// The field named `name`, if the emulator knows it.
pub(crate) fn lookup(name: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.name == name)
}

/// `resourceName` of `resource` in `row`, when the row has that entity.
pub(crate) fn resource_name(resource: Resource, row: &Row<'_>) -> Option<String> {
    let cid = &row.customer.id;
    Some(match resource {
        Resource::Customer => format!("customers/{cid}"),
        Resource::CustomerClient => format!("customers/{cid}/customerClients/{}", client(row)?.id),
        Resource::Campaign => format!("customers/{cid}/campaigns/{}", row.campaign?.id),
        Resource::AdGroup => format!("customers/{cid}/adGroups/{}", row.ad_group?.id),
        Resource::AdGroupAd => format!(
            "customers/{cid}/adGroupAds/{}~{}",
            row.ad_group?.id, row.ad?.id
        ),
        Resource::Asset => format!("customers/{cid}/assets/{}", asset_id(row.ad?)),
    })
}

/// Renders `fields` of `row` as a `GoogleAdsRow`: nested camelCase objects,
/// each selected resource with its `resourceName`, empty values left out.
pub(crate) fn render(fields: &[&'static Field], row: &Row<'_>) -> Value {
    let mut out = Map::new();
    for field in fields {
        let path = field.json_path();
        if let Category::Attribute(resource) = field.category
            && let Some(name) = resource_name(resource, row)
        {
            let object = out
                .entry(path[0].clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(map) = object {
                map.insert("resourceName".to_owned(), Value::String(name));
            }
        }
        if let Some(value) = field.value(row).to_json() {
            insert_path(&mut out, &path, value);
        }
    }
    Value::Object(out)
}

fn insert_path(map: &mut Map<String, Value>, path: &[String], value: Value) {
    match path {
        [] => {}
        [last] => {
            map.insert(last.clone(), value);
        }
        [head, rest @ ..] => {
            let child = map
                .entry(head.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(child) = child {
                insert_path(child, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths_are_camel_case() {
        let f = lookup("ad_group_ad.ad.responsive_search_ad.headlines").unwrap();
        assert_eq!(
            f.json_path(),
            ["adGroupAd", "ad", "responsiveSearchAd", "headlines"]
        );
        assert!(lookup("campaign.nope").is_none());
    }

    #[test]
    fn zero_and_empty_values_are_omitted() {
        assert_eq!(Val::Int(0).to_json(), None);
        assert_eq!(Val::Int(7).to_json(), Some(Value::String("7".into())));
        assert_eq!(Val::Double(0.0).to_json(), None);
        assert_eq!(Val::Str(String::new()).to_json(), None);
        assert_eq!(Val::Bool(false).to_json(), None);
    }
}
