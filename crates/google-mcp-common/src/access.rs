//! Who may call an HTTP server, and how the server learns who calls (`--auth` /
//! `MCP_AUTH`). A shared HTTP server that trusted a `user_email` argument would let
//! anyone who reaches it act for anyone, so HTTP starts only when the caller is
//! verified (gateway tokens) or the server is one person's, on loopback.

use crate::user::{USER_EMAIL_VAR, UserPolicy};
use mcp_auth_client::resource::{ResourceGuard, TokenExchange};
use secrecy::SecretString;
use std::net::SocketAddr;

/// The variable (and `--auth` flag) choosing the mode.
pub const AUTH_VAR: &str = "MCP_AUTH";
/// The server's canonical URL as registered at the gateway (the tokens' `aud`).
pub const RESOURCE_URL_VAR: &str = "MCP_RESOURCE_URL";

/// How the server knows who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMode {
    /// Every HTTP request carries the gateway's access token for this server; the
    /// token's user is the user of every tool call.
    Gateway,
    /// One person's server (`MCP_USER_EMAIL`); over HTTP only on a loopback address.
    SingleUser,
    /// The `user_email` argument is trusted as is: anyone reaching the server can act
    /// for anyone. Only for a network where every caller is trusted.
    AssertedUnsafe,
}

/// What the chosen mode gives the server: the user policy, and in gateway mode the
/// guard for `/mcp` and the token exchange for Google tokens.
#[derive(Debug, Clone)]
pub struct Access {
    /// Whose account each call uses.
    pub users: UserPolicy,
    /// The guard in front of `/mcp` (gateway mode).
    pub guard: Option<ResourceGuard>,
    /// The exchange of the user's gateway token for their Google token (gateway mode).
    pub exchange: Option<TokenExchange>,
}

/// The configuration does not say how callers are known.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct AccessError(String);

const HOW_TO_FIX: &str = "Set MCP_AUTH=gateway (or --auth gateway) with MCP_RESOURCE_URL (this \
    server's URL as registered with `auth-gateway resources add`) and AUTH_GATEWAY_PUBLIC_URL \
    (or AUTH_GATEWAY_URL) to verify every caller's gateway token; or MCP_AUTH=single-user with \
    MCP_USER_EMAIL and a loopback --bind/MCP_BIND (127.0.0.1:PORT); or, only where every \
    caller is trusted, MCP_AUTH=asserted-unsafe (the user_email argument is believed).";

impl Access {
    /// The access of a server started with `mode` (unset: single-user when
    /// `MCP_USER_EMAIL` is set, else asserted on stdio and refused over HTTP), serving
    /// HTTP on `bind` when `http`, reading other settings through `var`.
    pub fn resolve(
        mode: Option<AuthMode>,
        http: bool,
        bind: SocketAddr,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, AccessError> {
        let read = |name: &str| {
            var(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        let user = read(USER_EMAIL_VAR);
        let mode = match (mode, &user) {
            (Some(mode), _) => mode,
            (None, Some(_)) => AuthMode::SingleUser,
            // stdio: the process belongs to whoever started it, as before.
            (None, None) if !http => AuthMode::AssertedUnsafe,
            (None, None) => {
                return Err(AccessError(format!(
                    "refusing to serve HTTP without knowing who calls (anyone reaching it \
                     could name any user). {HOW_TO_FIX}"
                )));
            }
        };
        match mode {
            AuthMode::SingleUser => {
                let Some(user) = user else {
                    return Err(AccessError(format!(
                        "MCP_AUTH=single-user needs MCP_USER_EMAIL. {HOW_TO_FIX}"
                    )));
                };
                if http && !bind.ip().is_loopback() {
                    return Err(AccessError(format!(
                        "refusing to serve one person's Google account on {bind}, which is not \
                         a loopback address (others could reach it). {HOW_TO_FIX}"
                    )));
                }
                Ok(Self::plain(UserPolicy::single_user(user)))
            }
            AuthMode::AssertedUnsafe => {
                if http {
                    tracing::warn!(
                        "MCP_AUTH=asserted-unsafe: the user_email argument is trusted, so \
                         ANYONE WHO CAN REACH THIS SERVER CAN USE ANY USER'S GOOGLE ACCOUNT; \
                         use MCP_AUTH=gateway on a shared network"
                    );
                }
                Ok(Self::plain(UserPolicy::from_value(user.as_deref())))
            }
            AuthMode::Gateway => Self::gateway(http, &read),
        }
    }

    fn plain(users: UserPolicy) -> Self {
        Self {
            users,
            guard: None,
            exchange: None,
        }
    }

    fn gateway(http: bool, read: &impl Fn(&str) -> Option<String>) -> Result<Self, AccessError> {
        if !http {
            return Err(AccessError(
                "MCP_AUTH=gateway needs --transport http (stdio carries no access token)"
                    .to_owned(),
            ));
        }
        let missing =
            |name: &str| AccessError(format!("MCP_AUTH=gateway needs {name}. {HOW_TO_FIX}"));
        let resource = read(RESOURCE_URL_VAR).ok_or_else(|| missing(RESOURCE_URL_VAR))?;
        // The tokens' `iss` is the gateway's public URL, which differs from the URL
        // this server reaches it at when both sit behind a proxy.
        let issuer = read("AUTH_GATEWAY_PUBLIC_URL")
            .or_else(|| read("AUTH_GATEWAY_URL"))
            .ok_or_else(|| missing("AUTH_GATEWAY_PUBLIC_URL or AUTH_GATEWAY_URL"))?;
        let gateway = read("AUTH_GATEWAY_URL").unwrap_or_else(|| issuer.clone());
        let api_key =
            read("AUTH_GATEWAY_API_KEY").ok_or_else(|| missing("AUTH_GATEWAY_API_KEY"))?;
        let invalid = |error: mcp_auth_client::ConfigError| AccessError(error.to_string());
        // Keys come from where this server reaches the gateway; plain http there only
        // when the gateway client allows it too (a private network).
        let insecure = read("AUTH_GATEWAY_ALLOW_INSECURE_HTTP")
            .is_some_and(|value| value.eq_ignore_ascii_case("true"));
        let guard = ResourceGuard::builder(issuer, resource)
            .jwks_uri(format!("{}/oauth/jwks", gateway.trim_end_matches('/')))
            .allow_insecure_jwks_http(insecure)
            .build()
            .map_err(invalid)?;
        let exchange =
            TokenExchange::new(&gateway, SecretString::from(api_key)).map_err(invalid)?;
        tracing::info!(
            resource = guard.resource(),
            issuer = guard.issuer(),
            "callers are verified by the gateway's access tokens"
        );
        Ok(Self {
            users: UserPolicy::verified(),
            guard: Some(guard),
            exchange: Some(exchange),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    fn any() -> SocketAddr {
        SocketAddr::from(([0, 0, 0, 0], 8001))
    }

    fn loopback() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 8001))
    }

    #[test]
    fn http_without_a_way_to_know_the_caller_is_refused_with_the_fix() {
        let error = Access::resolve(None, true, loopback(), vars(&[])).unwrap_err();
        let text = error.to_string();
        for name in [
            "MCP_AUTH=gateway",
            "MCP_RESOURCE_URL",
            "MCP_USER_EMAIL",
            "asserted-unsafe",
        ] {
            assert!(text.contains(name), "{text}");
        }
        let user = &[("MCP_USER_EMAIL", "ana@example.com")];
        assert!(Access::resolve(None, true, any(), vars(user)).is_err());
        assert!(Access::resolve(Some(AuthMode::SingleUser), true, any(), vars(user)).is_err());
        assert!(Access::resolve(None, true, loopback(), vars(user)).is_ok());
    }

    #[test]
    fn stdio_works_as_before() {
        let shared = Access::resolve(None, false, any(), vars(&[])).unwrap();
        assert_eq!(shared.users, UserPolicy::shared());
        assert!(Access::resolve(Some(AuthMode::Gateway), false, any(), vars(&[])).is_err());
    }

    #[test]
    fn gateway_mode_needs_the_resource_url_and_builds_the_guard() {
        let error = Access::resolve(
            Some(AuthMode::Gateway),
            true,
            any(),
            vars(&[
                ("AUTH_GATEWAY_URL", "http://127.0.0.1:8000"),
                ("AUTH_GATEWAY_API_KEY", "k"),
            ]),
        )
        .unwrap_err();
        assert!(error.to_string().contains("MCP_RESOURCE_URL"), "{error}");
        let access = Access::resolve(
            Some(AuthMode::Gateway),
            true,
            any(),
            vars(&[
                ("AUTH_GATEWAY_URL", "http://127.0.0.1:8000"),
                ("AUTH_GATEWAY_API_KEY", "k"),
                ("MCP_RESOURCE_URL", "http://127.0.0.1:8001/mcp"),
            ]),
        )
        .unwrap();
        assert!(access.users.is_verified());
        assert_eq!(
            access.guard.unwrap().resource(),
            "http://127.0.0.1:8001/mcp"
        );
    }
}
