//! The Google Ads REST calls the tools make: `customers:listAccessibleCustomers` and
//! `googleAds:search` (following `nextPageToken` up to a row cap), with the
//! `login-customer-id` and optional `developer-token` headers.

use crate::config::AdsConfig;
use crate::customer_id::CustomerId;
use google_mcp_common::{GoogleApiError, GoogleHttp};
use mcp_auth_client::Token;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};

/// The OAuth scope of the Google Ads API.
pub const ADWORDS_SCOPE: &str = "https://www.googleapis.com/auth/adwords";
/// Rows a tool returns at most; more would drown the model. Stated in results.
pub const MAX_ROWS: usize = 1000;
/// Pages followed at most (Google's pages hold 10,000 rows; smaller in tests).
const MAX_PAGES: usize = 50;

/// Rows of one query.
#[derive(Debug, Clone, Default)]
pub struct SearchRows {
    /// `GoogleAdsRow` objects, as Google sent them.
    pub rows: Vec<Value>,
    /// True when Google had more rows than the cap allowed.
    pub truncated: bool,
}

/// The Google Ads API for one configuration; cheap to clone.
#[derive(Debug, Clone)]
pub struct AdsApi {
    http: GoogleHttp,
    base: String,
    developer_token: Option<SecretString>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Accessible {
    #[serde(default)]
    resource_names: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SearchPage {
    #[serde(default)]
    results: Vec<Value>,
    next_page_token: Option<String>,
}

impl AdsApi {
    /// A client for the API version and URL of `config`.
    pub fn new(config: &AdsConfig) -> Result<Self, reqwest::Error> {
        Ok(Self {
            http: GoogleHttp::new("Google Ads API", crate::config::API_URL_VAR)?,
            base: format!("{}/{}", config.api_url, config.api_version),
            developer_token: config.developer_token.clone(),
        })
    }

    /// The customers the user can access directly (not through a manager).
    pub async fn accessible_customers(
        &self,
        token: &Token,
    ) -> Result<Vec<CustomerId>, GoogleApiError> {
        let url = format!("{}/customers:listAccessibleCustomers", self.base);
        let request = self.with_developer_token(self.http.client().get(url));
        let answer: Accessible = self.http.send_json(request, token).await?;
        Ok(answer
            .resource_names
            .iter()
            .filter_map(|name| CustomerId::parse(name).ok())
            .collect())
    }

    /// Runs `query` for `customer` (through the manager `login`, when given), following
    /// `nextPageToken` until `max_rows` rows.
    pub async fn search(
        &self,
        token: &Token,
        customer: &CustomerId,
        login: Option<&CustomerId>,
        query: &str,
        max_rows: usize,
    ) -> Result<SearchRows, GoogleApiError> {
        let url = format!(
            "{}/customers/{}/googleAds:search",
            self.base,
            customer.digits()
        );
        let mut rows = Vec::new();
        let mut page_token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut body = json!({ "query": query });
            if let Some(page) = &page_token {
                body["pageToken"] = Value::String(page.clone());
            }
            let mut request = self.http.client().post(&url).json(&body);
            if let Some(login) = login {
                request = request.header("login-customer-id", login.digits());
            }
            let page: SearchPage = self
                .http
                .send_json(self.with_developer_token(request), token)
                .await?;
            rows.extend(page.results);
            page_token = page.next_page_token.filter(|next| !next.is_empty());
            if rows.len() >= max_rows || page_token.is_none() {
                break;
            }
        }
        let truncated = rows.len() > max_rows || page_token.is_some();
        rows.truncate(max_rows);
        Ok(SearchRows { rows, truncated })
    }

    fn with_developer_token(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let Some(secret) = &self.developer_token else {
            return request;
        };
        match HeaderValue::from_str(secret.expose_secret()) {
            Ok(mut value) => {
                value.set_sensitive(true);
                request.header("developer-token", value)
            }
            Err(_) => request,
        }
    }
}
