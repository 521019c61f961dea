//! `runReport` as a pure function of a property and a request body, so other
//! crates' tests can compute the exact report the emulator serves.
//!
//! Rows are the cartesian product of the requested dimensions' values (the
//! `date` dimension walks each date range as `YYYYMMDD`, up to today). Counts
//! are summed per day from a hash of property id, metric, dimension values
//! and day; rates and averages are one hash draw per row. Days after today
//! have no data, so a range in the future gives an empty report. Without
//! `orderBys`, rows come in generation order (first dimension outermost).

use std::cmp::Ordering;

use chrono::NaiveDate;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::catalog::{Metric, Shape};
use super::spec::{self, Key, Spec};
use crate::apis::dates;
use crate::apis::errors::ApiError;
use crate::apis::model::GaProperty;

/// The report Google's Data API would answer for `request` (a `runReport`
/// body) about `property`, with relative dates resolved against today (UTC).
pub fn run_report(property: &GaProperty, request: &Value) -> Result<Value, ApiError> {
    run_report_on(property, request, dates::today())
}

/// [`run_report`] with "today" given, for reproducible expectations.
pub fn run_report_on(
    property: &GaProperty,
    request: &Value,
    today: NaiveDate,
) -> Result<Value, ApiError> {
    let spec = spec::parse(request, today)?;
    let mut rows = generate(property, &spec, today);
    if let Some(f) = &spec.filter {
        rows.retain(|row| f.matches(&row.dims));
    }
    sort(&mut rows, &spec);
    Ok(render(property, request, &spec, &rows))
}

struct Row {
    dims: Vec<String>,
    /// In each metric's internal unit (counts, cents, ten-thousandths).
    values: Vec<f64>,
    range: usize,
}

/// A deterministic draw in `lo..=hi` from the given parts.
fn draw(parts: &[&str], lo: u64, hi: u64) -> u64 {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0x1f]);
    }
    let digest = hasher.finalize();
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    lo + u64::from_be_bytes(head) % (hi - lo + 1)
}

fn generate(property: &GaProperty, spec: &Spec, today: NaiveDate) -> Vec<Row> {
    let mut rows = Vec::new();
    let date_at = spec.dims.iter().position(|d| d.name == "date");
    for (range_index, range) in spec.ranges.iter().enumerate() {
        let end = range.end.min(today);
        if range.start > end {
            continue;
        }
        let days: Vec<NaiveDate> = dates::each_day(range.start, end).collect();
        let day_names: Vec<String> = days
            .iter()
            .map(|d| d.format("%Y%m%d").to_string())
            .collect();
        let lists: Vec<Vec<&str>> = spec
            .dims
            .iter()
            .map(|d| {
                if d.name == "date" {
                    day_names.iter().map(String::as_str).collect()
                } else {
                    d.values.to_vec()
                }
            })
            .collect();
        for combo in product(&lists) {
            let span: &[NaiveDate] = match date_at {
                Some(i) => std::slice::from_ref(&days[combo[i]]),
                None => &days,
            };
            let values: Vec<&str> = combo.iter().zip(&lists).map(|(i, list)| list[*i]).collect();
            // The key leaves out the date so a day's count is the same
            // whether or not the report is broken down by date.
            let key: Vec<&str> = values
                .iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != date_at)
                .map(|(_, v)| *v)
                .collect();
            let metric_values = spec
                .metrics
                .iter()
                .map(|m| metric_value(property, m, &key, span))
                .collect();
            let mut dims: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
            if spec.ranges.len() > 1 {
                dims.push(range.name.clone());
            }
            rows.push(Row {
                dims,
                values: metric_values,
                range: range_index,
            });
        }
    }
    rows
}

#[expect(
    clippy::cast_precision_loss,
    reason = "report values stay far below 2^53"
)]
fn metric_value(property: &GaProperty, metric: &Metric, key: &[&str], span: &[NaiveDate]) -> f64 {
    let joined = key.join("\u{1f}");
    match metric.shape {
        Shape::Additive { lo, hi, .. } => span
            .iter()
            .map(|day| {
                draw(
                    &[&property.id, metric.name, &joined, &day.to_string()],
                    lo,
                    hi,
                )
            })
            .sum::<u64>() as f64,
        Shape::Ratio { lo, hi } => {
            let first = span.first().map(ToString::to_string).unwrap_or_default();
            let last = span.last().map(ToString::to_string).unwrap_or_default();
            draw(&[&property.id, metric.name, &joined, &first, &last], lo, hi) as f64
        }
    }
}

/// Every index combination of `lists`, the first list outermost.
fn product(lists: &[Vec<&str>]) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = vec![Vec::new()];
    for list in lists {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                (0..list.len()).map(move |i| {
                    let mut next = prefix.clone();
                    next.push(i);
                    next
                })
            })
            .collect();
    }
    out
}

fn sort(rows: &mut [Row], spec: &Spec) {
    if spec.order_bys.is_empty() {
        return;
    }
    rows.sort_by(|a, b| {
        for order in &spec.order_bys {
            let ordering = match order.key {
                Key::Metric(i) => a.values[i].total_cmp(&b.values[i]),
                Key::Dimension(i) if order.numeric => {
                    let x = a.dims[i].parse::<f64>().unwrap_or(0.0);
                    x.total_cmp(&b.dims[i].parse::<f64>().unwrap_or(0.0))
                }
                Key::Dimension(i) => a.dims[i].cmp(&b.dims[i]),
            };
            let ordering = if order.desc {
                ordering.reverse()
            } else {
                ordering
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        Ordering::Equal
    });
}

/// A metric value as Google prints it: integers plain, others with at most
/// four decimals.
#[expect(clippy::cast_precision_loss, reason = "scales are small powers of ten")]
fn format_value(metric: &Metric, value: f64) -> String {
    let real = match metric.shape {
        Shape::Additive { scale, .. } => value / scale as f64,
        Shape::Ratio { .. } => value / 10_000.0,
    };
    if metric.kind == "TYPE_INTEGER" {
        return format!("{}", real.round());
    }
    let rounded = (real * 10_000.0).round() / 10_000.0;
    format!("{rounded}")
}

fn row_json(spec: &Spec, dims: &[String], values: &[f64]) -> Value {
    let mut row = Map::new();
    if !dims.is_empty() {
        row.insert(
            "dimensionValues".into(),
            dims.iter().map(|d| json!({ "value": d })).collect(),
        );
    }
    if !values.is_empty() {
        row.insert(
            "metricValues".into(),
            spec.metrics
                .iter()
                .zip(values)
                .map(|(m, v)| json!({ "value": format_value(m, *v) }))
                .collect(),
        );
    }
    Value::Object(row)
}

/// One aggregate row per date range: sums (means for rates), maxima or minima.
#[expect(clippy::cast_precision_loss, reason = "row counts are small")]
fn aggregate(spec: &Spec, rows: &[Row], field: &str, label: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for (range_index, range) in spec.ranges.iter().enumerate() {
        let members: Vec<&Row> = rows.iter().filter(|r| r.range == range_index).collect();
        if members.is_empty() {
            continue;
        }
        let values: Vec<f64> = (0..spec.metrics.len())
            .map(|i| {
                let column = members.iter().map(|r| r.values[i]);
                match (field, spec.metrics[i].shape) {
                    ("maximums", _) => column.fold(f64::MIN, f64::max),
                    ("minimums", _) => column.fold(f64::MAX, f64::min),
                    (_, Shape::Ratio { .. }) => column.sum::<f64>() / members.len() as f64,
                    _ => column.sum(),
                }
            })
            .collect();
        let mut dims: Vec<String> = spec.dims.iter().map(|_| label.to_owned()).collect();
        if spec.ranges.len() > 1 {
            dims.push(range.name.clone());
        }
        out.push(row_json(spec, &dims, &values));
    }
    out
}

fn render(property: &GaProperty, request: &Value, spec: &Spec, rows: &[Row]) -> Value {
    let mut out = Map::new();
    let dimension_names = spec.dimension_names();
    if !dimension_names.is_empty() {
        out.insert(
            "dimensionHeaders".into(),
            dimension_names
                .iter()
                .map(|n| json!({ "name": n }))
                .collect(),
        );
    }
    if !spec.metrics.is_empty() {
        out.insert(
            "metricHeaders".into(),
            spec.metrics
                .iter()
                .map(|m| json!({ "name": m.name, "type": m.kind }))
                .collect(),
        );
    }
    let page: Vec<Value> = rows
        .iter()
        .skip(spec.offset)
        .take(spec.limit)
        .map(|r| row_json(spec, &r.dims, &r.values))
        .collect();
    if !page.is_empty() {
        out.insert("rows".into(), Value::Array(page));
    }
    if !spec.metrics.is_empty() {
        for (field, label) in &spec.aggregations {
            let aggregated = aggregate(spec, rows, field, label);
            if !aggregated.is_empty() {
                out.insert((*field).to_owned(), Value::Array(aggregated));
            }
        }
    }
    if !rows.is_empty() {
        out.insert("rowCount".into(), json!(rows.len()));
    }
    let currency = request["currencyCode"]
        .as_str()
        .unwrap_or(&property.currency_code);
    out.insert(
        "metadata".into(),
        json!({ "currencyCode": currency, "timeZone": property.time_zone }),
    );
    if request["returnPropertyQuota"].as_bool() == Some(true) {
        out.insert("propertyQuota".into(), quota());
    }
    out.insert("kind".into(), json!("analyticsData#runReport"));
    Value::Object(out)
}

/// A fixed, plausible quota block: the emulator does not meter tokens.
fn quota() -> Value {
    json!({
        "tokensPerDay": { "consumed": 1, "remaining": 199_999 },
        "tokensPerHour": { "consumed": 1, "remaining": 39_999 },
        "concurrentRequests": { "remaining": 10 },
        "serverErrorsPerProjectPerHour": { "remaining": 10 },
        "potentiallyThresholdedRequestsPerHour": { "remaining": 120 },
        "tokensPerProjectPerHour": { "consumed": 1, "remaining": 13_999 },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn property() -> GaProperty {
        crate::apis::sample_analytics_accounts()[0].properties[0].clone()
    }

    #[test]
    fn relative_dates_resolve_against_the_given_today() {
        let today = dates::parse_iso("2026-05-10").unwrap();
        let request = json!({"dimensions": [{"name": "date"}], "metrics": [{"name": "sessions"}],
            "dateRanges": [{"startDate": "2daysAgo", "endDate": "today"}]});
        let report = run_report_on(&property(), &request, today).unwrap();
        let dates: Vec<&str> = report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["dimensionValues"][0]["value"].as_str().unwrap())
            .collect();
        assert_eq!(dates, ["20260508", "20260509", "20260510"]);
        assert_eq!(run_report_on(&property(), &request, today).unwrap(), report);
    }

    #[test]
    fn values_print_like_google() {
        let revenue = catalog_metric("totalRevenue");
        assert_eq!(format_value(revenue, 12_340.0), "123.4");
        assert_eq!(
            format_value(catalog_metric("bounceRate"), 4_567.0),
            "0.4567"
        );
        assert_eq!(format_value(catalog_metric("sessions"), 42.0), "42");
    }

    fn catalog_metric(name: &str) -> &'static Metric {
        super::super::catalog::metric(name).unwrap()
    }
}
