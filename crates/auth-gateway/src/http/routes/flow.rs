//! The browser side of sign-in: the connect link (bind the browser, go to the provider)
//! and the provider's callback. Both answer with pages or redirects, never JSON.

use crate::core::FlowError;
use crate::core::authz::authorize::browser::SetCookie;
use crate::core::flows::sign_in::{CallbackParams, ConnectRedirect};
use crate::http::AppState;
use crate::http::error::PageError;
use crate::http::pages::{self, security_headers};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;

/// Longest callback query read (docs/threat-model.md F3).
const MAX_CALLBACK_QUERY: usize = 4096;

/// `GET /connect/{token}`: the link a user opens; binds the browser and redirects to
/// the provider.
#[utoipa::path(get, path = "/connect/{token}", tag = "sign-in",
    params(("token" = String, Path, description = "From auth_url")),
    responses(
        (status = 302, description = "To the provider's sign-in page; sets the browser-binding cookie"),
        (status = 400, description = "Link already used; says whether the user is signed in (HTML page)", body = String, content_type = "text/html"),
        (status = 404, description = "Unknown link (HTML page)", body = String, content_type = "text/html"),
        (status = 410, description = "Expired link; says how long links last (HTML page)", body = String, content_type = "text/html"),
    ))]
pub async fn open_connect_link(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let redirect = state.gateway.connect(&token).await?;
    Ok(redirect_to_provider(&redirect, state.https))
}

/// The browser-binding cookie's name on the wire. Behind https it is `__Host-` prefixed:
/// browsers accept such a cookie only `Secure`, for this host alone, with `Path=/`, so a
/// sibling subdomain or a plain-http response cannot plant or shadow it. Plain http
/// (development, loopback) cannot carry the prefix.
pub fn wire_cookie_name(name: &str, https: bool) -> String {
    if https {
        format!("__Host-{name}")
    } else {
        name.to_owned()
    }
}

/// The 302 to the provider that also sets the browser-binding cookie.
fn redirect_to_provider(redirect: &ConnectRedirect, https: bool) -> Response {
    let cookie = SetCookie {
        name: redirect.cookie_name.clone(),
        value: redirect.cookie_value.clone(),
        max_age_secs: redirect.cookie_max_age_secs,
    };
    found(redirect.location.as_str(), Some(&cookie), https)
}

/// A 302 with the pages' security headers and, optionally, a cookie: `HttpOnly`,
/// `SameSite=Lax` (sent on the provider's top-level redirect back), `Secure` and
/// `__Host-` prefixed behind https.
pub fn found(location: &str, cookie: Option<&SetCookie>, https: bool) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    headers.extend(security_headers());
    if let Ok(location) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, location);
    }
    if let Some(cookie) = cookie {
        let secure = if https { "; Secure" } else { "" };
        let line = format!(
            "{}={}; Max-Age={}; Path=/; HttpOnly; SameSite=Lax{secure}",
            wire_cookie_name(&cookie.name, https),
            cookie.value.expose_secret(),
            cookie.max_age_secs,
        );
        if let Ok(line) = HeaderValue::from_str(&line) {
            headers.append(header::SET_COOKIE, line);
        }
    }
    response
}

/// `GET /auth/callback/{provider}`: where the provider sends the browser back.
#[utoipa::path(get, path = "/auth/callback/{provider}", tag = "sign-in",
    params(
        ("provider" = String, Path, description = "e.g. google"),
        ("code" = Option<String>, Query, description = "Authorization code"),
        ("state" = Option<String>, Query, description = "The flow's state"),
        ("error" = Option<String>, Query, description = "Set when the user refused"),
    ),
    responses(
        (status = 200, description = "Signed in (HTML page)", body = String, content_type = "text/html"),
        (status = 400, description = "Malformed, refused, reused or unbound callback (HTML page)", body = String, content_type = "text/html"),
        (status = 403, description = "Different or unverified account (HTML page)", body = String, content_type = "text/html"),
        (status = 404, description = "Unknown flow (HTML page)", body = String, content_type = "text/html"),
        (status = 410, description = "Expired flow (HTML page)", body = String, content_type = "text/html"),
        (status = 502, description = "The provider refused the code (HTML page)", body = String, content_type = "text/html"),
        (status = 503, description = "The provider is temporarily unavailable (HTML page)", body = String, content_type = "text/html"),
    ))]
pub async fn handle_callback(
    State(state): State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    callback(&state, &provider, &headers, query.as_deref()).await
}

/// Shared by the provider path and the configured redirect path.
pub async fn callback(
    state: &AppState,
    provider: &str,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Response, PageError> {
    let params = callback_params(query.unwrap_or_default())?;
    let cookie = |name: &str| cookie_value(headers, &wire_cookie_name(name, state.https));
    // A sign-in at the gateway itself (authorization server) comes back here too.
    if let Some(login) = state
        .gateway
        .finish_login(provider, &params, &cookie)
        .await?
    {
        return Ok(found(&login.return_to, Some(&login.session), state.https));
    }
    let done = state.gateway.callback(provider, params, cookie).await?;
    Ok(pages::signed_in(&done).into_response())
}

/// The callback's query: `code`, `state` and `error`; other names are ignored.
fn callback_params(query: &str) -> Result<CallbackParams, FlowError> {
    if query.len() > MAX_CALLBACK_QUERY {
        return Err(FlowError::InvalidCallback);
    }
    let mut params = CallbackParams::default();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "code" => params.code = Some(value.into_owned()),
            "state" => params.state = Some(value.into_owned()),
            "error" => params.error = Some(value.into_owned()),
            _ => {}
        }
    }
    Ok(params)
}

/// Whether a form POST may be from one of the gateway's own pages: a browser sends
/// `Origin` with every POST, so one naming another site is a cross-site forgery (the CSRF
/// token is the main defence; this is the second). A request without `Origin` (not from a
/// browser), or with `Origin: null` (what browsers send from a page whose referrer policy
/// is `no-referrer`, as the gateway's own pages are), is left to the CSRF token.
pub fn same_origin(state: &AppState, headers: &HeaderMap) -> bool {
    headers.get(header::ORIGIN).is_none_or(|origin| {
        origin.as_bytes() == b"null"
            || origin.as_bytes() == state.gateway.public_origin().as_bytes()
    })
}

/// Reads one cookie from the `Cookie` headers (RFC 6265 §5.4 syntax).
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}
