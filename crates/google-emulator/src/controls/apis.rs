//! Controls of the Ads and Analytics emulation: whose data is what, which Ads
//! versions are sunset, page size, and forced failures.

use crate::apis::{AdsCustomer, GaAccount, sample_ads_customers, sample_analytics_accounts};
use crate::ids;
use crate::state::EmulatorState;

impl EmulatorState {
    /// The Ads customers `email` can reach. Entries named in a manager's
    /// `client_ids` are reachable only through that manager (with
    /// `login-customer-id`); every other entry is directly accessible.
    pub fn set_ads_customers(&self, email: &str, customers: Vec<AdsCustomer>) {
        self.lock()
            .ads_customers
            .insert(ids::normalize_email(email), customers);
    }

    /// What [`EmulatorState::set_ads_customers`] set for `email`, or the sample data.
    pub fn ads_customers(&self, email: &str) -> Vec<AdsCustomer> {
        self.lock()
            .ads_customers
            .get(&ids::normalize_email(email))
            .cloned()
            .unwrap_or_else(sample_ads_customers)
    }

    /// The Analytics accounts (and so properties) `email` can see.
    pub fn set_analytics_accounts(&self, email: &str, accounts: Vec<GaAccount>) {
        self.lock()
            .analytics_accounts
            .insert(ids::normalize_email(email), accounts);
    }

    /// What [`EmulatorState::set_analytics_accounts`] set for `email`, or the sample data.
    pub fn analytics_accounts(&self, email: &str) -> Vec<GaAccount> {
        self.lock()
            .analytics_accounts
            .get(&ids::normalize_email(email))
            .cloned()
            .unwrap_or_else(sample_analytics_accounts)
    }

    /// Ads major versions (`20` for `/v20/…`) that answer 404 "unsupported
    /// version"; replaces the default set 19–22.
    pub fn set_sunset_ads_versions(&self, versions: &[u32]) {
        self.lock().settings.api.sunset_ads_versions = versions.iter().copied().collect();
    }

    /// Rows per `googleAds:search` page and per `searchStream` batch (Google's
    /// is a fixed 10,000); values below 1 count as 1.
    pub fn set_ads_page_size(&self, rows: usize) {
        self.lock().settings.api.ads_page_size = rows.max(1);
    }

    /// The next `count` Ads or Analytics requests that pass authentication
    /// fail with `status` and the matching Google error (429
    /// `RESOURCE_EXHAUSTED`, 401 `UNAUTHENTICATED`, 403 `PERMISSION_DENIED`,
    /// 500 `INTERNAL`, 503 `UNAVAILABLE`, …), with a `GoogleAdsFailure` on Ads.
    pub fn fail_next_api_requests(&self, count: u32, status: u16) {
        let mut inner = self.lock();
        inner.settings.api.fail_next = count;
        inner.settings.api.fail_status = status;
    }
}
