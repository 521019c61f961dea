//! The structured content of the tools, as typed values: their JSON Schemas are the
//! tools' `outputSchema`, so programs know the shape before they call.

use crate::api::accounts::AccountSummary;
use crate::api::report::{Row, RunReportResponse};
use crate::render::report::ReportContext;
use crate::render::values::MetricKind;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

/// What the report tools return as structured content.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportOutput {
    /// The property reported on, `properties/123456789`.
    pub property: String,
    /// The dates asked for, in the API's spelling.
    pub date_range: DateRangeOutput,
    /// The dimension columns, in order.
    pub dimensions: Vec<String>,
    /// The metric columns, in order, with their GA4 value types.
    pub metrics: Vec<MetricColumn>,
    /// One object per returned row: each dimension's value as the API sent it (a
    /// string; `date` is `YYYYMMDD`) and each metric's value as a number.
    pub rows: Vec<Map<String, Value>>,
    /// How many rows the report has in all, including rows beyond `limit`.
    pub row_count: u64,
    /// How many rows are in `rows`.
    pub returned_rows: usize,
    /// Each metric's total over all rows (not only the returned ones), when Google
    /// sent totals.
    pub totals: Option<Map<String, Value>>,
    pub metadata: ReportMetadata,
}

/// The report's date range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DateRangeOutput {
    pub start_date: String,
    pub end_date: String,
}

/// A metric column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct MetricColumn {
    /// The metric's API name.
    pub name: String,
    /// `TYPE_INTEGER`, `TYPE_FLOAT`, `TYPE_SECONDS`, `TYPE_MILLISECONDS`,
    /// `TYPE_CURRENCY`, ...
    #[serde(rename = "type")]
    pub kind: String,
}

/// What qualifies the numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportMetadata {
    /// The currency of `TYPE_CURRENCY` values (ISO 4217).
    pub currency_code: Option<String>,
    /// The property's time zone, which relative dates and `date` values are in.
    pub time_zone: Option<String>,
    /// Google withheld rows with small numbers to protect user privacy.
    pub subject_to_thresholding: bool,
    /// Some values were grouped into an "(other)" row.
    pub data_loss_from_other_row: bool,
    /// The numbers come from a sample of the data.
    pub sampled: bool,
}

/// What `list_properties` returns as structured content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PropertiesOutput {
    pub account_count: usize,
    pub property_count: usize,
    pub accounts: Vec<AccountOutput>,
}

/// A Google Analytics account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccountOutput {
    /// `accounts/123456`.
    pub account: String,
    /// The number alone.
    pub account_id: String,
    pub display_name: String,
    pub properties: Vec<PropertyOutput>,
}

/// A GA4 property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PropertyOutput {
    /// `properties/123456789`.
    pub property: String,
    /// The number alone: the `property_id` of the report tools.
    pub property_id: String,
    pub display_name: String,
    /// `PROPERTY_TYPE_ORDINARY`, `PROPERTY_TYPE_SUBPROPERTY` or `PROPERTY_TYPE_ROLLUP`.
    pub property_type: Option<String>,
}

impl ReportOutput {
    /// The structured form of `response`.
    pub fn new(
        context: &ReportContext<'_>,
        response: &RunReportResponse,
        kinds: &[MetricKind],
    ) -> Self {
        let row_object = |row: &Row| {
            let mut object = Map::new();
            for (header, cell) in response.dimension_headers.iter().zip(&row.dimension_values) {
                let value = cell.value.clone().unwrap_or_default();
                object.insert(header.name.clone(), Value::String(value));
            }
            insert_metrics(&mut object, response, kinds, row);
            object
        };
        let totals = response.totals.first().map(|totals| {
            let mut object = Map::new();
            insert_metrics(&mut object, response, kinds, totals);
            object
        });
        let metadata = &response.metadata;
        Self {
            property: context.property.to_string(),
            date_range: DateRangeOutput {
                start_date: context.dates.start().to_string(),
                end_date: context.dates.end().to_string(),
            },
            dimensions: response
                .dimension_headers
                .iter()
                .map(|h| h.name.clone())
                .collect(),
            metrics: response
                .metric_headers
                .iter()
                .map(|h| MetricColumn {
                    name: h.name.clone(),
                    kind: h.kind.clone(),
                })
                .collect(),
            rows: response.rows.iter().map(row_object).collect(),
            row_count: response.row_count.unwrap_or(response.rows.len() as u64),
            returned_rows: response.rows.len(),
            totals,
            metadata: ReportMetadata {
                currency_code: metadata.currency_code.clone(),
                time_zone: metadata.time_zone.clone(),
                subject_to_thresholding: metadata.subject_to_thresholding,
                data_loss_from_other_row: metadata.data_loss_from_other_row,
                sampled: !metadata.sampling_metadatas.is_empty(),
            },
        }
    }
}

/// Adds `row`'s metric values to `object` by metric name, as JSON numbers.
fn insert_metrics(
    object: &mut Map<String, Value>,
    response: &RunReportResponse,
    kinds: &[MetricKind],
    row: &Row,
) {
    let columns = response.metric_headers.iter().zip(kinds);
    for ((header, kind), cell) in columns.zip(&row.metric_values) {
        let value = kind.to_json(cell.value.as_deref().unwrap_or_default());
        object.insert(header.name.clone(), value);
    }
}

impl PropertiesOutput {
    /// The structured form of `accounts`.
    pub fn new(accounts: &[AccountSummary]) -> Self {
        let accounts: Vec<AccountOutput> = accounts
            .iter()
            .map(|account| AccountOutput {
                account: account.account.clone(),
                account_id: last_segment(&account.account).to_owned(),
                display_name: account.display_name.clone(),
                properties: account
                    .property_summaries
                    .iter()
                    .map(|property| PropertyOutput {
                        property: property.property.clone(),
                        property_id: last_segment(&property.property).to_owned(),
                        display_name: property.display_name.clone(),
                        property_type: property.property_type.clone(),
                    })
                    .collect(),
            })
            .collect();
        Self {
            account_count: accounts.len(),
            property_count: accounts.iter().map(|a| a.properties.len()).sum(),
            accounts,
        }
    }
}

/// `accounts/1000` → `1000`.
pub fn last_segment(name: &str) -> &str {
    name.rsplit('/').next().unwrap_or(name)
}
