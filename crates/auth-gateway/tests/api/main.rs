//! The gateway's integration tests: one binary, real databases, real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod full_flow;
mod replicas;
mod store_contract;
mod support;
mod token_refresh;
