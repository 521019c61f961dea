//! Google Analytics Data API v1beta (`runReport`) and Admin API v1beta
//! (`accountSummaries`), over each account's [`GaAccount`](crate::GaAccount)s.

pub(crate) mod admin;
mod catalog;
pub(crate) mod data;
mod filter;
pub(crate) mod report;
mod spec;

use axum::http::HeaderMap;

use super::auth::{Service, authenticate};
use super::errors::{ApiError, default_message};
use super::fixtures::sample_analytics_accounts;
use super::model::GaAccount;
use crate::state::EmulatorState;

/// Version, token, scope and forced-failure checks; the caller's accounts.
fn begin(
    state: &EmulatorState,
    version: &str,
    headers: &HeaderMap,
    service: Service,
) -> Result<Vec<GaAccount>, ApiError> {
    let mut inner = state.lock();
    inner.counters.analytics_requests += 1;
    if version != "v1beta" {
        return Err(ApiError::not_found(format!(
            "The requested URL /{version}/ was not found on this server."
        )));
    }
    let email = authenticate(&inner, headers, service).map_err(|f| f.plain_error(service))?;
    if let Some(status) = inner.take_forced_api_failure() {
        let message = if status == 429 {
            "Exhausted property tokens per day for this property. Use fewer tokens, or wait for the quota to refresh."
        } else {
            default_message(status)
        };
        return Err(ApiError::new(status, message));
    }
    Ok(inner
        .analytics_accounts
        .get(&email)
        .cloned()
        .unwrap_or_else(sample_analytics_accounts))
}
