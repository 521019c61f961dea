//! `googleAds:search` and `googleAds:searchStream`: the request body, the
//! customer behind the URL and `login-customer-id`, then query and paging.

use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::access::{self, Denied};
use super::search as run;
use super::{AdsFault, Call, begin, paging, respond};
use crate::apis::dates;
use crate::apis::errors::ApiError;
use crate::apis::model::AdsCustomer;
use crate::ids;
use crate::state::EmulatorState;

/// Body of `googleAds:search` / `googleAds:searchStream`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct SearchBody {
    query: Option<String>,
    page_token: Option<String>,
    page_size: Option<Value>,
    validate_only: bool,
    search_settings: SearchSettings,
    summary_row_setting: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct SearchSettings {
    return_total_results_count: bool,
    return_summary_row: bool,
    omit_results: bool,
}

/// `POST /{v}/customers/{id}/googleAds:search` (`stream = false`) and
/// `…:searchStream` (`stream = true`).
pub(crate) fn search(
    state: &EmulatorState,
    version: &str,
    customer_id: &str,
    headers: &HeaderMap,
    body: &[u8],
    stream: bool,
) -> Response {
    let request_id = ids::random_b64(16);
    let method = if stream {
        "google.ads.googleads.v26.services.GoogleAdsService.SearchStream"
    } else {
        "google.ads.googleads.v26.services.GoogleAdsService.Search"
    };
    let result = begin(state, version, headers, method, &request_id)
        .and_then(|call| run_search(&call, customer_id, headers, body, stream));
    respond(result, &request_id)
}

fn run_search(
    call: &Call,
    customer_id: &str,
    headers: &HeaderMap,
    body: &[u8],
    stream: bool,
) -> Result<Value, ApiError> {
    let request: SearchBody = if body.iter().all(u8::is_ascii_whitespace) {
        SearchBody::default()
    } else {
        serde_json::from_slice(body).map_err(|e| {
            ApiError::invalid_argument(format!("Invalid JSON payload received. {e}"))
        })?
    };
    let customer = customer(call, customer_id, headers)?;
    check_body(call, &request)?;
    let query = request.query.as_deref().map(str::trim).unwrap_or_default();
    let query_fault = |f: run::QueryFault| {
        call.fail(AdsFault {
            code: 400,
            family: "queryError",
            error: f.code.to_owned(),
            message: f.message,
            trigger: f.trigger,
            field: Some("query"),
        })
    };
    if request.validate_only && !stream {
        let mask = run::validate(customer, query).map_err(query_fault)?;
        return Ok(json!({ "fieldMask": mask }));
    }
    let executed =
        run::execute(&call.customers, customer, query, dates::today()).map_err(query_fault)?;
    if stream {
        let setting = request
            .summary_row_setting
            .as_deref()
            .unwrap_or("NO_SUMMARY_ROW");
        return Ok(paging::stream_batches(
            executed,
            call.page_size,
            setting,
            &call.request_id,
        ));
    }
    let options = paging::PageOptions {
        page_token: request.page_token.as_deref().filter(|t| !t.is_empty()),
        total_count: request.search_settings.return_total_results_count,
        summary_row: request.search_settings.return_summary_row,
        omit_results: request.search_settings.omit_results,
    };
    paging::page(executed, query, call.page_size, &options).map_err(|()| {
        call.fail(
            AdsFault::new(
                400,
                "requestError",
                "INVALID_PAGE_TOKEN",
                "Page token is invalid.",
            )
            .at("page_token"),
        )
    })
}

/// The customer of the URL as reachable with the `login-customer-id` header.
fn customer<'a>(
    call: &'a Call,
    customer_id: &str,
    headers: &HeaderMap,
) -> Result<&'a AdsCustomer, ApiError> {
    if !customer_id.bytes().all(|b| b.is_ascii_digit()) || customer_id.is_empty() {
        return Err(call.fail(
            AdsFault::new(
                400,
                "requestError",
                "INVALID_CUSTOMER_ID",
                "Customer id is invalid: use the ten digits without hyphens.",
            )
            .at("customer_id"),
        ));
    }
    let login = headers
        .get("login-customer-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let customer = access::resolve(&call.customers, customer_id, login).map_err(|denied| {
        call.fail(match denied {
            Denied::BadLoginCustomerId => AdsFault::new(
                400,
                "headerError",
                "INVALID_LOGIN_CUSTOMER_ID",
                "The login customer ID header must be ten digits without hyphens.",
            ),
            Denied::NoPermission => AdsFault::new(
                403,
                "authorizationError",
                "USER_PERMISSION_DENIED",
                "User doesn't have permission to access customer. Note: If you're accessing a client customer, the manager's customer id must be set in the 'login-customer-id' header. See https://developers.google.com/google-ads/api/docs/concepts/call-structure#cid",
            ),
        })
    })?;
    Ok(customer)
}

/// Body fields Google refuses: `pageSize`, and a missing query.
fn check_body(call: &Call, request: &SearchBody) -> Result<(), ApiError> {
    if request.page_size.as_ref().is_some_and(|v| !v.is_null()) {
        return Err(call.fail(
            AdsFault::new(
                400,
                "requestError",
                "PAGE_SIZE_NOT_SUPPORTED",
                "Setting the page size is not supported. Search Responses will have fixed page size of '10000' rows.",
            )
            .at("page_size"),
        ));
    }
    if request
        .query
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .is_empty()
    {
        return Err(call.fail(
            AdsFault::new(
                400,
                "fieldError",
                "REQUIRED",
                "The required field was not present.",
            )
            .at("query"),
        ));
    }
    Ok(())
}
