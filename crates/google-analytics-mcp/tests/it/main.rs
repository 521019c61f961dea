//! Integration tests of `google-analytics-mcp` through real MCP clients (rmcp over
//! stdio against the built binary, and over streamable HTTP), with a real auth gateway
//! and the Google emulator behind it: one test binary, one module per concern.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod catalog;
mod errors;
mod gateway;
mod reports;
mod sign_in;
mod support;
mod users;
