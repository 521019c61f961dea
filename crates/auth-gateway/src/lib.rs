//! The MCP auth gateway as a library: the binary and the tests build the same app.
//!
//! Layers, imports pointing down only (`tests/api/layering.rs` checks):
//! - `domain`: the shared vocabulary (addresses, scopes, sealed ciphertexts, statuses,
//!   the metrics trait); imports no other layer.
//! - `store`, `upstream`, `monitoring`, `config`: adapters and settings; import `domain`
//!   (`config` also names the store's and Google's own settings types).
//! - `core`: the flows; imports `domain` and the store's and providers' traits.
//! - `http`, `cli`, `startup`, `server`: the edges; they wire the concrete pieces together.

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
pub mod upstream;
