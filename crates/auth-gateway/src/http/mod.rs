//! The HTTP layer: routes, extractors, the error map and the pages. Handlers parse,
//! make one call into the core, and map the result.

pub mod account_page;
pub mod consent_page;
pub mod docs;
pub mod error;
pub mod extract;
pub mod limits;
pub mod long_polls;
pub mod middleware;
pub mod oauth_error;
pub mod oauth_form;
pub mod openapi;
pub mod pages;
pub mod routes;

use crate::core::Gateway;
use crate::monitoring::Metrics;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::routing::get;
use axum::{Extension, Router};
use limits::RateLimiters;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Largest accepted request body (docs/threat-model.md F3).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// What every handler gets.
#[derive(Clone, Debug)]
pub struct AppState {
    pub gateway: Arc<Gateway>,
    /// The public URL is https: the browser-binding cookie is `__Host-` prefixed and
    /// `Secure`, and responses carry HSTS.
    pub https: bool,
    pub metrics: Metrics,
    pub limits: Arc<RateLimiters>,
    /// Concurrent `?wait=` status requests per client.
    pub long_polls: Arc<long_polls::LongPolls>,
    pub lifecycle: Lifecycle,
    /// Requests running longer are answered 503.
    pub request_timeout: Duration,
    /// Serve the `/docs` page.
    pub api_docs: bool,
}

/// Whether shutdown has begun (then `/ready` answers 503).
#[derive(Clone, Debug, Default)]
pub struct Lifecycle(Arc<AtomicBool>);

impl Lifecycle {
    pub fn begin_shutdown(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_shutting_down(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Which optional routes the router has.
#[derive(Debug, Clone, Default)]
pub struct RouterOptions {
    /// `(path, provider)`: a configured redirect URI path that differs from
    /// `/auth/callback/{provider}`, served for `provider`.
    pub extra_callback: Option<(String, String)>,
    /// Serve `/metrics` here (false when it has its own listener).
    pub metrics_route: bool,
}

/// The documented routes, as the router serves them, and the document they make.
pub fn api_routes(metrics_route: bool) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let mut api = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(routes::auth::init_sign_in))
        .routes(routes!(routes::auth::issue_token))
        .routes(routes!(routes::auth::get_session_status))
        .routes(routes!(routes::auth::list_user_providers))
        .routes(routes!(routes::auth::revoke_credentials))
        .routes(routes!(routes::flow::handle_callback))
        .routes(routes!(routes::flow::open_connect_link))
        .routes(routes!(routes::health::check_health))
        .routes(routes!(routes::oauth::get_jwks))
        .routes(routes!(routes::account::show, routes::account::act))
        .routes(routes!(routes::account::sign_in))
        .routes(routes!(
            routes::oauth_authorize::authorize,
            routes::oauth_authorize::decide
        ))
        .routes(routes!(routes::ops::check_ready))
        .routes(routes!(routes::ops::get_openapi))
        .routes(routes!(routes::ops::show_docs))
        // The authorization server's endpoints for MCP clients.
        .routes(routes!(routes::oauth_token::issue_oauth_token))
        .routes(routes!(routes::oauth_token::revoke_oauth_token))
        .routes(routes!(routes::oauth_token::register_oauth_client))
        .routes(routes!(routes::oauth_introspect::introspect_oauth_token))
        .routes(routes!(
            routes::oauth_metadata::get_authorization_server_metadata
        ))
        .routes(routes!(routes::oauth_metadata::get_openid_configuration));
    if metrics_route {
        api = api.routes(routes!(routes::ops::render_metrics));
    }
    api.split_for_parts()
}

/// The gateway's routes with every layer: request id, access log, metrics, timeout,
/// HSTS, rate limits, body limit, no-store.
pub fn router(state: AppState, options: RouterOptions) -> Router {
    let (mut router, openapi) = api_routes(options.metrics_route);
    if let Some((path, provider)) = options.extra_callback {
        let provider: Arc<str> = provider.into();
        router = router.route(
            &path,
            get(
                move |State(state): State<AppState>,
                      headers: HeaderMap,
                      RawQuery(query): RawQuery| {
                    let provider = Arc::clone(&provider);
                    async move {
                        routes::flow::callback(&state, &provider, &headers, query.as_deref()).await
                    }
                },
            ),
        );
    }
    // RFC 8414 §3.1 path-inserted metadata: the handler serves only the issuer's path.
    router = router
        .route(
            "/.well-known/oauth-authorization-server/{*path}",
            get(routes::oauth_metadata::get_metadata_at_path),
        )
        .route(
            "/.well-known/openid-configuration/{*path}",
            get(routes::oauth_metadata::get_metadata_at_path),
        );
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Inside `track`, so refused requests are counted and timed too.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::rate_limit,
        ))
        .layer(Extension(openapi::render(&openapi)))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Token answers and pages must never be cached (RFC 6749 §5.1).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::strict_transport_security,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::track,
        ))
        .layer(
            // The access log names the route template only: paths carry link tokens, queries codes.
            TraceLayer::new_for_http()
                .make_span_with(middleware::request_span)
                .on_response(middleware::log_response)
                // 5xx causes are logged by the error map; a second line says nothing new.
                .on_failure(()),
        )
        .layer(axum::middleware::from_fn(middleware::request_id))
        .with_state(state)
}

/// The router of the separate metrics listener (`METRICS_PORT`).
pub fn metrics_router(metrics: Metrics, gateway: Arc<Gateway>) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let metrics = metrics.clone();
            let gateway = Arc::clone(&gateway);
            async move { routes::ops::metrics_response(&metrics, &gateway) }
        }),
    )
}

async fn method_not_allowed() -> error::ApiError {
    error::ApiError::MethodNotAllowed
}

async fn not_found() -> error::ApiError {
    error::ApiError::NotFound
}
