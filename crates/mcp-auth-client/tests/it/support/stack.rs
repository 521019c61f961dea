//! A real gateway on port 0 against a fresh SQLite database in a temp dir, with
//! `google-emulator` playing Google. Shared by the integration tests and the
//! `test_stack` example the Python script drives.

use auth_gateway::config::Config;
use auth_gateway::core::clock::ManualClock;
use auth_gateway::startup::Application;
use google_emulator::Emulator;
use mcp_auth_client::AuthClient;
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::Arc;

/// The API key the test gateway accepts.
pub const API_KEY: &str = "test-api-key-0123456789abcdefghijklmnop";
const ENCRYPTION_KEY: &str = "test-encryption-key-0123456789abcdefghij";

/// A running gateway and emulator; both stop when the runtime ends.
pub struct Stack {
    /// `http://127.0.0.1:PORT` of the gateway.
    pub gateway_url: String,
    pub emulator: Emulator,
    /// The gateway's clock (starts at the real time).
    pub clock: Arc<ManualClock>,
    _data_dir: tempfile::TempDir,
}

impl Stack {
    pub async fn start() -> anyhow::Result<Self> {
        let emulator = Emulator::start().await?;
        let data_dir = tempfile::tempdir()?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let gateway_url = format!("http://{}", listener.local_addr()?);
        let database = format!("sqlite://{}/gateway.db?mode=rwc", data_dir.path().display());
        let env: HashMap<&str, String> = [
            ("DATABASE_URL", database),
            (
                "AUTH_GATEWAY_DATA_DIR",
                data_dir.path().display().to_string(),
            ),
            ("AUTH_GATEWAY_ENCRYPTION_KEY", ENCRYPTION_KEY.to_owned()),
            ("AUTH_GATEWAY_API_KEY", API_KEY.to_owned()),
            (
                "GOOGLE_REDIRECT_URI",
                format!("{gateway_url}/auth/callback/google"),
            ),
            ("BACKGROUND_REFRESH_INTERVAL_SECONDS", "0".to_owned()),
        ]
        .into_iter()
        .chain(emulator.gateway_env())
        .collect();
        let config = Config::load(&move |name| env.get(name).cloned())?;
        let clock = Arc::new(ManualClock::default());
        let app = Application::with_listener(&config, listener, clock.clone()).await?;
        tokio::spawn(app.run_until(std::future::pending()));
        Ok(Self {
            gateway_url,
            emulator,
            clock,
            _data_dir: data_dir,
        })
    }

    /// A client of this gateway with the right key.
    pub fn client(&self) -> AuthClient {
        client_for(&self.gateway_url, API_KEY)
    }
}

/// A client of the gateway at `url` with `key`.
pub fn client_for(url: &str, key: &str) -> AuthClient {
    AuthClient::builder(url, SecretString::from(key))
        .build()
        .unwrap_or_else(|error| panic!("test client: {error}"))
}

/// Follows a sign-in link like a browser (cookies, redirects); returns the final status.
pub async fn follow(auth_url: &str) -> anyhow::Result<u16> {
    let browser = reqwest::Client::builder().cookie_store(true).build()?;
    Ok(browser.get(auth_url).send().await?.status().as_u16())
}
