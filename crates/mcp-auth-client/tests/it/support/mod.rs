//! Test harness of this crate (the gateway and emulator come from `test-kit`): a
//! counting proxy and an rmcp tool server.
#![allow(dead_code)] // the example includes only parts of the harness

pub mod proxy;
pub mod recorder;
pub mod server;
