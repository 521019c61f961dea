//! `GET /oauth/authorize` and the consent form's `POST /oauth/authorize`: pages and
//! redirects for a browser, never JSON.

use crate::core::authz::authorize::AuthorizeStep;
use crate::core::authz::authorize::browser::SESSION_COOKIE;
use crate::core::authz::authorize::request::AuthorizePageError;
use crate::http::AppState;
use crate::http::consent_page;
use crate::http::pages::Page;
use crate::http::routes::flow::{cookie_value, found, same_origin, wire_cookie_name};
use axum::Form;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// `GET /oauth/authorize`: the authorization endpoint (OAuth 2.1 §4.1.1).
#[utoipa::path(get, path = "/oauth/authorize", tag = "oauth",
    params(
        ("response_type" = String, Query, description = "code"),
        ("client_id" = String, Query, description = "A registered client"),
        ("redirect_uri" = String, Query, description = "One of the client's redirect URIs (loopback: any port)"),
        ("code_challenge" = String, Query, description = "PKCE S256 challenge"),
        ("code_challenge_method" = String, Query, description = "S256"),
        ("resource" = String, Query, description = "The MCP server's canonical URI (RFC 8707)"),
        ("scope" = Option<String>, Query, description = "The resource's scope (mcp:…); may be omitted"),
        ("state" = Option<String>, Query, description = "Echoed back"),
    ),
    responses(
        (status = 200, description = "The consent page (HTML)", body = String, content_type = "text/html"),
        (status = 302, description = "To the client's redirect URI (code or error, with iss), or to the sign-in provider"),
        (status = 400, description = "Unknown client or redirect URI, malformed request (HTML page)", body = String, content_type = "text/html"),
    ))]
pub async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let cookie = session_cookie(&state, &headers);
    let step = state
        .gateway
        .authorize(query.as_deref().unwrap_or_default(), cookie.as_deref())
        .await;
    respond(&state, step)
}

/// The consent form.
#[derive(Debug, Deserialize)]
pub struct ConsentForm {
    /// The authorization request's query, as the page carried it.
    pub request: String,
    pub csrf: String,
    /// `allow` or `deny`.
    pub decision: String,
}

/// `POST /oauth/authorize`: the user's answer on the consent page.
#[utoipa::path(post, path = "/oauth/authorize", tag = "oauth",
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "request (the authorization query), csrf, decision = allow | deny"),
    responses(
        (status = 302, description = "To the client's redirect URI with a code, or error=access_denied"),
        (status = 400, description = "Stale or forged form, not signed in (HTML page)", body = String, content_type = "text/html"),
    ))]
pub async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ConsentForm>,
) -> Response {
    if !same_origin(&state, &headers) {
        return error_page(&AuthorizePageError::Forged).into_response();
    }
    let cookie = session_cookie(&state, &headers);
    let step = state
        .gateway
        .decide_consent(
            &form.request,
            cookie.as_deref(),
            &form.csrf,
            form.decision == "allow",
        )
        .await;
    respond(&state, step)
}

fn session_cookie(state: &AppState, headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, &wire_cookie_name(SESSION_COOKIE, state.https))
}

fn respond(state: &AppState, step: Result<AuthorizeStep, AuthorizePageError>) -> Response {
    match step {
        Ok(AuthorizeStep::Redirect { location, cookie }) => {
            found(location.as_str(), cookie.as_ref(), state.https)
        }
        Ok(AuthorizeStep::Consent(view)) => consent_page::render(&view),
        Err(error) => error_page(&error).into_response(),
    }
}

/// Why the request cannot go back to the client: said to the person in the browser.
fn error_page(error: &AuthorizePageError) -> Page<'static> {
    let (status, text) = match error {
        AuthorizePageError::Malformed(problem) => (StatusCode::BAD_REQUEST, format!("The application sent a malformed sign-in request ({problem}).")),
        AuthorizePageError::MissingClient => (StatusCode::BAD_REQUEST, "The application's sign-in request does not say which application it is (client_id).".to_owned()),
        AuthorizePageError::UnknownClient => (StatusCode::BAD_REQUEST, "The application asking you to sign in is not registered at this gateway. Remove the server from the application and add it again so it can register.".to_owned()),
        AuthorizePageError::ClientMetadata(why) => (StatusCode::BAD_REQUEST, format!("The application identifies itself by the address of its metadata document, and the gateway cannot use it: {why}. For your safety the sign-in stops here.")),
        AuthorizePageError::MissingRedirect => (StatusCode::BAD_REQUEST, "The application's sign-in request does not say where to return (redirect_uri).".to_owned()),
        AuthorizePageError::RedirectMismatch => (StatusCode::BAD_REQUEST, "The application asked to return to an address it did not register. For your safety the sign-in stops here.".to_owned()),
        AuthorizePageError::Forged => (StatusCode::BAD_REQUEST, "This consent form is out of date or did not come from this gateway. Start again from the application.".to_owned()),
        AuthorizePageError::NotSignedIn => (StatusCode::BAD_REQUEST, "You are no longer signed in at the gateway. Start again from the application.".to_owned()),
        AuthorizePageError::Core(error) => {
            tracing::error!(%error, "authorization endpoint failed");
            (StatusCode::SERVICE_UNAVAILABLE, "The gateway could not complete this step. Try again in a moment.".to_owned())
        }
    };
    Page {
        status,
        title: "Authorization not completed",
        paragraphs: vec![text],
    }
}
