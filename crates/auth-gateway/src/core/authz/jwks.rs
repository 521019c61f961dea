//! The published keys as a JSON Web Key Set (RFC 7517 §5; EC keys per RFC 7518 §6.2):
//! what a resource needs to verify the gateway's access tokens.

use crate::store::SigningKeyRecord;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Length of an uncompressed P-256 point: `04 ‖ x (32) ‖ y (32)`.
const P256_POINT_LEN: usize = 65;

/// One public key (RFC 7517 §4, RFC 7518 §6.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    pub crv: String,
    pub x: String,
    pub y: String,
    pub kid: String,
    #[serde(rename = "use")]
    pub use_: String,
    pub alg: String,
}

/// The key set served at `GET /oauth/jwks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// The base64url `x` and `y` of an uncompressed P-256 point; `None` for anything else.
pub fn p256_coordinates(point: &[u8]) -> Option<(String, String)> {
    if point.len() != P256_POINT_LEN || point[0] != 0x04 {
        return None;
    }
    Some((
        URL_SAFE_NO_PAD.encode(&point[1..33]),
        URL_SAFE_NO_PAD.encode(&point[33..]),
    ))
}

/// The RFC 7638 thumbprint of a P-256 public key, used as its `kid`: derived from the
/// key alone, so it names the same key wherever it is computed.
pub fn thumbprint(point: &[u8]) -> Option<String> {
    let (x, y) = p256_coordinates(point)?;
    // The required members in lexicographic order, no whitespace (RFC 7638 §3.2).
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    Some(URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())))
}

impl Jwk {
    /// The public JWK of a stored signing key; `None` if its public key is not a P-256
    /// point (a corrupt row is left out rather than published).
    pub fn from_record(record: &SigningKeyRecord) -> Option<Self> {
        let (x, y) = p256_coordinates(&record.public_key)?;
        Some(Self {
            kty: "EC".to_owned(),
            crv: "P-256".to_owned(),
            x,
            y,
            kid: record.kid.clone(),
            use_: "sig".to_owned(),
            alg: record.algorithm.clone(),
        })
    }
}
