//! Access tokens minted narrower than their grant, for clients whose scope allow-list
//! does not cover it (docs/threat-model.md A3). Each is kept with the version of the
//! credential row it was minted from and served only while the row still has that
//! version, so any write to the grant (refresh, new sign-in, revocation, another
//! replica's) retires it without needing the change feed. The row's own token, which
//! unrestricted clients get, is never replaced by a narrowed one.

use crate::domain::ScopeSet;
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

/// Most entries kept; on overflow everything is dropped (as the token cache does).
const CAPACITY: usize = 10_000;

/// A token carrying only `scopes`, minted from the row at `source_version`.
#[derive(Clone)]
pub(in crate::core) struct NarrowedToken {
    pub source_version: i64,
    pub minted_at: DateTime<Utc>,
    pub access_token: SecretString,
    pub expires_at: DateTime<Utc>,
    pub scopes: Vec<String>,
}

#[derive(Default)]
pub(in crate::core) struct NarrowedTokens {
    entries: RwLock<HashMap<String, NarrowedToken>>,
}

/// One entry per grant and scope set: clients allowed the same scopes share a token.
pub(in crate::core) fn narrowed_key(provider: &str, user_email: &str, scopes: &ScopeSet) -> String {
    format!("{provider}\n{user_email}\n{}", scopes.to_space_separated())
}

impl NarrowedTokens {
    /// The token under `key` if it was minted from the row at `version` and is still
    /// valid after `valid_after`.
    pub fn get(
        &self,
        key: &str,
        version: i64,
        valid_after: DateTime<Utc>,
    ) -> Option<NarrowedToken> {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(key)
            .filter(|token| token.source_version == version && token.expires_at > valid_after)
            .cloned()
    }

    pub fn insert(&self, key: String, token: NarrowedToken) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key, token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_served_only_for_the_row_version_it_was_minted_from_and_while_valid() {
        let tokens = NarrowedTokens::default();
        let now = DateTime::UNIX_EPOCH;
        let key = narrowed_key("google", "a@x.io", &ScopeSet::from_space_separated("email"));
        tokens.insert(
            key.clone(),
            NarrowedToken {
                source_version: 3,
                minted_at: now,
                access_token: SecretString::from("t"),
                expires_at: now + chrono::Duration::hours(1),
                scopes: vec!["email".into()],
            },
        );
        assert!(tokens.get(&key, 3, now).is_some());
        assert!(tokens.get(&key, 4, now).is_none());
        assert!(
            tokens
                .get(&key, 3, now + chrono::Duration::hours(1))
                .is_none()
        );
    }
}
