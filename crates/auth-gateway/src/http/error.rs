//! The one place errors become responses: each core error gets its status code and a
//! stable code, each sign-in failure its page; 5xx causes are logged in full and never
//! sent to the client.

use crate::core::error::UsedFlow;
use crate::core::{CoreError, FlowError, SignInLink, SignInReason};
use crate::http::pages::{CLOSE_WINDOW, Page};
use crate::upstream::{UpstreamError, display_name, known_provider};
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gateway_proto::{ApiErrorBody, ErrorCode, ErrorDetail, INVALID_API_KEY};

/// The 403 hint when no `X-API-Key` header was sent.
pub const KEY_MISSING: &str = "Send the API key in the X-API-Key header.";
/// The 403 hint when the header was sent but its key is not recognised. The key itself is
/// never echoed.
pub const KEY_NOT_RECOGNISED: &str = "The key in the X-API-Key header is not recognised: check it against AUTH_GATEWAY_API_KEY or the client key you were given.";

/// An error answer of the JSON API.
#[derive(Debug)]
pub enum ApiError {
    /// 403 `{"detail": "Invalid API key", "hint": ...}`: the original's shape plus a hint
    /// that says whether the header was missing or its key not recognised.
    InvalidApiKey { key_sent: bool },
    /// `{"detail": {...}}` with a status.
    Detail(StatusCode, Box<ErrorDetail>),
    /// 422 in FastAPI's validation shape, for bodies and queries that do not parse.
    Unprocessable {
        location: &'static str,
        message: String,
    },
    /// 404 `{"detail": "Not Found"}`: no such route (or a route turned off).
    NotFound,
    /// 405 `{"detail": "Method Not Allowed"}`.
    MethodNotAllowed,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Detail(status, Box::new(ErrorDetail::new(code, message)))
    }

    pub fn unprocessable(location: &'static str, message: impl Into<String>) -> Self {
        Self::Unprocessable {
            location,
            message: message.into(),
        }
    }
}

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> Self {
        match error {
            CoreError::InvalidApiKey => Self::InvalidApiKey { key_sent: true },
            CoreError::UnknownProvider { name, configured } => {
                let message = format!("Unknown provider: {name}. {}", configured_list(&configured));
                unknown_provider(message, configured)
            }
            CoreError::ProviderNotConfigured { name, configured } => {
                let setup = known_provider(&name).map_or("", |known| known.setup);
                let message = format!(
                    "Provider {name} is not configured on this gateway: to enable {}, {setup}. {}",
                    display_name(&name),
                    configured_list(&configured)
                );
                unknown_provider(message, configured)
            }
            CoreError::ForbiddenProvider(name) => Self::new(
                StatusCode::FORBIDDEN,
                ErrorCode::ForbiddenProvider,
                format!("This API key may not use provider {name}"),
            ),
            CoreError::VerifiedUsersOnly => Self::new(
                StatusCode::FORBIDDEN,
                ErrorCode::VerifiedUsersOnly,
                "This client may only obtain tokens by token exchange with a user's access token (RFC 8693): POST /oauth/token with grant_type=urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            CoreError::ForbiddenScope(scope) => Self::new(
                StatusCode::FORBIDDEN,
                ErrorCode::ScopeNotAllowed,
                format!("This API key may not ask for scope {scope}"),
            ),
            CoreError::InvalidEmail(error) => Self::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidEmail,
                error.to_string(),
            ),
            CoreError::InvalidScope(error) => Self::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::InvalidScope,
                error.to_string(),
            ),
            CoreError::SessionNotFound => Self::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "Session not found",
            ),
            CoreError::CredentialNotFound => Self::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "No credentials found for this user and provider",
            ),
            CoreError::SignInRequired { reason, link } => sign_in_required(reason, link),
            CoreError::ProviderUnavailable {
                retry_after_secs,
                source,
            } => {
                tracing::warn!(error = %source, "answering provider_unavailable");
                let mut detail = ErrorDetail::new(
                    ErrorCode::ProviderUnavailable,
                    "The provider is unavailable and the stored token has expired. Retry later.",
                );
                detail.retry_after = Some(retry_after_secs);
                Self::Detail(StatusCode::SERVICE_UNAVAILABLE, Box::new(detail))
            }
            CoreError::Unavailable(source) => {
                tracing::error!(error = %source, "database unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::ServiceUnavailable,
                    "The database is unavailable. Retry later.",
                )
            }
            error @ (CoreError::Store(_) | CoreError::Crypto(_)) => {
                tracing::error!(error = %error, source = ?std::error::Error::source(&error), "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    "Internal server error",
                )
            }
        }
    }
}

/// The answers that send the user to `auth_url`.
fn sign_in_required(reason: SignInReason, link: SignInLink) -> ApiError {
    let (status, code, message, missing) = match reason {
        SignInReason::NotAuthenticated => (
            StatusCode::NOT_FOUND,
            ErrorCode::NotAuthenticated,
            "Not signed in yet. Open auth_url in a browser to sign in, then retry.",
            None,
        ),
        SignInReason::NeedsReauth => (
            StatusCode::UNAUTHORIZED,
            ErrorCode::NeedsReauth,
            "The sign-in has expired or was revoked. Open auth_url to sign in again, then retry.",
            None,
        ),
        SignInReason::RefreshFailed => (
            StatusCode::UNAUTHORIZED,
            ErrorCode::RefreshFailed,
            "The token expired and cannot be refreshed. Open auth_url to sign in again, then retry.",
            None,
        ),
        SignInReason::InsufficientScope { missing } => (
            StatusCode::UNAUTHORIZED,
            ErrorCode::InsufficientScope,
            "The sign-in lacks permissions this server needs. Open auth_url to grant them, then retry.",
            Some(missing),
        ),
    };
    let mut detail = ErrorDetail::new(code, message);
    detail.auth_required = true;
    detail.auth_url = Some(link.auth_url);
    detail.session_id = Some(link.session_id);
    detail.missing_scopes = missing;
    ApiError::Detail(status, Box::new(detail))
}

/// 400 `unknown_provider` for both unknown and unconfigured names: older clients parse
/// the code into a closed enum, so a new code would reach them as an unexpected answer.
fn unknown_provider(message: String, configured: Vec<String>) -> ApiError {
    let mut detail = ErrorDetail::new(ErrorCode::UnknownProvider, message);
    detail.configured_providers = Some(configured);
    ApiError::Detail(StatusCode::BAD_REQUEST, Box::new(detail))
}

/// "Configured providers: google." or that none is.
fn configured_list(configured: &[String]) -> String {
    if configured.is_empty() {
        "No provider is configured.".to_owned()
    } else {
        format!("Configured providers: {}.", configured.join(", "))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::InvalidApiKey { key_sent } => (
                StatusCode::FORBIDDEN,
                Json(serde_json::json!({
                    "detail": INVALID_API_KEY,
                    "hint": if key_sent { KEY_NOT_RECOGNISED } else { KEY_MISSING },
                })),
            )
                .into_response(),
            Self::Detail(status, detail) => {
                let retry_after = detail.retry_after;
                let mut response = (status, Json(ApiErrorBody { detail })).into_response();
                if let Some(seconds) = retry_after {
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
                }
                response
            }
            Self::Unprocessable { location, message } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(serde_json::json!({
                    "detail": [{
                        "type": "invalid_request",
                        "loc": [location],
                        "msg": message,
                    }]
                })),
            )
                .into_response(),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                Json(serde_json::json!({ "detail": "Not Found" })),
            )
                .into_response(),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                Json(serde_json::json!({ "detail": "Method Not Allowed" })),
            )
                .into_response(),
        }
    }
}

/// An error answer of the sign-in pages (`/connect/...` and the callback): an HTML page
/// with the status and texts decided here.
#[derive(Debug)]
pub struct PageError(pub FlowError);

impl From<FlowError> for PageError {
    fn from(error: FlowError) -> Self {
        Self(error)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        flow_error_page(&self.0).into_response()
    }
}

const ASK_AGAIN: &str = "Ask your assistant for a new sign-in link.";

/// A page explaining why a link or callback did not sign anyone in. Fixed texts and
/// stored values only: nothing from the request (the provider's `error_description`
/// included) is echoed.
fn flow_error_page(error: &FlowError) -> Page<'static> {
    let mut title = "Sign-in not completed";
    let mut next = ASK_AGAIN;
    let (status, text) = match error {
        FlowError::InvalidCallback => (StatusCode::BAD_REQUEST, "The sign-in response is incomplete or malformed.".to_owned()),
        FlowError::UnknownFlow => (StatusCode::NOT_FOUND, "This sign-in link is unknown. Check that the whole link was copied; links are forgotten an hour after they expire.".to_owned()),
        FlowError::UnknownState => (StatusCode::NOT_FOUND, "This sign-in response matches no sign-in in progress. If you opened the sign-in link more than once, finish in the tab opened last.".to_owned()),
        FlowError::Expired { lifetime_minutes } => (StatusCode::GONE, format!("This sign-in link has expired: links last {lifetime_minutes} minutes (SESSION_EXPIRY_MINUTES).")),
        FlowError::AlreadyUsed(used) => {
            let text = match used {
                UsedFlow::SignedIn { provider, account_email } => {
                    title = "Already signed in";
                    next = CLOSE_WINDOW;
                    format!("This sign-in link was already used, and you are signed in to {} as {account_email}.", display_name(provider))
                }
                UsedFlow::NoLongerSignedIn { provider } => format!("This sign-in link was already used. That sign-in to {} has since been revoked or has expired.", display_name(provider)),
                UsedFlow::Failed => "This sign-in link was already used, and that sign-in did not complete.".to_owned(),
                UsedFlow::InProgress => {
                    next = "Check the other tab or window, or ask your assistant whether the sign-in finished.";
                    "This sign-in is being finished in another tab or window.".to_owned()
                }
            };
            (StatusCode::BAD_REQUEST, text)
        }
        FlowError::NotBound => (StatusCode::BAD_REQUEST, "This sign-in was started in a different browser. Open the sign-in link again in this browser.".to_owned()),
        FlowError::ProviderDenied(_) => (StatusCode::BAD_REQUEST, "The sign-in was cancelled or refused at the provider.".to_owned()),
        FlowError::AccountMismatch { expected } => (StatusCode::FORBIDDEN, format!("You signed in with a different account. Please sign in as {expected}.")),
        FlowError::EmailUnverified => (StatusCode::FORBIDDEN, "The account's email address is not verified, so it cannot be used.".to_owned()),
        FlowError::HostedDomainMismatch { expected } => (StatusCode::FORBIDDEN, format!("Only accounts of the {expected} organization can sign in here. Please sign in with your {expected} account.")),
        FlowError::Exchange { provider, source: UpstreamError::Unavailable(_) } => {
            next = "Wait a minute, then ask your assistant for a new sign-in link and start again.";
            (StatusCode::SERVICE_UNAVAILABLE, format!("{} is temporarily unavailable, so the sign-in could not be finished. Nothing was stored.", display_name(provider)))
        }
        FlowError::Exchange { provider, .. } => (StatusCode::BAD_GATEWAY, format!("{} did not accept the sign-in.", display_name(provider))),
        FlowError::Core(source) => {
            tracing::error!(error = %source, "sign-in failed inside the gateway");
            (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side. Please try again.".to_owned())
        }
    };
    Page {
        status,
        title,
        paragraphs: vec![
            text,
            format!("Error code: {}", error.code()),
            next.to_owned(),
        ],
    }
}
