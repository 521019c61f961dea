//! Logging setup: `tracing` to stdout as text or JSON, filtered by `LOG_LEVEL`.
//! Nothing logs secrets: they are `SecretString`s and callback queries are never logged.

use crate::config::LogSettings;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber (binaries only; tests install their own).
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_new(&settings.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true);
    // A second init (e.g. a test harness got there first) is harmless.
    let _ = if settings.json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
