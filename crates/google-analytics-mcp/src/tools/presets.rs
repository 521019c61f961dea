//! Each report tool's arguments turned into a checked report request: the three
//! ready-made reports of the original server and the free-form `run_report`.

use crate::analytics::ReportRequest;
use crate::api::report::ReportSpec;
use crate::input::names::{parse_dimensions, parse_metrics};
use crate::input::{DateError, DateRange, FieldName, IdError, NameError, PropertyId, RowLimit};
use crate::tools::args::{PageViewsArgs, PresetReportArgs, ReportScope, RunReportArgs};

/// Why a tool's input was refused; the text tells the model how to correct it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    Id(#[from] IdError),
    #[error(transparent)]
    Date(#[from] DateError),
    #[error(transparent)]
    Name(#[from] NameError),
}

/// `get_page_views`: views and users per page (or per the given dimensions), busiest first.
pub fn page_views(args: &PageViewsArgs) -> Result<ReportRequest, InputError> {
    let default_dimensions = ["pagePath".to_owned()];
    let dimensions = args.dimensions.as_deref().unwrap_or(&default_dimensions);
    build(
        "Page views",
        &args.scope,
        dimensions,
        &names(&["screenPageViews", "activeUsers"]),
        args.limit,
        Order::MetricDesc("screenPageViews"),
    )
}

/// `get_active_users`: active and new users per day, oldest first.
pub fn active_users(args: &PresetReportArgs) -> Result<ReportRequest, InputError> {
    build(
        "Active users by day",
        &args.scope,
        &names(&["date"]),
        &names(&["activeUsers", "newUsers"]),
        args.limit,
        Order::Dimension("date"),
    )
}

/// `get_traffic_sources`: sessions and users per source and medium, busiest first.
pub fn traffic_sources(args: &PresetReportArgs) -> Result<ReportRequest, InputError> {
    build(
        "Traffic sources",
        &args.scope,
        &names(&["sessionSource", "sessionMedium"]),
        &names(&["sessions", "activeUsers"]),
        args.limit,
        Order::MetricDesc("sessions"),
    )
}

/// `run_report`: the caller's metrics and dimensions, in the API's order.
pub fn custom(args: &RunReportArgs) -> Result<ReportRequest, InputError> {
    build(
        "Report",
        &args.scope,
        args.dimensions.as_deref().unwrap_or_default(),
        &args.metrics,
        args.limit,
        Order::Api,
    )
}

#[derive(Clone, Copy)]
enum Order {
    Api,
    MetricDesc(&'static str),
    Dimension(&'static str),
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

fn build(
    title: &'static str,
    scope: &ReportScope,
    dimensions: &[String],
    metrics: &[String],
    limit: Option<u64>,
    order: Order,
) -> Result<ReportRequest, InputError> {
    let property = PropertyId::parse(&scope.property_id)?;
    let dates = DateRange::parse(&scope.start_date, &scope.end_date)?;
    let dimensions = parse_dimensions(dimensions)?;
    let metrics = parse_metrics(metrics)?;
    let limit = limit.map_or(Ok(RowLimit::DEFAULT), RowLimit::new)?;
    let (order_by_metric_desc, order_by_dimension) = match order {
        Order::Api => (None, None),
        Order::MetricDesc(metric) => (Some(FieldName::parse(metric)?), None),
        // Only when the caller kept that dimension (page views may drop `date`).
        Order::Dimension(dimension) => (None, Some(FieldName::parse(dimension)?)),
    };
    Ok(ReportRequest {
        title,
        property,
        spec: ReportSpec {
            dates,
            dimensions,
            metrics,
            limit,
            order_by_metric_desc,
            order_by_dimension,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(property: &str, start: &str, end: &str) -> ReportScope {
        ReportScope {
            property_id: property.into(),
            start_date: start.into(),
            end_date: end.into(),
            user_email: None,
        }
    }

    #[test]
    fn page_views_default_to_page_path_busiest_first() {
        let args = PageViewsArgs {
            scope: scope("properties/7", "28daysAgo", "yesterday"),
            dimensions: None,
            limit: None,
        };
        let request = page_views(&args).unwrap();
        assert_eq!(request.property.number(), "7");
        let body = serde_json::to_value(request.spec.to_request()).unwrap();
        assert_eq!(
            body["dimensions"],
            serde_json::json!([{"name": "pagePath"}])
        );
        assert_eq!(body["limit"], "10000");
        assert_eq!(
            body["orderBys"][0]["metric"]["metricName"],
            "screenPageViews"
        );
    }

    #[test]
    fn run_report_checks_every_input_before_any_call() {
        let args = |start: &str, metrics: &[&str], limit| RunReportArgs {
            scope: scope("123", start, "2024-06-30"),
            metrics: names(metrics),
            dimensions: Some(names(&["country"])),
            limit,
        };
        assert!(custom(&args("2024-06-01", &["sessions"], Some(5))).is_ok());
        assert!(matches!(
            custom(&args("2024-06-31", &["sessions"], None)),
            Err(InputError::Date(DateError::NoSuchDay(_)))
        ));
        assert!(matches!(
            custom(&args("2024-07-01", &["sessions"], None)),
            Err(InputError::Date(DateError::StartAfterEnd { .. }))
        ));
        assert!(matches!(
            custom(&args("2024-06-01", &["bad name"], None)),
            Err(InputError::Name(NameError::Malformed(_)))
        ));
        assert!(matches!(
            custom(&args("2024-06-01", &["sessions"], Some(0))),
            Err(InputError::Name(NameError::LimitOutOfRange(0)))
        ));
    }
}
