//! The few HTML pages a person sees (sign-in finished, or why it failed). Every
//! interpolated value goes through `escape`, and every page carries the security
//! headers of G4 (docs/design.md; docs/threat-model.md E1–E2). Small enough that a template engine isn't needed.

use crate::core::FlowError;
use crate::core::error::UsedFlow;
use crate::core::sign_in::CompletedSignIn;
use crate::upstream::{UpstreamError, display_name};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Content-Security-Policy of every page: no scripts, no external anything.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/// Headers every HTML response and redirect of the sign-in flow carries.
pub fn security_headers() -> [(HeaderName, HeaderValue); 5] {
    [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ]
}

/// Escapes text for HTML element content and quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

/// A page: a status, a title and paragraphs of plain text (escaped here).
pub struct Page<'a> {
    pub status: StatusCode,
    pub title: &'a str,
    pub paragraphs: Vec<String>,
}

impl IntoResponse for Page<'_> {
    fn into_response(self) -> Response {
        let body = self
            .paragraphs
            .iter()
            .fold(String::new(), |mut body, text| {
                body.push_str("<p>");
                body.push_str(&escape(text));
                body.push_str("</p>");
                body
            });
        let html = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title}</title><style>body{{font-family:system-ui,sans-serif;max-width:36rem;\
             margin:4rem auto;padding:0 1rem;line-height:1.5;color:#222}}h1{{font-size:1.4rem}}</style>\
             </head><body><h1>{title}</h1>{body}</body></html>",
            title = escape(self.title),
        );
        let mut response = (
            self.status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            html,
        )
            .into_response();
        response.headers_mut().extend(security_headers());
        response
    }
}

/// The page after a completed sign-in.
pub fn signed_in(done: &CompletedSignIn) -> Page<'static> {
    Page {
        status: StatusCode::OK,
        title: "Signed in",
        paragraphs: vec![
            format!(
                "You are signed in to {} as {}.",
                display_name(&done.provider),
                done.account_email
            ),
            CLOSE_WINDOW.to_owned(),
        ],
    }
}

const CLOSE_WINDOW: &str = "You can close this window and go back to your assistant.";
const ASK_AGAIN: &str = "Ask your assistant for a new sign-in link.";

/// A page explaining why a link or callback did not sign anyone in. Fixed texts and
/// stored values only: nothing from the request (the provider's `error_description`
/// included) is echoed.
pub fn flow_error(error: &FlowError) -> Page<'static> {
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

#[cfg(test)]
mod tests {
    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            super::escape("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&amp;&quot;"
        );
    }
}
