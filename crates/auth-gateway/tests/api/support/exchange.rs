//! Helpers for the token exchange (RFC 8693) and introspection (RFC 7662) tests: two MCP
//! servers, each an API client owning one resource, made through the real admin code and
//! store; requests made over real HTTP as those servers.

use super::app::TestApp;
use super::browser::register_public_client;
use auth_gateway::core::admin::clients::{ClientPolicy, ScopeAllowance, create_client};
use auth_gateway::store::{ResourceRecord, Store};
use secrecy::ExposeSecret as _;
use std::sync::Arc;

/// The Ads MCP server's resource, owned by the API client [`ADS_CLIENT`].
pub const ADS: &str = "https://ads.example.com/mcp";
pub const ADS_CLIENT: &str = "ads-mcp";
/// Another server's resource, owned by [`OTHER_CLIENT`].
pub const OTHER: &str = "https://other.example.com/mcp";
pub const OTHER_CLIENT: &str = "other-mcp";
pub const ADS_SCOPE: &str = "https://www.googleapis.com/auth/adwords";
pub const ANALYTICS_SCOPE: &str = "https://www.googleapis.com/auth/analytics.readonly";
pub const ADS_API: &str = "https://googleads.googleapis.com";
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const ALICE: &str = "alice@example.com";

/// A gateway with the two servers and the public MCP client of the browser walk.
pub struct Servers {
    pub app: TestApp,
    pub store: Arc<dyn Store>,
    /// [`ADS_CLIENT`]'s API key (allowed the Ads and Analytics scopes).
    pub ads_key: String,
    /// [`OTHER_CLIENT`]'s API key.
    pub other_key: String,
}

/// Sets up [`Servers`]; `verified_only` restricts [`ADS_CLIENT`] to verified users.
pub async fn servers(backend: super::db::Backend, verified_only: bool) -> Servers {
    let app = TestApp::spawn(backend).await;
    let store = app.db.store().await;
    let now = app.clock_now();
    let mut keys = Vec::new();
    for (name, uri, verified) in [
        (ADS_CLIENT, ADS, verified_only),
        (OTHER_CLIENT, OTHER, false),
    ] {
        let scopes = ScopeAllowance {
            extra: vec![ADS_SCOPE.into(), ANALYTICS_SCOPE.into()],
            exclude_defaults: false,
        };
        let policy = ClientPolicy {
            verified_users_only: verified,
        };
        let (_, key) = create_client(
            store.as_ref(),
            now,
            name,
            vec!["google".into()],
            scopes,
            policy,
        )
        .await
        .unwrap();
        keys.push(key.key.expose_secret().to_owned());
        let resource = ResourceRecord {
            uri: uri.into(),
            client_name: name.into(),
            provider: "google".into(),
            scopes: vec![ADS_SCOPE.into()],
            display_name: format!("{name} server"),
            created_at: now,
        };
        assert!(store.insert_resource(&resource).await.unwrap());
    }
    register_public_client(&app, store.as_ref()).await;
    let other_key = keys.pop().unwrap();
    let ads_key = keys.pop().unwrap();
    Servers {
        app,
        store,
        ads_key,
        other_key,
    }
}

/// A token exchange as the API client of `key` (in `X-API-Key`), for `subject`, with
/// `extra` parameters.
pub async fn exchange(
    app: &TestApp,
    key: &str,
    subject: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", TOKEN_EXCHANGE),
        ("subject_token", subject),
        ("subject_token_type", ACCESS_TOKEN_TYPE),
    ];
    form.extend_from_slice(extra);
    app.http
        .post(app.url("/oauth/token"))
        .header("X-API-Key", key)
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// `POST /oauth/introspect` for `token` as the API client of `key`; the JSON answer.
pub async fn introspect(app: &TestApp, key: &str, token: &str) -> serde_json::Value {
    let response = app
        .http
        .post(app.url("/oauth/introspect"))
        .header("X-API-Key", key)
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

/// Who the emulator says an upstream access token belongs to (`GET /v1/userinfo`).
pub async fn upstream_email(app: &TestApp, access_token: &str) -> Option<String> {
    let response = app
        .http
        .get(app.emulator.userinfo_url())
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    if !response.status().is_success() {
        return None;
    }
    let body: serde_json::Value = response.json().await.unwrap();
    body["email"].as_str().map(str::to_owned)
}
