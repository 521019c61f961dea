//! Test harness: the real gateway and emulator, a counting proxy, an rmcp tool server.
#![allow(dead_code)] // the example includes only parts of the harness

pub mod proxy;
pub mod server;
pub mod stack;
