//! A `runReport` answer as a text table (dimension and metric columns, values read by
//! metric type, row count, totals) and as structured content for programs.

use crate::api::report::RunReportResponse;
use crate::input::{DateRange, PropertyId};
use crate::render::output::ReportOutput;
use crate::render::values::MetricKind;
use google_mcp_common::Table;
use std::fmt::Write as _;

/// The text shows at most this many rows; structured content always has them all.
/// A model reads a few hundred rows well, thousands mostly cost context.
pub const MAX_TEXT_ROWS: usize = 500;

/// What the report was about, for its heading.
#[derive(Debug, Clone, Copy)]
pub struct ReportContext<'a> {
    /// E.g. "Page views".
    pub title: &'a str,
    pub property: &'a PropertyId,
    pub dates: &'a DateRange,
    /// The `limit` sent, to say when more rows exist.
    pub limit: u32,
}

/// The rendered report: text for people and models, data for programs.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedReport {
    pub text: String,
    pub structured: ReportOutput,
}

/// Renders `response` with the heading from `context`.
pub fn render_report(context: &ReportContext<'_>, response: &RunReportResponse) -> RenderedReport {
    let kinds: Vec<MetricKind> = response
        .metric_headers
        .iter()
        .map(|header| MetricKind::from_api(&header.kind))
        .collect();
    let currency = response.metadata.currency_code.as_deref();
    let returned = response.rows.len();
    let row_count = response.row_count.unwrap_or(returned as u64);

    let mut text = heading(context, response);
    if returned == 0 {
        let _ = write!(
            text,
            "\n\nNo rows: the property has no data for these dimensions and metrics in this date range."
        );
    } else {
        text.push_str("\n\n");
        text.push_str(&table(response, &kinds, currency).render());
        let _ = write!(text, "\n{}", row_summary(context, returned, row_count));
        if let Some(totals) = totals_line(response, &kinds, currency, row_count) {
            let _ = write!(text, "\n{totals}");
        }
    }
    for note in notes(response) {
        let _ = write!(text, "\n{note}");
    }
    RenderedReport {
        text,
        structured: ReportOutput::new(context, response, &kinds),
    }
}

fn heading(context: &ReportContext<'_>, response: &RunReportResponse) -> String {
    let mut text = format!(
        "{} for {}, {} to {}",
        context.title,
        context.property,
        context.dates.start(),
        context.dates.end()
    );
    if let Some(zone) = &response.metadata.time_zone {
        let _ = write!(text, " (dates in {zone})");
    }
    text.push(':');
    text
}

fn table(response: &RunReportResponse, kinds: &[MetricKind], currency: Option<&str>) -> Table {
    let headers = response
        .dimension_headers
        .iter()
        .map(|header| header.name.clone())
        .chain(
            response
                .metric_headers
                .iter()
                .map(|header| header.name.clone()),
        );
    let mut table = Table::new(headers);
    for row in response.rows.iter().take(MAX_TEXT_ROWS) {
        let dimensions = response
            .dimension_headers
            .iter()
            .zip(&row.dimension_values)
            .map(|(header, cell)| dimension_text(&header.name, cell.value.as_deref()));
        let metrics = kinds
            .iter()
            .zip(&row.metric_values)
            .map(|(kind, cell)| kind.display(cell.value.as_deref().unwrap_or_default(), currency));
        table.push_row(dimensions.chain(metrics));
    }
    table
}

/// Dimension values as sent, but `date` (`YYYYMMDD`) written `YYYY-MM-DD`.
fn dimension_text(name: &str, value: Option<&str>) -> String {
    let value = value.unwrap_or_default();
    if name == "date" && value.len() == 8 && value.bytes().all(|byte| byte.is_ascii_digit()) {
        return format!("{}-{}-{}", &value[..4], &value[4..6], &value[6..]);
    }
    value.to_owned()
}

fn row_summary(context: &ReportContext<'_>, returned: usize, row_count: u64) -> String {
    let shown = returned.min(MAX_TEXT_ROWS);
    let mut line = format!("Showing {shown} of {row_count} rows");
    if shown < returned {
        let _ = write!(
            line,
            " (this text stops at {MAX_TEXT_ROWS}; the structured content has all {returned} returned rows)"
        );
    }
    line.push('.');
    if (returned as u64) < row_count {
        let _ = write!(
            line,
            " {} more rows exist beyond the limit of {}; ask for fewer dimensions, a shorter date range or a higher limit to see them.",
            row_count - returned as u64,
            context.limit
        );
    }
    line
}

fn totals_line(
    response: &RunReportResponse,
    kinds: &[MetricKind],
    currency: Option<&str>,
    row_count: u64,
) -> Option<String> {
    let totals = response.totals.first()?;
    let parts: Vec<String> = response
        .metric_headers
        .iter()
        .zip(kinds)
        .zip(&totals.metric_values)
        .map(|((header, kind), cell)| {
            let value = kind.display(cell.value.as_deref().unwrap_or_default(), currency);
            format!("{} {value}", header.name)
        })
        .collect();
    (!parts.is_empty()).then(|| format!("Totals over all {row_count} rows: {}.", parts.join("; ")))
}

/// Caveats Google attaches to the numbers.
fn notes(response: &RunReportResponse) -> Vec<&'static str> {
    let metadata = &response.metadata;
    let mut notes = Vec::new();
    if metadata.subject_to_thresholding {
        notes.push("Note: Google withheld some rows to protect user privacy (thresholding), so small numbers may be missing.");
    }
    if metadata.data_loss_from_other_row {
        notes.push(
            "Note: some values were grouped into an \"(other)\" row because of high cardinality.",
        );
    }
    if !metadata.sampling_metadatas.is_empty() {
        notes.push("Note: this report is based on a sample of the data.");
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn response() -> RunReportResponse {
        serde_json::from_value(json!({
            "dimensionHeaders": [{"name": "date"}, {"name": "pagePath"}],
            "metricHeaders": [
                {"name": "screenPageViews", "type": "TYPE_INTEGER"},
                {"name": "averageSessionDuration", "type": "TYPE_SECONDS"}
            ],
            "rows": [
                {"dimensionValues": [{"value": "20240614"}, {"value": "/"}],
                 "metricValues": [{"value": "1234"}, {"value": "187.4"}]},
                {"dimensionValues": [{"value": "20240615"}, {"value": "/pricing"}],
                 "metricValues": [{"value": "56"}, {"value": "12.5"}]}
            ],
            "totals": [{"dimensionValues": [{"value": "RESERVED_TOTAL"}, {"value": "RESERVED_TOTAL"}],
                        "metricValues": [{"value": "5000"}, {"value": "100"}]}],
            "rowCount": 7,
            "metadata": {"currencyCode": "USD", "timeZone": "Europe/Berlin", "subjectToThresholding": true}
        }))
        .unwrap()
    }

    fn context_with<'a>(property: &'a PropertyId, dates: &'a DateRange) -> ReportContext<'a> {
        ReportContext {
            title: "Page views",
            property,
            dates,
            limit: 2,
        }
    }

    #[test]
    fn the_text_has_a_heading_a_table_the_row_count_and_totals() {
        let property = PropertyId::parse("123").unwrap();
        let dates = DateRange::parse("7daysAgo", "yesterday").unwrap();
        let report = render_report(&context_with(&property, &dates), &response());
        let text = &report.text;
        assert!(
            text.starts_with(
                "Page views for properties/123, 7daysAgo to yesterday (dates in Europe/Berlin):"
            ),
            "{text}"
        );
        assert!(
            text.contains("2024-06-14 | /        |           1,234 | 3m 07s"),
            "{text}"
        );
        assert!(
            text.contains("Showing 2 of 7 rows. 5 more rows exist beyond the limit of 2"),
            "{text}"
        );
        assert!(
            text.contains(
                "Totals over all 7 rows: screenPageViews 5,000; averageSessionDuration 1m 40s."
            ),
            "{text}"
        );
        assert!(text.contains("thresholding"), "{text}");
    }

    #[test]
    fn structured_content_keeps_raw_dimensions_and_numeric_metrics() {
        let property = PropertyId::parse("123").unwrap();
        let dates = DateRange::parse("2024-06-01", "2024-06-30").unwrap();
        let report = render_report(&context_with(&property, &dates), &response());
        let value = &serde_json::to_value(&report.structured).unwrap();
        assert_eq!(
            value["rows"][0],
            json!({"date": "20240614", "pagePath": "/", "screenPageViews": 1234, "averageSessionDuration": 187.4})
        );
        assert_eq!(value["rowCount"], 7);
        assert_eq!(value["returnedRows"], 2);
        assert_eq!(
            value["totals"],
            json!({"screenPageViews": 5000, "averageSessionDuration": 100.0})
        );
        assert_eq!(
            value["dateRange"],
            json!({"startDate": "2024-06-01", "endDate": "2024-06-30"})
        );
        assert_eq!(
            value["metrics"][1],
            json!({"name": "averageSessionDuration", "type": "TYPE_SECONDS"})
        );
    }

    #[test]
    fn an_empty_report_says_so() {
        let property = PropertyId::parse("123").unwrap();
        let dates = DateRange::parse("today", "today").unwrap();
        let empty: RunReportResponse = serde_json::from_value(json!({
            "dimensionHeaders": [{"name": "date"}],
            "metricHeaders": [{"name": "activeUsers", "type": "TYPE_INTEGER"}]
        }))
        .unwrap();
        let report = render_report(&context_with(&property, &dates), &empty);
        assert!(report.text.contains("No rows"), "{}", report.text);
        let value = serde_json::to_value(&report.structured).unwrap();
        assert_eq!(value["rowCount"], 0);
        assert_eq!(value["rows"], json!([]));
        assert_eq!(value["totals"], Value::Null);
    }
}
