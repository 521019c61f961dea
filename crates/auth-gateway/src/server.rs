//! The HTTP/1.1 accept loop. `axum::serve` gives hyper no timer, which silently turns
//! its header-read timeout off (docs/threat-model.md G2); this loop sets one, caps open
//! connections in all and per client address (`per_address`), hands handlers the peer address, and shuts down gracefully: on the
//! signal it closes the listener (new connections are refused), lets in-flight requests
//! finish within the grace period, then returns (docs/threat-model.md R11).

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

mod per_address;
use per_address::PerAddress;

/// Largest request head (request line and headers) read; a larger one is answered 431
/// (docs/threat-model.md F3 bounds headers to 8 KiB; the rest is room for the request line).
const MAX_HEAD_BYTES: usize = 16 * 1024;

/// Pause after a failed `accept` (e.g. out of file descriptors) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// How the loop treats connections.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// A client must finish sending its request head within this.
    pub header_read_timeout: Duration,
    /// After the shutdown signal, in-flight requests get this long to finish.
    pub shutdown_grace: Duration,
    /// At most this many connections are open at once; more wait in the backlog.
    pub max_connections: usize,
    /// At most this many from one address; more are closed at once.
    pub max_connections_per_ip: usize,
    /// Our own proxies, exempt from the per-address cap.
    pub trusted_proxies: Vec<crate::config::IpNetwork>,
}

/// Serves `router` on `listener` until `shutdown` resolves, then drains.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    options: &ServeOptions,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(options.max_connections));
    let per_address = PerAddress::new(
        options.max_connections_per_ip,
        options.trusted_proxies.clone(),
    );
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .max_buf_size(MAX_HEAD_BYTES);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(address_slot) = per_address.admit(peer.ip()) else {
            // Closed unanswered: its other connections are already served.
            tracing::debug!("closed a connection over its address's cap");
            drop(stream);
            continue;
        };
        let service = router
            .clone()
            .map_request(move |mut request: hyper::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request.map(Body::new)
            });
        let connection = graceful.watch(
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)),
        );
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
            drop(address_slot);
            drop(slot);
        });
    }
    let address = listener.local_addr().ok();
    drop(listener);
    tracing::info!(
        address = ?address,
        "stopped accepting connections; finishing in-flight requests"
    );
    tokio::select! {
        () = graceful.shutdown() => tracing::info!(address = ?address, "all connections closed"),
        () = tokio::time::sleep(options.shutdown_grace) => tracing::warn!(
            grace_secs = options.shutdown_grace.as_secs(),
            "grace period over; closing the remaining connections"
        ),
    }
}
