//! The core: the flows, refresh, identity binding and the key ring. It gets time from a
//! `Clock`, reaches storage, providers and metrics through traits, and knows nothing of
//! HTTP or SQL. Its vocabulary (emails, scopes, sealed values) is in `crate::domain`.
//!
//! Layout, imports pointing down only (`tests/api/layering.rs` fails on any cycle
//! between these modules, and between the folders):
//! - [`gateway`]: the facade the server calls, delegating one call each; `wiring`
//!   builds its services. Nothing else in the core imports either. (The admin commands
//!   call `admin` directly.)
//! - [`flows`]: one small service per request flow (sign-in, session status, tokens,
//!   refresh, grants, revoke) and the background jobs that drive the refresh engine.
//! - [`admin`]: operator work: API client keys, key usage and re-encryption, the legacy
//!   import, health.
//! - [`runtime`]: in-process machinery the flows share (token cache, single flight,
//!   session wake-ups, retry), knowing nothing of the flows.
//! - Shared pieces, passed to the services as small `Arc`'d values: [`clock`],
//!   [`crypto`] (the key ring), [`providers`], [`audit`] (the audit log), [`client`],
//!   [`random`], [`error`].

pub mod admin;
pub mod audit;
pub mod authz;
pub mod client;
pub mod clock;
pub mod crypto;
pub mod error;
pub mod flows;
pub mod gateway;
pub mod providers;
pub mod random;
pub mod runtime;
mod wiring;

pub use client::{Access, Client};
pub use error::{CoreError, FlowError, SignInLink, SignInReason};
pub use gateway::Gateway;
pub use wiring::GatewaySettings;
