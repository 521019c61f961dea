//! Building and running the app: resolve secrets, connect the store, build the
//! providers and the core, bind, serve, shut down gracefully. Background tasks run
//! supervised: one that panics is logged and restarted (`supervise`).

use crate::config::{Config, Environment};
use crate::core::clock::Clock;
use crate::core::crypto::KeyRing;
use crate::core::{Gateway, GatewaySettings};
use crate::dev_secrets;
use crate::domain::MaintenanceSettings;
use crate::http::limits::RateLimiters;
use crate::http::{self, AppState, Lifecycle, RouterOptions};
use crate::monitoring::Metrics;
use crate::server::{self, ServeOptions};
use crate::store;
use crate::upstream::Provider;
use crate::upstream::google::Google;
use anyhow::Context as _;
use secrecy::ExposeSecret;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

mod supervise;
use supervise::supervise;

/// How often expired sign-in sessions are swept.
const SWEEP_INTERVAL: Duration = Duration::from_mins(5);
/// How often metric histograms are drained, idle rate-limit buckets forgotten and the
/// store's gauges (credentials by status, pool) read.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(10);

/// A built gateway, bound to its port, ready to serve.
pub struct Application {
    listener: TcpListener,
    /// The separate `/metrics` listener (`METRICS_PORT`), if configured.
    metrics_listener: Option<TcpListener>,
    router: axum::Router,
    gateway: Arc<Gateway>,
    metrics: Metrics,
    limits: Arc<RateLimiters>,
    lifecycle: Lifecycle,
    serve: ServeOptions,
    background_refresh: MaintenanceSettings,
}

impl Application {
    /// Builds the app and binds `HOST:PORT` from the configuration (port 0 picks one).
    pub async fn build(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let listener = TcpListener::bind((config.host, config.port))
            .await
            .with_context(|| {
                format!(
                    "HOST, PORT: cannot listen on {}:{}",
                    config.host, config.port
                )
            })?;
        Self::with_listener(config, listener, clock).await
    }

    /// Builds the app on a listener the caller bound (tests bind first to learn the port).
    pub async fn with_listener(
        config: &Config,
        listener: TcpListener,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let metrics = Metrics::new();
        let gateway = Arc::new(build_gateway_with_metrics(config, clock, Some(&metrics)).await?);
        report_key_usage(&gateway).await;
        let extra_callback = config.google.as_ref().and_then(|google| {
            let path = google.redirect_uri.path();
            (path != "/auth/callback/google").then(|| (path.to_owned(), "google".to_owned()))
        });
        let metrics_listener = match config.server.metrics_port {
            Some(port) => Some(TcpListener::bind((config.host, port)).await.with_context(
                || format!("METRICS_PORT: cannot listen on {}:{port}", config.host),
            )?),
            None => None,
        };
        let limits = Arc::new(RateLimiters::new(&config.rate_limits));
        let lifecycle = Lifecycle::default();
        let state = AppState {
            gateway: Arc::clone(&gateway),
            https: config.public_url.scheme() == "https",
            metrics: metrics.clone(),
            limits: Arc::clone(&limits),
            long_polls: http::long_polls::LongPolls::new(config.server.max_long_polls_per_client),
            lifecycle: lifecycle.clone(),
            request_timeout: config.server.request_timeout,
            api_docs: config.server.api_docs,
        };
        let options = RouterOptions {
            extra_callback,
            metrics_route: metrics_listener.is_none(),
        };
        Ok(Self {
            listener,
            metrics_listener,
            router: http::router(state, options),
            gateway,
            metrics,
            limits,
            lifecycle,
            serve: ServeOptions {
                header_read_timeout: config.server.header_read_timeout,
                shutdown_grace: config.server.shutdown_grace,
                max_connections: config.server.max_connections,
                max_connections_per_ip: config.server.max_connections_per_ip,
                trusted_proxies: config.rate_limits.trusted_proxies.clone(),
            },
            background_refresh: config.background_refresh,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|addr| addr.port())
            .unwrap_or_default()
    }

    /// The port of the separate `/metrics` listener, when `METRICS_PORT` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_listener
            .as_ref()
            .and_then(|listener| listener.local_addr().ok())
            .map(|addr| addr.port())
    }

    /// The app's metrics registry.
    pub fn metrics(&self) -> Metrics {
        self.metrics.clone()
    }

    /// The core, for tests that need to reach behind the HTTP API.
    pub fn gateway(&self) -> Arc<Gateway> {
        Arc::clone(&self.gateway)
    }

    /// Serves until `shutdown` resolves: then `/ready` answers 503, the listeners close
    /// (new connections are refused) and in-flight requests get the grace period.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let gateway = &self.gateway;
        let sweeper = supervise("session sweeper", {
            let gateway = Arc::clone(gateway);
            move || sweep_sessions(Arc::clone(&gateway))
        });
        let relay = supervise("session event relay", {
            let gateway = Arc::clone(gateway);
            move || Arc::clone(&gateway).relay_session_events()
        });
        let cache_feed = supervise("credential change feed", {
            let gateway = Arc::clone(gateway);
            move || Arc::clone(&gateway).follow_credential_changes()
        });
        let refresher = supervise("background refresh", {
            let (gateway, settings) = (Arc::clone(gateway), self.background_refresh);
            move || refresh_in_background(Arc::clone(&gateway), settings)
        });
        let upkeep = supervise("metrics upkeep", {
            let (metrics, limits) = (self.metrics.clone(), Arc::clone(&self.limits));
            let gateway = Arc::clone(gateway);
            move || upkeep(metrics.clone(), Arc::clone(&limits), Arc::clone(&gateway))
        });
        let (stopped, stop) = tokio::sync::watch::channel(false);
        let lifecycle = self.lifecycle.clone();
        let signal = async move {
            shutdown.await;
            lifecycle.begin_shutdown();
            let _ = stopped.send(true);
        };
        let main = server::serve(self.listener, self.router, &self.serve, signal);
        match self.metrics_listener {
            Some(listener) => {
                let mut stop = stop.clone();
                let metrics_stop = async move {
                    let _ = stop.wait_for(|stopped| *stopped).await;
                };
                let metrics_router =
                    http::metrics_router(self.metrics.clone(), Arc::clone(&self.gateway));
                tokio::join!(
                    main,
                    server::serve(listener, metrics_router, &self.serve, metrics_stop)
                );
            }
            None => main.await,
        }
        drop(stop);
        sweeper.abort();
        relay.abort();
        cache_feed.abort();
        refresher.abort();
        upkeep.abort();
        Ok(())
    }
}

/// Drains histograms, forgets idle rate-limit state and reads the store's gauges, so a
/// `/metrics` scrape never queries the database.
async fn upkeep(metrics: Metrics, limits: Arc<RateLimiters>, gateway: Arc<Gateway>) {
    let mut interval = tokio::time::interval(UPKEEP_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        metrics.run_upkeep();
        limits.forget_idle();
        gateway.update_store_gauges(&metrics).await;
    }
}

/// Runs the background refresh every `settings.interval` (never when it is zero).
async fn refresh_in_background(gateway: Arc<Gateway>, settings: MaintenanceSettings) {
    if settings.interval.is_zero() {
        return;
    }
    let mut interval = tokio::time::interval(settings.interval);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if let Err(error) = gateway.refresh_due_credentials(&settings).await {
            tracing::warn!(%error, "background refresh tick failed");
        }
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
    build_gateway_with_metrics(config, clock, None).await
}

/// [`build_gateway`], with the providers reporting their calls to `metrics`.
pub async fn build_gateway_with_metrics(
    config: &Config,
    clock: Arc<dyn Clock>,
    metrics: Option<&Metrics>,
) -> anyhow::Result<Gateway> {
    let secrets = &config.secrets;
    let development = config.environment == Environment::Development;
    // Relative to the working directory: logged resolved, so a start from another
    // directory (which would make a second set of keys) is visible.
    let data_dir =
        std::path::absolute(&config.data_dir).unwrap_or_else(|_| config.data_dir.clone());
    tracing::info!(data_dir = %data_dir.display(), "using data directory");
    let encryption_key = dev_secrets::resolve(
        secrets.encryption_key.as_ref(),
        &config.data_dir,
        "encryption.key",
    )
    .with_context(|| {
        format!(
            "cannot create the development encryption key {}",
            data_dir.join("encryption.key").display()
        )
    })?;
    let api_key = dev_secrets::resolve(secrets.api_key.as_ref(), &config.data_dir, "api.key")
        .with_context(|| {
            format!(
                "cannot create the development API key {}",
                data_dir.join("api.key").display()
            )
        })?;
    if encryption_key.generated {
        tracing::warn!(path = %data_dir.join("encryption.key").display(), "generated a development encryption key; set AUTH_GATEWAY_ENCRYPTION_KEY in production");
    }
    if api_key.generated && development {
        // Shown once, on purpose: the operator needs it to configure MCP servers.
        eprintln!(
            "WARNING: no AUTH_GATEWAY_API_KEY set; generated one for development (saved in {}):\n  AUTH_GATEWAY_API_KEY={}",
            data_dir.join("api.key").display(),
            api_key.secret.expose_secret()
        );
    }
    if secrets.api_key.is_none() {
        // Every start, not only the first: where to read the key from (never the key).
        let path = data_dir.join("api.key");
        tracing::info!(
            "development API key: {} (KEY=$(cat {}))",
            path.display(),
            dev_secrets::shell_word(&config.data_dir.join("api.key"))
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
            .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    }
    if let Some(file) = config.database_url.sqlite_file() {
        tracing::info!(database = %file.display(), "using SQLite database");
    }
    let store = store::connect(&config.database_url)
        .await
        .context("DATABASE_URL")?;
    let mut providers: Vec<Arc<dyn Provider>> = Vec::new();
    if let Some(google) = &config.google {
        let mut provider = Google::new(google.clone()).context("cannot build the HTTP client")?;
        if let Some(metrics) = metrics {
            provider = provider.with_metrics(metrics.clone());
        }
        providers.push(Arc::new(provider));
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
    let gateway = Gateway::new(
        store,
        keys,
        providers,
        metadata_fetcher(&config.authorization)?,
        clock,
        GatewaySettings {
            public_url: config.public_url.clone(),
            session_ttl: config.session_ttl,
            refresh_buffer: config.refresh_buffer,
            identity_policy: config.identity_policy,
            authorization: config.authorization.clone(),
            audit_retention: config.audit_retention,
        },
        &api_key.secret,
    );
    Ok(match metrics {
        Some(metrics) => gateway.with_metrics(metrics.clone()),
        None => gateway,
    })
}

/// Logs how many ciphertexts each key id holds, and names the key ids no configured key
/// opens (readiness stays false until they are added).
async fn report_key_usage(gateway: &Gateway) {
    let usage = match gateway.key_usage().await {
        Ok(usage) => usage,
        Err(error) => {
            tracing::warn!(%error, "could not count ciphertexts per encryption key");
            return;
        }
    };
    for count in &usage.counts {
        tracing::info!(
            key_id = %count.key_id,
            ciphertexts = count.ciphertexts,
            primary = count.key_id == usage.primary_key_id,
            "ciphertexts per encryption key"
        );
    }
    if !usage.unknown.is_empty() {
        tracing::error!(
            unknown_key_ids = ?usage.unknown,
            "some stored tokens are encrypted under keys this gateway does not have; add those keys to AUTH_GATEWAY_ROTATION_KEYS. /ready answers 503 until then"
        );
    } else if usage.not_under_primary() > 0 {
        tracing::info!(
            ciphertexts = usage.not_under_primary(),
            "ciphertexts not under the primary key: run `auth-gateway reencrypt`"
        );
    }
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

/// The fetcher of Client ID Metadata Documents, with the development settings (loopback,
/// an extra CA) the configuration allows outside production.
fn metadata_fetcher(
    settings: &crate::domain::AuthorizationSettings,
) -> anyhow::Result<Arc<dyn crate::upstream::ClientMetadataFetcher>> {
    let extra_ca_pem = settings
        .metadata_extra_ca_file
        .as_ref()
        .map(|path| {
            std::fs::read(path).with_context(|| {
                format!("OAUTH_CIMD_EXTRA_CA_FILE: cannot read {}", path.display())
            })
        })
        .transpose()?;
    let fetcher = crate::upstream::client_metadata::HttpsFetcher::new(
        crate::upstream::client_metadata::FetchSettings {
            allow_loopback: settings.metadata_allow_loopback,
            extra_ca_pem,
        },
    )
    .context("OAUTH_CIMD_EXTRA_CA_FILE: not a PEM certificate")?;
    Ok(Arc::new(fetcher))
}
