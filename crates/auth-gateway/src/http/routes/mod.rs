//! Route handlers, one module per resource.

pub mod account;
pub mod auth;
pub mod flow;
pub mod health;
pub mod oauth;
pub mod oauth_authorize;
pub mod oauth_introspect;
pub mod oauth_metadata;
pub mod oauth_token;
pub mod ops;
