//! The one outbound HTTP client of a Google MCP server (rustls, timeouts, pooled) and
//! the call that turns a Google answer into data or a [`GoogleApiError`].

use crate::google_error::GoogleApiError;
use mcp_auth_client::Token;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use reqwest::{RequestBuilder, StatusCode};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// How long to wait for a TCP/TLS connection to Google.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one Google call may take in total (large reports take a while).
const REQUEST_TIMEOUT: Duration = Duration::from_mins(1);
/// Bodies of error answers are read up to this size for the message.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// A pooled client for one Google API; cheap to clone.
#[derive(Debug, Clone)]
pub struct GoogleHttp {
    client: reqwest::Client,
    api: &'static str,
    url_setting: &'static str,
}

impl GoogleHttp {
    /// A client for the API named `api` in error texts ("Google Ads API"), whose base
    /// URL is set by the variable `url_setting` (named when the host cannot be reached).
    pub fn new(api: &'static str, url_setting: &'static str) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .pool_idle_timeout(Duration::from_secs(90))
            .user_agent(concat!("google-mcp-common/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            api,
            url_setting,
        })
    }

    /// The same connection pool for another API of the same server (Analytics Data
    /// and Admin, say), named `api` in error texts, its URL set by `url_setting`.
    #[must_use]
    pub fn for_api(&self, api: &'static str, url_setting: &'static str) -> Self {
        Self {
            client: self.client.clone(),
            api,
            url_setting,
        }
    }

    /// The underlying reqwest client, to build requests with.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// The API's name as used in error texts.
    pub fn api(&self) -> &'static str {
        self.api
    }

    /// Sends `request` with `token` as bearer and decodes a JSON answer; any other
    /// answer becomes a [`GoogleApiError`] (parsed from Google's error body).
    pub async fn send_json<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
        token: &Token,
    ) -> Result<T, GoogleApiError> {
        let api = self.api;
        let unreachable = |error| GoogleApiError::unreachable(api, self.url_setting, error);
        let response = request
            .header(AUTHORIZATION, bearer(token))
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status();
        if status.is_success() {
            let bytes = response.bytes().await.map_err(unreachable)?;
            // Google omits empty fields, so an empty object stands for "no results".
            let bytes = if bytes.is_empty() {
                &b"{}"[..]
            } else {
                &bytes[..]
            };
            return serde_json::from_slice(bytes).map_err(|problem| {
                GoogleApiError::UnexpectedResponse {
                    api,
                    problem: problem.to_string(),
                }
            });
        }
        let request_id = response
            .headers()
            .get("request-id")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = read_limited(response).await;
        log_failure(api, status, request_id.as_deref());
        Err(GoogleApiError::from_response(
            api,
            status.as_u16(),
            request_id,
            &body,
        ))
    }
}

/// The `Authorization` header, marked sensitive so no debug output shows it.
fn bearer(token: &Token) -> HeaderValue {
    let mut value =
        HeaderValue::from_str(&format!("Bearer {}", token.access_token().expose_secret()))
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer invalid"));
    value.set_sensitive(true);
    value
}

async fn read_limited(mut response: reqwest::Response) -> String {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_ERROR_BODY {
            body.truncate(MAX_ERROR_BODY);
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

fn log_failure(api: &str, status: StatusCode, request_id: Option<&str>) {
    if status.is_server_error() {
        tracing::warn!(
            api,
            status = status.as_u16(),
            request_id,
            "Google API failed"
        );
    } else {
        tracing::info!(
            api,
            status = status.as_u16(),
            request_id,
            "Google API refused a call"
        );
    }
}
