//! The flows, one small service each, holding only the shared pieces they use. Request
//! flows: [`sign_in`] (start, connect, callback), [`session_status`], [`tokens`] (over
//! the [`refresh`] engine, and [`narrowing`] for clients not allowed every scope of a grant), [`grants`], [`revoke`]; [`maintenance`] drives the same
//! refresh engine in the background. [`sessions`], [`credentials`] and [`checks`] are
//! the steps several flows share.

pub mod checks;
pub mod credentials;
pub mod grants;
pub mod maintenance;
pub mod narrowing;
pub mod refresh;
pub mod revoke;
pub mod session_status;
pub mod sessions;
pub mod sign_in;
pub mod tokens;
