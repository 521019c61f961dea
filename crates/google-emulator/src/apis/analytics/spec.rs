//! The parsed `runReport` request: dimensions and metrics checked against
//! the catalogue, date ranges resolved, paging, aggregations and ordering.

use chrono::NaiveDate;
use serde_json::Value;

use super::catalog::{self, Dimension, Metric};
use super::filter::{self, Filter};
use crate::apis::dates;
use crate::apis::errors::ApiError;

const SCHEMA_HINT: &str = "For a list of valid dimensions and metrics, see https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema";

pub(super) struct Range {
    pub(super) name: String,
    pub(super) start: NaiveDate,
    pub(super) end: NaiveDate,
}

pub(super) struct OrderBy {
    /// Metric index, or dimension index.
    pub(super) key: Key,
    pub(super) desc: bool,
    pub(super) numeric: bool,
}

pub(super) enum Key {
    Metric(usize),
    Dimension(usize),
}

pub(super) struct Spec {
    pub(super) dims: Vec<&'static Dimension>,
    pub(super) metrics: Vec<&'static Metric>,
    pub(super) ranges: Vec<Range>,
    pub(super) offset: usize,
    pub(super) limit: usize,
    pub(super) aggregations: Vec<(&'static str, &'static str)>,
    pub(super) order_bys: Vec<OrderBy>,
    pub(super) filter: Option<Filter>,
}

impl Spec {
    /// Header names, including the implicit `dateRange` of multi-range reports.
    pub(super) fn dimension_names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.dims.iter().map(|d| d.name).collect();
        if self.ranges.len() > 1 {
            names.push("dateRange");
        }
        names
    }
}

fn names<'a>(request: &'a Value, key: &str) -> Vec<&'a str> {
    request[key]
        .as_array()
        .map(|items| items.iter().filter_map(|i| i["name"].as_str()).collect())
        .unwrap_or_default()
}

pub(super) fn parse(request: &Value, today: NaiveDate) -> Result<Spec, ApiError> {
    let mut dims = Vec::new();
    for name in names(request, "dimensions") {
        dims.push(catalog::dimension(name).ok_or_else(|| {
            ApiError::invalid_argument(format!(
                "Field {name} is not a valid dimension. {SCHEMA_HINT}"
            ))
        })?);
    }
    let mut metrics = Vec::new();
    for name in names(request, "metrics") {
        metrics.push(catalog::metric(name).ok_or_else(|| {
            ApiError::invalid_argument(format!("Field {name} is not a valid metric. {SCHEMA_HINT}"))
        })?);
    }
    if dims.len() > 9 {
        return Err(ApiError::invalid_argument(
            "Requests are limited to 9 dimensions.",
        ));
    }
    if metrics.len() > 10 {
        return Err(ApiError::invalid_argument(
            "Requests are limited to 10 metrics.",
        ));
    }
    if dims.is_empty() && metrics.is_empty() {
        return Err(ApiError::invalid_argument(
            "At least one dimension or metric must be requested.",
        ));
    }
    let ranges = parse_ranges(request, today)?;
    let offset = parse_count(&request["offset"], "offset")?.unwrap_or(0);
    let limit = match parse_count(&request["limit"], "limit")? {
        None | Some(0) => 10_000,
        Some(n) => n.min(250_000),
    };
    let mut aggregations = Vec::new();
    for item in request["metricAggregations"]
        .as_array()
        .into_iter()
        .flatten()
    {
        match item.as_str() {
            Some("TOTAL") => aggregations.push(("totals", "RESERVED_TOTAL")),
            Some("MAXIMUM") => aggregations.push(("maximums", "RESERVED_MAX")),
            Some("MINIMUM") => aggregations.push(("minimums", "RESERVED_MIN")),
            // COUNT has no field in RunReportResponse; Google accepts and ignores it.
            Some("COUNT") => {}
            _ => {
                return Err(ApiError::invalid_argument(format!(
                    "Invalid value at 'metric_aggregations' ({item})."
                )));
            }
        }
    }
    let dim_names: Vec<&str> = dims.iter().map(|d| d.name).collect();
    let metric_names: Vec<&str> = metrics.iter().map(|m| m.name).collect();
    let order_bys = parse_order_bys(request, &dim_names, &metric_names)?;
    let filter = match request.get("dimensionFilter") {
        None | Some(Value::Null) => None,
        Some(expression) => Some(filter::parse(expression, &dim_names)?),
    };
    Ok(Spec {
        dims,
        metrics,
        ranges,
        offset,
        limit,
        aggregations,
        order_bys,
        filter,
    })
}

fn parse_ranges(request: &Value, today: NaiveDate) -> Result<Vec<Range>, ApiError> {
    let items = request["dateRanges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if items.is_empty() {
        return Err(ApiError::invalid_argument(
            "A date range must be specified: set dateRanges.",
        ));
    }
    if items.len() > 4 {
        return Err(ApiError::invalid_argument(
            "Requests are limited to 4 dateRanges.",
        ));
    }
    let mut ranges = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let start = parse_date(&item["startDate"], "startDate", today)?;
        let end = parse_date(&item["endDate"], "endDate", today)?;
        if start > end {
            return Err(ApiError::invalid_argument(format!(
                "Invalid date range: startDate {start} is after endDate {end}."
            )));
        }
        let name = item["name"]
            .as_str()
            .filter(|n| !n.is_empty())
            .map_or_else(|| format!("date_range_{i}"), str::to_owned);
        ranges.push(Range { name, start, end });
    }
    Ok(ranges)
}

/// `YYYY-MM-DD`, `today`, `yesterday` or `NdaysAgo`.
fn parse_date(value: &Value, field: &str, today: NaiveDate) -> Result<NaiveDate, ApiError> {
    let text = value.as_str().unwrap_or_default();
    let parsed = match text {
        "today" => Some(today),
        "yesterday" => Some(dates::days_before(today, 1)),
        _ => text
            .strip_suffix("daysAgo")
            .and_then(|n| n.parse::<u64>().ok())
            .map(|n| dates::days_before(today, n))
            .or_else(|| dates::parse_iso(text)),
    };
    parsed.ok_or_else(|| {
        ApiError::invalid_argument(format!(
            "Invalid {field}: '{text}'. Date must be in the format YYYY-MM-DD, NdaysAgo, yesterday, or today."
        ))
    })
}

/// `limit`/`offset`: int64, so a string in JSON, but numbers are accepted.
fn parse_count(value: &Value, field: &str) -> Result<Option<usize>, ApiError> {
    let number = match value {
        Value::Null => return Ok(None),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    };
    let number = number.ok_or_else(|| {
        ApiError::invalid_argument(format!("Invalid value at '{field}' (TYPE_INT64), {value}"))
    })?;
    usize::try_from(number)
        .map(Some)
        .map_err(|_| ApiError::invalid_argument(format!("{field} must be non-negative.")))
}

fn parse_order_bys(
    request: &Value,
    dims: &[&str],
    metrics: &[&str],
) -> Result<Vec<OrderBy>, ApiError> {
    let mut out = Vec::new();
    for item in request["orderBys"].as_array().into_iter().flatten() {
        let desc = item["desc"].as_bool().unwrap_or(false);
        if let Some(name) = item["metric"]["metricName"].as_str() {
            let index = metrics.iter().position(|m| *m == name).ok_or_else(|| {
                ApiError::invalid_argument(format!(
                    "OrderBy metric {name} must be one of the request's metrics."
                ))
            })?;
            out.push(OrderBy {
                key: Key::Metric(index),
                desc,
                numeric: true,
            });
        } else if let Some(name) = item["dimension"]["dimensionName"].as_str() {
            let index = dims.iter().position(|d| *d == name).ok_or_else(|| {
                ApiError::invalid_argument(format!(
                    "OrderBy dimension {name} must be one of the request's dimensions."
                ))
            })?;
            let numeric = item["dimension"]["orderType"].as_str() == Some("NUMERIC");
            out.push(OrderBy {
                key: Key::Dimension(index),
                desc,
                numeric,
            });
        } else {
            return Err(ApiError::invalid_argument(
                "An orderBy needs a metric or a dimension.",
            ));
        }
    }
    Ok(out)
}
