//! The guard in front of the MCP endpoint: a tower layer that lets a request through
//! only with a valid bearer token (RFC 6750 §2.1, header only), and otherwise answers
//! with the challenge MCP clients start discovery from (RFC 9728 §5.1,
//! `resource_metadata`; RFC 6750 §3.1 for the error codes).

use super::ResourceGuard;
use super::verify::TokenRejection;
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Seconds a client should wait when the gateway's keys cannot be fetched.
const KEYS_RETRY_AFTER: &str = "30";

/// Wraps a service with [`GuardService`]; from [`ResourceGuard::layer`].
#[derive(Debug, Clone)]
pub struct GuardLayer {
    guard: ResourceGuard,
}

impl GuardLayer {
    pub(super) fn new(guard: ResourceGuard) -> Self {
        Self { guard }
    }
}

impl<S> tower::Layer<S> for GuardLayer {
    type Service = GuardService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GuardService {
            guard: self.guard.clone(),
            inner,
        }
    }
}

/// Verifies the bearer token, then calls the inner service with the
/// [`super::VerifiedUser`] in the request's extensions.
#[derive(Debug, Clone)]
pub struct GuardService<S> {
    guard: ResourceGuard,
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, ReqBody, ResBody> tower::Service<Request<ReqBody>> for GuardService<S>
where
    S: tower::Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    ReqBody: Send + 'static,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Response<ResBody>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        // The clone is the one that was not polled ready; keep the ready one for this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let guard = self.guard.clone();
        Box::pin(async move {
            // A CORS preflight never carries credentials (Fetch standard, CORS-preflight
            // request), so it cannot be authenticated; it reaches no tool either.
            if request.method() == Method::OPTIONS {
                return inner.call(request).await;
            }
            let Some(token) = bearer(request.headers()) else {
                return Ok(refusal(&guard, None));
            };
            match guard.verify(&token).await {
                Ok(user) => {
                    request.extensions_mut().insert(user);
                    inner.call(request).await
                }
                Err(rejection) => {
                    tracing::debug!(%rejection, "bearer token refused");
                    Ok(refusal(&guard, Some(&rejection)))
                }
            }
        })
    }
}

/// The token of `Authorization: Bearer <token>`; the scheme is case-insensitive
/// (RFC 9110 §11.1).
fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

/// 401 with the discovery challenge, 401 `invalid_token`, 403 `insufficient_scope`, or
/// 503 when nothing could be checked. The description names the class of problem,
/// never the token.
fn refusal<B: Default>(guard: &ResourceGuard, rejection: Option<&TokenRejection>) -> Response<B> {
    let (status, error) = match rejection {
        None => (StatusCode::UNAUTHORIZED, String::new()),
        Some(TokenRejection::KeysUnavailable) => {
            let mut response = Response::new(B::default());
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(KEYS_RETRY_AFTER),
            );
            return response;
        }
        Some(scope @ TokenRejection::InsufficientScope) => (
            StatusCode::FORBIDDEN,
            format!(", error=\"insufficient_scope\", error_description=\"{scope}\""),
        ),
        Some(other) => (
            StatusCode::UNAUTHORIZED,
            format!(
                ", error=\"invalid_token\", error_description=\"access token refused: {other}\""
            ),
        ),
    };
    let challenge = format!(
        "Bearer resource_metadata=\"{}\", scope=\"{}\"{error}",
        guard.metadata_url(),
        guard.scope()
    );
    let mut response = Response::new(B::default());
    *response.status_mut() = status;
    // Built from a canonical URI and fixed texts: always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_bearer_tokens() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer(&headers), None);
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&headers), None);
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer abc.def"),
        );
        assert_eq!(bearer(&headers).as_deref(), Some("abc.def"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer(&headers), None);
    }
}
