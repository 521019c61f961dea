//! The targets a token exchange (RFC 8693 §2.1) may name: `resource`, the base URL of an
//! upstream API, or `audience`, a provider's name. A small table per provider, so an
//! exchange says which API it wants the token for and a typo fails loudly
//! (`invalid_target`) instead of fetching a token the API will refuse.

use super::oauth_error::{OAuthError, OAuthErrorCode};
use super::params::Params;

/// Each provider's API origins (scheme and host; any path under them is the same API
/// for token purposes, since one upstream access token serves them all).
const TARGETS: &[(&str, &[&str])] = &[(
    "google",
    &[
        "https://googleads.googleapis.com",
        "https://analyticsdata.googleapis.com",
        "https://analyticsadmin.googleapis.com",
        "https://www.googleapis.com",
    ],
)];

/// The provider an exchange targets: from `resource` (an API URL in the table) and/or
/// `audience` (a provider name in the table); both, if sent, must agree. `None` when
/// neither was sent: the caller then uses the resource's own provider.
pub fn target_provider(params: &Params) -> Result<Option<&'static str>, OAuthError> {
    let by_resource = params
        .get("resource")
        .map(|resource| {
            provider_of_api(resource).ok_or_else(|| {
                invalid_target(format!(
                    "resource must be an upstream API base URL the gateway knows: {}",
                    known_apis()
                ))
            })
        })
        .transpose()?;
    let by_audience = params
        .get("audience")
        .map(|audience| {
            TARGETS
                .iter()
                .find(|(provider, _)| *provider == audience)
                .map(|(provider, _)| *provider)
                .ok_or_else(|| invalid_target("audience must be a provider's name, e.g. google"))
        })
        .transpose()?;
    match (by_resource, by_audience) {
        (Some(a), Some(b)) if a != b => Err(invalid_target(
            "resource and audience name different providers",
        )),
        (a, b) => Ok(a.or(b)),
    }
}

/// The provider whose API `url` is on: https, a host in the table, no user info.
fn provider_of_api(url: &str) -> Option<&'static str> {
    let url = url::Url::parse(url).ok()?;
    if url.scheme() != "https" || !url.username().is_empty() || url.port().is_some() {
        return None;
    }
    let origin = format!("https://{}", url.host_str()?);
    TARGETS
        .iter()
        .find(|(_, apis)| apis.contains(&origin.as_str()))
        .map(|(provider, _)| *provider)
}

fn known_apis() -> String {
    TARGETS
        .iter()
        .flat_map(|(_, apis)| apis.iter().copied())
        .collect::<Vec<_>>()
        .join(", ")
}

fn invalid_target(description: impl Into<String>) -> OAuthError {
    OAuthError::new(OAuthErrorCode::InvalidTarget, description)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(pairs: &[(&str, &str)]) -> Result<Option<&'static str>, OAuthError> {
        target_provider(&Params::from_pairs(pairs.iter().copied()))
    }

    #[test]
    fn apis_and_audiences_name_their_provider_and_others_are_invalid_targets() {
        assert_eq!(target(&[]).unwrap(), None);
        let ads = "https://googleads.googleapis.com";
        assert_eq!(target(&[("resource", ads)]).unwrap(), Some("google"));
        let path = "https://GoogleAds.googleapis.com/v17/customers";
        assert_eq!(target(&[("resource", path)]).unwrap(), Some("google"));
        assert_eq!(target(&[("audience", "google")]).unwrap(), Some("google"));
        for bad in [
            "http://googleads.googleapis.com",
            "https://evil.example.com",
            "https://googleads.googleapis.com:8443",
            "https://user@www.googleapis.com",
            "not a url",
        ] {
            let error = target(&[("resource", bad)]).unwrap_err();
            assert_eq!(error.code, OAuthErrorCode::InvalidTarget, "{bad}");
        }
        assert!(target(&[("audience", "github")]).is_err());
    }
}
