//! The providers this gateway is configured with, by name; shared by the flows as one
//! `Arc<Providers>`.

use super::error::CoreError;
use crate::upstream::{Provider, known_provider};
use std::collections::HashMap;
use std::sync::Arc;

/// The configured providers.
pub struct Providers {
    by_name: HashMap<String, Arc<dyn Provider>>,
}

impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl Providers {
    pub fn new(providers: Vec<Arc<dyn Provider>>) -> Self {
        Self {
            by_name: providers
                .into_iter()
                .map(|provider| (provider.name().to_owned(), provider))
                .collect(),
        }
    }

    /// The provider named `name`; the error tells a provider this gateway does not know
    /// from one it knows but was not configured with.
    pub fn get(&self, name: &str) -> Result<&Arc<dyn Provider>, CoreError> {
        if let Some(provider) = self.by_name.get(name) {
            return Ok(provider);
        }
        let mut configured = self.names();
        configured.sort();
        let name: String = name.chars().take(64).collect();
        Err(if known_provider(&name).is_some() {
            CoreError::ProviderNotConfigured { name, configured }
        } else {
            CoreError::UnknownProvider { name, configured }
        })
    }

    fn names(&self) -> Vec<String> {
        self.by_name.keys().cloned().collect()
    }
}
