//! A local stand-in for Google's OAuth 2.0 / `OpenID` Connect endpoints, speaking
//! Google's wire formats, for the gateway's tests and offline demos.
//!
//! Start one with [`Emulator::start`] and point `GOOGLE_AUTH_URL`,
//! `GOOGLE_TOKEN_URL`, `GOOGLE_REVOKE_URL` and `GOOGLE_USERINFO_URL` at
//! [`Emulator::auth_url`] and friends.
//!
//! # Endpoints
//!
//! | route | what |
//! | --- | --- |
//! | `GET /.well-known/openid-configuration` | discovery document |
//! | `GET /oauth2/v3/certs` | empty JWK set (`id_token`s carry a placeholder signature) |
//! | `GET /o/oauth2/v2/auth` | authorization: redirects back at once with a code, or shows an account chooser when there is no `login_hint` |
//! | `POST /token` | `authorization_code` and `refresh_token` grants |
//! | `POST /revoke` (also `GET`) | revokes the whole grant behind a token |
//! | `GET /v1/userinfo`, `GET /oauth2/v3/userinfo` | `OpenID` claims for a bearer token |
//!
//! # Control routes
//!
//! The methods of [`EmulatorState`] are also reachable over HTTP, for tests in
//! other languages. Bodies are JSON; setters answer `200 {}`.
//!
//! | route | body | effect / answer |
//! | --- | --- | --- |
//! | `GET /__emulator/counters` | | [`Counters`] |
//! | `GET /__emulator/accounts` | | list of [`Account`] |
//! | `POST /__emulator/accounts` | `{"email", "email_verified"?: bool = true, "sub"?, "hd"?}` | adds the account, answers it |
//! | `POST /__emulator/access-token-lifetime` | `{"secs": u64}` | [`EmulatorState::set_access_token_lifetime`] |
//! | `POST /__emulator/rotate-refresh-tokens` | `{"enabled": bool}` | [`EmulatorState::set_rotate_refresh_tokens`] |
//! | `POST /__emulator/latency` | `{"millis": u64}` | [`EmulatorState::set_latency`] |
//! | `POST /__emulator/fail-next-token-requests` | `{"count": u32, "status": u16}` | [`EmulatorState::fail_next_token_requests`] |
//! | `POST /__emulator/force-invalid-grant` | `{"enabled": bool}` | [`EmulatorState::force_invalid_grant`] |
//! | `POST /__emulator/sign-in-as` | `{"email": string \| null}` | [`EmulatorState::sign_in_as`] |
//! | `POST /__emulator/deny-next-authorization` | | [`EmulatorState::deny_next_authorization`] |
//! | `POST /__emulator/grant-only-scopes` | `{"scopes": [string] \| null}` | [`EmulatorState::grant_only_scopes`] |
//! | `POST /__emulator/revoke-all` | `{"email"}` | [`EmulatorState::revoke_all_for`] |
//! | `POST /__emulator/tokens` | `{"email"}` | `{"latest_access_token": string \| null, "refresh_token": string \| null}` |
//! | `POST /__emulator/access-token-validity` | `{"token"}` | `{"valid": bool}` |
//! | `GET /__emulator/revoked-tokens` | | `[string]` |
//! | `POST /__emulator/reset` | | [`EmulatorState::reset`] |

mod controls;
mod emulator;
mod ids;
pub mod jwt;
mod oauth;
mod state;

use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::Response;

pub use emulator::{Emulator, EmulatorConfig};
pub use oauth::{AUTH_PATH, JWKS_PATH, REVOKE_PATH, TOKEN_PATH, USERINFO_PATH};
pub use state::{Account, AccountOptions, Counters, EmulatorState};

/// The whole HTTP surface over `state`, for embedding in another server.
pub fn router(state: EmulatorState) -> Router {
    Router::new()
        .merge(oauth::router())
        .nest("/__emulator", controls::http::router())
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// One debug line per request: enough to follow a failing test's traffic.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    tracing::debug!(%method, %path, status = response.status().as_u16(), "request");
    response
}
