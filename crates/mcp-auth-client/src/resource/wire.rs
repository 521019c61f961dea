//! The wire format of the gateway's token exchange answers (RFC 8693 §2.2) and how
//! its errors (RFC 6749 §5.2, plus the gateway's connect link) map to [`AuthError`].

use crate::error::AuthError;
use serde::Deserialize;
use std::time::Duration;

/// The token endpoint's answers we read (RFC 8693 §2.2.1, §2.2.2 and the gateway's
/// extension for a user who has not connected the provider).
#[derive(Deserialize)]
pub(super) struct Issued {
    pub(super) access_token: String,
    #[serde(default = "bearer")]
    pub(super) token_type: String,
    pub(super) expires_in: i64,
    #[serde(default)]
    pub(super) scope: Option<String>,
}

fn bearer() -> String {
    "Bearer".to_owned()
}

#[derive(Deserialize)]
pub(super) struct Refused {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    authorization_uri: Option<String>,
    #[serde(default)]
    missing_scopes: Vec<String>,
    #[serde(default)]
    session_id: Option<String>,
}

/// Maps the token endpoint's errors (RFC 6749 §5.2) to the client's typed outcomes.
pub(super) fn classify(status: u16, refused: Refused, retry_after: Option<Duration>) -> AuthError {
    match (refused.error.as_str(), refused.authorization_uri) {
        // The gateway's connect link: the user has not connected the provider, or the
        // grant lacks scopes (as `/auth/token` answers today); the sign-in replies show it.
        ("invalid_grant", Some(auth_url)) if !refused.missing_scopes.is_empty() => {
            AuthError::InsufficientScope {
                missing: refused.missing_scopes,
                auth_url,
                session_id: refused.session_id.unwrap_or_default(),
            }
        }
        ("invalid_grant", Some(auth_url)) => AuthError::SignInRequired {
            auth_url,
            session_id: refused.session_id.unwrap_or_default(),
        },
        ("invalid_client", _) => AuthError::InvalidApiKey,
        ("temporarily_unavailable", _) => AuthError::ProviderUnavailable { retry_after },
        (code, _) => AuthError::Gateway {
            status,
            code: code.to_owned(),
            message: refused.error_description.unwrap_or_default(),
            retry_after,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(json: serde_json::Value) -> Refused {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_connect_link_is_a_sign_in_and_other_errors_keep_their_code() {
        let error = classify(
            400,
            refused(serde_json::json!({
                "error": "invalid_grant",
                "error_description": "the user has not connected the provider",
                "authorization_uri": "https://gw.example.com/connect/abc",
            })),
            None,
        );
        assert!(
            matches!(error, AuthError::SignInRequired { .. }),
            "{error:?}"
        );
        assert_eq!(error.auth_url(), Some("https://gw.example.com/connect/abc"));
        let more = classify(
            400,
            refused(serde_json::json!({
                "error": "invalid_grant",
                "authorization_uri": "https://gw.example.com/connect/def",
                "missing_scopes": ["https://www.googleapis.com/auth/adwords"],
            })),
            None,
        );
        assert!(
            matches!(more, AuthError::InsufficientScope { ref missing, .. } if missing.len() == 1)
        );
        let revoked = classify(
            400,
            refused(serde_json::json!({"error": "invalid_grant"})),
            None,
        );
        assert!(matches!(revoked, AuthError::Gateway { ref code, .. } if code == "invalid_grant"));
        let key = classify(
            401,
            refused(serde_json::json!({"error": "invalid_client"})),
            None,
        );
        assert!(matches!(key, AuthError::InvalidApiKey));
    }
}
