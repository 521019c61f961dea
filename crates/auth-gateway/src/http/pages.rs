//! The few HTML pages a person sees (sign-in finished, or why it failed). Every
//! interpolated value goes through `escape`, and every page carries the security
//! headers of G4 (docs/design.md; docs/threat-model.md E1–E2). Small enough that a template engine isn't needed.

use crate::core::flows::sign_in::CompletedSignIn;
use crate::upstream::display_name;
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
        html_response(self.status, html)
    }
}

/// An HTML document with the pages' security headers.
pub fn html_response(status: StatusCode, html: String) -> Response {
    let mut response = (
        status,
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

/// The closing line of pages after which nothing is left to do.
pub const CLOSE_WINDOW: &str = "You can close this window and go back to your assistant.";

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
