//! Building and running the app: resolve secrets, connect the store, build the
//! providers and the core, bind, serve, shut down gracefully.

use crate::config::{Config, Environment};
use crate::core::clock::Clock;
use crate::core::crypto::KeyRing;
use crate::core::{Gateway, GatewaySettings};
use crate::dev_secrets;
use crate::http::{self, AppState};
use crate::store;
use crate::upstream::Provider;
use crate::upstream::google::Google;
use anyhow::Context as _;
use secrecy::ExposeSecret;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How often expired sign-in sessions are swept.
const SWEEP_INTERVAL: Duration = Duration::from_mins(5);

/// A built gateway, bound to its port, ready to serve.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    gateway: Arc<Gateway>,
}

impl Application {
    /// Builds the app and binds `HOST:PORT` from the configuration (port 0 picks one).
    pub async fn build(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let listener = TcpListener::bind((config.host, config.port))
            .await
            .with_context(|| format!("cannot listen on {}:{}", config.host, config.port))?;
        Self::with_listener(config, listener, clock).await
    }

    /// Builds the app on a listener the caller bound (tests bind first to learn the port).
    pub async fn with_listener(
        config: &Config,
        listener: TcpListener,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let gateway = Arc::new(build_gateway(config, clock).await?);
        let extra_callback = config.google.as_ref().and_then(|google| {
            let path = google.redirect_uri.path();
            (path != "/auth/callback/google").then(|| (path.to_owned(), "google".to_owned()))
        });
        let state = AppState {
            gateway: Arc::clone(&gateway),
            secure_cookies: config.public_url.scheme() == "https",
        };
        Ok(Self {
            listener,
            router: http::router(state, extra_callback),
            gateway,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|addr| addr.port())
            .unwrap_or_default()
    }

    /// The core, for tests that need to reach behind the HTTP API.
    pub fn gateway(&self) -> Arc<Gateway> {
        Arc::clone(&self.gateway)
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let sweeper = tokio::spawn(sweep_sessions(Arc::clone(&self.gateway)));
        let relay = tokio::spawn(Arc::clone(&self.gateway).relay_session_events());
        let result = axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await;
        sweeper.abort();
        relay.abort();
        result
    }
}

async fn sweep_sessions(gateway: Arc<Gateway>) {
    let mut interval = tokio::time::interval(SWEEP_INTERVAL);
    loop {
        interval.tick().await;
        match gateway.sweep_sessions().await {
            Ok(0) => {}
            Ok(count) => tracing::debug!(count, "swept expired sign-in sessions"),
            Err(error) => tracing::warn!(%error, "sweeping sign-in sessions failed"),
        }
    }
}

/// Resolves keys, connects the store (running migrations) and builds the core.
pub async fn build_gateway(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Gateway> {
    let secrets = &config.secrets;
    let development = config.environment == Environment::Development;
    let encryption_key = dev_secrets::resolve(
        secrets.encryption_key.as_ref(),
        &config.data_dir,
        "encryption.key",
    )
    .context("cannot create the development encryption key in the data directory")?;
    let api_key = dev_secrets::resolve(secrets.api_key.as_ref(), &config.data_dir, "api.key")
        .context("cannot create the development API key in the data directory")?;
    if encryption_key.generated {
        tracing::warn!(path = %config.data_dir.join("encryption.key").display(), "generated a development encryption key; set AUTH_GATEWAY_ENCRYPTION_KEY in production");
    }
    if api_key.generated && development {
        // Shown once, on purpose: the operator needs it to configure MCP servers.
        eprintln!(
            "WARNING: no AUTH_GATEWAY_API_KEY set; generated one for development (saved in {}):\n  AUTH_GATEWAY_API_KEY={}",
            config.data_dir.join("api.key").display(),
            api_key.secret.expose_secret()
        );
    }
    let keys = KeyRing::new(
        &encryption_key.secret,
        secrets.encryption_salt.as_ref(),
        &secrets.rotation_keys,
    )
    .context("AUTH_GATEWAY_ENCRYPTION_KEY")?;
    if let store::DatabaseUrl::Sqlite(_) = config.database_url {
        dev_secrets::create_private_dir(&config.data_dir)
            .context("cannot create the data directory")?;
    }
    let store = store::connect(&config.database_url)
        .await
        .context("DATABASE_URL: cannot open the database")?;
    let mut providers: Vec<Arc<dyn Provider>> = Vec::new();
    if let Some(google) = &config.google {
        providers.push(Arc::new(
            Google::new(google.clone()).context("cannot build the HTTP client")?,
        ));
    } else {
        tracing::warn!(
            "GOOGLE_CLIENT_ID is not set: the google provider is disabled (point GOOGLE_* at google-emulator for an offline demo)"
        );
    }
    tracing::info!(
        primary_key_id = keys.primary_key_id(),
        providers = providers.len(),
        "gateway ready"
    );
    Ok(Gateway::new(
        store,
        keys,
        providers,
        clock,
        GatewaySettings {
            public_url: config.public_url.clone(),
            session_ttl: config.session_ttl,
            refresh_buffer: config.refresh_buffer,
            identity_policy: config.identity_policy,
        },
        &api_key.secret,
    ))
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
