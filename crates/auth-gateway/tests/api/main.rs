//! The gateway's integration tests: one binary, real databases, real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod admin_cli;
mod authorization_server;
mod authorization_sweep;
mod authorize_flow;
mod background_refresh;
mod bad_input;
mod client_metadata_documents;
mod clients;
mod deploy_files;
mod first_hour_cli;
mod first_hour_http;
mod flow_attacks;
mod full_flow;
mod handler_size;
mod hardening;
mod introspection;
mod key_rotation;
mod layering;
mod legacy_import;
mod lifecycle;
mod migrations;
mod oauth_client_auth;
mod oauth_metadata;
mod oauth_registration;
mod oauth_token_endpoint;
mod operations;
mod replicas;
mod scope_allow_lists;
mod secrets_at_rest;
mod store_contract;
mod support;
mod token_cache;
mod token_exchange;
mod token_refresh;
mod verified_clients;
