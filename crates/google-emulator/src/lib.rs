//! A local stand-in for Google's OAuth 2.0 / `OpenID` Connect endpoints, the
//! Google Ads REST API and the Google Analytics Data and Admin APIs, speaking
//! Google's wire formats, for the gateway's and MCP servers' tests and offline
//! demos.
//!
//! Start one with [`Emulator::start`] and point `GOOGLE_AUTH_URL`,
//! `GOOGLE_TOKEN_URL`, `GOOGLE_REVOKE_URL` and `GOOGLE_USERINFO_URL` at
//! [`Emulator::auth_url`] and friends, and `GOOGLE_ADS_API_URL`,
//! `GOOGLE_ANALYTICS_DATA_URL` and `GOOGLE_ANALYTICS_ADMIN_URL` at
//! [`Emulator::base_url`].
//!
//! The APIs need `Authorization: Bearer <access token>` from the emulator's
//! token endpoint (live, not revoked) whose grant has the API's scope (Ads:
//! `…/auth/adwords`; Analytics: `…/auth/analytics.readonly`, Admin also
//! `…/auth/analytics.edit`). The signed-in account decides the data: by
//! default [`sample_ads_customers`] and [`sample_analytics_accounts`], until
//! [`EmulatorState::set_ads_customers`] / [`EmulatorState::set_analytics_accounts`].
//!
//! # Endpoints
//!
//! | route | what |
//! | --- | --- |
//! | `GET /.well-known/openid-configuration` | discovery document |
//! | `GET /oauth2/v3/certs` | empty JWK set (`id_token`s carry a placeholder signature) |
//! | `GET /o/oauth2/v2/auth` | authorization: redirects back at once with a code, or shows an account chooser when there is no `login_hint` |
//! | `POST /token` | `authorization_code` and `refresh_token` grants |
//! | `POST /revoke` (also `GET`) | revokes the whole grant behind a token |
//! | `GET /v1/userinfo`, `GET /oauth2/v3/userinfo` | `OpenID` claims for a bearer token |
//! | `GET /{v}/customers:listAccessibleCustomers` | Ads: `{"resourceNames": ["customers/…"]}` of the directly accessible customers |
//! | `POST /{v}/customers/{id}/googleAds:search` | Ads: GAQL search, pages of 10,000 rows (see [`EmulatorState::set_ads_page_size`]) with `nextPageToken` |
//! | `POST /{v}/customers/{id}/googleAds:searchStream` | Ads: the same rows as a JSON array of batches |
//! | `POST /v1beta/properties/{id}:runReport` | Analytics Data: a report computed by [`run_report`] |
//! | `GET /v1beta/accountSummaries?pageSize=&pageToken=` | Analytics Admin: accounts with their properties (50 per page, at most 200) |
//!
//! Ads `{v}` is `v` and a number; versions in the sunset set (default 19–22,
//! see [`EmulatorState::set_sunset_ads_versions`]) or older than its oldest
//! member answer 404 "unsupported"; every other version is served the same
//! way. A client customer needs `login-customer-id` set to its manager's id.
//! Every Ads answer has a `request-id` header; errors carry a
//! `GoogleAdsFailure` except the front end's (bad token, missing scope).
//! GAQL resources: `customer`, `customer_client`, `campaign`, `ad_group`,
//! `ad_group_ad` and, for images, `asset` (one `IMAGE` asset per image ad).
//!
//! # Control routes
//!
//! The methods of [`EmulatorState`] are also reachable over HTTP, for tests in
//! other languages. Bodies are JSON; setters answer `200 {}`.
//!
//! | route | body | effect / answer |
//! | --- | --- | --- |
//! | `GET /__emulator/counters` | | [`Counters`] |
//! | `GET /__emulator/accounts` | | list of [`Account`] |
//! | `POST /__emulator/accounts` | `{"email", "email_verified"?: bool = true, "sub"?, "hd"?}` | adds the account, answers it |
//! | `POST /__emulator/access-token-lifetime` | `{"secs": u64}` | [`EmulatorState::set_access_token_lifetime`] |
//! | `POST /__emulator/rotate-refresh-tokens` | `{"enabled": bool}` | [`EmulatorState::set_rotate_refresh_tokens`] |
//! | `POST /__emulator/latency` | `{"millis": u64}` | [`EmulatorState::set_latency`] |
//! | `POST /__emulator/fail-next-token-requests` | `{"count": u32, "status": u16}` | [`EmulatorState::fail_next_token_requests`] |
//! | `POST /__emulator/force-invalid-grant` | `{"enabled": bool}` | [`EmulatorState::force_invalid_grant`] |
//! | `POST /__emulator/sign-in-as` | `{"email": string \| null}` | [`EmulatorState::sign_in_as`] |
//! | `POST /__emulator/deny-next-authorization` | | [`EmulatorState::deny_next_authorization`] |
//! | `POST /__emulator/foreign-next-id-token` | | [`EmulatorState::issue_foreign_next_id_token`] |
//! | `POST /__emulator/grant-only-scopes` | `{"scopes": [string] \| null}` | [`EmulatorState::grant_only_scopes`] |
//! | `POST /__emulator/revoke-all` | `{"email"}` | [`EmulatorState::revoke_all_for`] |
//! | `POST /__emulator/tokens` | `{"email"}` | `{"latest_access_token": string \| null, "refresh_token": string \| null}` |
//! | `POST /__emulator/access-token-validity` | `{"token"}` | `{"valid": bool}` |
//! | `GET /__emulator/revoked-tokens` | | `[string]` |
//! | `POST /__emulator/reset` | | [`EmulatorState::reset`] |
//! | `GET /__emulator/ads-customers?email=` | | list of [`AdsCustomer`] ([`EmulatorState::ads_customers`]) |
//! | `POST /__emulator/ads-customers` | `{"email", "customers": [AdsCustomer]}` | [`EmulatorState::set_ads_customers`] |
//! | `GET /__emulator/analytics-accounts?email=` | | list of [`GaAccount`] ([`EmulatorState::analytics_accounts`]) |
//! | `POST /__emulator/analytics-accounts` | `{"email", "accounts": [GaAccount]}` | [`EmulatorState::set_analytics_accounts`] |
//! | `POST /__emulator/sunset-ads-versions` | `{"versions": [u32]}` | [`EmulatorState::set_sunset_ads_versions`] |
//! | `POST /__emulator/ads-page-size` | `{"rows": usize}` | [`EmulatorState::set_ads_page_size`] |
//! | `POST /__emulator/fail-next-api-requests` | `{"count": u32, "status": u16}` | [`EmulatorState::fail_next_api_requests`] |
//!
//! The data types serialize with their Rust (`snake_case`) field names;
//! list fields, `manager`, `image_url` and `metrics` may be left out.

mod apis;
mod controls;
mod emulator;
mod ids;
pub mod jwt;
mod oauth;
mod state;

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;

pub use apis::{
    AdsAd, AdsAdGroup, AdsCampaign, AdsCustomer, AdsMetrics, ApiError, GaAccount, GaProperty,
    run_report, run_report_on, sample_ads_customers, sample_analytics_accounts, sample_ids,
};
pub use emulator::{Emulator, EmulatorConfig};
pub use oauth::{AUTH_PATH, JWKS_PATH, REVOKE_PATH, TOKEN_PATH, USERINFO_PATH};
pub use state::{Account, AccountOptions, Counters, EmulatorState};

/// The whole HTTP surface over `state`, for embedding in another server.
pub fn router(state: EmulatorState) -> Router {
    Router::new()
        .merge(oauth::router())
        .merge(apis::router())
        .nest("/__emulator", controls::http::router())
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// One debug line per request: enough to follow a failing test's traffic.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    tracing::debug!(%method, %path, status = response.status().as_u16(), "request");
    response
}
