//! The core: flows, refresh, identity binding and the key ring. It gets time from a
//! `Clock`, reaches storage, providers and metrics through traits, and knows nothing of
//! HTTP or SQL. Its vocabulary (emails, scopes, sealed values) is in `crate::domain`.

pub mod audit;
pub mod clients;
pub mod clock;
pub mod crypto;
pub mod error;
pub mod gateway;
pub mod key_rotation;
pub mod legacy_import;
pub mod maintenance;
pub mod random;
mod refresh;
pub mod runtime;
pub mod session_status;
pub mod sign_in;
pub mod tokens;

pub use clients::Access;
pub use error::{CoreError, FlowError, SignInLink, SignInReason};
pub use gateway::{Client, Gateway, GatewaySettings};
