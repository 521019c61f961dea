//! The Data API v1beta `runReport` wire types: the request this server sends and the
//! parts of the response it reads (Google documents both under
//! `properties.runReport` in the Data API reference).

use crate::input::{DateRange, FieldName, RowLimit};
use serde::{Deserialize, Serialize};

/// What a tool asks for; turned into the request body by [`ReportSpec::to_request`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSpec {
    pub dates: DateRange,
    pub dimensions: Vec<FieldName>,
    pub metrics: Vec<FieldName>,
    pub limit: RowLimit,
    /// Rows sorted by this metric, largest first; `None` leaves the API's order.
    pub order_by_metric_desc: Option<FieldName>,
    /// Rows sorted by this dimension, ascending (e.g. `date`).
    pub order_by_dimension: Option<FieldName>,
}

/// The `runReport` request body.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReportRequest {
    pub date_ranges: Vec<WireDateRange>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<Named>,
    pub metrics: Vec<Named>,
    /// int64 in the API, so a JSON string.
    pub limit: String,
    /// Always `TOTAL`, so results can show totals over all rows, not just those shown.
    pub metric_aggregations: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub order_bys: Vec<OrderBy>,
}

/// `DateRange` of the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WireDateRange {
    pub start_date: String,
    pub end_date: String,
}

/// A `Dimension` or `Metric` of the request: just its API name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Named {
    pub name: String,
}

/// One `OrderBy` of the request: by a metric or by a dimension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderBy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric: Option<MetricOrder>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimension: Option<DimensionOrder>,
    pub desc: bool,
}

/// `MetricOrderBy` of the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricOrder {
    pub metric_name: String,
}

/// `DimensionOrderBy` of the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DimensionOrder {
    pub dimension_name: String,
}

impl ReportSpec {
    /// The request body for this report.
    pub fn to_request(&self) -> RunReportRequest {
        let named = |names: &[FieldName]| {
            names
                .iter()
                .map(|name| Named {
                    name: name.as_str().to_owned(),
                })
                .collect()
        };
        let mut order_bys = Vec::new();
        if let Some(metric) = &self.order_by_metric_desc {
            order_bys.push(OrderBy {
                metric: Some(MetricOrder {
                    metric_name: metric.as_str().to_owned(),
                }),
                dimension: None,
                desc: true,
            });
        }
        if let Some(dimension) = &self.order_by_dimension {
            order_bys.push(OrderBy {
                metric: None,
                dimension: Some(DimensionOrder {
                    dimension_name: dimension.as_str().to_owned(),
                }),
                desc: false,
            });
        }
        RunReportRequest {
            date_ranges: vec![WireDateRange {
                start_date: self.dates.start().to_string(),
                end_date: self.dates.end().to_string(),
            }],
            dimensions: named(&self.dimensions),
            metrics: named(&self.metrics),
            limit: self.limit.get().to_string(),
            metric_aggregations: vec!["TOTAL"],
            order_bys,
        }
    }
}

/// The parts of a `RunReportResponse` this server reads. Every field may be missing:
/// an empty report omits `rows` and sometimes `rowCount`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReportResponse {
    #[serde(default)]
    pub dimension_headers: Vec<DimensionHeader>,
    #[serde(default)]
    pub metric_headers: Vec<MetricHeader>,
    #[serde(default)]
    pub rows: Vec<Row>,
    #[serde(default)]
    pub totals: Vec<Row>,
    pub row_count: Option<u64>,
    #[serde(default)]
    pub metadata: ResponseMetadata,
}

/// A dimension column.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DimensionHeader {
    pub name: String,
}

/// A metric column and the type its string values are to be read as.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MetricHeader {
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: String,
}

/// One row: dimension values, then metric values, in header order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    #[serde(default)]
    pub dimension_values: Vec<Cell>,
    #[serde(default)]
    pub metric_values: Vec<Cell>,
}

/// A `DimensionValue` or `MetricValue`: always a string on the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Cell {
    #[serde(default)]
    pub value: Option<String>,
}

/// `ResponseMetaData`: what qualifies the numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseMetadata {
    pub currency_code: Option<String>,
    pub time_zone: Option<String>,
    #[serde(default)]
    pub data_loss_from_other_row: bool,
    #[serde(default)]
    pub subject_to_thresholding: bool,
    #[serde(default)]
    pub sampling_metadatas: Vec<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::names::{parse_dimensions, parse_metrics};
    use serde_json::json;

    #[test]
    fn the_request_names_dates_fields_limit_totals_and_order() {
        let spec = ReportSpec {
            dates: DateRange::parse("7daysAgo", "Yesterday").unwrap(),
            dimensions: parse_dimensions(&["pagePath".into()]).unwrap(),
            metrics: parse_metrics(&["screenPageViews".into()]).unwrap(),
            limit: RowLimit::new(25).unwrap(),
            order_by_metric_desc: Some(FieldName::parse("screenPageViews").unwrap()),
            order_by_dimension: None,
        };
        let body = serde_json::to_value(spec.to_request()).unwrap();
        assert_eq!(
            body,
            json!({
                "dateRanges": [{"startDate": "7daysAgo", "endDate": "yesterday"}],
                "dimensions": [{"name": "pagePath"}],
                "metrics": [{"name": "screenPageViews"}],
                "limit": "25",
                "metricAggregations": ["TOTAL"],
                "orderBys": [{"metric": {"metricName": "screenPageViews"}, "desc": true}],
            })
        );
    }

    #[test]
    fn an_empty_report_without_rows_or_row_count_is_read() {
        let response: RunReportResponse = serde_json::from_value(json!({
            "dimensionHeaders": [{"name": "date"}],
            "metricHeaders": [{"name": "activeUsers", "type": "TYPE_INTEGER"}],
            "metadata": {"currencyCode": "USD", "timeZone": "America/Los_Angeles"},
            "kind": "analyticsData#runReport"
        }))
        .unwrap();
        assert!(response.rows.is_empty());
        assert_eq!(response.row_count, None);
        assert_eq!(response.metric_headers[0].kind, "TYPE_INTEGER");
        assert_eq!(
            response.metadata.time_zone.as_deref(),
            Some("America/Los_Angeles")
        );
    }
}
