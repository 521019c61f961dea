//! The HTTP layer: routes, extractors, the error map and the pages. Handlers parse,
//! make one call into the core, and map the result.

pub mod error;
pub mod extract;
pub mod pages;
pub mod routes;

use crate::core::Gateway;
use axum::Router;
use axum::extract::{DefaultBodyLimit, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Largest accepted request body (SECURITY.md F3).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// What every handler gets.
#[derive(Clone, Debug)]
pub struct AppState {
    pub gateway: Arc<Gateway>,
    /// Mark the browser-binding cookie `Secure` (the public URL is https).
    pub secure_cookies: bool,
}

/// The gateway's routes. `extra_callback_path` is the path of a configured redirect
/// URI that differs from `/auth/callback/{provider}`, served for `provider`.
pub fn router(state: AppState, extra_callback: Option<(String, String)>) -> Router {
    let mut router = Router::new()
        .route("/auth/init", post(routes::auth::init_sign_in))
        .route("/auth/token", post(routes::auth::issue_token))
        .route(
            "/auth/status/{session_id}",
            get(routes::auth::get_session_status),
        )
        .route(
            "/auth/providers/{user_email}",
            get(routes::auth::list_user_providers),
        )
        .route("/auth/revoke", delete(routes::auth::revoke_credentials))
        .route(
            "/auth/callback/{provider}",
            get(routes::flow::handle_callback),
        )
        .route("/connect/{token}", get(routes::flow::open_connect_link))
        .route("/health", get(routes::health::check_health));
    if let Some((path, provider)) = extra_callback {
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
    router
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Token answers and pages must never be cached (RFC 6749 §5.1).
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(
            // The access log names the path only: callback queries carry codes and state.
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
            }),
        )
        .with_state(state)
}

async fn not_found() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        axum::Json(serde_json::json!({ "detail": "Not Found" })),
    )
}
