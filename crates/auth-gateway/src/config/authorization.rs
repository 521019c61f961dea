//! The OAuth authorization server's settings (docs/authorization-server.md).

use super::operations::{flag, seconds};
use super::{ConfigError, Vars, invalid};
use crate::domain::AuthorizationSettings;

pub(super) fn settings(vars: &Vars<'_>) -> Result<AuthorizationSettings, ConfigError> {
    let defaults = AuthorizationSettings::default();
    let access = seconds(vars, "OAUTH_ACCESS_TOKEN_TTL_SECONDS", 3600, 60..=86_400)?;
    let refresh_days: i64 = vars.number("OAUTH_REFRESH_TOKEN_TTL_DAYS", 30)?;
    if !(1..=365).contains(&refresh_days) {
        return Err(invalid(
            "OAUTH_REFRESH_TOKEN_TTL_DAYS",
            "must be between 1 and 365",
        ));
    }
    let session_days: i64 = vars.number("OAUTH_BROWSER_SESSION_DAYS", 30)?;
    if !(1..=365).contains(&session_days) {
        return Err(invalid(
            "OAUTH_BROWSER_SESSION_DAYS",
            "must be between 1 and 365",
        ));
    }
    Ok(AuthorizationSettings {
        access_token_ttl: chrono::Duration::from_std(access)
            .map_err(|_| invalid("OAUTH_ACCESS_TOKEN_TTL_SECONDS", "out of range"))?,
        refresh_token_ttl: chrono::Duration::days(refresh_days),
        browser_session_absolute: chrono::Duration::days(session_days),
        browser_session_idle: defaults
            .browser_session_idle
            .min(chrono::Duration::days(session_days)),
        dynamic_registration: flag(vars, "OAUTH_DYNAMIC_REGISTRATION", true)?,
        ..defaults
    })
}
