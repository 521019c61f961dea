//! A real gateway on port 0 against a fresh database, with `google-emulator` on another
//! port playing Google, and a clock the test can move.

use super::db::{Backend, TestDatabase};
use super::logs;
use auth_gateway::core::Gateway;
use auth_gateway::core::clock::ManualClock;
use google_emulator::Emulator;
use serde_json::{Value, json};
use std::sync::Arc;
use test_kit::GatewayEnv;

pub use test_kit::{API_KEY, ENCRYPTION_KEY};

pub struct TestApp {
    /// `http://127.0.0.1:PORT` of the gateway.
    pub address: String,
    /// A plain API client (no cookies, no redirects).
    pub http: reqwest::Client,
    pub emulator: Emulator,
    pub clock: Arc<ManualClock>,
    pub db: TestDatabase,
    pub gateway: Arc<Gateway>,
    data_dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, &[]).await
    }

    /// Starts a gateway whose environment is the test defaults plus `overrides`.
    pub async fn spawn_with(backend: Backend, overrides: &[(&str, &str)]) -> Self {
        logs::init();
        let emulator = Emulator::start().await.expect("start the emulator");
        let db = TestDatabase::create(backend).await;
        let data_dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::default());
        let (address, gateway) = start_gateway(
            &db.url,
            &emulator,
            data_dir.path(),
            overrides,
            clock.clone(),
        )
        .await;
        Self {
            address,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            emulator,
            clock,
            db,
            gateway,
            data_dir,
        }
    }

    /// Starts another gateway process-alike (own pool, own in-process locks) on the same
    /// database, emulator and clock; returns its base URL.
    pub async fn replica(&self) -> String {
        self.replica_with_gateway().await.0
    }

    /// Like [`Self::replica`], also handing out the replica's core.
    pub async fn replica_with_gateway(&self) -> (String, Arc<Gateway>) {
        start_gateway(
            &self.db.url,
            &self.emulator,
            self.data_dir.path(),
            &[],
            self.clock.clone(),
        )
        .await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A browser: keeps cookies and follows redirects.
    pub fn browser() -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .header("X-API-Key", API_KEY)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn token(&self, email: &str) -> reqwest::Response {
        self.post_json(
            "/auth/token",
            &json!({"provider": "google", "user_email": email}),
        )
        .await
    }

    pub async fn token_with_scopes(&self, email: &str, scopes: &[&str]) -> reqwest::Response {
        self.post_json(
            "/auth/token",
            &json!({"provider": "google", "user_email": email, "scopes": scopes}),
        )
        .await
    }

    pub async fn init(&self, email: &str) -> Value {
        let response = self
            .post_json(
                "/auth/init",
                &json!({"provider": "google", "user_email": email}),
            )
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn status(&self, session_id: &str, query: &str) -> reqwest::Response {
        self.http
            .get(self.url(&format!("/auth/status/{session_id}{query}")))
            .header("X-API-Key", API_KEY)
            .send()
            .await
            .unwrap()
    }

    /// Starts `GET {base}/auth/status/{session_id}?wait=30` in the background; resolves
    /// to the answer and the moment it arrived.
    pub fn long_poll(
        &self,
        base: &str,
        session_id: &str,
    ) -> tokio::task::JoinHandle<(Value, std::time::Instant)> {
        let request = self
            .http
            .get(format!("{base}/auth/status/{session_id}?wait=30"))
            .header("X-API-Key", API_KEY);
        tokio::spawn(async move {
            let body: Value = request.send().await.unwrap().json().await.unwrap();
            (body, std::time::Instant::now())
        })
    }

    /// Follows a sign-in link like a browser and returns the final page.
    pub async fn follow(&self, auth_url: &str) -> (reqwest::StatusCode, String) {
        let response = Self::browser().get(auth_url).send().await.unwrap();
        let status = response.status();
        (status, response.text().await.unwrap())
    }

    /// Signs `email` in through the whole flow; returns the access token then served.
    pub async fn sign_in(&self, email: &str) -> String {
        let link = self.init(email).await;
        let (status, page) = self.follow(link["auth_url"].as_str().unwrap()).await;
        assert_eq!(status, 200, "{page}");
        let response = self.token(email).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    /// The gateway's current time.
    pub fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use auth_gateway::core::clock::Clock as _;
        self.clock.now()
    }

    /// Waits until the gateway dropped `email`'s cached token: a change made in SQL
    /// behind its back reaches it as a notification, a moment later.
    pub async fn wait_for_cache_drop(&self, email: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while self.gateway.token_cached("google", email) {
            assert!(std::time::Instant::now() < deadline, "token still cached");
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// Moves the gateway's clock past the access token's expiry.
    pub fn expire_tokens(&self) {
        self.clock.advance(chrono::Duration::hours(2));
    }
}

/// Starts a gateway on port 0 with the test environment plus `overrides`.
async fn start_gateway(
    database_url: &str,
    emulator: &Emulator,
    data_dir: &std::path::Path,
    overrides: &[(&str, &str)],
    clock: Arc<ManualClock>,
) -> (String, Arc<Gateway>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let address = format!("http://127.0.0.1:{port}");
    let env = overrides.iter().fold(
        GatewayEnv::new(&address, database_url, data_dir, emulator),
        |env, (name, value)| env.set(name, *value),
    );
    let gateway = test_kit::gateway::start_on(listener, &env, clock)
        .await
        .expect("start the gateway");
    (address, gateway)
}
