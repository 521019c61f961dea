//! The authorization server metadata (RFC 8414), served at
//! `/.well-known/oauth-authorization-server` and `/.well-known/openid-configuration`
//! (MCP clients try both). Each field is listed only once what it announces exists
//! (docs/authorization-server.md, "Plan: authorization server metadata").

use super::client_auth::{METHOD_BASIC, METHOD_POST, METHODS};
use super::resources::resource_scope;
use super::token_endpoint::GrantType;
use crate::core::error::CoreError;
use crate::store::ResourceStore;
use serde::Serialize;
use std::sync::Arc;

const TOKEN_EXCHANGE: &str = GrantType::TOKEN_EXCHANGE;

/// How long a client may cache the document: short, so a resource added or DCR turned
/// off shows soon.
pub const METADATA_MAX_AGE_SECONDS: u32 = 60;

/// The metadata document (RFC 8414 §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    pub revocation_endpoint: String,
    /// RFC 7662, for the resources' API clients.
    pub introspection_endpoint: String,
    pub response_types_supported: Vec<&'static str>,
    pub response_modes_supported: Vec<&'static str>,
    pub grant_types_supported: Vec<&'static str>,
    pub code_challenge_methods_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    /// API clients: their name and key, Basic or in the form (`X-API-Key` works too).
    pub introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    pub scopes_supported: Vec<String>,
    /// RFC 9207: every authorization response carries `iss`.
    pub authorization_response_iss_parameter_supported: bool,
    /// A `client_id` may be the https URL of its metadata document
    /// (draft-ietf-oauth-client-id-metadata-document; MCP 2025-11-25 clients look for it).
    pub client_id_metadata_document_supported: bool,
}

/// Builds the document. Uses: `ResourceStore`.
pub struct Metadata {
    pub(in crate::core) resources: Arc<dyn ResourceStore>,
    /// The public URL without trailing slash.
    pub(in crate::core) issuer: String,
    pub(in crate::core) dynamic_registration: bool,
}

impl Metadata {
    /// The document, with one `mcp:` scope per registered resource.
    pub async fn document(&self) -> Result<ServerMetadata, CoreError> {
        let mut scopes: Vec<String> = self
            .resources
            .resources()
            .await?
            .iter()
            .map(|resource| resource_scope(&resource.uri))
            .collect();
        scopes.sort();
        let issuer = &self.issuer;
        Ok(ServerMetadata {
            issuer: issuer.clone(),
            authorization_endpoint: format!("{issuer}/oauth/authorize"),
            token_endpoint: format!("{issuer}/oauth/token"),
            jwks_uri: format!("{issuer}/oauth/jwks"),
            registration_endpoint: self
                .dynamic_registration
                .then(|| format!("{issuer}/oauth/register")),
            revocation_endpoint: format!("{issuer}/oauth/revoke"),
            introspection_endpoint: format!("{issuer}/oauth/introspect"),
            response_types_supported: vec!["code"],
            response_modes_supported: vec!["query"],
            grant_types_supported: vec!["authorization_code", "refresh_token", TOKEN_EXCHANGE],
            code_challenge_methods_supported: vec!["S256"],
            token_endpoint_auth_methods_supported: METHODS.to_vec(),
            revocation_endpoint_auth_methods_supported: METHODS.to_vec(),
            introspection_endpoint_auth_methods_supported: vec![METHOD_BASIC, METHOD_POST],
            scopes_supported: scopes,
            authorization_response_iss_parameter_supported: true,
            client_id_metadata_document_supported: true,
        })
    }

    /// The document at an RFC 8414 §3.1 path-inserted location
    /// (`/.well-known/oauth-authorization-server{path}`): served only when `path` is the
    /// issuer's path, so a gateway under `https://h/gw` answers `…/oauth-authorization-server/gw`.
    pub async fn document_at(&self, path: &str) -> Result<Option<ServerMetadata>, CoreError> {
        let issuer_path = url::Url::parse(&self.issuer)
            .map(|url| url.path().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        let path = format!("/{}", path.trim_matches('/'));
        if issuer_path.is_empty() || path != issuer_path {
            return Ok(None);
        }
        self.document().await.map(Some)
    }
}
