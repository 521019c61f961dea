//! The two Google Analytics APIs this server calls, over `google-mcp-common`'s HTTP
//! client: Data API v1beta `runReport` and Admin API v1beta `accountSummaries.list`.

pub mod accounts;
pub mod report;

use crate::config::{ADMIN_URL_VAR, DATA_URL_VAR};
use crate::input::PropertyId;
use accounts::{AccountSummariesPage, PAGE_SIZE};
use google_mcp_common::{GoogleApiError, GoogleHttp};
use mcp_auth_client::Token;
use report::{RunReportRequest, RunReportResponse};
use url::Url;

/// The Data API's name in error texts.
pub const DATA_API: &str = "Google Analytics Data API";
/// The Admin API's name in error texts.
pub const ADMIN_API: &str = "Google Analytics Admin API";

/// Calls to the Analytics APIs at configurable base URLs (the emulator in tests).
#[derive(Debug, Clone)]
pub struct AnalyticsApi {
    data: GoogleHttp,
    admin: GoogleHttp,
    data_url: Url,
    admin_url: Url,
}

impl AnalyticsApi {
    /// Clients for the Data API at `data_url` and the Admin API at `admin_url`.
    pub fn new(data_url: Url, admin_url: Url) -> Result<Self, reqwest::Error> {
        Ok(Self {
            data: GoogleHttp::new(DATA_API, DATA_URL_VAR)?,
            admin: GoogleHttp::new(ADMIN_API, ADMIN_URL_VAR)?,
            data_url,
            admin_url,
        })
    }

    /// `POST /v1beta/properties/{id}:runReport`.
    pub async fn run_report(
        &self,
        token: &Token,
        property: &PropertyId,
        request: &RunReportRequest,
    ) -> Result<RunReportResponse, GoogleApiError> {
        // The id is digits only (PropertyId), so the path needs no escaping.
        let url = endpoint(
            &self.data_url,
            &format!("v1beta/properties/{}:runReport", property.number()),
        );
        let request = self.data.client().post(url).json(request);
        self.data.send_json(request, token).await
    }

    /// One page of `GET /v1beta/accountSummaries`; `page_token` from the previous page.
    pub async fn account_summaries(
        &self,
        token: &Token,
        page_token: Option<&str>,
    ) -> Result<AccountSummariesPage, GoogleApiError> {
        let mut url = endpoint(&self.admin_url, "v1beta/accountSummaries");
        url.query_pairs_mut()
            .append_pair("pageSize", &PAGE_SIZE.to_string());
        if let Some(page_token) = page_token {
            url.query_pairs_mut().append_pair("pageToken", page_token);
        }
        let request = self.admin.client().get(url);
        self.admin.send_json(request, token).await
    }
}

/// `path` under `base`, keeping any path prefix `base` has (a proxy's, say).
fn endpoint(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}/{path}", base.path().trim_end_matches('/'));
    url.set_path(&joined);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_the_base_path() {
        let base = Url::parse("http://127.0.0.1:9/prefix/").unwrap();
        assert_eq!(
            endpoint(&base, "v1beta/properties/1:runReport").as_str(),
            "http://127.0.0.1:9/prefix/v1beta/properties/1:runReport"
        );
        let root = Url::parse("https://analyticsdata.googleapis.com").unwrap();
        assert_eq!(
            endpoint(&root, "v1beta/accountSummaries").as_str(),
            "https://analyticsdata.googleapis.com/v1beta/accountSummaries"
        );
    }
}
