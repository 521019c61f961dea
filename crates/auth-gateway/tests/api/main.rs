//! The gateway's integration tests: one binary, real databases, real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod bad_input;
mod flow_attacks;
mod full_flow;
mod replicas;
mod secrets_at_rest;
mod store_contract;
mod support;
mod token_refresh;
