//! The MCP clients, wherever they come from: the store for registered ones, the
//! client's own metadata document for a `client_id` that is an https URL (CIMD). A
//! document is fetched, checked and kept as an `OAuthClientRecord` (`MetadataDocument`)
//! until its `refresh_after`, then fetched again.
//!
//! A stale document that cannot be fetched again is refused, not served from the cache:
//! the document is the client's authority over its redirect URIs, and once stale the
//! gateway cannot know they still hold (a client that removed a compromised redirect URI
//! must see it stop working); serving the stale copy would also let whoever can block
//! the fetch keep an old document in force. The cost is availability while the client's
//! site is down, which a retry after it is back fixes.

use super::client_auth::METHOD_NONE;
use super::client_metadata::{cache_lifetime, document_url, is_document_url, validate_document};
use crate::core::clock::Clock;
use crate::store::{OAuthClientKind, OAuthClientRecord, OAuthClientStore, StoreError, StoreResult};
use crate::upstream::ClientMetadataFetcher;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Why a `client_id` URL does not name a usable client, in words for an error page.
#[derive(Debug, thiserror::Error)]
pub enum ClientLookupError {
    #[error("the application's client_id {url} cannot be used: {why}")]
    Document { url: String, why: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Clients by `client_id`. Uses: `OAuthClientStore`, the metadata fetcher.
pub struct ClientDirectory {
    pub(in crate::core) clients: Arc<dyn OAuthClientStore>,
    pub(in crate::core) fetcher: Arc<dyn ClientMetadataFetcher>,
    pub(in crate::core) clock: Arc<dyn Clock>,
}

impl ClientDirectory {
    /// The client named `client_id`: stored, or (an https URL) from its metadata
    /// document, fetched when not cached or stale.
    pub async fn client(
        &self,
        client_id: &str,
    ) -> Result<Option<OAuthClientRecord>, ClientLookupError> {
        let stored = self.clients.oauth_client(client_id).await?;
        if !is_document_url(client_id) {
            return Ok(stored);
        }
        let now = self.clock.now();
        match stored {
            // An operator may register a client under an https id; it is not a document.
            Some(client) if client.kind != OAuthClientKind::MetadataDocument => Ok(Some(client)),
            Some(client) if client.refresh_after.is_some_and(|after| now < after) => {
                Ok(Some(client))
            }
            cached => self.fetch(client_id, cached, now).await.map(Some),
        }
    }

    async fn fetch(
        &self,
        client_id: &str,
        cached: Option<OAuthClientRecord>,
        now: DateTime<Utc>,
    ) -> Result<OAuthClientRecord, ClientLookupError> {
        let refused = |why: String| ClientLookupError::Document {
            url: client_id.chars().take(200).collect(),
            why,
        };
        let url = document_url(client_id).map_err(refused)?;
        let fetched = self
            .fetcher
            .fetch(&url)
            .await
            .map_err(|error| refused(format!("its metadata document: {error}")))?;
        let metadata = validate_document(client_id, &fetched.body)
            .map_err(|why| refused(format!("its metadata document is invalid: {why}")))?;
        let record = OAuthClientRecord {
            client_id: client_id.to_owned(),
            kind: OAuthClientKind::MetadataDocument,
            client_name: metadata.client_name,
            redirect_uris: metadata.redirect_uris,
            token_endpoint_auth_method: METHOD_NONE.to_owned(),
            secret_digest: None,
            // A refetch keeps when the client was first seen and last used.
            created_at: cached.as_ref().map_or(now, |old| old.created_at),
            last_used_at: cached.and_then(|old| old.last_used_at),
            refresh_after: Some(now + cache_lifetime(fetched.cache)),
        };
        self.clients.upsert_oauth_client(&record).await?;
        Ok(record)
    }
}

/// The token and revocation endpoints see the directory as their client store: a
/// document client authenticates like any public client, and any failure to get its
/// document is `unknown client` (`invalid_client`), the reason logged.
#[async_trait]
impl OAuthClientStore for ClientDirectory {
    async fn insert_oauth_client(&self, client: &OAuthClientRecord) -> StoreResult<bool> {
        self.clients.insert_oauth_client(client).await
    }

    async fn upsert_oauth_client(&self, client: &OAuthClientRecord) -> StoreResult<()> {
        self.clients.upsert_oauth_client(client).await
    }

    async fn oauth_client(&self, client_id: &str) -> StoreResult<Option<OAuthClientRecord>> {
        match self.client(client_id).await {
            Ok(client) => Ok(client),
            Err(ClientLookupError::Store(error)) => Err(error),
            Err(error @ ClientLookupError::Document { .. }) => {
                tracing::warn!(%error, "client metadata document refused");
                Ok(None)
            }
        }
    }

    async fn record_oauth_client_use(
        &self,
        client_id: &str,
        now: DateTime<Utc>,
        unless_since: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.clients
            .record_oauth_client_use(client_id, now, unless_since)
            .await
    }

    async fn delete_unused_dynamic_clients(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        self.clients.delete_unused_dynamic_clients(before).await
    }
}
