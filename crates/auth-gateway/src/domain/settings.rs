//! Settings the configuration reads and the core acts on: plain values, so `config` can
//! build them without importing the core.

use std::time::Duration;

/// Whose sign-in may complete a session (G3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdentityPolicy {
    /// The signed-in account's verified email must equal the session's user.
    #[default]
    SameEmail,
    /// Any verified account; its email is recorded and shown.
    Any,
}

/// How the background refresh runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaintenanceSettings {
    /// Time between ticks; `Duration::ZERO` turns the job off.
    pub interval: Duration,
    /// Grants not refreshed for this long are refreshed to keep them alive.
    pub keep_alive_after: chrono::Duration,
    /// Most refreshes per tick, across the whole fleet.
    pub batch: u32,
}

impl Default for MaintenanceSettings {
    fn default() -> Self {
        Self {
            interval: Duration::from_mins(1),
            keep_alive_after: chrono::Duration::days(30),
            batch: 20,
        }
    }
}
