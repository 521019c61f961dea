//! The gateway's integration tests: one binary, real databases, real HTTP.

mod full_flow;
mod store_contract;
mod support;
