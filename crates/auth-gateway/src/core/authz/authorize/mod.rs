//! `GET /oauth/authorize` and the consent form's `POST` (OAuth 2.1 §4.1, RFC 7636,
//! RFC 8707, RFC 9207): check the request ([`request`]), make sure the browser is signed
//! in at the gateway and the user's upstream grant covers the resource ([`login`]), then
//! ask for or recall consent and answer the client with a code ([`consent`]).

pub mod browser;
pub mod consent;
pub mod login;
pub mod request;
mod service;

pub use self::service::{Authorize, AuthorizeStep, ConsentView};

use self::login::KnownUser;
use self::request::{AuthorizePageError, RawRequest};
use self::service::Verified;
use crate::core::authz::client_directory::ClientLookupError;
use crate::core::authz::oauth_error::OAuthError;
use crate::domain::{CredentialStatus, Email};
use crate::store::{BrowserSessionRecord, ResourceRecord};
use url::Url;

impl Authorize {
    /// `GET /oauth/authorize`. `session_cookie` is the gateway's browser session cookie.
    pub async fn authorize(
        &self,
        query: &str,
        session_cookie: Option<&str>,
    ) -> Result<AuthorizeStep, AuthorizePageError> {
        let verified = self.verify_client(query).await?;
        let (resource, checked) = match self.checked_resource(&verified).await {
            Ok(found) => found,
            Err(error) => return Ok(self.error_redirect(&verified, &error)),
        };
        let session = self.signed_in(session_cookie).await?;
        let Some(session) = session else {
            return Ok(self.start_login(&resource, query, None).await?);
        };
        if let Some(step) = self.upstream_grant_step(&resource, query, &session).await? {
            return Ok(step);
        }
        let remembered = self
            .authorizations
            .consent(
                &session.user_subject,
                &verified.client.client_id,
                &resource.uri,
            )
            .await?
            .is_some_and(|consent| consent.scope == checked.scope);
        if remembered && !checked.always_ask {
            return Ok(self
                .issue_code(&verified, &resource, &checked, &session)
                .await?);
        }
        let csrf = browser::csrf_token(session_cookie.unwrap_or_default());
        Ok(AuthorizeStep::Consent(Box::new(consent::consent_view(
            &verified,
            &resource,
            &session,
            (query, csrf),
            &self.settings.known_client_hosts,
        ))))
    }

    /// The consent form's `POST`: `request` is the authorization request's query as the
    /// page carried it, checked again in full; `csrf` must be this session's token.
    pub async fn decide(
        &self,
        query: &str,
        session_cookie: Option<&str>,
        csrf: &str,
        allow: bool,
    ) -> Result<AuthorizeStep, AuthorizePageError> {
        let verified = self.verify_client(query).await?;
        let cookie = session_cookie.ok_or(AuthorizePageError::NotSignedIn)?;
        if !browser::csrf_matches(cookie, csrf) {
            return Err(AuthorizePageError::Forged);
        }
        let session = self
            .signed_in(Some(cookie))
            .await?
            .ok_or(AuthorizePageError::NotSignedIn)?;
        let (resource, checked) = match self.checked_resource(&verified).await {
            Ok(found) => found,
            Err(error) => return Ok(self.error_redirect(&verified, &error)),
        };
        if allow {
            self.remember_consent(&verified, &resource, &checked, &session)
                .await?;
            Ok(self
                .issue_code(&verified, &resource, &checked, &session)
                .await?)
        } else {
            self.consent_denied(&verified, &resource, &session).await;
            Ok(self.error_redirect(
                &verified,
                &OAuthError::new(
                    crate::core::authz::oauth_error::OAuthErrorCode::AccessDenied,
                    "the user denied the request",
                ),
            ))
        }
    }

    async fn verify_client(&self, query: &str) -> Result<Verified, AuthorizePageError> {
        let raw = RawRequest::parse(query)?;
        let client_id = raw
            .get("client_id")
            .ok_or(AuthorizePageError::MissingClient)?;
        let client = self
            .directory
            .client(client_id)
            .await
            .map_err(|error| match error {
                ClientLookupError::Store(error) => AuthorizePageError::from(error),
                document @ ClientLookupError::Document { .. } => {
                    AuthorizePageError::ClientMetadata(document.to_string())
                }
            })?;
        let (client, redirect_uri) = raw.verified_client(client)?;
        let parsed = Url::parse(&redirect_uri).map_err(|_| AuthorizePageError::RedirectMismatch)?;
        Ok(Verified {
            raw,
            client,
            redirect_uri,
            redirect_url: parsed,
        })
    }

    async fn checked_resource(
        &self,
        verified: &Verified,
    ) -> Result<(ResourceRecord, request::Checked), OAuthError> {
        let uri = verified.raw.resource_uri()?;
        let resource = self.resources.resource(&uri).await?.ok_or_else(|| {
            OAuthError::new(
                crate::core::authz::oauth_error::OAuthErrorCode::InvalidTarget,
                format!("{uri} is not a resource registered at this gateway"),
            )
        })?;
        let checked = verified.raw.checked(&resource)?;
        Ok((resource, checked))
    }

    async fn signed_in(
        &self,
        cookie: Option<&str>,
    ) -> Result<Option<BrowserSessionRecord>, AuthorizePageError> {
        Ok(browser::signed_in(
            self.logins.as_ref(),
            self.clock.now(),
            self.settings.browser_session_idle,
            cookie,
        )
        .await?)
    }

    /// When the user's grant at the resource's provider is missing, rejected, without a
    /// refresh token or short of the resource's scopes: the trip to the provider that
    /// fixes it (incremental consent, same account). `None` when the grant covers it.
    async fn upstream_grant_step(
        &self,
        resource: &ResourceRecord,
        query: &str,
        session: &BrowserSessionRecord,
    ) -> Result<Option<AuthorizeStep>, AuthorizePageError> {
        let credential = self
            .credentials
            .credential(&session.user_email, &resource.provider)
            .await?;
        let covered = credential.as_ref().is_some_and(|credential| {
            credential.status == CredentialStatus::Active
                && credential.refresh_token.is_some()
                && resource
                    .scopes
                    .iter()
                    .all(|scope| credential.scopes.contains(scope))
        });
        if covered {
            return Ok(None);
        }
        let email =
            Email::parse(&session.user_email).map_err(crate::core::error::CoreError::from)?;
        let known = KnownUser {
            subject: &session.user_subject,
            email: &email,
            has_refresh_token: credential.is_some_and(|credential| {
                credential.refresh_token.is_some() && credential.status == CredentialStatus::Active
            }),
        };
        Ok(Some(self.start_login(resource, query, Some(known)).await?))
    }
}
