//! The `id_token` Google returns from its token endpoint: a JWT with Google's
//! header and claims, carrying a placeholder signature (see [`id_token`]).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::state::Account;

/// Key id advertised in the JWT header.
pub const KEY_ID: &str = "emulator-1";

/// Lifetime of an `id_token`, as Google's (one hour).
const ID_TOKEN_LIFETIME_SECS: u64 = 3600;

/// Everything an `id_token` says beyond the account itself.
pub(crate) struct IdTokenInput<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub access_token: &'a str,
    pub nonce: Option<&'a str>,
    pub include_profile: bool,
    pub issued_at: u64,
}

/// Builds `base64url(header).base64url(payload).base64url(signature)`.
///
/// The signature is NOT an RS256 signature: it is SHA-256 of the signing input
/// repeated to 256 bytes (the length of an RSA-2048 signature). That is enough
/// because the gateway receives the token straight from the token endpoint over
/// TLS and, per `OpenID` Connect Core §3.1.3.7, may skip signature validation.
pub(crate) fn id_token(account: &Account, input: &IdTokenInput<'_>) -> String {
    let header = json!({"alg": "RS256", "kid": KEY_ID, "typ": "JWT"});
    let mut claims = Map::new();
    claims.insert("iss".into(), input.issuer.into());
    claims.insert("azp".into(), input.client_id.into());
    claims.insert("aud".into(), input.client_id.into());
    claims.insert("sub".into(), account.sub.clone().into());
    claims.insert("email".into(), account.email.clone().into());
    claims.insert("email_verified".into(), account.email_verified.into());
    claims.insert("at_hash".into(), at_hash(input.access_token).into());
    if let Some(nonce) = input.nonce {
        claims.insert("nonce".into(), nonce.into());
    }
    if let Some(hd) = &account.hd {
        claims.insert("hd".into(), hd.clone().into());
    }
    if input.include_profile {
        claims.insert("name".into(), account.name.clone().into());
        claims.insert("picture".into(), account.picture.clone().into());
        claims.insert("given_name".into(), account.given_name.clone().into());
        claims.insert("family_name".into(), account.family_name.clone().into());
    }
    claims.insert("iat".into(), input.issued_at.into());
    claims.insert(
        "exp".into(),
        (input.issued_at + ID_TOKEN_LIFETIME_SECS).into(),
    );

    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(Value::Object(claims).to_string())
    );
    let digest = Sha256::digest(signing_input.as_bytes());
    let signature: Vec<u8> = digest.iter().copied().cycle().take(256).collect();
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// OIDC `at_hash`: base64url of the left half of SHA-256 of the access token.
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}
