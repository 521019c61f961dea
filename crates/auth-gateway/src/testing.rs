//! A gateway for other crates' tests (feature `testing`): port 0, a fresh SQLite
//! database in a temp dir, Google played by `google-emulator`, a manual clock.

use crate::config::Config;
use crate::core::clock::ManualClock;
use crate::startup::Application;
use google_emulator::Emulator;
use std::collections::HashMap;
use std::sync::Arc;

/// The API key the test gateway accepts.
pub const TEST_API_KEY: &str = "test-api-key-0123456789abcdefghijklmnop";
const TEST_ENCRYPTION_KEY: &str = "test-encryption-key-0123456789abcdefghij";

/// A running gateway; it stops when the tokio runtime ends.
pub struct TestGateway {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The gateway's clock (starts at the real time; tests move it forward).
    pub clock: Arc<ManualClock>,
    _data_dir: tempfile::TempDir,
}

impl TestGateway {
    /// Starts a gateway that signs users in at `emulator`, with the background refresh
    /// off (tests drive time themselves).
    pub async fn start(emulator: &Emulator) -> anyhow::Result<Self> {
        let data_dir = tempfile::tempdir()?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let database = format!("sqlite://{}/gateway.db?mode=rwc", data_dir.path().display());
        let env: HashMap<&str, String> = [
            ("DATABASE_URL", database),
            (
                "AUTH_GATEWAY_DATA_DIR",
                data_dir.path().display().to_string(),
            ),
            (
                "AUTH_GATEWAY_ENCRYPTION_KEY",
                TEST_ENCRYPTION_KEY.to_owned(),
            ),
            ("AUTH_GATEWAY_API_KEY", TEST_API_KEY.to_owned()),
            ("GOOGLE_REDIRECT_URI", format!("{url}/auth/callback/google")),
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
            url,
            clock,
            _data_dir: data_dir,
        })
    }
}
