//! Integration tests of `mcp-auth-client` against a real gateway and the Google
//! emulator: one test binary, one module per concern.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cache;
mod exchange;
mod mcp;
mod outcomes;
mod redirect;
mod resource;
mod resource_claims;
mod support;
