//! The user's page at the gateway: connections and authorized clients, each with a
//! revoke button (a POST carrying the CSRF token), and signing out. Escaped, no script,
//! not framable.

use crate::core::authz::account::AccountView;
use crate::http::pages::{escape, html_response};
use crate::upstream::display_name;
use axum::http::StatusCode;
use axum::response::Response;
use std::fmt::Write as _;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;\
    padding:0 1rem;line-height:1.5;color:#222}h1{font-size:1.4rem}h2{font-size:1.1rem;\
    margin-top:2rem}li{margin:.5rem 0}form{display:inline}code{font-size:.85rem}";

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head><body><h1>{title}</h1>{body}</body></html>",
        title = escape(title),
    );
    html_response(status, page)
}

fn button(csrf: &str, action: &str, target: &str, label: &str) -> String {
    format!(
        "<form method=\"post\" action=\"/account\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <input type=\"hidden\" name=\"action\" value=\"{action}\">\
         <input type=\"hidden\" name=\"target\" value=\"{}\">\
         <button type=\"submit\">{label}</button></form>",
        escape(csrf),
        escape(target),
    )
}

pub fn render(view: &AccountView) -> Response {
    let mut body = format!(
        "<p>Signed in as <strong>{}</strong>.</p>",
        escape(&view.email)
    );
    body.push_str("<h2>Connections</h2>");
    if view.connections.is_empty() {
        body.push_str("<p>None.</p>");
    } else {
        body.push_str("<ul>");
        for connection in &view.connections {
            let status = if connection.needs_reauth {
                "needs signing in again"
            } else {
                "active"
            };
            let used = connection.last_used_at.map_or_else(
                || "not used yet".to_owned(),
                |at| format!("last used {}", at.format("%Y-%m-%d %H:%M UTC")),
            );
            let _ = write!(
                body,
                "<li><strong>{}</strong> ({status}, {used}): <code>{}</code> {}</li>",
                escape(display_name(&connection.provider)),
                escape(&connection.scopes.join(" ")),
                button(
                    &view.csrf,
                    "revoke_connection",
                    &connection.provider,
                    "Disconnect"
                ),
            );
        }
        body.push_str("</ul>");
    }
    body.push_str("<h2>Applications you allowed</h2>");
    if view.clients.is_empty() {
        body.push_str("<p>None.</p>");
    } else {
        body.push_str("<ul>");
        for client in &view.clients {
            let name = client.client_name.as_deref().unwrap_or(&client.client_id);
            let _ = write!(
                body,
                "<li><strong>{}</strong> (since {}): {} {}</li>",
                escape(name),
                client.since.format("%Y-%m-%d"),
                escape(&client.resources.join(", ")),
                button(&view.csrf, "revoke_client", &client.client_id, "Revoke"),
            );
        }
        body.push_str("</ul>");
    }
    body.push_str("<h2>Session</h2>");
    body.push_str(&button(&view.csrf, "sign_out", "", "Sign out"));
    html(StatusCode::OK, "Your account", &body)
}

pub fn signed_out() -> Response {
    html(
        StatusCode::OK,
        "Your account",
        "<p>You are not signed in at this gateway.</p><p><a href=\"/account/sign-in\">Sign in</a></p>",
    )
}
