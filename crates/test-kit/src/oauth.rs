//! A gateway acting as authorization server for the resource tests, and real access
//! tokens from it the way an MCP client gets them: dynamic registration, the
//! authorization endpoint walked by a browser (gateway → emulator → gateway callback →
//! consent form, Allow), and the code redeemed at the token endpoint. Shared by the
//! resource tests of `mcp-auth-client` and the servers' gateway-mode tests.

// Test support: a failed step is a broken test setup, and panicking says where.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

use auth_gateway::core::admin::clients::{ClientPolicy, ScopeAllowance, create_client};
use auth_gateway::core::authz::resources::{NewResource, add_resource};
use auth_gateway::core::clock::{Clock as _, ManualClock};
use auth_gateway::store::{DatabaseUrl, Store, connect};
use google_emulator::Emulator;
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::Arc;

pub const ADS_SCOPE: &str = "https://www.googleapis.com/auth/adwords";
pub const ANALYTICS_SCOPE: &str = "https://www.googleapis.com/auth/analytics.readonly";
/// The API client that owns the test resources (the MCP server's identity at the gateway).
const SERVER_CLIENT: &str = "guarded-mcp";
const REDIRECT: &str = "http://127.0.0.1/callback";
/// A PKCE pair: the challenge is base64url(SHA-256(verifier)).
const VERIFIER: &str = "dBjftJeZ4CVP-mJ92K9RRDu4TZXakQOa3xUkoxp6wnY";
const CHALLENGE: &str = "ke6_fpqfpvhWah6magFL7O8IEFZXmszNj1ST_2lRqAI";

/// A gateway (port 0, SQLite, manual clock) with the emulator as Google, and its store
/// to register resources as `auth-gateway resources add` does.
pub struct AuthServer {
    /// `http://127.0.0.1:PORT`: also the issuer.
    pub url: String,
    pub emulator: Emulator,
    pub clock: Arc<ManualClock>,
    /// The API key of the client owning the resources (for token exchange).
    pub server_key: SecretString,
    store: Arc<dyn Store>,
    _data_dir: tempfile::TempDir,
}

/// The gateway's clock as this crate's clock, so moving one moves both.
pub struct SharedClock(pub Arc<ManualClock>);

impl mcp_auth_client::Clock for SharedClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.now()
    }
}

impl AuthServer {
    pub async fn start() -> Self {
        let emulator = Emulator::start().await.unwrap();
        let data_dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let database = format!("sqlite://{}/gateway.db?mode=rwc", data_dir.path().display());
        let env = crate::GatewayEnv::new(&url, &database, data_dir.path(), &emulator);
        let clock = Arc::new(ManualClock::default());
        crate::gateway::start_on(listener, &env, clock.clone())
            .await
            .unwrap();
        let store = connect(&DatabaseUrl::parse(&database).unwrap())
            .await
            .unwrap();
        let (_, key) = create_client(
            store.as_ref(),
            clock.now(),
            SERVER_CLIENT,
            vec!["google".to_owned()],
            ScopeAllowance {
                extra: vec![ADS_SCOPE.to_owned(), ANALYTICS_SCOPE.to_owned()],
                exclude_defaults: false,
            },
            ClientPolicy::default(),
        )
        .await
        .unwrap();
        Self {
            server_key: key.key,
            url,
            emulator,
            clock,
            store,
            _data_dir: data_dir,
        }
    }

    pub fn clock(&self) -> Arc<dyn mcp_auth_client::Clock> {
        Arc::new(SharedClock(self.clock.clone()))
    }

    /// Registers `uri` as a resource of [`SERVER_CLIENT`], needing Google Ads.
    pub async fn add_resource(&self, uri: &str, name: &str) {
        self.add_resource_with_scopes(uri, name, &[ADS_SCOPE]).await;
    }

    /// Registers `uri` as a resource of [`SERVER_CLIENT`], needing Google `scopes`.
    pub async fn add_resource_with_scopes(&self, uri: &str, name: &str, scopes: &[&str]) {
        let new = NewResource {
            uri: uri.to_owned(),
            client_name: SERVER_CLIENT.to_owned(),
            provider: "google".to_owned(),
            scopes: scopes.iter().map(ToString::to_string).collect(),
            display_name: name.to_owned(),
        };
        add_resource(
            self.store.as_ref(),
            self.clock.now(),
            new,
            &["google".to_owned()],
        )
        .await
        .unwrap();
    }

    /// An access token for `resource`, as `email`, through a fresh public client.
    pub async fn access_token(&self, resource: &str, email: &str) -> String {
        let http = reqwest::Client::new();
        let registered: serde_json::Value = http
            .post(format!("{}/oauth/register", self.url))
            .json(&serde_json::json!({
                "redirect_uris": [REDIRECT],
                "token_endpoint_auth_method": "none",
                "client_name": "resource tests",
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let client_id = registered["client_id"].as_str().unwrap().to_owned();
        let code = self.authorize(&client_id, resource, email).await;
        let answer: serde_json::Value = http
            .post(format!("{}/oauth/token", self.url))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
                ("client_id", &client_id),
                ("resource", resource),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token: {answer}"))
            .to_owned()
    }

    /// Walks `/oauth/authorize` like a browser until the client's redirect; returns the
    /// code. Signs in at the emulator as `email` and allows on the consent page.
    async fn authorize(&self, client_id: &str, resource: &str, email: &str) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("code_challenge", CHALLENGE)
            .append_pair("code_challenge_method", "S256")
            .append_pair("resource", resource)
            .append_pair("state", "st")
            .finish();
        let back = self
            .walk(
                &format!("{}/oauth/authorize?{query}", self.url),
                REDIRECT,
                email,
            )
            .await;
        let query = back.split_once('?').map_or("", |(_, query)| query);
        let params: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        params
            .get("code")
            .cloned()
            .unwrap_or_else(|| panic!("{back}"))
    }

    /// A browser (cookies kept, redirects followed by hand) from `start` until the
    /// redirect to `redirect_uri`: signs in at the emulator as `email`, allows on the
    /// consent page. Returns that redirect URL (code, state, iss).
    pub async fn walk(&self, start: &str, redirect_uri: &str, email: &str) -> String {
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut next = start.to_owned();
        for _ in 0..10 {
            if next.starts_with(&self.emulator.auth_url()) {
                self.emulator.state().sign_in_as(Some(email.to_owned()));
            }
            let mut answer = browser.get(&next).send().await.unwrap();
            if answer.status() == 200 {
                let page = answer.text().await.unwrap();
                answer = browser
                    .post(format!("{}/oauth/authorize", self.url))
                    .form(&[
                        ("request", field(&page, "request")),
                        ("csrf", field(&page, "csrf")),
                        ("decision", "allow".to_owned()),
                    ])
                    .send()
                    .await
                    .unwrap();
            }
            assert_eq!(answer.status(), 302, "{next}");
            let location = answer.headers()["location"].to_str().unwrap().to_owned();
            next = if location.starts_with('/') {
                format!("{}{location}", self.url)
            } else {
                location
            };
            if next.starts_with(redirect_uri) {
                return next;
            }
        }
        panic!("the authorization did not come back to the client");
    }
}

/// The value of a hidden form field on a page, unescaped.
fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    let end = start + page[start..].find('"').unwrap();
    page[start..end]
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
