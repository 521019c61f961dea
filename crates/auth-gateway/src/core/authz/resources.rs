//! Resources: MCP servers registered as OAuth protected resources (RFC 8707, RFC 9728),
//! each under one canonical URI, owned by an API client, with the upstream provider and
//! scopes its tools need. Registered from the admin command line.

use crate::core::admin::clients::{ClientAdminError, check_providers};
use crate::core::audit::{self, AuditAction, Event};
use crate::store::{ResourceRecord, Store, StoreError};
use chrono::{DateTime, Utc};
use url::{Host, Url};

/// Longest accepted canonical URI and display name.
const MAX_URI_LEN: usize = 2048;
const MAX_DISPLAY_NAME_LEN: usize = 200;

/// Why a resource command failed.
#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    #[error("invalid resource URI: {0}")]
    InvalidUri(String),
    #[error("a resource {0} is already registered")]
    Exists(String),
    #[error("no resource {0} is registered")]
    NotFound(String),
    #[error(
        "no active client named {name:?}; active clients: {}",
        list_or_none(active)
    )]
    UnknownClient { name: String, active: Vec<String> },
    #[error("a resource needs at least one upstream scope")]
    NoScopes,
    #[error("the display name must be 1-{MAX_DISPLAY_NAME_LEN} characters")]
    InvalidDisplayName,
    #[error(transparent)]
    Provider(#[from] ClientAdminError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none (create one with `auth-gateway clients create`)".to_owned()
    } else {
        names.join(", ")
    }
}

/// The canonical form of a resource URI, so a client's `resource` parameter and a
/// token's `aud` compare as plain strings. The rule (docs/authorization-server.md):
/// an absolute `https` URL, or `http` on a loopback host; no user info, query or
/// fragment; scheme and host lower-case, the default port dropped (the URL parser does
/// both); trailing slashes removed from the path, so `https://mcp.example.com/` and
/// `https://mcp.example.com` are the same resource, and so are `…/mcp/` and `…/mcp`.
pub fn canonical_uri(text: &str) -> Result<String, ResourceError> {
    let invalid = |why: &str| ResourceError::InvalidUri(why.to_owned());
    if text.len() > MAX_URI_LEN {
        return Err(invalid("longer than 2048 characters"));
    }
    let url = Url::parse(text.trim()).map_err(|error| invalid(&error.to_string()))?;
    let loopback = match url.host() {
        Some(Host::Domain(domain)) => domain == "localhost",
        Some(Host::Ipv4(address)) => address.is_loopback(),
        Some(Host::Ipv6(address)) => address.is_loopback(),
        None => return Err(invalid("it has no host")),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(invalid(
                "http is allowed on a loopback host only; use https",
            ));
        }
        _ => return Err(invalid("the scheme must be https")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("it must not carry user information"));
    }
    if url.query().is_some() {
        return Err(invalid("it must not have a query"));
    }
    if url.fragment().is_some() {
        return Err(invalid("it must not have a fragment"));
    }
    let origin = &url[..url::Position::BeforePath];
    Ok(format!("{origin}{}", url.path().trim_end_matches('/')))
}

/// The one gateway scope of a resource (docs/authorization-server.md, "Plan: scopes"):
/// `mcp:` and the canonical URI without its scheme, e.g. `mcp:ads.example.com/mcp`.
/// Derived from the URI, so it needs no column and cannot drift.
pub fn resource_scope(canonical: &str) -> String {
    let rest = canonical
        .split_once("://")
        .map_or(canonical, |(_, rest)| rest);
    format!("mcp:{rest}")
}

/// What `add` registers.
#[derive(Debug, Clone)]
pub struct NewResource {
    pub uri: String,
    pub client_name: String,
    pub provider: String,
    pub scopes: Vec<String>,
    pub display_name: String,
}

/// Registers a resource after checking its URI, owning client, provider (against the
/// known ones; `configured` names those set up here) and scopes. Returns the record and
/// whether the provider is not configured where this runs (the caller warns).
pub async fn add_resource(
    store: &dyn Store,
    now: DateTime<Utc>,
    new: NewResource,
    configured: &[String],
) -> Result<(ResourceRecord, bool), ResourceError> {
    let uri = canonical_uri(&new.uri)?;
    let display_name = new.display_name.trim().to_owned();
    if display_name.is_empty() || display_name.chars().count() > MAX_DISPLAY_NAME_LEN {
        return Err(ResourceError::InvalidDisplayName);
    }
    let scopes: Vec<String> = new
        .scopes
        .iter()
        .map(|scope| scope.trim().to_owned())
        .filter(|scope| !scope.is_empty())
        .collect();
    if scopes.is_empty() {
        return Err(ResourceError::NoScopes);
    }
    let unconfigured =
        !check_providers(std::slice::from_ref(&new.provider), configured)?.is_empty();
    let active: Vec<String> = store
        .clients()
        .await?
        .into_iter()
        .filter(|client| client.revoked_at.is_none())
        .map(|client| client.name)
        .collect();
    if !active.contains(&new.client_name) {
        return Err(ResourceError::UnknownClient {
            name: new.client_name.chars().take(64).collect(),
            active,
        });
    }
    let record = ResourceRecord {
        uri,
        client_name: new.client_name,
        provider: new.provider,
        scopes,
        display_name,
        created_at: now,
    };
    if !store.insert_resource(&record).await? {
        return Err(ResourceError::Exists(record.uri));
    }
    let mut event = Event::admin(now, &record.client_name, AuditAction::ResourceAdded);
    event.provider = Some(record.provider.clone());
    event.detail = Some(record.uri.clone());
    audit::record(store, event).await;
    Ok((record, unconfigured))
}

/// Removes a resource, named by any spelling of its URI that has the same canonical form.
pub async fn remove_resource(
    store: &dyn Store,
    now: DateTime<Utc>,
    uri: &str,
) -> Result<ResourceRecord, ResourceError> {
    let uri = canonical_uri(uri)?;
    let record = store
        .resource(&uri)
        .await?
        .ok_or_else(|| ResourceError::NotFound(uri.clone()))?;
    if !store.delete_resource(&uri).await? {
        return Err(ResourceError::NotFound(uri));
    }
    let mut event = Event::admin(now, &record.client_name, AuditAction::ResourceRemoved);
    event.provider = Some(record.provider.clone());
    event.detail = Some(record.uri.clone());
    audit::record(store, event).await;
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::canonical_uri;

    #[test]
    fn uris_are_normalised_to_one_spelling() {
        let same = [
            "https://MCP.Example.com/mcp",
            "HTTPS://mcp.example.com:443/mcp/",
            "https://mcp.example.com/mcp//",
        ];
        for text in same {
            assert_eq!(canonical_uri(text).unwrap(), "https://mcp.example.com/mcp");
        }
        assert_eq!(
            canonical_uri("https://mcp.example.com/").unwrap(),
            "https://mcp.example.com"
        );
        assert_eq!(
            canonical_uri("https://mcp.example.com:8443").unwrap(),
            "https://mcp.example.com:8443"
        );
        assert_eq!(
            canonical_uri("http://127.0.0.1:9000/mcp").unwrap(),
            "http://127.0.0.1:9000/mcp"
        );
        assert_eq!(
            canonical_uri("http://[::1]:9000/").unwrap(),
            "http://[::1]:9000"
        );
        assert_eq!(
            canonical_uri("http://LOCALHOST/mcp").unwrap(),
            "http://localhost/mcp"
        );
    }

    #[test]
    fn uris_that_cannot_name_a_resource_are_refused() {
        for text in [
            "http://mcp.example.com/mcp",
            "https://mcp.example.com/mcp#tools",
            "https://mcp.example.com/mcp?x=1",
            "https://user@mcp.example.com/mcp",
            "ftp://mcp.example.com/",
            "/mcp",
            "mcp.example.com",
        ] {
            assert!(canonical_uri(text).is_err(), "{text}");
        }
    }
}
