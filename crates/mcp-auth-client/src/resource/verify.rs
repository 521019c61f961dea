//! Checking a gateway access token locally (RFC 9068 §4): ES256 signature by a
//! published key, `typ`, `iss`, `aud` (this resource exactly, RFC 8707 / MCP
//! authorization "Token Audience Binding"), `exp`/`nbf` with a small skew, and the
//! resource's scope.

use super::ResourceGuard;
use super::jwks::KeyError;
use super::user::VerifiedUser;
use jsonwebtoken::{Algorithm, Validation};
use secrecy::SecretString;
use serde::Deserialize;

/// Clock skew tolerated on `exp` and `nbf`, as the gateway does.
const LEEWAY_SECONDS: i64 = 60;
/// The `typ` of an access token (RFC 9068 §2.1), with its long form.
const TYP: &str = "at+jwt";
const TYP_LONG: &str = "application/at+jwt";

/// Why a bearer token was refused; the layer answers each as RFC 6750 §3.1 says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenRejection {
    /// Not a JWT access token (structure, `alg`, `typ` or `kid`).
    #[error("not an access token of the gateway")]
    Malformed,
    /// Signed by no key the gateway publishes.
    #[error("signed by an unknown key")]
    UnknownKey,
    /// Bad signature or claims we cannot read.
    #[error("invalid signature or claims")]
    Invalid,
    /// Issued by another authorization server.
    #[error("issued by another issuer")]
    WrongIssuer,
    /// Issued for another resource.
    #[error("issued for another resource")]
    WrongAudience,
    /// Past `exp`.
    #[error("expired")]
    Expired,
    /// Before `nbf`.
    #[error("not valid yet")]
    NotYetValid,
    /// Valid, but without this resource's scope (403 `insufficient_scope`).
    #[error("the token lacks this resource's scope")]
    InsufficientScope,
    /// The gateway's keys could not be fetched, so nothing can be checked (503).
    #[error("the gateway's keys are unavailable")]
    KeysUnavailable,
}

/// The claims we read (the gateway's `AccessTokenClaims`); `aud` may be a string or an
/// array (RFC 7519 §4.1.3).
#[derive(Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: Audience,
    exp: i64,
    nbf: Option<i64>,
    client_id: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    email: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn is_exactly(&self, resource: &str) -> bool {
        match self {
            Self::One(aud) => aud == resource,
            Self::Many(auds) => auds.iter().any(|aud| aud == resource),
        }
    }
}

pub(super) async fn verify(
    guard: &ResourceGuard,
    token: &str,
) -> Result<VerifiedUser, TokenRejection> {
    let inner = &guard.inner;
    let header = jsonwebtoken::decode_header(token).map_err(|_| TokenRejection::Malformed)?;
    let typ_ok = header
        .typ
        .as_deref()
        .is_some_and(|typ| typ.eq_ignore_ascii_case(TYP) || typ.eq_ignore_ascii_case(TYP_LONG));
    // ES256 only: the algorithm is ours to choose, never the token's (RFC 8725 §3.1).
    if header.alg != Algorithm::ES256 || !typ_ok {
        return Err(TokenRejection::Malformed);
    }
    let kid = header.kid.ok_or(TokenRejection::Malformed)?;
    let now = inner.clock.now();
    let key = inner
        .jwks
        .key(&kid, now)
        .await
        .map_err(|error| match error {
            KeyError::Unknown => TokenRejection::UnknownKey,
            KeyError::Unavailable => TokenRejection::KeysUnavailable,
        })?;
    // Time, issuer and audience are checked below, exactly and against the injected
    // clock; the library would read the system clock.
    let mut validation = Validation::new(Algorithm::ES256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
        .map_err(|_| TokenRejection::Invalid)?
        .claims;
    if claims.iss != inner.issuer {
        return Err(TokenRejection::WrongIssuer);
    }
    if !claims.aud.is_exactly(&inner.resource) {
        return Err(TokenRejection::WrongAudience);
    }
    let now = now.timestamp();
    if claims.exp + LEEWAY_SECONDS <= now {
        return Err(TokenRejection::Expired);
    }
    if claims.nbf.is_some_and(|nbf| nbf - LEEWAY_SECONDS > now) {
        return Err(TokenRejection::NotYetValid);
    }
    let scopes: Vec<String> = claims.scope.split_whitespace().map(str::to_owned).collect();
    if !scopes.iter().any(|scope| scope == &inner.scope) {
        return Err(TokenRejection::InsufficientScope);
    }
    Ok(VerifiedUser {
        subject: claims.sub,
        email: claims.email,
        client_id: claims.client_id,
        scopes,
        token: SecretString::from(token.to_owned()),
    })
}
