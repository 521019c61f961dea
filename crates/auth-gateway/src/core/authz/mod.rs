//! The gateway as the OAuth 2.1 authorization server for MCP servers
//! (docs/authorization-server.md): the registered resources, and the keys that sign the
//! access tokens and are published as a JWKS. The endpoints that issue tokens build on
//! these.

pub mod account;
pub mod authorize;
pub mod jwks;
pub mod oauth_error;
pub mod redirects;
pub mod resources;
pub mod signing_keys;
