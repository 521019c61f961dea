//! In-process machinery the flows share, knowing nothing of them: the token cache and
//! its change feed, narrowed tokens, per-credential single flight, the lease-wait timer, finished-session
//! wake-ups, and the upstream retry policy. Nothing here imports `core::flows` or
//! `core::admin`.

pub mod events;
pub mod flights;
pub mod lock_wait;
pub mod narrowed_tokens;
pub mod retry;
pub mod token_cache;
