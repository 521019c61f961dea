//! The MCP auth gateway as a library: the binary and the tests build the same app.
//!
//! Layers, imports pointing down only (`tests/api/layering.rs` checks):
//! - `domain`: the shared vocabulary (addresses, scopes, sealed ciphertexts, statuses,
//!   the metrics trait); imports no other layer.
//! - `store`, `upstream`, `monitoring`, `config`: adapters and settings; import `domain`
//!   (`config` also names the store's and Google's own settings types).
//! - `core`: the flows; imports `domain` and the store's and providers' traits. Inside,
//!   `core::flows` (one small service per flow), `core::admin` (client keys, key
//!   rotation, legacy import, health) and `core::runtime` (token cache, single flight,
//!   session wake-ups, retry) sit behind one facade, `core::Gateway`, which the server
//!   and its background tasks call (the admin commands call `core::admin` directly);
//!   core's modules import each other without cycles.
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
