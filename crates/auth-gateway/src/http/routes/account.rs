//! The user's own page: `GET /account`, its forms (`POST /account`) and
//! `GET /account/sign-in`. Pages and redirects, never JSON.

use crate::core::authz::account::{AccountAction, AccountError};
use crate::core::authz::authorize::AuthorizeStep;
use crate::core::authz::authorize::browser::SESSION_COOKIE;
use crate::http::AppState;
use crate::http::account_page;
use crate::http::pages::{Page, security_headers};
use crate::http::routes::flow::{cookie_value, found, same_origin, wire_cookie_name};
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// `GET /account`: the signed-in user's connections and authorized clients.
#[utoipa::path(get, path = "/account", tag = "oauth",
    responses(
        (status = 200, description = "The user's page, or a page with a sign-in link (HTML)", body = String, content_type = "text/html"),
    ))]
pub async fn show(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let cookie = session_cookie(&state, &headers);
    match state.gateway.account(cookie.as_deref()).await {
        Ok(Some(view)) => account_page::render(&view),
        Ok(None) => account_page::signed_out(),
        Err(error) => {
            tracing::error!(%error, "account page failed");
            unavailable().into_response()
        }
    }
}

/// `GET /account/sign-in`: signs in at the gateway, then shows the page.
#[utoipa::path(get, path = "/account/sign-in", tag = "oauth",
    responses((status = 302, description = "To the sign-in provider")))]
pub async fn sign_in(State(state): State<AppState>) -> Response {
    match state.gateway.account_sign_in().await {
        Ok(AuthorizeStep::Redirect { location, cookie }) => {
            found(location.as_str(), cookie.as_ref(), state.https)
        }
        Ok(AuthorizeStep::Consent(_)) | Err(_) => unavailable().into_response(),
    }
}

/// A form of the page.
#[derive(Debug, Deserialize)]
pub struct AccountForm {
    pub csrf: String,
    /// `revoke_client`, `revoke_connection` or `sign_out`.
    pub action: String,
    /// The client id or the provider.
    #[serde(default)]
    pub target: String,
}

/// `POST /account`: revoke an authorized client or a connection, or sign out.
#[utoipa::path(post, path = "/account", tag = "oauth",
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "csrf, action = revoke_client | revoke_connection | sign_out, target"),
    responses(
        (status = 303, description = "Back to the page (or, after signing out, the signed-out page)"),
        (status = 400, description = "Stale or forged form, or not signed in (HTML page)", body = String, content_type = "text/html"),
        (status = 404, description = "No such client or connection (HTML page)", body = String, content_type = "text/html"),
    ))]
pub async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<AccountForm>,
) -> Response {
    if !same_origin(&state, &headers) {
        return error_page(&AccountError::Forged).into_response();
    }
    let Some(action) = parse_action(form.action.as_str(), form.target) else {
        return page(
            StatusCode::BAD_REQUEST,
            "This form asks for something the page does not offer.",
        )
        .into_response();
    };
    let cookie = session_cookie(&state, &headers);
    let done = state
        .gateway
        .account_action(cookie.as_deref(), &form.csrf, &action)
        .await;
    match done {
        Ok(()) => back_to_page(&state, &action),
        Err(error) => error_page(&error).into_response(),
    }
}

fn parse_action(action: &str, target: String) -> Option<AccountAction> {
    match action {
        "revoke_client" => Some(AccountAction::RevokeClient(target)),
        "revoke_connection" => Some(AccountAction::RevokeConnection(target)),
        "sign_out" => Some(AccountAction::SignOut),
        _ => None,
    }
}

/// 303 back to the page; after signing out, the session cookie is cleared too.
fn back_to_page(state: &AppState, action: &AccountAction) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    headers.extend(security_headers());
    headers.insert(header::LOCATION, HeaderValue::from_static("/account"));
    if *action == AccountAction::SignOut {
        let secure = if state.https { "; Secure" } else { "" };
        let expired = format!(
            "{}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax{secure}",
            wire_cookie_name(SESSION_COOKIE, state.https)
        );
        if let Ok(expired) = HeaderValue::from_str(&expired) {
            headers.insert(header::SET_COOKIE, expired);
        }
    }
    response
}

fn error_page(error: &AccountError) -> Page<'static> {
    match error {
        AccountError::NotSignedIn => page(
            StatusCode::BAD_REQUEST,
            "You are not signed in at this gateway (any more).",
        ),
        AccountError::Forged => page(
            StatusCode::BAD_REQUEST,
            "This form is out of date or did not come from this gateway. Reload the page and try again.",
        ),
        AccountError::NotFound => page(
            StatusCode::NOT_FOUND,
            "There is nothing of that name to revoke; it may be gone already.",
        ),
        AccountError::Core(error) => {
            tracing::error!(%error, "account action failed");
            unavailable()
        }
    }
}

fn session_cookie(state: &AppState, headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, &wire_cookie_name(SESSION_COOKIE, state.https))
}

fn page(status: StatusCode, text: &str) -> Page<'static> {
    Page {
        status,
        title: "Your account",
        paragraphs: vec![text.to_owned()],
    }
}

fn unavailable() -> Page<'static> {
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "The gateway could not complete this step. Try again in a moment.",
    )
}
