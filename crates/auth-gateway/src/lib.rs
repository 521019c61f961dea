//! The MCP auth gateway as a library: the binary and the tests build the same app.

pub mod cli;
pub mod config;
pub mod core;
pub mod dev_secrets;
pub mod domain;
pub mod http;
pub mod monitoring;
pub mod server;
pub mod startup;
pub mod store;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod upstream;
