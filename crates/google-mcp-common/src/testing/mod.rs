//! Test harness for the Google MCP servers (feature `testing`): a real auth gateway
//! and Google emulator on port 0 ([`TestStack`]), a browser that follows sign-in links
//! ([`follow`]), and rmcp clients over stdio and streamable HTTP ([`mcp`]). Nothing is
//! mocked: the servers under test talk HTTP to the gateway and the emulator.

pub mod mcp;
mod stack;

pub use stack::{API_KEY, TestStack, follow};
