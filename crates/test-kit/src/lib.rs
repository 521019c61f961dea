//! Test support shared by the workspace's tests, examples and benchmark, so product
//! crates carry no test-only features or dependencies (they take this crate as a
//! dev-dependency):
//!
//! - [`gateway`]: the environment a test gateway runs with ([`GatewayEnv`]) and an
//!   embedded gateway on port 0 against a fresh SQLite database ([`TestGateway`]).
//! - [`TestStack`]: that gateway plus the Google emulator playing Google, sign-in
//!   through a browser ([`follow`]), and gateway clients.
//! - [`mcp`]: rmcp clients over stdio and streamable HTTP, and tool-result helpers.
//!
//! Nothing is mocked: code under test talks HTTP to the gateway and the emulator.

pub mod gateway;
pub mod mcp;
pub mod oauth;
mod stack;

pub use gateway::{API_KEY, ENCRYPTION_KEY, GatewayEnv, TestGateway};
pub use stack::{TestStack, auth_client_for, browser, follow};
