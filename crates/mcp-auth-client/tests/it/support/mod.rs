//! Test harness of this crate (the gateway and emulator come from `test-kit`): a
//! counting proxy, rmcp tool servers (one behind the resource guard), and real access
//! tokens from the gateway as authorization server.
#![allow(dead_code)] // the example includes only parts of the harness

pub mod oauth;
pub mod protected;
pub mod proxy;
pub mod recorder;
pub mod server;
