//! What the store counts and reports: per-key and per-status tallies and the pool's
//! occupancy, read by the core (key rotation) and by monitoring (gauges).

/// How many ciphertexts (token columns and PKCE verifiers) carry one key id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyIdCount {
    pub key_id: String,
    pub ciphertexts: u64,
}

/// How many credentials are in one status (`active`, `needs_reauth`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCount {
    pub status: String,
    pub credentials: u64,
}

/// The connection pool's occupancy, for the `db_pool_*` gauges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Open connections (busy and idle).
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}
