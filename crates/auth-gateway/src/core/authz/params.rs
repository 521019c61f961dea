//! The form parameters of a token or revocation request
//! (`application/x-www-form-urlencoded`, RFC 6749 §3.2). Parsed from the body here so a
//! repeated parameter is seen (a typed form would keep one of them silently).

use super::oauth_error::OAuthError;
use std::collections::HashMap;
use std::fmt;

/// The request's parameters. Values may be secrets (codes, tokens, client secrets), so
/// `Debug` shows the names only.
#[derive(Default)]
pub struct Params {
    values: HashMap<String, String>,
}

impl fmt::Debug for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.values.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_struct("Params").field("names", &names).finish()
    }
}

impl Params {
    /// Parses a form body. A parameter sent twice is `invalid_request` (RFC 6749 §3.2:
    /// "Request and response parameters MUST NOT be included more than once"); one sent
    /// without a value counts as omitted (§3.1).
    pub fn parse(body: &[u8]) -> Result<Self, OAuthError> {
        let mut values = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(body) {
            if value.is_empty() {
                continue;
            }
            if values
                .insert(name.to_string(), value.into_owned())
                .is_some()
            {
                return Err(OAuthError::invalid_request(format!(
                    "the parameter {} is repeated",
                    short(&name)
                )));
            }
        }
        Ok(Self { values })
    }

    /// Builds parameters from pairs (tests, and callers that already parsed them).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            values: pairs
                .into_iter()
                .filter(|(_, value)| !value.is_empty())
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// A parameter that must be present, else `invalid_request` naming it.
    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("the parameter {name} is missing")))
    }
}

/// A parameter name as echoed in a description: bounded, so a client cannot make the
/// answer (or a log line) arbitrarily long.
fn short(name: &str) -> String {
    name.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_parameter_is_refused_and_an_empty_one_is_omitted() {
        let error = Params::parse(b"grant_type=a&code=x&code=y").unwrap_err();
        assert_eq!(error.description, "the parameter code is repeated");
        let params = Params::parse(b"grant_type=refresh_token&scope=&x=a%20b+c").unwrap();
        assert_eq!(params.get("scope"), None);
        assert_eq!(params.get("x"), Some("a b c"));
        assert!(params.require("scope").is_err());
        assert!(!format!("{params:?}").contains("a b c"));
    }
}
