//! The fixed reports behind the performance tools and `analytics_router`: each is a
//! GAQL query built only from constants and a validated [`DateRange`], plus how its
//! rows become table columns and structured rows.

use crate::date_range::DateRange;
use crate::rows::{self, cell, number};
use google_mcp_common::Table;
use serde_json::{Map, Value, json};

/// What `analytics_router` can report on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// Campaign performance.
    Campaigns,
    /// Ad performance.
    Ads,
    /// Ad creative content: headlines, final URLs, images.
    Creatives,
    /// Image assets.
    Images,
}

/// The intents by name, as the schema lists them.
pub const INTENTS: [&str; 4] = ["campaigns", "ads", "creatives", "images"];

impl Intent {
    /// Parses an intent name (any case; singular accepted).
    pub fn parse(input: &str) -> Result<Self, String> {
        match input.trim().to_ascii_lowercase().trim_end_matches('s') {
            "campaign" => Ok(Self::Campaigns),
            "ad" => Ok(Self::Ads),
            "creative" => Ok(Self::Creatives),
            "image" => Ok(Self::Images),
            _ => Err(format!(
                "intent {input:?} is not supported; use one of: {}.",
                INTENTS.join(", ")
            )),
        }
    }

    /// The name used in results.
    pub fn name(self) -> &'static str {
        match self {
            Self::Campaigns => "campaigns",
            Self::Ads => "ads",
            Self::Creatives => "creatives",
            Self::Images => "images",
        }
    }
}

/// How a column shows a field.
#[derive(Debug, Clone, Copy)]
enum Show {
    Text,
    Count,
    Decimal,
    /// `cost_micros` as currency units.
    Money,
    /// Clicks per impression, computed.
    Ctr,
}

struct Column {
    header: &'static str,
    field: &'static str,
    show: Show,
}

const fn col(header: &'static str, field: &'static str, show: Show) -> Column {
    Column {
        header,
        field,
        show,
    }
}

const PERFORMANCE: [Column; 5] = [
    col("Impressions", "metrics.impressions", Show::Count),
    col("Clicks", "metrics.clicks", Show::Count),
    col("CTR", "metrics.clicks", Show::Ctr),
    col("Cost", "metrics.cost_micros", Show::Money),
    col("Conversions", "metrics.conversions", Show::Decimal),
];

/// One fixed report: its query and columns.
pub struct Report {
    intent: Intent,
    query: String,
    columns: Vec<Column>,
    /// Whether metric totals make sense (performance reports).
    totals: bool,
}

impl Report {
    /// The report for `intent` over `range`.
    pub fn new(intent: Intent, range: DateRange) -> Self {
        let during = range.as_gaql();
        let metrics =
            "metrics.impressions, metrics.clicks, metrics.cost_micros, metrics.conversions";
        let (query, mut columns, totals) = match intent {
            Intent::Campaigns => (
                format!(
                    "SELECT campaign.id, campaign.name, campaign.status, campaign.advertising_channel_type, {metrics} \
                     FROM campaign WHERE segments.date DURING {during} AND campaign.status != 'REMOVED' \
                     ORDER BY metrics.cost_micros DESC"
                ),
                vec![
                    col("Campaign ID", "campaign.id", Show::Text),
                    col("Campaign", "campaign.name", Show::Text),
                    col("Status", "campaign.status", Show::Text),
                    col("Channel", "campaign.advertising_channel_type", Show::Text),
                ],
                true,
            ),
            Intent::Ads => (
                format!(
                    "SELECT ad_group_ad.ad.id, ad_group_ad.ad.name, ad_group_ad.ad.type, ad_group_ad.status, \
                     ad_group.name, campaign.name, {metrics} \
                     FROM ad_group_ad WHERE segments.date DURING {during} AND ad_group_ad.status != 'REMOVED' \
                     ORDER BY metrics.impressions DESC"
                ),
                vec![
                    col("Ad ID", "ad_group_ad.ad.id", Show::Text),
                    col("Ad name", "ad_group_ad.ad.name", Show::Text),
                    col("Type", "ad_group_ad.ad.type", Show::Text),
                    col("Status", "ad_group_ad.status", Show::Text),
                    col("Ad group", "ad_group.name", Show::Text),
                    col("Campaign", "campaign.name", Show::Text),
                ],
                true,
            ),
            Intent::Creatives => (
                format!(
                    "SELECT ad_group_ad.ad.id, ad_group_ad.ad.name, ad_group_ad.ad.type, ad_group_ad.status, \
                     ad_group_ad.ad.responsive_search_ad.headlines, ad_group_ad.ad.final_urls, \
                     ad_group_ad.ad.image_ad.image_url, campaign.name, metrics.impressions, metrics.clicks \
                     FROM ad_group_ad WHERE segments.date DURING {during} AND ad_group_ad.status != 'REMOVED' \
                     ORDER BY metrics.impressions DESC"
                ),
                vec![
                    col("Ad ID", "ad_group_ad.ad.id", Show::Text),
                    col("Type", "ad_group_ad.ad.type", Show::Text),
                    col("Status", "ad_group_ad.status", Show::Text),
                    col("Campaign", "campaign.name", Show::Text),
                    col("Headlines", "ad_group_ad.ad.responsive_search_ad.headlines", Show::Text),
                    col("Image", "ad_group_ad.ad.image_ad.image_url", Show::Text),
                    col("Final URLs", "ad_group_ad.ad.final_urls", Show::Text),
                    col("Impressions", "metrics.impressions", Show::Count),
                    col("Clicks", "metrics.clicks", Show::Count),
                ],
                false,
            ),
            // Assets carry no metrics, so the date range does not apply.
            Intent::Images => (
                "SELECT asset.id, asset.name, asset.type, asset.image_asset.full_size.url, \
                 asset.image_asset.full_size.width_pixels, asset.image_asset.full_size.height_pixels \
                 FROM asset WHERE asset.type = 'IMAGE'"
                    .to_owned(),
                vec![
                    col("Asset ID", "asset.id", Show::Text),
                    col("Name", "asset.name", Show::Text),
                    col("Width", "asset.image_asset.full_size.width_pixels", Show::Count),
                    col("Height", "asset.image_asset.full_size.height_pixels", Show::Count),
                    col("URL", "asset.image_asset.full_size.url", Show::Text),
                ],
                false,
            ),
        };
        if totals {
            columns.extend(PERFORMANCE);
        }
        Self {
            intent,
            query,
            columns,
            totals,
        }
    }

    /// The GAQL query.
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The intent reported on.
    pub fn intent(&self) -> Intent {
        self.intent
    }

    /// The rows as a text table, and as structured rows plus totals.
    pub fn render(&self, rows: &[Value]) -> (Table, Vec<Value>, Option<Value>) {
        let mut table = Table::new(self.columns.iter().map(|column| column.header));
        let fields = rows::selected_fields(&self.query);
        let mut structured = Vec::with_capacity(rows.len());
        for row in rows {
            table.push_row(self.columns.iter().map(|column| show(row, column)));
            let mut flat: Map<String, Value> = rows::flatten(row, &fields);
            if self.totals {
                flat.insert(
                    "cost".into(),
                    json!(money(number(row, "metrics.cost_micros"))),
                );
                flat.insert("ctr".into(), json!(ctr(row)));
            }
            structured.push(Value::Object(flat));
        }
        let totals = self.totals.then(|| totals(rows));
        (table, structured, totals)
    }
}

fn show(row: &Value, column: &Column) -> String {
    match column.show {
        Show::Text => cell(rows::value_at(row, column.field)),
        Show::Count => format!("{:.0}", number(row, column.field)),
        Show::Decimal => format!("{:.2}", number(row, column.field)),
        Show::Money => format!("{:.2}", money(number(row, column.field))),
        Show::Ctr => format!("{:.2}%", ctr(row) * 100.0),
    }
}

fn money(micros: f64) -> f64 {
    (micros / 1_000_000.0 * 100.0).round() / 100.0
}

fn ctr(row: &Value) -> f64 {
    let impressions = number(row, "metrics.impressions");
    if impressions > 0.0 {
        number(row, "metrics.clicks") / impressions
    } else {
        0.0
    }
}

/// Sums of the metrics over `rows`, with the overall CTR.
fn totals(rows: &[Value]) -> Value {
    let sum = |field: &str| {
        rows.iter()
            .map(|row| rows::integer(row, field))
            .sum::<u64>()
    };
    let (impressions, clicks, cost_micros) = (
        sum("metrics.impressions"),
        sum("metrics.clicks"),
        sum("metrics.cost_micros"),
    );
    let conversions: f64 = rows
        .iter()
        .map(|row| number(row, "metrics.conversions"))
        .sum();
    let ctr = if impressions > 0 {
        as_f64(clicks) / as_f64(impressions)
    } else {
        0.0
    };
    json!({
        "impressions": impressions,
        "clicks": clicks,
        "ctr": ctr,
        "cost": money(as_f64(cost_micros)),
        "cost_micros": cost_micros,
        "conversions": (conversions * 100.0).round() / 100.0,
    })
}

#[expect(
    clippy::cast_precision_loss,
    reason = "metric counts stay far below 2^52"
)]
fn as_f64(count: u64) -> f64 {
    count as f64
}

/// One line with the totals, for the text result.
pub fn totals_line(totals: &Value, currency: Option<&str>) -> String {
    let number = |key: &str| totals[key].as_f64().unwrap_or(0.0);
    format!(
        "Totals: {:.0} impressions, {:.0} clicks, CTR {:.2}%, cost {:.2}{}, {:.2} conversions",
        number("impressions"),
        number("clicks"),
        number("ctr") * 100.0,
        number("cost"),
        currency.map(|code| format!(" {code}")).unwrap_or_default(),
        number("conversions"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intents_accept_singular_and_any_case() {
        assert_eq!(Intent::parse("Campaign").unwrap(), Intent::Campaigns);
        assert_eq!(Intent::parse("IMAGES").unwrap(), Intent::Images);
        assert!(
            Intent::parse("keywords")
                .unwrap_err()
                .contains("campaigns, ads, creatives, images")
        );
    }

    #[test]
    fn the_date_range_is_the_only_variable_part_of_a_query() {
        let report = Report::new(
            Intent::Campaigns,
            DateRange::parse(Some("last_7_days")).unwrap(),
        );
        assert!(
            report.query().contains("DURING LAST_7_DAYS AND"),
            "{}",
            report.query()
        );
    }
}
