//! Cross-cutting request handling: the request id, the access-log span, per-route
//! metrics and the request timeout. The access log names the route template only: raw
//! paths carry the connect link's token, queries carry callback codes and state, and
//! neither they nor bodies are ever logged (docs/threat-model.md H1).

use crate::http::AppState;
use crate::http::error::ApiError;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use gateway_proto::ErrorCode;
use std::time::{Duration, Instant};
use tracing::Span;

/// Header carrying the request id, accepted from the caller or generated, and echoed.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest caller-supplied request id kept; longer or odd ones are replaced.
const MAX_REQUEST_ID_LEN: usize = 128;

/// Route label of requests no route matched (keeps the label set bounded).
const UNMATCHED_ROUTE: &str = "unmatched";

/// Accepts the caller's `X-Request-Id` when it is short and plain (letters, digits,
/// `-_.:`), else generates one; puts it on the request and echoes it on the response.
pub async fn request_id(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .filter(|value| is_plain_id(value.as_bytes()))
        .cloned()
        .unwrap_or_else(new_request_id);
    request.headers_mut().insert(REQUEST_ID.clone(), id.clone());
    let mut response = next.run(request).await;
    response.headers_mut().insert(REQUEST_ID.clone(), id);
    response
}

fn is_plain_id(bytes: &[u8]) -> bool {
    !bytes.is_empty()
        && bytes.len() <= MAX_REQUEST_ID_LEN
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn new_request_id() -> HeaderValue {
    // A UUID's text form is always a valid header value.
    HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}

/// The span every log line of a request is recorded in. Handlers fill in `client`,
/// `user`, `provider` and `outcome` with [`record_fields`].
pub fn request_span(request: &Request) -> Span {
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED_ROUTE, MatchedPath::as_str);
    tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %request.method(),
        route = %route,
        client = tracing::field::Empty,
        user = tracing::field::Empty,
        provider = tracing::field::Empty,
        outcome = tracing::field::Empty,
    )
}

/// The access-log line, one per answered request.
pub fn log_response(response: &Response, latency: Duration, _span: &Span) {
    tracing::info!(
        status = response.status().as_u16(),
        latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
        "request finished"
    );
}

/// Names who asked for what in the current request's span (never a secret). One
/// `record_all`: with JSON logs every record re-renders the span's fields (measured: a
/// tenth of a cached token's CPU went to per-field records).
pub fn record_fields(client: &str, user: &str, provider: &str) {
    let span = Span::current();
    let Some(fields) = span.metadata().map(tracing::Metadata::fields) else {
        return; // logging is off for this span
    };
    let (Some(client_field), Some(user_field), Some(provider_field)) = (
        fields.field("client"),
        fields.field("user"),
        fields.field("provider"),
    ) else {
        return;
    };
    let (user, provider) = (truncate(user), truncate(provider));
    let values: [(&tracing::field::Field, Option<&dyn tracing::Value>); 3] = [
        (&client_field, Some(&client)),
        (&user_field, Some(&user)),
        (&provider_field, Some(&provider)),
    ];
    span.record_all(&fields.value_set(&values));
}

/// Records the request's outcome (`served`, `refreshed`, an error code, ...).
pub fn record_outcome(outcome: &str) {
    Span::current().record("outcome", outcome);
}

fn truncate(text: &str) -> &str {
    match text.char_indices().nth(254) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// HSTS lifetime: a year, the common preload minimum.
const HSTS: &str = "max-age=31536000";

/// Behind an https public URL, tells browsers to come back only over https, so a later
/// sign-in link cannot be downgraded to plain http on the way.
pub async fn strict_transport_security(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    if state.https {
        response.headers_mut().insert(
            axum::http::header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    response
}

/// Counts and times every request by route template and status, and answers 503 when
/// a request runs past the configured timeout.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().map_or_else(
        || UNMATCHED_ROUTE.to_owned(),
        |path| path.as_str().to_owned(),
    );
    let response = tokio::time::timeout(state.request_timeout, next.run(request))
        .await
        .unwrap_or_else(|_elapsed| {
            tracing::warn!(
                timeout_secs = state.request_timeout.as_secs(),
                "request timed out"
            );
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::ServiceUnavailable,
                "The request took too long. Retry later.",
            )
            .into_response()
        });
    state.metrics.http_request(
        method.as_str(),
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_request_ids_are_accepted() {
        assert!(is_plain_id(b"req-123_abc.def:9"));
        assert!(!is_plain_id(b""));
        assert!(!is_plain_id(b"has space"));
        assert!(!is_plain_id(b"line\nbreak"));
        assert!(!is_plain_id("x".repeat(129).as_bytes()));
    }

    #[test]
    fn long_log_fields_are_cut_at_a_character_boundary() {
        assert_eq!(truncate("short"), "short");
        assert_eq!(truncate(&"é".repeat(300)).chars().count(), 254);
    }
}
