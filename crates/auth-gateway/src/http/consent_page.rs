//! The consent page: who asks, for what, where the browser goes next, and as whom; Allow
//! and Deny post back with the CSRF token. Everything interpolated is escaped; the page
//! has no script and cannot be framed.

use crate::core::authz::authorize::ConsentView;
use crate::http::pages::{escape, html_response};
use axum::http::StatusCode;
use axum::response::Response;

pub fn render(view: &ConsentView) -> Response {
    // A vouched-for host is the client's identity; a name is only what it says.
    let client = view
        .verified_host
        .as_deref()
        .or(view.client_name.as_deref())
        .unwrap_or(&view.client_id);
    let unverified = if view.unverified {
        "<p class=\"warn\">This application's name is what it says about itself: the gateway \
         cannot verify it. Continue only if you started this from an application you trust.</p>"
    } else {
        ""
    };
    let permissions = view
        .permissions
        .iter()
        .fold(String::new(), |mut list, permission| {
            list.push_str("<li>");
            list.push_str(&escape(permission));
            list.push_str("</li>");
            list
        });
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Allow access?</title><style>body{{font-family:system-ui,sans-serif;max-width:36rem;\
         margin:4rem auto;padding:0 1rem;line-height:1.5;color:#222}}h1{{font-size:1.4rem}}\
         .warn{{background:#fff4e5;padding:.5rem .75rem;border-radius:.25rem}}\
         button{{font-size:1rem;padding:.5rem 1.25rem;margin-right:.75rem}}</style></head><body>\
         <h1>Allow <strong>{client}</strong> to use {resource}?</h1>{unverified}\
         <p>Signed in as <strong>{account}</strong>.</p>\
         <p>{client} will be able to use the MCP server <strong>{resource}</strong> \
         (<code>{resource_uri}</code>) as you. Its tools can:</p><ul>{permissions}</ul>\
         <p>After you answer, your browser goes back to <strong>{host}</strong>.</p>\
         <form method=\"post\" action=\"/oauth/authorize\">\
         <input type=\"hidden\" name=\"request\" value=\"{request}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form>\
         <p><small>You can withdraw this at any time on your page at this gateway.</small></p>\
         </body></html>",
        client = escape(client),
        resource = escape(&view.resource_name),
        resource_uri = escape(&view.resource_uri),
        account = escape(&view.account_email),
        host = escape(&view.redirect_host),
        request = escape(&view.request),
        csrf = escape(&view.csrf),
    );
    html_response(StatusCode::OK, html)
}
