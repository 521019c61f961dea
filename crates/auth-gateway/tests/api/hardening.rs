//! Findings of the white-box review (issue 16), each driven against the real gateway on
//! port 0: bounded metric labels, secrets kept out of the access log, `__Host-` cookies
//! and HSTS behind https, and provider answers that cannot crash the gateway.

mod audit_retention;
mod connections;
mod cookies;
mod hosted_domain;
mod imported_consent;
mod labels_and_logs;
mod outbound_proxy;
mod pending_sessions;
mod production_config;
mod provider_input;
mod rate_limits;
mod refused_grants;
mod sealed_values;
