//! A real gateway on port 0 against a fresh SQLite database in a temp dir, with
//! `google-emulator` playing Google. Shared by the integration tests and the
//! `test_stack` example the Python script drives.

use auth_gateway::core::clock::ManualClock;
use auth_gateway::testing::TestGateway;
use google_emulator::Emulator;
use mcp_auth_client::AuthClient;
use secrecy::SecretString;
use std::sync::Arc;

/// The API key the test gateway accepts.
pub const API_KEY: &str = auth_gateway::testing::TEST_API_KEY;

/// A running gateway and emulator; both stop when the runtime ends.
pub struct Stack {
    /// `http://127.0.0.1:PORT` of the gateway.
    pub gateway_url: String,
    pub emulator: Emulator,
    /// The gateway's clock (starts at the real time).
    pub clock: Arc<ManualClock>,
    _gateway: TestGateway,
}

impl Stack {
    pub async fn start() -> anyhow::Result<Self> {
        let emulator = Emulator::start().await?;
        let gateway = TestGateway::start(&emulator).await?;
        Ok(Self {
            gateway_url: gateway.url.clone(),
            emulator,
            clock: Arc::clone(&gateway.clock),
            _gateway: gateway,
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
