//! The gateway's own browser session: who is signed in at the gateway, so that one
//! sign-in serves every MCP client and resource. The cookie holds a random token; the
//! store keeps only its SHA-256, with an idle and an absolute expiry. The consent form's
//! CSRF token is derived from the cookie, so a page elsewhere cannot forge an "Allow".

use crate::core::random;
use crate::store::{BrowserSessionRecord, LoginStore, StoreResult};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use uuid::Uuid;

/// The browser session cookie's name (`__Host-` prefixed on the wire behind https).
pub const SESSION_COOKIE: &str = "gw_session";

/// A cookie to set: name (without any `__Host-` prefix), value and lifetime.
pub struct SetCookie {
    pub name: String,
    pub value: SecretString,
    pub max_age_secs: i64,
}

impl std::fmt::Debug for SetCookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetCookie")
            .field("name", &self.name)
            .field("max_age_secs", &self.max_age_secs)
            .finish_non_exhaustive()
    }
}

/// The cookie that binds a login to the browser that started it (no login CSRF: a
/// callback carried to another browser does not sign that browser in).
pub fn login_cookie_name(login_id: Uuid) -> String {
    format!("gw_login_{}", login_id.simple())
}

/// The consent form's CSRF token for a session cookie value.
pub fn csrf_token(session_cookie: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(b"auth-gateway consent csrf\0");
    hash.update(session_cookie.as_bytes());
    URL_SAFE_NO_PAD.encode(hash.finalize())
}

/// Whether `sent` is the CSRF token of this session cookie (constant time).
pub fn csrf_matches(session_cookie: &str, sent: &str) -> bool {
    bool::from(csrf_token(session_cookie).as_bytes().ct_eq(sent.as_bytes()))
}

/// The browser's live session, its idle expiry moved forward (never past the absolute
/// one). `None` without a cookie, or when the session ended.
pub async fn signed_in(
    logins: &dyn LoginStore,
    now: DateTime<Utc>,
    idle: Duration,
    cookie: Option<&str>,
) -> StoreResult<Option<BrowserSessionRecord>> {
    let Some(hash) = cookie.and_then(session_hash) else {
        return Ok(None);
    };
    let Some(session) = logins.browser_session(&hash, now).await? else {
        return Ok(None);
    };
    logins
        .touch_browser_session(&hash, (now + idle).min(session.absolute_expires_at))
        .await?;
    Ok(Some(session))
}

/// The stored key of a session cookie value, if it looks like one of ours.
pub fn session_hash(cookie: &str) -> Option<Vec<u8>> {
    random::looks_like_token(cookie).then(|| random::digest(cookie))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csrf_token_is_bound_to_the_session_cookie() {
        let token = csrf_token("cookie-a");
        assert!(csrf_matches("cookie-a", &token));
        assert!(!csrf_matches("cookie-b", &token));
        assert!(!csrf_matches("cookie-a", ""));
    }
}
