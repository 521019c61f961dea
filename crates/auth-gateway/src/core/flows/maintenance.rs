//! Background refresh, run by one replica at a time (a named job lease in the store):
//! refreshes grants in use before their tokens go stale, so requests rarely wait on the
//! provider, and refreshes idle grants every few days so the provider does not expire
//! them (Google drops refresh tokens unused for six months). A batch limit per tick
//! keeps a mass expiry from becoming a storm.

use super::refresh::{Freshness, RefreshRequest, Refresher};
use crate::core::client::Client;
use crate::core::clock::Clock;
use crate::core::error::CoreError;
use crate::core::providers::Providers;
use crate::domain::{Email, ScopeSet};
use crate::store::{
    AuditStore, AuthorizationStore, CredentialStore, LeaseStore, LoginStore, OAuthClientStore,
    SessionStore,
};
use std::sync::Arc;
// Re-exported: the integration tests name it here.
pub use crate::domain::MaintenanceSettings;

/// The job lease's name.
const JOB_NAME: &str = "background-refresh";
/// A grant counts as "in use" if a token was served this recently.
const IN_USE_WINDOW: chrono::Duration = chrono::Duration::hours(2);

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    /// False when another replica holds the job this tick.
    pub ran: bool,
    pub refreshed: u32,
    pub failed: u32,
}

/// The background jobs: refreshing due grants, sweeping old sessions and the
/// authorization server's spent rows. Uses: `LeaseStore`, `CredentialStore`,
/// `SessionStore`, `LoginStore`, `AuthorizationStore`, `OAuthClientStore`, `AuditStore`.
pub struct Maintenance {
    pub(in crate::core) store: Arc<dyn CredentialStore>,
    pub(in crate::core) leases: Arc<dyn LeaseStore>,
    pub(in crate::core) sessions: Arc<dyn SessionStore>,
    pub(in crate::core) logins: Arc<dyn LoginStore>,
    pub(in crate::core) authorizations: Arc<dyn AuthorizationStore>,
    pub(in crate::core) oauth_clients: Arc<dyn OAuthClientStore>,
    pub(in crate::core) audit: Arc<dyn AuditStore>,
    /// Audit events older than this are deleted; `None` keeps them forever.
    pub(in crate::core) audit_retention: Option<chrono::Duration>,
    /// Dynamic registrations never used for this long are deleted.
    pub(in crate::core) unused_registration_ttl: chrono::Duration,
    pub(in crate::core) clock: Arc<dyn Clock>,
    pub(in crate::core) providers: Arc<Providers>,
    pub(in crate::core) refresher: Arc<Refresher>,
    /// Names this process as the owner of the job lease.
    pub(in crate::core) instance_id: Arc<str>,
    /// The token path's refresh window; due grants are refreshed before entering it.
    pub(in crate::core) refresh_buffer: chrono::Duration,
}

impl Maintenance {
    /// One tick of the background refresh.
    pub async fn refresh_due_credentials(
        &self,
        settings: &MaintenanceSettings,
    ) -> Result<TickReport, CoreError> {
        let now = self.clock.now();
        let interval =
            chrono::Duration::from_std(settings.interval).unwrap_or(chrono::Duration::minutes(1));
        // Held a little past the next tick so a healthy leader keeps the job.
        let held_until = now + interval * 2;
        if !self
            .leases
            .try_acquire_job_lease(JOB_NAME, &self.instance_id, held_until, now)
            .await?
        {
            return Ok(TickReport::default());
        }
        // Stale before the next tick means a request would otherwise have to wait.
        let stale_within = self.refresh_buffer + interval;
        let due = self
            .store
            .credentials_due_for_refresh(
                now + stale_within,
                now - IN_USE_WINDOW,
                now - settings.keep_alive_after,
                settings.batch,
            )
            .await?;
        let client = Client::unrestricted("background-refresh");
        let mut report = TickReport {
            ran: true,
            ..TickReport::default()
        };
        for (user_email, provider_name) in due {
            let (Ok(provider), Ok(email)) = (
                self.providers.get(&provider_name),
                Email::parse(&user_email),
            ) else {
                continue;
            };
            // Idle grants have long-expired access tokens, so they are stale too.
            match self
                .refresher
                .refresh(
                    &RefreshRequest {
                        client: &client,
                        provider,
                        email: &email,
                        required: &ScopeSet::default(),
                    },
                    Freshness::Buffer(stale_within),
                )
                .await
            {
                Ok(token) if token.refreshed => report.refreshed += 1,
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(provider = %provider_name, %error, "background refresh failed");
                    report.failed += 1;
                }
            }
        }
        if report.refreshed + report.failed > 0 {
            tracing::info!(
                refreshed = report.refreshed,
                failed = report.failed,
                "background refresh tick"
            );
        }
        Ok(report)
    }

    /// Deletes sign-in sessions, logins and browser sessions that expired more than an
    /// hour ago (the hour lets a late visitor be told "expired" rather than "unknown"),
    /// spent codes, refresh tokens and revoked grants past their expiry, and dynamic
    /// registrations never used, and audit events past their retention; returns how
    /// many rows.
    pub async fn sweep_sessions(&self) -> Result<u64, CoreError> {
        let now = self.clock.now();
        let before = now - chrono::Duration::hours(1);
        let sessions = self.sessions.delete_sessions_expired_before(before).await?;
        let logins = self
            .logins
            .delete_logins_and_browser_sessions_expired_before(before)
            .await?;
        let authorizations = self
            .authorizations
            .delete_authorization_rows_expired_before(before)
            .await?;
        let clients = self
            .oauth_clients
            .delete_unused_dynamic_clients(now - self.unused_registration_ttl)
            .await?;
        let audit = match self.audit_retention {
            Some(retention) => {
                self.audit
                    .delete_audit_events_before(now - retention)
                    .await?
            }
            None => 0,
        };
        Ok(sessions + logins + authorizations + clients + audit)
    }
}
