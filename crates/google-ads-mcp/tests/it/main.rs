//! Integration tests of `google-ads-mcp` through real MCP clients (rmcp over stdio to
//! the built binary, and over streamable HTTP), against a real auth gateway and the
//! Google emulator: one test binary, one module per concern.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod errors;
mod gateway;
mod support;
mod tools;
mod transports;
