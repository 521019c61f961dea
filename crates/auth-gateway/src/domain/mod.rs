//! The domain: the shared vocabulary every layer may import (addresses, scopes, sealed
//! ciphertexts, stored statuses, store statistics, the metrics the layers report). It
//! imports no other layer of the crate, so `store`, `upstream`, `config` and `monitoring`
//! can depend on it without depending on the core (`tests/api/layering.rs` checks).

pub mod authorization;
pub mod email;
pub mod metrics;
pub mod scopes;
pub mod sealed;
pub mod settings;
pub mod stats;
pub mod status;

pub use authorization::AuthorizationSettings;
pub use email::{Email, InvalidEmail};
pub use metrics::MetricsSink;
pub use scopes::{InvalidScope, MAX_REQUESTED_SCOPES, ScopeSet};
pub use sealed::Sealed;
pub use settings::{IdentityPolicy, MaintenanceSettings};
pub use stats::{KeyIdCount, PoolStats, StatusCount};
pub use status::{CredentialStatus, SessionState, UnknownStatus};
