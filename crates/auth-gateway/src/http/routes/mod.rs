//! Route handlers, one module per resource.

pub mod auth;
pub mod flow;
pub mod health;
pub mod oauth;
pub mod ops;
