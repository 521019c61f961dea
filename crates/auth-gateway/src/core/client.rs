//! Who is calling: an authenticated API client (an MCP server) and what it may reach.
//! Keys and their checks are in [`super::admin::clients`]; the flows only ask a `Client`
//! whether it may use a provider or scope.

use super::error::CoreError;
use crate::domain::ScopeSet;

/// The shared API key from `AUTH_GATEWAY_API_KEY` authenticates as this client.
pub const DEFAULT_CLIENT: &str = "default";

/// An authenticated API caller (an MCP server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub name: String,
    /// The providers and scopes the client may reach.
    pub access: Access,
    /// The client obtains users' tokens only by token exchange (RFC 8693) with a user's
    /// gateway access token, never by asserting an email. Never set for `default`.
    pub verified_users_only: bool,
}

/// What a client may reach. `None` means anything the gateway offers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Access {
    pub providers: Option<Vec<String>>,
    /// Scopes beyond the provider's defaults, or with `defaults_excluded` all of them.
    pub scopes: Option<Vec<String>>,
    /// The operator took the provider's defaults away from this client.
    pub defaults_excluded: bool,
}

impl Client {
    /// A client allowed every provider and scope (the shared `AUTH_GATEWAY_API_KEY`).
    pub fn unrestricted(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            access: Access::default(),
            verified_users_only: false,
        }
    }

    /// Fails with `VerifiedUsersOnly` for a client restricted to verified users: the
    /// flows that take an asserted `user_email` call this first.
    pub fn check_may_assert_users(&self) -> Result<(), CoreError> {
        if self.verified_users_only {
            return Err(CoreError::VerifiedUsersOnly);
        }
        Ok(())
    }

    /// Fails with `ForbiddenProvider` unless the client may use `provider`.
    pub fn check_provider(&self, provider: &str) -> Result<(), CoreError> {
        match &self.access.providers {
            Some(allowed) if !allowed.iter().any(|name| name == provider) => Err(
                CoreError::ForbiddenProvider(provider.chars().take(64).collect()),
            ),
            _ => Ok(()),
        }
    }

    /// Whether the client may hold every one of `scopes` (a grant's): true for a client
    /// without a scope allow-list. Allocates nothing, so the token path stays as cheap
    /// for a client whose allow-list covers the grant.
    pub fn may_hold_all(&self, scopes: &[String], defaults: &ScopeSet) -> bool {
        scopes.iter().all(|scope| self.may_hold(scope, defaults))
    }

    /// Whether the client may hold `scope`: on its allow-list or one of the provider's
    /// defaults (a client without an allow-list may hold anything).
    pub fn may_hold(&self, scope: &str, defaults: &ScopeSet) -> bool {
        self.access.scopes.as_ref().is_none_or(|allowed| {
            (!self.access.defaults_excluded && defaults.contains(scope))
                || allowed.iter().any(|a| a == scope)
        })
    }

    /// Fails with `ForbiddenScope` for the first requested scope the client may not hold.
    pub fn check_scopes(&self, requested: &ScopeSet, defaults: &ScopeSet) -> Result<(), CoreError> {
        match requested
            .iter()
            .find(|scope| !self.may_hold(scope, defaults))
        {
            Some(refused) => Err(CoreError::ForbiddenScope(
                refused.chars().take(256).collect(),
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(scopes: Option<&[&str]>, defaults_excluded: bool) -> Client {
        Client {
            name: "ads".into(),
            access: Access {
                providers: None,
                scopes: scopes.map(|s| s.iter().map(ToString::to_string).collect()),
                defaults_excluded,
            },
            verified_users_only: false,
        }
    }

    #[test]
    fn a_client_holds_its_list_and_the_defaults_unless_they_were_taken_away() {
        let defaults = ScopeSet::from_space_separated("openid email");
        let grant = ["openid".to_owned(), "ads".to_owned(), "drive".to_owned()];
        assert!(client(None, false).may_hold_all(&grant, &defaults));
        let ads = client(Some(&["ads"]), false);
        assert!(ads.may_hold("openid", &defaults) && ads.may_hold("ads", &defaults));
        assert!(!ads.may_hold_all(&grant, &defaults));
        assert!(ads.may_hold_all(&grant[..2], &defaults));
        let ads_only = client(Some(&["ads"]), true);
        assert!(!ads_only.may_hold("openid", &defaults));
        assert!(ads_only.may_hold("ads", &defaults));
        let requested = ScopeSet::from_space_separated("email");
        assert!(ads.check_scopes(&requested, &defaults).is_ok());
        assert!(matches!(
            ads_only.check_scopes(&requested, &defaults),
            Err(CoreError::ForbiddenScope(scope)) if scope == "email"
        ));
    }
}
