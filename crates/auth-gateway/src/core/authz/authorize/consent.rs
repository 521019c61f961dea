//! The consent page's content, remembering an "Allow", and answering the client with a
//! code. The page names the client (and says "unverified" when nothing vouches for its
//! identity), where it will send the browser, the MCP server, what it may do there in
//! words, and the account that is signed in.

use super::request::Checked;
use super::service::{Authorize, AuthorizeStep, ConsentView, Verified};
use crate::core::audit::{AuditAction, AuditOutcome};
use crate::core::error::CoreError;
use crate::core::random;
use crate::store::{
    AuthorizationCodeRecord, AuthorizationGrantRecord, BrowserSessionRecord, ConsentRecord,
    OAuthClientKind, OAuthClientRecord, ResourceRecord,
};
use secrecy::ExposeSecret as _;
use uuid::Uuid;

pub(super) fn consent_view(
    verified: &Verified,
    resource: &ResourceRecord,
    session: &BrowserSessionRecord,
    (query, csrf): (&str, String),
    known_hosts: &[String],
) -> ConsentView {
    let verified_host = vouched_host(&verified.client, known_hosts);
    ConsentView {
        client_name: verified.client.client_name.clone(),
        client_id: verified.client.client_id.clone(),
        unverified: verified.client.kind != OAuthClientKind::Preregistered
            && verified_host.is_none(),
        verified_host,
        redirect_host: verified
            .redirect_url
            .host_str()
            .unwrap_or(verified.redirect_url.scheme())
            .to_owned(),
        resource_name: resource.display_name.clone(),
        resource_uri: resource.uri.clone(),
        permissions: resource
            .scopes
            .iter()
            .map(|scope| in_words(scope))
            .collect(),
        account_email: session.user_email.clone(),
        request: query.to_owned(),
        csrf,
    }
}

/// The host of a metadata-document client whose `client_id` URL is on a known client
/// host: the site serving the document answers for the client (the draft's security
/// considerations: the URL's host is what a user can recognize; a name in the document
/// is only a claim). Dynamic registrations have no such URL: never vouched for.
fn vouched_host(client: &OAuthClientRecord, known_hosts: &[String]) -> Option<String> {
    if client.kind != OAuthClientKind::MetadataDocument {
        return None;
    }
    let url = url::Url::parse(&client.client_id).ok()?;
    let host = url.host_str()?.to_ascii_lowercase();
    known_hosts.contains(&host).then_some(host)
}

impl Authorize {
    pub(super) async fn remember_consent(
        &self,
        verified: &Verified,
        resource: &ResourceRecord,
        checked: &Checked,
        session: &BrowserSessionRecord,
    ) -> Result<(), CoreError> {
        self.authorizations
            .upsert_consent(&ConsentRecord {
                user_subject: session.user_subject.clone(),
                client_id: verified.client.client_id.clone(),
                resource: resource.uri.clone(),
                scope: checked.scope.clone(),
                granted_at: self.clock.now(),
            })
            .await?;
        self.audit
            .oauth_event(
                Some(&verified.client.client_id),
                Some(&session.user_email),
                AuditAction::OAuthConsentGranted,
                AuditOutcome::Ok,
                Some(resource.uri.clone()),
            )
            .await;
        Ok(())
    }

    pub(super) async fn consent_denied(
        &self,
        verified: &Verified,
        resource: &ResourceRecord,
        session: &BrowserSessionRecord,
    ) {
        self.audit
            .oauth_event(
                Some(&verified.client.client_id),
                Some(&session.user_email),
                AuditAction::OAuthConsentDenied,
                AuditOutcome::Ok,
                Some(resource.uri.clone()),
            )
            .await;
    }

    /// A new grant and its single-use code, bound to the client, the redirect URI as
    /// sent, the PKCE challenge and the resource; the browser goes back with it.
    pub(super) async fn issue_code(
        &self,
        verified: &Verified,
        resource: &ResourceRecord,
        checked: &Checked,
        session: &BrowserSessionRecord,
    ) -> Result<AuthorizeStep, CoreError> {
        let now = self.clock.now();
        let code = random::token();
        let grant = AuthorizationGrantRecord {
            id: Uuid::new_v4(),
            client_id: verified.client.client_id.clone(),
            user_subject: session.user_subject.clone(),
            user_email: session.user_email.clone(),
            resource: resource.uri.clone(),
            scope: checked.scope.clone(),
            created_at: now,
            revoked_at: None,
        };
        self.authorizations
            .insert_grant_with_code(
                &grant,
                &AuthorizationCodeRecord {
                    code_hash: random::digest(code.expose_secret()),
                    grant_id: grant.id,
                    redirect_uri: verified.redirect_uri.clone(),
                    code_challenge: checked.code_challenge.clone(),
                    created_at: now,
                    expires_at: now + self.settings.code_ttl,
                },
            )
            .await?;
        self.audit
            .oauth_event(
                Some(&verified.client.client_id),
                Some(&session.user_email),
                AuditAction::OAuthCodeIssued,
                AuditOutcome::Ok,
                Some(resource.uri.clone()),
            )
            .await;
        Ok(self.client_redirect(verified, &[("code", code.expose_secret())]))
    }
}

/// A person's reading of an upstream scope; unknown scopes as they are.
fn in_words(scope: &str) -> String {
    let known = match scope {
        "https://www.googleapis.com/auth/adwords" => "See and manage your Google Ads accounts",
        "https://www.googleapis.com/auth/analytics.readonly" => "See your Google Analytics data",
        "https://www.googleapis.com/auth/analytics" => "See and manage your Google Analytics data",
        "https://www.googleapis.com/auth/drive.readonly" => "See your Google Drive files",
        "openid" | "email" | "profile" => "Know who you are (your email address)",
        _ => return scope.to_owned(),
    };
    known.to_owned()
}
