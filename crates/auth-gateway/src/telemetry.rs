//! Logging setup: `tracing` to stdout as text or JSON, filtered by `LOG_LEVEL`.
//! Nothing logs secrets: they are `SecretString`s and callback queries are never logged.

use crate::config::LogSettings;
use std::io::IsTerminal as _;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber (binaries only; tests install their own).
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_new(&settings.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(true);
    // Colours only on a terminal: in a file or a pipe the escape codes are noise. On a
    // terminal the default stands (on unless NO_COLOR is set).
    let builder = if std::io::stdout().is_terminal() {
        builder
    } else {
        builder.with_ansi(false)
    };
    // A second init (e.g. a test harness got there first) is harmless.
    let _ = if settings.json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
