//! The gateway as authorization server and real access tokens from it: shared with the
//! servers' gateway-mode tests, so it lives in test-kit.

pub use test_kit::oauth::*;
