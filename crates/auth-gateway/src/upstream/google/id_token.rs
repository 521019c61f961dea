//! The checks on the `id_token` Google's token endpoint returns (OpenID Connect Core
//! §3.1.3.7). The token came straight from the token endpoint over TLS, so the signature
//! check may be skipped, but issuer, audience, authorized party and expiry may not.

use super::{ALLOWED_SKEW_SECS, Flag, GOOGLE_ISSUER};
use crate::upstream::{Identity, UpstreamError};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// Who the `id_token` says signed in, once it passed the checks for `client_id`.
pub(super) fn check_id_token(
    id_token: &str,
    client_id: &str,
    now: DateTime<Utc>,
) -> Result<Identity, UpstreamError> {
    let payload = id_token
        .split('.')
        .nth(1)
        .ok_or(UpstreamError::Identity("id_token is not a JWT"))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| UpstreamError::Identity("id_token payload is not base64url"))?;
    let claims: IdTokenClaims = serde_json::from_slice(&bytes)
        .map_err(|_| UpstreamError::Identity("id_token claims are malformed"))?;
    if claims.iss != GOOGLE_ISSUER && claims.iss != "accounts.google.com" {
        return Err(UpstreamError::Identity("id_token issuer is not Google"));
    }
    if !claims.aud.contains(client_id) {
        return Err(UpstreamError::Identity(
            "id_token audience is not this client",
        ));
    }
    // Points 4 and 5: a token for several audiences must say which one it was issued
    // to, and an `azp` that is present must be us (else it was issued to another party).
    if matches!(claims.aud, Audience::Many(_)) && claims.azp.is_none() {
        return Err(UpstreamError::Identity(
            "id_token has several audiences and no azp",
        ));
    }
    if claims.azp.as_deref().is_some_and(|azp| azp != client_id) {
        return Err(UpstreamError::Identity(
            "id_token was issued to another party (azp)",
        ));
    }
    // Saturating: an `exp` near i64::MAX must not overflow (a far-future expiry only
    // means "not expired"; the token is checked once, right now).
    if claims.exp.saturating_add(ALLOWED_SKEW_SECS) < now.timestamp() {
        return Err(UpstreamError::Identity("id_token has expired"));
    }
    Ok(Identity {
        subject: claims.sub,
        email: claims
            .email
            .ok_or(UpstreamError::Identity("id_token carries no email"))?,
        email_verified: claims.email_verified.is_some_and(|v| v.is_true()),
        hosted_domain: claims.hd,
    })
}

/// `aud` is a string or an array of strings (OpenID Connect Core §2).
#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, client_id: &str) -> bool {
        match self {
            Self::One(aud) => aud == client_id,
            Self::Many(auds) => auds.iter().any(|aud| aud == client_id),
        }
    }
}

#[derive(Deserialize)]
struct IdTokenClaims {
    iss: String,
    aud: Audience,
    azp: Option<String>,
    exp: i64,
    sub: String,
    email: Option<String>,
    email_verified: Option<Flag>,
    hd: Option<String>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::check_id_token;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use chrono::{DateTime, Utc};
    use serde_json::{Value, json};

    const CLIENT: &str = "ours.apps.googleusercontent.com";

    /// A fixed "now" (2026-01-01T00:00:00Z): unit tests take no time from the system.
    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600, 0).unwrap()
    }

    fn token(claims: &Value) -> String {
        format!(
            "e30.{}.c2ln",
            URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes())
        )
    }

    fn claims(aud: &Value, azp: Option<&str>) -> Value {
        let mut claims = json!({
            "iss": "https://accounts.google.com",
            "aud": aud,
            "exp": now().timestamp() + 600,
            "sub": "1234",
            "email": "alice@example.com",
            "email_verified": true,
        });
        if let Some(azp) = azp {
            claims["azp"] = json!(azp);
        }
        claims
    }

    fn check(claims: &Value) -> Result<String, String> {
        check_id_token(&token(claims), CLIENT, now())
            .map(|identity| identity.subject)
            .map_err(|error| error.to_string())
    }

    #[test]
    fn a_single_audience_without_azp_is_accepted() {
        assert_eq!(check(&claims(&json!(CLIENT), None)).unwrap(), "1234");
    }

    #[test]
    fn several_audiences_need_an_azp() {
        let error = check(&claims(&json!([CLIENT, "other"]), None)).unwrap_err();
        assert!(error.contains("azp"), "{error}");
    }

    #[test]
    fn several_audiences_with_our_azp_are_accepted() {
        assert!(check(&claims(&json!(["other", CLIENT]), Some(CLIENT))).is_ok());
    }

    #[test]
    fn several_audiences_with_another_azp_are_refused() {
        let error = check(&claims(&json!([CLIENT, "other"]), Some("other"))).unwrap_err();
        assert!(error.contains("azp"), "{error}");
    }

    #[test]
    fn an_azp_naming_another_party_is_refused_even_with_one_audience() {
        assert!(check(&claims(&json!(CLIENT), Some("other"))).is_err());
    }

    #[test]
    fn an_audience_list_without_us_is_refused() {
        let error = check(&claims(&json!(["other"]), Some(CLIENT))).unwrap_err();
        assert!(error.contains("audience"), "{error}");
    }
}
