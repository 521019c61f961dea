//! The authorization server's lifetimes and switches, taken from the configuration once.

use chrono::Duration;

/// Lifetimes of what the authorization server issues, and whether anyone may register.
#[derive(Debug, Clone)]
pub struct AuthorizationSettings {
    /// JWT access tokens. Resources verify them offline, so a revoked grant's access
    /// tokens work until they expire: shorter is safer, longer suits clients that never
    /// refresh (docs/authorization-server.md).
    pub access_token_ttl: Duration,
    /// Refresh tokens (each use replaces the token; the grant lives on).
    pub refresh_token_ttl: Duration,
    /// Authorization codes: single use, at most 60 s (OAuth 2.1 §4.1.2 recommends ≤ 10 min).
    pub code_ttl: Duration,
    /// A refresh token used again this soon after its rotation, whose successor was never
    /// used, is taken for a lost response rather than a theft.
    pub refresh_reuse_grace: Duration,
    /// The trip to the login provider and back.
    pub login_ttl: Duration,
    /// A browser session ends after this long unused …
    pub browser_session_idle: Duration,
    /// … and after this long in any case.
    pub browser_session_absolute: Duration,
    /// `POST /oauth/register` (RFC 7591) is served.
    pub dynamic_registration: bool,
    /// A dynamic registration never used for this long is deleted.
    pub unused_registration_ttl: Duration,
    /// Hosts whose Client ID Metadata Documents the consent page vouches for: a client
    /// whose `client_id` URL is on one of them is shown as that host, not "unverified".
    pub known_client_hosts: Vec<String>,
    /// Metadata documents may be fetched from loopback hosts (development and tests).
    pub metadata_allow_loopback: bool,
    /// One more CA trusted when fetching metadata documents (development and tests).
    pub metadata_extra_ca_file: Option<std::path::PathBuf>,
}

/// `OAUTH_KNOWN_CLIENT_HOSTS`' default: the sites of the MCP clients that identify with
/// a metadata document (Claude, `ChatGPT`, VS Code).
pub const DEFAULT_KNOWN_CLIENT_HOSTS: &[&str] = &["claude.ai", "chatgpt.com", "vscode.dev"];

impl Default for AuthorizationSettings {
    fn default() -> Self {
        Self {
            access_token_ttl: Duration::hours(1),
            refresh_token_ttl: Duration::days(30),
            code_ttl: Duration::seconds(60),
            refresh_reuse_grace: Duration::seconds(30),
            login_ttl: Duration::minutes(15),
            browser_session_idle: Duration::days(7),
            browser_session_absolute: Duration::days(30),
            dynamic_registration: true,
            unused_registration_ttl: Duration::days(1),
            known_client_hosts: DEFAULT_KNOWN_CLIENT_HOSTS
                .iter()
                .map(|host| (*host).to_owned())
                .collect(),
            metadata_allow_loopback: false,
            metadata_extra_ca_file: None,
        }
    }
}
