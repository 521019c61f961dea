//! `GET /v1beta/accountSummaries`: the caller's accounts with their
//! properties, 50 per page by default, at most 200.

use std::collections::HashMap;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::begin;
use crate::apis::auth::{ANALYTICS_EDIT_SCOPE, ANALYTICS_READONLY_SCOPE, ANALYTICS_SCOPE, Service};
use crate::apis::errors::{ApiError, json_response};
use crate::apis::model::GaAccount;
use crate::state::EmulatorState;

const SERVICE: Service = Service {
    name: "analyticsadmin.googleapis.com",
    method: "google.analytics.admin.v1beta.AnalyticsAdminService.ListAccountSummaries",
    scopes: &[
        ANALYTICS_READONLY_SCOPE,
        ANALYTICS_EDIT_SCOPE,
        ANALYTICS_SCOPE,
    ],
};

pub(crate) fn list_account_summaries(
    state: &EmulatorState,
    version: &str,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Response {
    let result = begin(state, version, headers, SERVICE).and_then(|accounts| {
        page(
            &accounts,
            query.get("pageSize").map(String::as_str),
            query.get("pageToken").map(String::as_str),
        )
    });
    match result {
        Ok(body) => json_response(StatusCode::OK, &body),
        Err(error) => error.into_response(),
    }
}

fn token(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("accountSummaries:{offset}"))
}

fn offset_of(token: &str) -> Option<usize> {
    let decoded = String::from_utf8(URL_SAFE_NO_PAD.decode(token).ok()?).ok()?;
    decoded.strip_prefix("accountSummaries:")?.parse().ok()
}

fn page(
    accounts: &[GaAccount],
    size: Option<&str>,
    page_token: Option<&str>,
) -> Result<Value, ApiError> {
    let size = match size.map(str::trim).filter(|s| !s.is_empty()) {
        None => 50,
        Some(text) => match text.parse::<i64>() {
            Ok(n) if n < 0 => {
                return Err(ApiError::invalid_argument(
                    "page_size must be non-negative.",
                ));
            }
            Ok(0) => 50,
            Ok(n) => usize::try_from(n.min(200)).unwrap_or(200),
            Err(_) => {
                return Err(ApiError::invalid_argument(format!(
                    "Invalid value at 'page_size' (TYPE_INT32), \"{text}\""
                )));
            }
        },
    };
    let start = match page_token.filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => offset_of(t)
            .filter(|o| *o < accounts.len())
            .ok_or_else(|| ApiError::invalid_argument("Invalid page token."))?,
    };
    let end = (start + size).min(accounts.len());
    let mut out = Map::new();
    if end > start {
        out.insert(
            "accountSummaries".into(),
            accounts[start..end].iter().map(summary).collect(),
        );
    }
    if end < accounts.len() {
        out.insert("nextPageToken".into(), Value::String(token(end)));
    }
    Ok(Value::Object(out))
}

fn summary(account: &GaAccount) -> Value {
    let mut out = json!({
        "name": format!("accountSummaries/{}", account.id),
        "account": format!("accounts/{}", account.id),
        "displayName": account.display_name,
    });
    if !account.properties.is_empty() {
        out["propertySummaries"] = account
            .properties
            .iter()
            .map(|p| {
                json!({
                    "property": format!("properties/{}", p.id),
                    "displayName": p.display_name,
                    "propertyType": "PROPERTY_TYPE_ORDINARY",
                    "parent": format!("accounts/{}", account.id),
                })
            })
            .collect();
    }
    out
}
