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
}

/// What a client may reach. `None` means anything the gateway offers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Access {
    pub providers: Option<Vec<String>>,
    pub scopes: Option<Vec<String>>,
}

impl Client {
    /// A client allowed every provider and scope (the shared `AUTH_GATEWAY_API_KEY`).
    pub fn unrestricted(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            access: Access::default(),
        }
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

    /// Fails with `ForbiddenScope` for the first scope outside the client's allow-list
    /// that is not one of the provider's defaults (those every sign-in asks for).
    pub fn check_scopes(&self, requested: &ScopeSet, defaults: &ScopeSet) -> Result<(), CoreError> {
        let Some(allowed) = &self.access.scopes else {
            return Ok(());
        };
        match requested
            .iter()
            .find(|scope| !defaults.contains(scope) && !allowed.iter().any(|a| a == scope))
        {
            Some(refused) => Err(CoreError::ForbiddenScope(
                refused.chars().take(256).collect(),
            )),
            None => Ok(()),
        }
    }
}
