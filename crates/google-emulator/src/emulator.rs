//! [`Emulator`]: binds a listener, serves the router on a background task and
//! hands out the endpoint URLs and the control handle.

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::oauth::{AUTH_PATH, REVOKE_PATH, TOKEN_PATH, USERINFO_PATH};
use crate::state::EmulatorState;

/// Client credentials and defaults the emulator starts with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmulatorConfig {
    /// The only OAuth client the emulator knows.
    pub client_id: String,
    /// Its secret.
    pub client_secret: String,
    /// `iss` of `id_token`s and discovery.
    pub issuer: String,
    /// `expires_in` of access tokens until changed by a control.
    pub access_token_lifetime_secs: u64,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            client_id: "emulator-client-id.apps.googleusercontent.com".to_owned(),
            client_secret: "emulator-client-secret".to_owned(),
            issuer: "https://accounts.google.com".to_owned(),
            access_token_lifetime_secs: 3599,
        }
    }
}

/// A running emulator. Dropping it leaves the server task running until the
/// tokio runtime shuts down; the controls are reachable through [`Emulator::state`]
/// or directly on the emulator (it derefs to [`EmulatorState`]).
#[derive(Debug)]
pub struct Emulator {
    state: EmulatorState,
    addr: SocketAddr,
    base_url: String,
    client_id: String,
    client_secret: String,
    task: JoinHandle<std::io::Result<()>>,
}

impl Emulator {
    /// Starts with [`EmulatorConfig::default`] on `127.0.0.1`, on a free port.
    pub async fn start() -> std::io::Result<Emulator> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        Self::start_with(EmulatorConfig::default(), listener).await
    }

    /// Serves on an already bound listener.
    #[expect(
        clippy::unused_async,
        reason = "async in the public API so startup may await work later without breaking callers"
    )]
    pub async fn start_with(
        config: EmulatorConfig,
        listener: TcpListener,
    ) -> std::io::Result<Emulator> {
        let addr = listener.local_addr()?;
        let base_url = format!("http://{addr}");
        let state = EmulatorState::new(&config, base_url.clone());
        let app = crate::router(state.clone());
        let task = tokio::spawn(async move { axum::serve(listener, app).await });
        tracing::info!(%base_url, "google emulator listening");
        Ok(Emulator {
            state,
            addr,
            base_url,
            client_id: config.client_id,
            client_secret: config.client_secret,
            task,
        })
    }

    /// Address the server is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// Authorization endpoint (`GOOGLE_AUTH_URL`).
    pub fn auth_url(&self) -> String {
        format!("{}{AUTH_PATH}", self.base_url)
    }

    /// Token endpoint (`GOOGLE_TOKEN_URL`).
    pub fn token_url(&self) -> String {
        format!("{}{TOKEN_PATH}", self.base_url)
    }

    /// Revocation endpoint (`GOOGLE_REVOKE_URL`).
    pub fn revoke_url(&self) -> String {
        format!("{}{REVOKE_PATH}", self.base_url)
    }

    /// Userinfo endpoint (`GOOGLE_USERINFO_URL`).
    pub fn userinfo_url(&self) -> String {
        format!("{}{USERINFO_PATH}", self.base_url)
    }

    /// The configured OAuth client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The configured OAuth client secret.
    pub fn client_secret(&self) -> &str {
        &self.client_secret
    }

    /// The gateway's `GOOGLE_*` settings that point it at this emulator (client id and
    /// secret, the four endpoint URLs); the redirect URI is the gateway's own.
    pub fn gateway_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("GOOGLE_CLIENT_ID", self.client_id.clone()),
            ("GOOGLE_CLIENT_SECRET", self.client_secret.clone()),
            ("GOOGLE_AUTH_URL", self.auth_url()),
            ("GOOGLE_TOKEN_URL", self.token_url()),
            ("GOOGLE_REVOKE_URL", self.revoke_url()),
            ("GOOGLE_USERINFO_URL", self.userinfo_url()),
        ]
    }

    /// Everything an offline demo needs: `gateway_env` plus the Ads and Analytics API
    /// base URLs the MCP servers read.
    pub fn demo_env(&self) -> Vec<(&'static str, String)> {
        let mut env = self.gateway_env();
        env.extend(
            [
                "GOOGLE_ADS_API_URL",
                "GOOGLE_ANALYTICS_DATA_URL",
                "GOOGLE_ANALYTICS_ADMIN_URL",
            ]
            .map(|name| (name, self.base_url.clone())),
        );
        env
    }

    /// Control and inspection handle; clone it to keep it past the emulator.
    pub fn state(&self) -> &EmulatorState {
        &self.state
    }

    /// Waits until the server stops (it only does on an I/O error).
    pub async fn wait(self) -> std::io::Result<()> {
        self.task.await.map_err(std::io::Error::other)?
    }
}

impl std::ops::Deref for Emulator {
    type Target = EmulatorState;

    fn deref(&self) -> &EmulatorState {
        &self.state
    }
}
