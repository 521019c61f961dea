//! How a server is reached: stdio (one client, the process's stdin/stdout) or
//! streamable HTTP at `/mcp` (axum, Host validation, graceful shutdown), chosen by the
//! command line; plus tracing to stderr, since stdout belongs to the protocol on stdio.

use crate::access::{Access, AccessError, AuthMode};
use crate::sessions::{CappedSessions, MAX_SESSIONS};
use mcp_auth_client::resource::ResourceGuard;
use rmcp::ServerHandler;
use rmcp::ServiceExt;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use std::future::Future;
use std::io::{self, IsTerminal as _};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::Layer as _;

/// The path the MCP endpoint is served at over HTTP.
pub const MCP_PATH: &str = "/mcp";
/// Largest request body accepted at `/mcp`: tool arguments are small, and rmcp reads
/// bodies whole into memory.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// `Host` values always accepted over HTTP (rmcp's defaults: loopback only).
const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Which transport to serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Transport {
    /// One client over stdin/stdout (MCP clients start the server as a child process).
    Stdio,
    /// Streamable HTTP at `/mcp`, for any number of clients.
    Http,
}

/// The transport flags every Google MCP server takes; flatten into its CLI and parse
/// it with [`parse_command_line`], which sets the server's own default `--bind`.
#[derive(Debug, Clone, clap::Args)]
pub struct TransportArgs {
    /// stdio (default) or http.
    #[arg(long, value_enum, default_value_t = Transport::Stdio, env = "MCP_TRANSPORT")]
    pub transport: Transport,
    /// Address to listen on with --transport http.
    #[arg(long, env = "MCP_BIND")]
    pub bind: SocketAddr,
    /// A `Host` header value accepted over HTTP besides localhost (repeatable, or
    /// comma-separated in `MCP_ALLOWED_HOSTS`); needed when clients reach the server
    /// under another name. `*` accepts any host (only behind a proxy that checks it).
    #[arg(
        long = "allowed-host",
        env = "MCP_ALLOWED_HOSTS",
        value_delimiter = ',',
        value_name = "HOST"
    )]
    pub allowed_hosts: Vec<String>,
    // The help texts name variables, so they are plain strings rather than rustdoc.
    #[arg(
        long = "auth",
        value_enum,
        env = "MCP_AUTH",
        help = "How callers are known over HTTP: gateway (verified access tokens), single-user \
                (MCP_USER_EMAIL, loopback only) or asserted-unsafe (the user_email argument is \
                trusted). Unset: single-user when MCP_USER_EMAIL is set"
    )]
    pub auth: Option<AuthMode>,
    #[arg(
        long = "resource-url",
        env = "MCP_RESOURCE_URL",
        value_name = "URL",
        help = "Gateway mode: this server's URL as registered at the gateway (the tokens' aud), \
                e.g. https://ads.example.com/mcp"
    )]
    pub resource_url: Option<String>,
}

impl TransportArgs {
    /// The access these flags and the environment configure; an HTTP server that would
    /// not know who calls is refused here, with the variables that fix it.
    pub fn access(&self) -> Result<Access, AccessError> {
        let resource_url = self.resource_url.clone();
        Access::resolve(
            self.auth,
            self.transport == Transport::Http,
            self.bind,
            move |name| match name {
                crate::access::RESOURCE_URL_VAR => resource_url.clone(),
                _ => std::env::var(name).ok(),
            },
        )
    }
}

/// Parses the command line of a server whose CLI flattens [`TransportArgs`], with
/// `default_bind` as the default `--bind` (each server has its own port, so that they
/// and the gateway, on 8000, can run side by side). Exits with clap's message on error.
pub fn parse_command_line<C: clap::Parser>(default_bind: &'static str) -> C {
    let command = C::command().mut_arg("bind", |arg| {
        arg.default_value(default_bind).required(false)
    });
    let matches = command.get_matches();
    C::from_arg_matches(&matches).unwrap_or_else(|error| error.exit())
}

/// Logs to stderr (never stdout, which carries the protocol on stdio), filtered by
/// `RUST_LOG` (default `info`). Call once at startup.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_ansi(false)
        .try_init();
}

/// Serves servers made by `factory` as `args` say, until the client leaves (stdio) or
/// ctrl-c / SIGTERM (HTTP); over HTTP behind `guard` when it is given (gateway mode).
pub async fn serve<S, F>(
    factory: F,
    args: &TransportArgs,
    guard: Option<ResourceGuard>,
) -> io::Result<()>
where
    S: ServerHandler + Send + 'static,
    F: Fn() -> S + Send + Sync + 'static,
{
    match args.transport {
        Transport::Stdio => serve_stdio(factory()).await,
        Transport::Http => {
            let listener = TcpListener::bind(args.bind).await.map_err(|error| {
                io::Error::new(
                    error.kind(),
                    format!("could not listen on {}: {error}", args.bind),
                )
            })?;
            tracing::info!(address = %listener.local_addr()?, path = MCP_PATH, "serving MCP over streamable HTTP");
            let hosts = args.allowed_hosts.clone();
            serve_http_guarded(factory, listener, hosts, guard, shutdown_signal()).await;
            Ok(())
        }
    }
}

/// Serves one client over stdin/stdout until it disconnects.
pub async fn serve_stdio<S>(server: S) -> io::Result<()>
where
    S: ServerHandler + Send + 'static,
{
    tracing::info!("serving MCP over stdio");
    if io::stdin().is_terminal() {
        // Someone started it by hand; without this it would wait silently.
        eprintln!("{}", waiting_for_client_hint());
    }
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(io::Error::other)?;
    running.waiting().await.map_err(io::Error::other)?;
    Ok(())
}

/// The line for a person who started the stdio server in a terminal (stderr only:
/// stdout is the protocol channel).
fn waiting_for_client_hint() -> String {
    let program = std::env::args_os().next().map_or_else(
        || "SERVER".to_owned(),
        |arg| arg.to_string_lossy().into_owned(),
    );
    format!(
        "{program}: this server speaks MCP (JSON-RPC) on stdin/stdout and is waiting for an \
         MCP client to start it. To try it by hand: npx @modelcontextprotocol/inspector --cli \
         -e AUTH_GATEWAY_URL=... -e AUTH_GATEWAY_API_KEY=... {program} --method tools/list \
         (or serve HTTP with --transport http). Ctrl-C quits."
    )
}

/// Serves streamable HTTP at `/mcp` on `listener` until `shutdown` completes; open
/// streams are closed then. `allowed_hosts` are accepted besides loopback names.
pub async fn serve_http<S, F>(
    factory: F,
    listener: TcpListener,
    allowed_hosts: Vec<String>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()>
where
    S: ServerHandler + Send + 'static,
    F: Fn() -> S + Send + Sync + 'static,
{
    serve_http_guarded(factory, listener, allowed_hosts, None, shutdown).await;
    Ok(())
}

/// Like [`serve_http`], with `/mcp` behind `guard` (and its RFC 9728 metadata served)
/// when one is given; header read timeout, connection, body and session caps.
pub async fn serve_http_guarded<S, F>(
    factory: F,
    listener: TcpListener,
    allowed_hosts: Vec<String>,
    guard: Option<ResourceGuard>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) where
    S: ServerHandler + Send + 'static,
    F: Fn() -> S + Send + Sync + 'static,
{
    let cancel = CancellationToken::new();
    let router = guarded_router(factory, &allowed_hosts, guard, cancel.clone());
    let stop = cancel.clone();
    let shutdown = async move {
        shutdown.await;
        // Ends long-lived SSE streams, which graceful shutdown would wait on forever.
        stop.cancel();
    };
    crate::accept::serve(listener, router, crate::accept::MAX_CONNECTIONS, shutdown).await;
}

/// The axum router: the MCP endpoint at `/mcp` and `GET /healthz`.
pub fn http_router<S, F>(
    factory: F,
    allowed_hosts: &[String],
    cancel: CancellationToken,
) -> axum::Router
where
    S: ServerHandler + Send + 'static,
    F: Fn() -> S + Send + Sync + 'static,
{
    guarded_router(factory, allowed_hosts, None, cancel)
}

/// [`http_router`] with `/mcp` behind `guard` and its metadata routes, when given.
pub fn guarded_router<S, F>(
    factory: F,
    allowed_hosts: &[String],
    guard: Option<ResourceGuard>,
    cancel: CancellationToken,
) -> axum::Router
where
    S: ServerHandler + Send + 'static,
    F: Fn() -> S + Send + Sync + 'static,
{
    let mut config = StreamableHttpServerConfig::default().with_cancellation_token(cancel);
    if allowed_hosts.iter().any(|host| host.trim() == "*") {
        config = config.disable_allowed_hosts();
    } else if !allowed_hosts.is_empty() {
        let hosts = LOOPBACK_HOSTS
            .iter()
            .map(|host| (*host).to_owned())
            .chain(allowed_hosts.iter().map(|host| host.trim().to_owned()))
            .filter(|host| !host.is_empty());
        config = config.with_allowed_hosts(hosts);
    }
    let service = StreamableHttpService::new(
        move || Ok(factory()),
        Arc::new(CappedSessions::new(MAX_SESSIONS)),
        config,
    );
    let limit = tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY_BYTES);
    let router = match guard {
        Some(guard) => axum::Router::new()
            .nest_service(MCP_PATH, limit.layer(guard.layer().layer(service)))
            .merge(guard.metadata_router()),
        None => axum::Router::new().nest_service(MCP_PATH, limit.layer(service)),
    };
    router.route("/healthz", axum::routing::get(|| async { "ok" }))
}

/// Completes on ctrl-c or SIGTERM (how containers are stopped).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(problem) = tokio::signal::ctrl_c().await {
            tracing::warn!(%problem, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(problem) => {
                tracing::warn!(%problem, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
