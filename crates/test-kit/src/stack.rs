//! A running test gateway with the Google emulator playing Google, and what a test
//! does with it: gateway clients, sign-in through a browser, the current token.

use crate::gateway::{API_KEY, TestGateway};
use auth_gateway::core::clock::ManualClock;
use google_emulator::Emulator;
use mcp_auth_client::AuthClient;
use secrecy::SecretString;
use std::sync::Arc;

/// A running gateway and emulator; both stop when the tokio runtime ends.
pub struct TestStack {
    /// `http://127.0.0.1:PORT` of the gateway.
    pub gateway_url: String,
    /// The Google emulator; its controls are reachable through it.
    pub emulator: Emulator,
    /// The gateway's clock (starts at the real time; tests move it forward).
    pub clock: Arc<ManualClock>,
    _gateway: TestGateway,
}

impl TestStack {
    /// Starts the emulator, then a gateway configured against it.
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
    pub fn auth_client(&self) -> AuthClient {
        auth_client_for(&self.gateway_url, API_KEY)
    }

    /// `AUTH_GATEWAY_URL` and `AUTH_GATEWAY_API_KEY` for a server under test.
    pub fn gateway_env(&self) -> Vec<(String, String)> {
        vec![
            ("AUTH_GATEWAY_URL".to_owned(), self.gateway_url.clone()),
            ("AUTH_GATEWAY_API_KEY".to_owned(), API_KEY.to_owned()),
        ]
    }

    /// Signs `user` in to Google through the gateway as a person would: asks for a
    /// link (with the provider's default scopes) and follows it in a browser.
    pub async fn sign_in(&self, user: &str) -> anyhow::Result<()> {
        let link = self.auth_client().init("google", user, &[]).await?;
        let status = follow(&link.auth_url).await?;
        anyhow::ensure!(status == 200, "sign-in for {user} ended with HTTP {status}");
        anyhow::ensure!(
            self.auth_client().is_authenticated("google", user).await?,
            "{user} is not signed in after following the link"
        );
        Ok(())
    }

    /// The current access token the gateway holds for `user` (to check which token a
    /// server used); `None` when the user must sign in.
    pub async fn access_token(&self, user: &str) -> anyhow::Result<Option<String>> {
        use secrecy::ExposeSecret;
        match self.auth_client().get_token("google", user, &[]).await {
            Ok(token) => Ok(Some(token.access_token().expose_secret().to_owned())),
            Err(error) if error.is_sign_in() => Ok(None),
            Err(error) => Err(error.into()),
        }
    }
}

/// A client of the gateway at `url` with `key`.
pub fn auth_client_for(url: &str, key: &str) -> AuthClient {
    // Test support: a client that cannot be built is a broken test setup, said loudly.
    AuthClient::builder(url, SecretString::from(key))
        .build()
        .unwrap_or_else(|error| panic!("test gateway client: {error}"))
}

/// A browser: keeps cookies and follows redirects, since a sign-in link binds the flow
/// to the browser with a cookie.
pub fn browser() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder().cookie_store(true).build()?)
}

/// Follows a sign-in link like a browser; returns the final status.
pub async fn follow(auth_url: &str) -> anyhow::Result<u16> {
    Ok(browser()?.get(auth_url).send().await?.status().as_u16())
}
