//! The gateway as the OAuth 2.1 authorization server for MCP servers
//! (docs/authorization-server.md): the registered resources, and the keys that sign the
//! access tokens and are published as a JWKS. The endpoints that issue tokens build on
//! these.

pub mod access_tokens;
pub mod account;
pub mod api_client_auth;
pub mod authorize;
pub mod client_auth;
pub mod client_directory;
pub mod client_metadata;
pub mod introspection;
pub mod jwks;
pub mod metadata;
pub mod oauth_error;
pub mod params;
pub mod redirects;
pub mod registration;
pub mod resources;
pub mod revocation;
pub mod signing_keys;
pub mod token_endpoint;
pub mod token_exchange;
mod token_grants;
pub mod upstream_targets;
