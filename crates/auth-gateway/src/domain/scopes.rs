//! OAuth scopes: parsed from requests and token responses into a set, so "missing
//! scopes" is a set difference and the order a caller used never matters.

use std::collections::BTreeSet;

/// Most scopes one request may name (docs/threat-model.md F2).
pub const MAX_REQUESTED_SCOPES: usize = 20;
const MAX_SCOPE_LEN: usize = 256;

/// A set of scope strings, each non-empty printable ASCII without whitespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeSet(BTreeSet<String>);

/// Why requested scopes were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidScope {
    #[error("at most {MAX_REQUESTED_SCOPES} scopes may be requested")]
    TooMany,
    #[error("a scope must be 1 to 256 printable characters without spaces")]
    Malformed,
    #[error("scope {0:?} is not offered by this provider")]
    NotAllowed(String),
}

impl ScopeSet {
    /// Parses the scopes a caller asked for. Duplicates collapse; whitespace inside an
    /// item is refused rather than split (`"openid email"` is a mistake, not two scopes).
    pub fn from_request(items: &[String]) -> Result<Self, InvalidScope> {
        if items.len() > MAX_REQUESTED_SCOPES {
            return Err(InvalidScope::TooMany);
        }
        let mut set = BTreeSet::new();
        for item in items {
            if item.is_empty()
                || item.len() > MAX_SCOPE_LEN
                || !item.bytes().all(|b| b.is_ascii_graphic())
            {
                return Err(InvalidScope::Malformed);
            }
            set.insert(item.clone());
        }
        Ok(Self(set))
    }

    /// Parses the space-separated `scope` of a token response (RFC 6749 §3.3).
    pub fn from_space_separated(text: &str) -> Self {
        Self(text.split_ascii_whitespace().map(str::to_owned).collect())
    }

    /// Builds a set from trusted strings (configuration, the database).
    pub fn from_trusted<I, S>(items: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self(items.into_iter().map(Into::into).collect())
    }

    /// Scopes in `self` that `granted` lacks, in sorted order.
    pub fn missing_from(&self, granted: &ScopeSet) -> Vec<String> {
        self.0.difference(&granted.0).cloned().collect()
    }

    /// The union of both sets.
    #[must_use]
    pub fn union(&self, other: &ScopeSet) -> ScopeSet {
        Self(self.0.union(&other.0).cloned().collect())
    }

    /// Space-separated, for the `scope` URL parameter.
    pub fn to_space_separated(&self) -> String {
        self.0
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn to_vec(&self) -> Vec<String> {
        self.0.iter().cloned().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }
}

#[cfg(test)]
mod tests {
    use super::{InvalidScope, ScopeSet};

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn missing_scopes_are_the_difference() {
        let required = ScopeSet::from_request(&strings(&["a", "b", "c"])).unwrap();
        let granted = ScopeSet::from_space_separated("b  a");
        assert_eq!(required.missing_from(&granted), vec!["c".to_owned()]);
    }

    #[test]
    fn whitespace_inside_an_item_and_overlong_lists_are_refused() {
        assert_eq!(
            ScopeSet::from_request(&strings(&["openid email"])),
            Err(InvalidScope::Malformed)
        );
        assert_eq!(
            ScopeSet::from_request(&vec!["x".to_owned(); 1000]),
            Err(InvalidScope::TooMany)
        );
        assert_eq!(
            ScopeSet::from_request(&strings(&[""])),
            Err(InvalidScope::Malformed)
        );
    }

    #[test]
    fn duplicates_collapse() {
        let set = ScopeSet::from_request(&strings(&["a", "a"])).unwrap();
        assert_eq!(set.to_vec(), vec!["a".to_owned()]);
    }
}
