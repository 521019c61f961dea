//! A gateway for tests: the environment it runs with ([`GatewayEnv`]), starting it in
//! this process on a listener ([`start_on`]), and the common case of port 0 on a fresh
//! SQLite database in a temp dir with a manual clock ([`TestGateway`]).

use auth_gateway::config::Config;
use auth_gateway::core::Gateway;
use auth_gateway::core::clock::ManualClock;
use auth_gateway::startup::Application;
use google_emulator::Emulator;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The API key a test gateway accepts.
pub const API_KEY: &str = "test-api-key-0123456789abcdefghijklmnop";
/// The key a test gateway encrypts tokens with.
pub const ENCRYPTION_KEY: &str = "test-encryption-key-0123456789abcdefghij";

/// The environment of a test gateway: its variables by name, so a test can override any.
#[derive(Debug, Clone)]
pub struct GatewayEnv {
    vars: HashMap<String, String>,
}

impl GatewayEnv {
    /// A gateway reached at `address` (`http://127.0.0.1:PORT`) on `database_url`, with
    /// its files in `data_dir`, the test keys, `emulator` as Google, and the background
    /// refresh off (tests drive it themselves, so it never races them).
    pub fn new(address: &str, database_url: &str, data_dir: &Path, emulator: &Emulator) -> Self {
        let vars = [
            ("DATABASE_URL", database_url.to_owned()),
            ("AUTH_GATEWAY_DATA_DIR", data_dir.display().to_string()),
            ("AUTH_GATEWAY_ENCRYPTION_KEY", ENCRYPTION_KEY.to_owned()),
            ("AUTH_GATEWAY_API_KEY", API_KEY.to_owned()),
            (
                "GOOGLE_REDIRECT_URI",
                format!("{address}/auth/callback/google"),
            ),
            ("BACKGROUND_REFRESH_INTERVAL_SECONDS", "0".to_owned()),
        ]
        .into_iter()
        .chain(emulator.gateway_env())
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
        Self { vars }
    }

    /// Sets (or replaces) `name`.
    #[must_use]
    pub fn set(mut self, name: &str, value: impl Into<String>) -> Self {
        self.vars.insert(name.to_owned(), value.into());
        self
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// Every variable, for a gateway started as a process.
    pub fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// The gateway's configuration read from these variables alone.
    pub fn config(&self) -> anyhow::Result<Config> {
        Ok(Config::load(&|name: &str| self.vars.get(name).cloned())?)
    }
}

/// Starts a gateway configured by `env` on `listener` with `clock`, serving until the
/// tokio runtime ends; returns its core.
pub async fn start_on(
    listener: tokio::net::TcpListener,
    env: &GatewayEnv,
    clock: Arc<ManualClock>,
) -> anyhow::Result<Arc<Gateway>> {
    let app = Application::with_listener(&env.config()?, listener, clock).await?;
    let gateway = app.gateway();
    tokio::spawn(app.run_until(std::future::pending()));
    Ok(gateway)
}

/// A running gateway on a fresh SQLite database; it stops when the tokio runtime ends.
pub struct TestGateway {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The gateway's clock (starts at the real time; tests move it forward).
    pub clock: Arc<ManualClock>,
    _data_dir: tempfile::TempDir,
}

impl TestGateway {
    /// Starts a gateway that signs users in at `emulator`.
    pub async fn start(emulator: &Emulator) -> anyhow::Result<Self> {
        let data_dir = tempfile::tempdir()?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let database = format!("sqlite://{}/gateway.db?mode=rwc", data_dir.path().display());
        let env = GatewayEnv::new(&url, &database, data_dir.path(), emulator);
        let clock = Arc::new(ManualClock::default());
        start_on(listener, &env, clock.clone()).await?;
        Ok(Self {
            url,
            clock,
            _data_dir: data_dir,
        })
    }
}
