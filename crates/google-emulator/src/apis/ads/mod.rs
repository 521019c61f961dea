//! Google Ads API (REST): `customers:listAccessibleCustomers`,
//! `googleAds:search` and `googleAds:searchStream`, with `GoogleAdsFailure`
//! errors and a `request-id` header on every answer.

mod access;
mod conditions;
mod fields;
mod gaql;
mod lexer;
mod paging;
mod request;
mod search;

pub(crate) use request::search;

use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::auth::{ADWORDS_SCOPE, AuthFailure, Service, authenticate};
use super::errors::{ApiError, default_message, json_response};
use super::fixtures::sample_ads_customers;
use super::model::AdsCustomer;
use crate::ids;
use crate::state::EmulatorState;

/// The version new users are told to use.
const LATEST_VERSION: u32 = 26;

/// An Ads error before it knows its version and request id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AdsFault {
    pub code: u16,
    /// `errorCode` family (`queryError`) and value (`UNRECOGNIZED_FIELD`).
    pub family: &'static str,
    pub error: String,
    pub message: String,
    pub trigger: Option<String>,
    /// `location.fieldPathElements[].fieldName`.
    pub field: Option<&'static str>,
}

impl AdsFault {
    fn new(code: u16, family: &'static str, error: &str, message: impl Into<String>) -> Self {
        Self {
            code,
            family,
            error: error.to_owned(),
            message: message.into(),
            trigger: None,
            field: None,
        }
    }

    fn at(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }

    /// Google's envelope with one `GoogleAdsFailure` detail.
    fn into_error(self, version: &str, request_id: &str) -> ApiError {
        let mut item = json!({
            "errorCode": { self.family: self.error },
            "message": self.message,
        });
        if let Some(trigger) = self.trigger {
            item["trigger"] = json!({ "stringValue": trigger });
        }
        if let Some(field) = self.field {
            item["location"] = json!({ "fieldPathElements": [{ "fieldName": field }] });
        }
        let mut error = ApiError::new(self.code, default_message(self.code));
        error.details.push(json!({
            "@type": format!("type.googleapis.com/google.ads.googleads.{version}.errors.GoogleAdsFailure"),
            "errors": [item],
            "requestId": request_id,
        }));
        error
    }
}

/// What every Ads call has once the request is authenticated.
struct Call {
    version: String,
    request_id: String,
    customers: Vec<AdsCustomer>,
    page_size: usize,
}

impl Call {
    fn fail(&self, fault: AdsFault) -> ApiError {
        fault.into_error(&self.version, &self.request_id)
    }
}

/// Version, token, scope and forced-failure checks shared by every route.
fn begin(
    state: &EmulatorState,
    version: &str,
    headers: &HeaderMap,
    method: &'static str,
    request_id: &str,
) -> Result<Call, ApiError> {
    let mut inner = state.lock();
    inner.counters.ads_requests += 1;
    let major = version
        .strip_prefix('v')
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|n| n.parse::<u32>().ok())
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "The requested URL /{version}/ was not found on this server."
            ))
        })?;
    // A version older than a sunset one is sunset too.
    let sunset = &inner.settings.api.sunset_ads_versions;
    if sunset.contains(&major) || sunset.first().is_some_and(|oldest| major < *oldest) {
        return Err(ApiError::not_found(format!(
            "Version {version} is unsupported: this version of the Google Ads API has been sunset. Use a supported version such as v{LATEST_VERSION}."
        )));
    }
    let service = Service {
        name: "googleads.googleapis.com",
        method,
        scopes: &[ADWORDS_SCOPE],
    };
    let email = authenticate(&inner, headers, service).map_err(|failure| match failure {
        // Only a token Google recognises reaches the Ads backend.
        AuthFailure::Expired => AdsFault::new(
            401,
            "authenticationError",
            "OAUTH_TOKEN_EXPIRED",
            "Authentication of the request failed: the OAuth access token has expired.",
        )
        .into_error(version, request_id),
        other => other.plain_error(service),
    })?;
    if let Some(status) = inner.take_forced_api_failure() {
        return Err(forced_failure(status).into_error(version, request_id));
    }
    Ok(Call {
        version: version.to_owned(),
        request_id: request_id.to_owned(),
        customers: inner
            .ads_customers
            .get(&email)
            .cloned()
            .unwrap_or_else(sample_ads_customers),
        page_size: inner.settings.api.ads_page_size,
    })
}

fn forced_failure(status: u16) -> AdsFault {
    let (family, error, message) = match status {
        429 => (
            "quotaError",
            "RESOURCE_EXHAUSTED",
            "Too many requests. Retry in 30 seconds.",
        ),
        401 => (
            "authenticationError",
            "OAUTH_TOKEN_EXPIRED",
            "Authentication of the request failed: the OAuth access token has expired.",
        ),
        403 => (
            "authorizationError",
            "USER_PERMISSION_DENIED",
            "User doesn't have permission to access customer.",
        ),
        400 => ("requestError", "INVALID_INPUT", "The request is invalid."),
        503 => (
            "internalError",
            "TRANSIENT_ERROR",
            "The service is temporarily unavailable. Retry the request.",
        ),
        504 => (
            "internalError",
            "DEADLINE_EXCEEDED",
            "The request took too long to respond.",
        ),
        _ => (
            "internalError",
            "INTERNAL_ERROR",
            "An internal error has occurred.",
        ),
    };
    AdsFault::new(status, family, error, message)
}

/// Adds the `request-id` header Google sends on every Ads answer.
fn respond(result: Result<Value, ApiError>, request_id: &str) -> Response {
    let mut response = match result {
        Ok(body) => json_response(axum::http::StatusCode::OK, &body),
        Err(error) => error.into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("request-id", value);
    }
    response
}

/// `GET /{v}/customers:listAccessibleCustomers`.
pub(crate) fn list_accessible_customers(
    state: &EmulatorState,
    version: &str,
    headers: &HeaderMap,
) -> Response {
    let request_id = ids::random_b64(16);
    let result = begin(
        state,
        version,
        headers,
        "google.ads.googleads.v26.services.CustomerService.ListAccessibleCustomers",
        &request_id,
    )
    .map(|call| {
        let names: Vec<String> = access::directly_accessible(&call.customers)
            .iter()
            .map(|c| format!("customers/{}", c.id))
            .collect();
        if names.is_empty() {
            json!({})
        } else {
            json!({ "resourceNames": names })
        }
    });
    respond(result, &request_id)
}
