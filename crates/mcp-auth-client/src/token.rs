//! The access token handed to a tool, and the clock its expiry is compared with.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

/// A source of the current time (the cache compares it with `expires_at`).
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place in this crate that reads the real clock
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A currently valid provider access token. `Debug` never shows the token itself.
#[derive(Clone)]
pub struct Token {
    secret: SecretString,
    kind: String,
    expires_at: DateTime<Utc>,
    scopes: Vec<String>,
}

impl Token {
    /// Wraps a token answer of `POST /auth/token`.
    pub fn from_response(response: gateway_proto::TokenResponse) -> Self {
        Self {
            secret: SecretString::from(response.access_token),
            kind: response.token_type,
            expires_at: response.expires_at,
            scopes: response.scopes,
        }
    }

    /// The access token; expose it only where it is sent upstream.
    pub fn access_token(&self) -> &SecretString {
        &self.secret
    }

    /// The `Authorization` header value: `Bearer <token>`.
    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.secret.expose_secret())
    }

    /// The token type the provider gave (`Bearer`).
    pub fn token_type(&self) -> &str {
        &self.kind
    }

    /// When the provider stops accepting the token.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// The scopes granted to the token.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Whether `other` carries the same access token.
    pub fn same_secret(&self, other: &Token) -> bool {
        use secrecy::ExposeSecret as _;
        self.secret.expose_secret() == other.secret.expose_secret()
    }

    /// True when every scope in `required` was granted.
    pub fn has_scopes(&self, required: &[String]) -> bool {
        required.iter().all(|scope| self.scopes.contains(scope))
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &self.secret) // secrecy prints [REDACTED]
            .field("token_type", &self.kind)
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_access_token() {
        let token = Token::from_response(gateway_proto::TokenResponse {
            access_token: "ya29.secret-value".into(),
            token_type: "Bearer".into(),
            expires_at: SystemClock.now(),
            scopes: vec!["openid".into()],
        });
        let shown = format!("{token:?}");
        assert!(!shown.contains("ya29"), "{shown}");
        assert!(shown.contains("[REDACTED]"), "{shown}");
    }
}
