//! `AuthClient`: the gateway's HTTP API for MCP servers (`/auth/token`, `/auth/init`,
//! `/auth/status/{session}`, `/auth/providers/{user}`, `/auth/revoke`; their wire
//! types are in `gateway-proto`) as typed calls, with one pooled reqwest client and
//! the token cache.

use crate::cache::TokenCache;
use crate::config::AuthClientBuilder;
use crate::error::{AuthError, ConfigError};
use crate::redirect;
use crate::token::Token;
use gateway_proto::{
    ApiErrorBody, ErrorCode, ErrorDetail, INVALID_API_KEY, InitRequest, InitResponse,
    ProvidersResponse, RevokeRequest, RevokeResponse, SessionStatus, StatusResponse, TokenRequest,
    TokenResponse,
};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use secrecy::SecretString;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// The gateway's long-poll answers within 60 s; longer waits are split into rounds.
const MAX_WAIT_PER_POLL: Duration = Duration::from_mins(1);

/// A client of the auth gateway. Cheap to clone: clones share the connection pool and
/// the token cache. `Debug` never shows the API key.
#[derive(Clone)]
pub struct AuthClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    base: url::Url,
    request_timeout: Duration,
    cache: TokenCache,
}

impl std::fmt::Debug for AuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthClient")
            .field("base_url", &self.inner.base_url)
            .finish_non_exhaustive()
    }
}

impl AuthClient {
    /// A client configured from `AUTH_GATEWAY_URL` and `AUTH_GATEWAY_API_KEY`.
    pub fn from_env() -> Result<Self, ConfigError> {
        AuthClientBuilder::from_vars(|name| std::env::var(name).ok())?.build()
    }

    /// A builder for the gateway at `base_url` with this server's API key.
    pub fn builder(base_url: impl Into<String>, api_key: SecretString) -> AuthClientBuilder {
        AuthClientBuilder::new(base_url, api_key)
    }

    pub(crate) fn from_parts(
        http: reqwest::Client,
        base: url::Url,
        request_timeout: Duration,
        cache: TokenCache,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                http,
                base_url: base.as_str().trim_end_matches('/').to_owned(),
                base,
                request_timeout,
                cache,
            }),
        }
    }

    /// The gateway's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// A valid access token for `user` at `provider` that carries `required_scopes`
    /// (`POST /auth/token`). Served from the cache while it is good for longer than the
    /// cache margin; concurrent misses for the same user share one gateway request.
    ///
    /// Errors tell the caller what to do: [`AuthError::SignInRequired`],
    /// [`AuthError::NeedsReauth`] and [`AuthError::InsufficientScope`] carry the link to
    /// show the user; [`AuthError::ProviderUnavailable`] says when to retry.
    pub async fn get_token(
        &self,
        provider: &str,
        user: &str,
        required_scopes: &[&str],
    ) -> Result<Token, AuthError> {
        self.fetch_token(provider, user, required_scopes, None)
            .await
    }

    /// A token to use instead of `rejected`, which the provider refused (HTTP 401)
    /// although it had not expired: the gateway refreshes it now. Concurrent callers
    /// holding the same rejected token share one refresh. Errors as for
    /// [`AuthClient::get_token`]; a grant the provider revoked answers
    /// [`AuthError::NeedsReauth`] with the link.
    pub async fn replace_rejected_token(
        &self,
        provider: &str,
        user: &str,
        required_scopes: &[&str],
        rejected: &Token,
    ) -> Result<Token, AuthError> {
        self.fetch_token(provider, user, required_scopes, Some(rejected))
            .await
    }

    async fn fetch_token(
        &self,
        provider: &str,
        user: &str,
        required_scopes: &[&str],
        rejected: Option<&Token>,
    ) -> Result<Token, AuthError> {
        let required: Vec<String> = required_scopes.iter().map(ToString::to_string).collect();
        let cache = &self.inner.cache;
        let cached = || {
            cache
                .get(provider, user, &required)
                .filter(|token| rejected.is_none_or(|rejected| !token.same_secret(rejected)))
        };
        if let Some(token) = cached() {
            return Ok(token);
        }
        let flight = cache.flight(provider, user);
        let _turn = flight.lock().await;
        if let Some(token) = cached() {
            return Ok(token); // another caller fetched it while this one waited
        }
        let body = TokenRequest {
            provider: provider.to_owned(),
            user_email: user.to_owned(),
            scopes: (!required.is_empty()).then(|| required.clone()),
            force_refresh: rejected.is_some(),
        };
        let request = self.request(Method::POST, &["auth", "token"]).json(&body);
        match self.send::<TokenResponse>(request).await {
            Ok(response) => {
                let token = Token::from_response(response);
                cache.put(provider, user, &token);
                tracing::debug!(provider, expires_at = %token.expires_at(), "token from the gateway");
                Ok(token)
            }
            Err(Failure::Detail {
                status,
                mut detail,
                retry_after,
            }) => {
                cache.remove(provider, user);
                if detail.auth_required && detail.auth_url.is_none() {
                    // An older gateway without the link extension: open a sign-in ourselves.
                    let mut scopes = required;
                    scopes.extend(detail.missing_scopes.clone().unwrap_or_default());
                    let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
                    let link = self.init(provider, user, &scopes).await?;
                    detail.auth_url = Some(link.auth_url);
                    detail.session_id = Some(link.session_id);
                }
                Err(classify(status, detail, retry_after))
            }
            Err(Failure::Error(error)) => Err(error),
        }
    }

    /// True when the gateway can serve a token for `user` at `provider` now; false when
    /// the user must sign in first. Other failures are errors.
    pub async fn is_authenticated(&self, provider: &str, user: &str) -> Result<bool, AuthError> {
        match self.get_token(provider, user, &[]).await {
            Ok(_) => Ok(true),
            Err(error) if error.is_sign_in() => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Starts a sign-in for `user` at `provider` asking for `scopes` on top of the
    /// provider's defaults (`POST /auth/init`).
    pub async fn init(
        &self,
        provider: &str,
        user: &str,
        scopes: &[&str],
    ) -> Result<InitResponse, AuthError> {
        let body = InitRequest {
            provider: provider.to_owned(),
            user_email: user.to_owned(),
            scopes: (!scopes.is_empty()).then(|| scopes.iter().map(ToString::to_string).collect()),
        };
        let request = self.request(Method::POST, &["auth", "init"]).json(&body);
        self.send(request).await.map_err(Failure::into_error)
    }

    /// Where a sign-in session stands (`GET /auth/status/{id}`). With `wait`, the gateway
    /// holds the answer until the session leaves `pending` or `wait` (≤ 60 s) passes.
    pub async fn status(
        &self,
        session_id: &str,
        wait: Option<Duration>,
    ) -> Result<StatusResponse, AuthError> {
        let mut request = self.request(Method::GET, &["auth", "status", session_id]);
        if let Some(wait) = wait.map(|wait| wait.min(MAX_WAIT_PER_POLL)) {
            request = request
                .query(&[("wait", wait.as_secs())])
                .timeout(self.inner.request_timeout + wait);
        }
        self.send(request).await.map_err(Failure::into_error)
    }

    /// Waits until the sign-in session completes, fails or expires, or `timeout` passes;
    /// returns the last status seen (still `pending` on timeout). Uses the gateway's
    /// long-poll, so it returns as soon as the user finishes.
    pub async fn wait_for_sign_in(
        &self,
        session_id: &str,
        timeout: Duration,
    ) -> Result<StatusResponse, AuthError> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            // The gateway counts in whole seconds; below one, one last plain look.
            let wait = (left >= Duration::from_secs(1)).then_some(left);
            let status = self.status(session_id, wait).await?;
            if status.status != SessionStatus::Pending || wait.is_none() {
                return Ok(status);
            }
        }
    }

    /// The providers `user` has signed in to (`GET /auth/providers/{user}`).
    pub async fn providers(&self, user: &str) -> Result<ProvidersResponse, AuthError> {
        let request = self.request(Method::GET, &["auth", "providers", user]);
        self.send(request).await.map_err(Failure::into_error)
    }

    /// Deletes the grant of `user` at `provider`, here and at the provider
    /// (`DELETE /auth/revoke`), and forgets the cached token.
    pub async fn revoke(&self, provider: &str, user: &str) -> Result<RevokeResponse, AuthError> {
        self.forget(provider, user);
        let body = RevokeRequest {
            provider: provider.to_owned(),
            user_email: user.to_owned(),
        };
        let request = self
            .request(Method::DELETE, &["auth", "revoke"])
            .json(&body);
        self.send(request).await.map_err(Failure::into_error)
    }

    /// Drops the cached token of `user` at `provider`, e.g. after the provider answered
    /// 401 to it; the next [`Self::get_token`] asks the gateway.
    pub fn forget(&self, provider: &str, user: &str) {
        self.inner.cache.remove(provider, user);
    }

    fn request(&self, method: Method, segments: &[&str]) -> RequestBuilder {
        let mut url = self.inner.base.clone();
        // http(s) URLs always have a path, so this never fails; each segment is encoded.
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        self.inner
            .http
            .request(method, url)
            .timeout(self.inner.request_timeout)
    }

    async fn send<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, Failure> {
        let response = request.send().await.map_err(|error| {
            Failure::Error(match redirect::refused_origin(&error) {
                Some(to) => AuthError::CrossOriginRedirect { to },
                None => AuthError::GatewayUnreachable(error),
            })
        })?;
        let status = response.status();
        if status.is_success() {
            return response.json::<T>().await.map_err(|error| {
                Failure::Error(AuthError::UnexpectedResponse {
                    status: status.as_u16(),
                    source: Some(error),
                })
            });
        }
        Err(failure(response).await)
    }
}

/// A non-success answer: either a `detail` object to classify, or a final error.
enum Failure {
    Detail {
        status: StatusCode,
        detail: ErrorDetail,
        retry_after: Option<Duration>,
    },
    Error(AuthError),
}

impl Failure {
    fn into_error(self) -> AuthError {
        match self {
            Self::Detail {
                status,
                detail,
                retry_after,
            } => classify(status, detail, retry_after),
            Self::Error(error) => error,
        }
    }
}

async fn failure(response: Response) -> Failure {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = match response.json::<ApiErrorBody<serde_json::Value>>().await {
        Ok(body) => body.detail,
        Err(error) => {
            return Failure::Error(if status == StatusCode::FORBIDDEN {
                AuthError::InvalidApiKey
            } else {
                AuthError::UnexpectedResponse {
                    status: status.as_u16(),
                    source: Some(error),
                }
            });
        }
    };
    if status == StatusCode::FORBIDDEN && body.as_str() == Some(INVALID_API_KEY) {
        return Failure::Error(AuthError::InvalidApiKey);
    }
    match serde_json::from_value::<ErrorDetail>(body.clone()) {
        Ok(detail) => Failure::Detail {
            status,
            detail,
            retry_after,
        },
        // FastAPI-style details (a string, or a list of validation errors).
        Err(_) => Failure::Error(AuthError::Gateway {
            status: status.as_u16(),
            code: "unknown".into(),
            message: body
                .as_str()
                .map_or_else(|| body.to_string(), str::to_owned),
            retry_after,
        }),
    }
}

fn classify(status: StatusCode, detail: ErrorDetail, retry_after: Option<Duration>) -> AuthError {
    let link = detail.auth_url.clone().zip(detail.session_id.clone());
    match (detail.error, link) {
        (ErrorCode::NotAuthenticated, Some((auth_url, session_id))) => AuthError::SignInRequired {
            auth_url,
            session_id,
        },
        (
            code @ (ErrorCode::NeedsReauth | ErrorCode::RefreshFailed),
            Some((auth_url, session_id)),
        ) => AuthError::NeedsReauth {
            auth_url,
            session_id,
            reason: code.as_str().to_owned(),
        },
        (ErrorCode::InsufficientScope, Some((auth_url, session_id))) => {
            AuthError::InsufficientScope {
                missing: detail.missing_scopes.unwrap_or_default(),
                auth_url,
                session_id,
            }
        }
        (ErrorCode::ProviderUnavailable, _) => AuthError::ProviderUnavailable {
            retry_after: retry_after.or(detail.retry_after.map(Duration::from_secs)),
        },
        (code, _) => AuthError::Gateway {
            status: status.as_u16(),
            code: code.as_str().to_owned(),
            message: detail.message,
            retry_after,
        },
    }
}
