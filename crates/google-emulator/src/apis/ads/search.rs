//! Runs a GAQL query against one customer's fixture data: checks fields
//! against the resource, expands dates, filters, orders, limits and renders.
//!
//! Metrics: without any `segments.date` condition a row reports the fixture
//! totals; with a date range every day contributes `total / 30` (integer
//! division; conversions rounded to 6 decimals), one row per day when
//! `segments.date` is selected, summed over the range otherwise.

use chrono::NaiveDate;
use serde_json::Value;

use super::conditions::{date_range, matches_all, sort};
use super::fields::{self, Category, Field, Resource, Row, RowMetrics};
use super::gaql::{self, Query};
use crate::apis::dates;
use crate::apis::model::{AdsCustomer, AdsMetrics};

/// A `queryError` (or other family) with its message and trigger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct QueryFault {
    pub code: &'static str,
    pub message: String,
    pub trigger: Option<String>,
}

pub(super) fn fault(code: &'static str, message: impl Into<String>, trigger: &str) -> QueryFault {
    QueryFault {
        code,
        message: message.into(),
        trigger: Some(trigger.to_owned()),
    }
}

/// A query's result before paging.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Executed {
    /// Selected fields in camelCase, comma-separated.
    pub field_mask: String,
    pub rows: Vec<Value>,
    /// The metrics summed over every matching row, when metrics were selected.
    pub summary_row: Option<Value>,
}

/// Checks `query` without running it (for `validateOnly`).
pub(crate) fn validate(customer: &AdsCustomer, query: &str) -> Result<String, QueryFault> {
    let (_, _, selected) = checked(customer, query)?;
    Ok(field_mask(&selected))
}

fn checked(
    customer: &AdsCustomer,
    text: &str,
) -> Result<(Query, Resource, Vec<&'static Field>), QueryFault> {
    let query = gaql::parse(text).map_err(|e| QueryFault {
        code: e.code,
        message: e.message,
        trigger: e.trigger,
    })?;
    let resource = Resource::parse(&query.from).ok_or_else(|| {
        fault(
            "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
            format!(
                "Error in query: invalid resource type '{}' in FROM clause.",
                query.from
            ),
            &query.from,
        )
    })?;
    let mut selected: Vec<&'static Field> = Vec::new();
    for name in &query.select {
        let field = known(resource, customer, name, Clause::Select)?;
        if !selected.iter().any(|f| f.name == field.name) {
            selected.push(field);
        }
    }
    for condition in &query.conditions {
        known(resource, customer, &condition.field, Clause::Where)?;
    }
    for (name, _) in &query.order_by {
        known(resource, customer, name, Clause::OrderBy)?;
    }
    Ok((query, resource, selected))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Clause {
    Select,
    Where,
    OrderBy,
}

/// The field `name` if it exists and may be used with `FROM resource`.
fn known(
    resource: Resource,
    customer: &AdsCustomer,
    name: &str,
    clause: Clause,
) -> Result<&'static Field, QueryFault> {
    let field = fields::lookup(name).ok_or_else(|| {
        fault(
            "UNRECOGNIZED_FIELD",
            format!("Error in query: unrecognized field '{name}'."),
            name,
        )
    })?;
    match field.category {
        Category::Attribute(r) if !resource.attributable().contains(&r) => {
            let code = match clause {
                Clause::Select => "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE",
                Clause::Where => "PROHIBITED_RESOURCE_TYPE_IN_WHERE_CLAUSE",
                Clause::OrderBy => "PROHIBITED_FIELD_IN_ORDER_BY_CLAUSE",
            };
            Err(fault(
                code,
                format!(
                    "Error in query: '{name}' cannot be used with resource '{}'.",
                    resource_label(resource)
                ),
                name,
            ))
        }
        Category::Metric | Category::Segment if !resource.has_metrics() => {
            let code = if field.category == Category::Metric {
                "PROHIBITED_METRIC_IN_SELECT_OR_WHERE_CLAUSE"
            } else {
                "PROHIBITED_SEGMENT_IN_SELECT_OR_WHERE_CLAUSE"
            };
            Err(fault(
                code,
                format!(
                    "Error in query: '{name}' cannot be used with resource '{}'.",
                    resource_label(resource)
                ),
                name,
            ))
        }
        Category::Metric if customer.manager => Err(fault(
            "REQUESTED_METRICS_FOR_MANAGER",
            "Metrics cannot be requested for a manager account. To retrieve metrics, issue separate requests against each client account under the manager account.",
            name,
        )),
        _ => Ok(field),
    }
}

fn resource_label(resource: Resource) -> &'static str {
    match resource {
        Resource::Customer => "customer",
        Resource::CustomerClient => "customer_client",
        Resource::Campaign => "campaign",
        Resource::AdGroup => "ad_group",
        Resource::AdGroupAd => "ad_group_ad",
        Resource::Asset => "asset",
    }
}

fn field_mask(selected: &[&'static Field]) -> String {
    selected
        .iter()
        .map(|f| f.json_path().join("."))
        .collect::<Vec<_>>()
        .join(",")
}

/// Runs `text` for `customer`; `all` is every customer of the account (for
/// `customer_client` hierarchies); `today` anchors `DURING` presets.
pub(crate) fn execute(
    all: &[AdsCustomer],
    customer: &AdsCustomer,
    text: &str,
    today: NaiveDate,
) -> Result<Executed, QueryFault> {
    let (query, resource, selected) = checked(customer, text)?;
    let range = date_range(&query.conditions, today)?;
    let by_date = selected.iter().any(|f| f.name == "segments.date");
    if by_date && range.is_none() {
        return Err(fault(
            "EXPECTED_FILTERS_ON_DATE_RANGE",
            "Error in query: a finite date range on segments.date is required when segments.date is selected.",
            "segments.date",
        ));
    }
    let mut rows = Vec::new();
    for (base, totals) in base_rows(all, customer, resource) {
        match range {
            Some((start, end)) if by_date => {
                for day in dates::each_day(start, end) {
                    let mut row = base.clone();
                    row.date = Some(day);
                    row.metrics = scaled(&totals, Some(1));
                    rows.push(row);
                }
            }
            Some((start, end)) => {
                let mut row = base;
                row.metrics = scaled(&totals, Some(dates::day_count(start, end)));
                rows.push(row);
            }
            None => {
                let mut row = base;
                row.metrics = scaled(&totals, None);
                rows.push(row);
            }
        }
    }
    let mut kept = Vec::new();
    for row in rows {
        if matches_all(&query.conditions, &row)? {
            kept.push(row);
        }
    }
    sort(&mut kept, &query.order_by);
    let has_metrics = selected.iter().any(|f| f.category == Category::Metric);
    let summary_row = has_metrics.then(|| summary(&selected, &kept, customer));
    if let Some(limit) = query.limit {
        kept.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    }
    Ok(Executed {
        field_mask: field_mask(&selected),
        rows: kept
            .iter()
            .map(|row| fields::render(&selected, row))
            .collect(),
        summary_row,
    })
}

/// Rows of `resource` under `customer` with their fixture metric totals.
fn base_rows<'a>(
    all: &'a [AdsCustomer],
    customer: &'a AdsCustomer,
    resource: Resource,
) -> Vec<(Row<'a>, AdsMetrics)> {
    let blank = Row {
        customer,
        client: None,
        campaign: None,
        ad_group: None,
        ad: None,
        date: None,
        metrics: RowMetrics::default(),
    };
    let mut out = Vec::new();
    match resource {
        Resource::Customer => {
            let mut total = RowMetrics::default();
            for campaign in &customer.campaigns {
                total.add(&campaign.metrics);
            }
            out.push((blank, to_metrics(&total)));
        }
        Resource::CustomerClient => {
            for (client, level) in hierarchy(all, customer) {
                out.push((
                    Row {
                        client: Some((client, level)),
                        ..blank.clone()
                    },
                    AdsMetrics::default(),
                ));
            }
        }
        Resource::Campaign => {
            for campaign in &customer.campaigns {
                out.push((
                    Row {
                        campaign: Some(campaign),
                        ..blank.clone()
                    },
                    campaign.metrics.clone(),
                ));
            }
        }
        Resource::AdGroup | Resource::AdGroupAd | Resource::Asset => {
            for campaign in &customer.campaigns {
                for group in &campaign.ad_groups {
                    let row = Row {
                        campaign: Some(campaign),
                        ad_group: Some(group),
                        ..blank.clone()
                    };
                    if resource == Resource::AdGroup {
                        let mut total = RowMetrics::default();
                        for ad in &group.ads {
                            total.add(&ad.metrics);
                        }
                        out.push((row, to_metrics(&total)));
                        continue;
                    }
                    for ad in &group.ads {
                        let is_image = ad.image_url.is_some();
                        if resource == Resource::AdGroupAd || is_image {
                            out.push((
                                Row {
                                    ad: Some(ad),
                                    ..row.clone()
                                },
                                ad.metrics.clone(),
                            ));
                        }
                    }
                }
            }
        }
    }
    out
}

/// `customer` at level 0, then its clients depth-first with their levels.
fn hierarchy<'a>(all: &'a [AdsCustomer], customer: &'a AdsCustomer) -> Vec<(&'a AdsCustomer, u32)> {
    let mut out = vec![(customer, 0)];
    let mut i = 0;
    while i < out.len() {
        let (current, level) = out[i];
        for id in &current.client_ids {
            let seen = out.iter().any(|(c, _)| &c.id == id);
            if let Some(client) = all.iter().find(|c| &c.id == id).filter(|_| !seen) {
                out.push((client, level + 1));
            }
        }
        i += 1;
    }
    out
}

fn to_metrics(total: &RowMetrics) -> AdsMetrics {
    AdsMetrics {
        impressions: total.impressions,
        clicks: total.clicks,
        cost_micros: total.cost_micros,
        conversions: total.conversions,
    }
}

#[expect(clippy::cast_precision_loss, reason = "day counts are small")]
fn scaled(totals: &AdsMetrics, days: Option<u64>) -> RowMetrics {
    let Some(days) = days else {
        return RowMetrics {
            impressions: totals.impressions,
            clicks: totals.clicks,
            cost_micros: totals.cost_micros,
            conversions: round6(totals.conversions),
        };
    };
    RowMetrics {
        impressions: totals.impressions / 30 * days,
        clicks: totals.clicks / 30 * days,
        cost_micros: totals.cost_micros / 30 * days,
        conversions: round6(totals.conversions / 30.0 * days as f64),
    }
}

fn round6(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

/// `summaryRow`: the selected metrics over every matching row (before LIMIT).
fn summary(selected: &[&'static Field], rows: &[Row<'_>], customer: &AdsCustomer) -> Value {
    let mut total = RowMetrics::default();
    for row in rows {
        total.impressions += row.metrics.impressions;
        total.clicks += row.metrics.clicks;
        total.cost_micros += row.metrics.cost_micros;
        total.conversions += row.metrics.conversions;
    }
    total.conversions = round6(total.conversions);
    let row = Row {
        customer,
        client: None,
        campaign: None,
        ad_group: None,
        ad: None,
        date: None,
        metrics: total,
    };
    let metrics: Vec<&'static Field> = selected
        .iter()
        .copied()
        .filter(|f| f.category == Category::Metric)
        .collect();
    fields::render(&metrics, &row)
}
