//! API clients (G7, docs/threat-model.md A1–A3): per-MCP-server keys `gw_<43 base64url chars>`
//! (32 random bytes), stored only as SHA-256 digests, with provider and scope
//! allow-lists, revocation, and rotation with a grace period for the old key.

use crate::core::audit::{self, AuditAction, Event};
use crate::core::client::{Access, Client, DEFAULT_CLIENT};
use crate::core::clock::Clock;
use crate::core::error::CoreError;
use crate::core::random;
use crate::store::{ClientRecord, ClientStore, NewClient, Store, StoreError};
use crate::upstream::{KNOWN_PROVIDERS, known_provider};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Every client key starts with this, so leaked keys are easy to recognise and scan for.
pub const KEY_PREFIX: &str = "gw_";
/// The name the background refresh acts under; no client may take it.
const RESERVED_NAMES: [&str; 2] = [DEFAULT_CLIENT, "background-refresh"];

/// A newly made client key: shown once, then only its digest exists.
pub struct NewKey {
    pub key: SecretString,
    digest: [u8; 32],
}

impl NewKey {
    fn generate() -> Self {
        let key = SecretString::from(format!("{KEY_PREFIX}{}", random::token().expose_secret()));
        let digest = digest(key.expose_secret());
        Self { key, digest }
    }
}

impl std::fmt::Debug for NewKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewKey([REDACTED])")
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// Client names are short identifiers, shown in logs and the audit trail.
fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && !RESERVED_NAMES.contains(&name)
}

/// Whether a stored client admits `digest` at `now`: not revoked, and the digest is its
/// key or its previous key within the grace period. Digests compare in constant time.
fn admits(record: &ClientRecord, digest: &[u8; 32], now: DateTime<Utc>) -> bool {
    let current = record.key_digest.ct_eq(digest.as_slice());
    let previous = record
        .previous_key_digest
        .as_deref()
        .map_or(subtle::Choice::from(0), |old| old.ct_eq(digest.as_slice()));
    let in_grace = record
        .previous_key_valid_until
        .is_some_and(|until| until > now);
    record.revoked_at.is_none() && (bool::from(current) || (bool::from(previous) && in_grace))
}

/// Tells who is calling from the API key presented. Uses: `ClientStore`.
pub struct ApiKeys {
    pub(in crate::core) store: Arc<dyn ClientStore>,
    pub(in crate::core) clock: Arc<dyn Clock>,
    /// SHA-256 of the shared `AUTH_GATEWAY_API_KEY`.
    pub(in crate::core) shared_key_digest: [u8; 32],
}

impl ApiKeys {
    pub fn new(
        store: Arc<dyn ClientStore>,
        clock: Arc<dyn Clock>,
        shared_key: &SecretString,
    ) -> Self {
        Self {
            store,
            clock,
            shared_key_digest: digest(shared_key.expose_secret()),
        }
    }

    /// Authenticates an `X-API-Key`: the shared environment key (client `default`, all
    /// providers, compared in constant time) or a client key looked up by its digest.
    pub async fn authenticate(&self, presented: Option<&str>) -> Result<Client, CoreError> {
        let presented = presented.ok_or(CoreError::InvalidApiKey)?;
        let digest = digest(presented);
        if bool::from(digest.ct_eq(&self.shared_key_digest)) {
            return Ok(Client::unrestricted(DEFAULT_CLIENT));
        }
        if !presented.starts_with(KEY_PREFIX) {
            return Err(CoreError::InvalidApiKey);
        }
        // Looking up by digest leaks nothing useful: the digest of a 256-bit random key.
        let record = self
            .store
            .client_by_digest(&digest)
            .await?
            .filter(|record| admits(record, &digest, self.clock.now()))
            .ok_or(CoreError::InvalidApiKey)?;
        Ok(Client {
            name: record.name,
            access: Access {
                providers: Some(record.allowed_providers),
                scopes: record.allowed_scopes,
                defaults_excluded: record.scopes_exclude_defaults,
            },
            verified_users_only: record.verified_users_only,
        })
    }
}

/// Why a client command failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientAdminError {
    #[error("client names are 1-64 letters, digits, '-', '_' or '.', and not {RESERVED_NAMES:?}")]
    InvalidName,
    #[error("a client must be allowed at least one provider")]
    NoProviders,
    #[error("a client named {0:?} already exists")]
    Exists(String),
    #[error("no active client named {0:?}")]
    NotFound(String),
    /// The shared key is configured by the environment, not stored, and stays the
    /// single-user deployment's all-purpose key.
    #[error("the shared key {DEFAULT_CLIENT:?} has no settings to change; create a client instead")]
    SharedKey,
    #[error(
        "unknown provider {name:?}; configured providers: {}",
        list_or_none(configured)
    )]
    UnknownProvider {
        name: String,
        configured: Vec<String>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        let known: Vec<&str> = KNOWN_PROVIDERS.iter().map(|known| known.name).collect();
        format!("none (known: {})", known.join(", "))
    } else {
        names.join(", ")
    }
}

/// Checks the providers a new client is to be allowed against those `configured` where
/// the command runs: a name the gateway does not know is refused; a known provider that
/// is not configured here is accepted (the admin command may run where its settings are
/// not present) and returned, so the caller can say so.
pub fn check_providers(
    requested: &[String],
    configured: &[String],
) -> Result<Vec<String>, ClientAdminError> {
    let mut unconfigured = Vec::new();
    for name in requested {
        if known_provider(name).is_none() {
            return Err(ClientAdminError::UnknownProvider {
                name: name.chars().take(64).collect(),
                configured: configured.to_vec(),
            });
        }
        if !configured.contains(name) {
            unconfigured.push(name.clone());
        }
    }
    Ok(unconfigured)
}

/// The scopes a new client may hold: its providers' defaults (unless excluded) and
/// `extra`, nothing else, so a new client never gets every scope a grant carries
/// (docs/threat-model.md A3).
#[derive(Debug, Clone, Default)]
pub struct ScopeAllowance {
    pub extra: Vec<String>,
    pub exclude_defaults: bool,
}

/// How a new client obtains users' tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientPolicy {
    /// Only by token exchange (RFC 8693), never by asserting an email.
    pub verified_users_only: bool,
}

/// Creates a client; returns its record and its key (to show once).
pub async fn create_client(
    store: &dyn Store,
    now: DateTime<Utc>,
    name: &str,
    providers: Vec<String>,
    scopes: ScopeAllowance,
    policy: ClientPolicy,
) -> Result<(ClientRecord, NewKey), ClientAdminError> {
    if !valid_name(name) {
        return Err(ClientAdminError::InvalidName);
    }
    if providers.is_empty() {
        return Err(ClientAdminError::NoProviders);
    }
    let key = NewKey::generate();
    let client = NewClient {
        id: uuid::Uuid::new_v4(),
        name: name.to_owned(),
        key_digest: key.digest.to_vec(),
        allowed_providers: providers,
        allowed_scopes: Some(scopes.extra),
        scopes_exclude_defaults: scopes.exclude_defaults,
        verified_users_only: policy.verified_users_only,
        created_at: now,
    };
    if !store.insert_client(&client).await? {
        return Err(ClientAdminError::Exists(name.to_owned()));
    }
    audit::record(store, Event::admin(now, name, AuditAction::ClientCreated)).await;
    let record = ClientRecord {
        id: client.id,
        name: client.name,
        key_digest: client.key_digest,
        allowed_providers: client.allowed_providers,
        allowed_scopes: client.allowed_scopes,
        scopes_exclude_defaults: client.scopes_exclude_defaults,
        verified_users_only: client.verified_users_only,
        created_at: now,
        revoked_at: None,
        previous_key_digest: None,
        previous_key_valid_until: None,
    };
    Ok((record, key))
}

/// Restricts a client to verified users, or lifts it; effective at the client's next
/// request (keys are looked up on every request). Audited as `client_updated`.
pub async fn set_verified_users_only(
    store: &dyn Store,
    now: DateTime<Utc>,
    name: &str,
    verified_users_only: bool,
) -> Result<(), ClientAdminError> {
    if name == DEFAULT_CLIENT {
        return Err(ClientAdminError::SharedKey);
    }
    if !store
        .set_client_verified_users_only(name, verified_users_only)
        .await?
    {
        return Err(ClientAdminError::NotFound(name.to_owned()));
    }
    let mut event = Event::admin(now, name, AuditAction::ClientUpdated);
    event.detail = Some(format!("verified_users_only={verified_users_only}"));
    audit::record(store, event).await;
    Ok(())
}

/// Revokes a client: its keys stop working at once (there is no cache).
pub async fn revoke_client(
    store: &dyn Store,
    now: DateTime<Utc>,
    name: &str,
) -> Result<(), ClientAdminError> {
    if !store.revoke_client(name, now).await? {
        return Err(ClientAdminError::NotFound(name.to_owned()));
    }
    audit::record(store, Event::admin(now, name, AuditAction::ClientRevoked)).await;
    Ok(())
}

/// A rotation's outcome: the new key (to show once), and when an earlier rotation's
/// grace was still running, the time its previous key would have stopped working (one
/// previous key is kept, so that key stops working now).
#[derive(Debug)]
pub struct Rotation {
    pub key: NewKey,
    pub grace_cut_short: Option<DateTime<Utc>>,
}

/// Gives a client a new key; the old one keeps working for `grace`.
pub async fn rotate_client(
    store: &dyn Store,
    now: DateTime<Utc>,
    name: &str,
    grace: chrono::Duration,
) -> Result<Rotation, ClientAdminError> {
    let grace_cut_short = store
        .clients()
        .await?
        .into_iter()
        .find(|client| client.name == name && client.revoked_at.is_none())
        .and_then(|client| client.previous_key_valid_until)
        .filter(|until| *until > now);
    let key = NewKey::generate();
    if !store
        .rotate_client_key(name, &key.digest, now + grace)
        .await?
    {
        return Err(ClientAdminError::NotFound(name.to_owned()));
    }
    let mut event = Event::admin(now, name, AuditAction::ClientRotated);
    event.detail = Some(format!("previous key valid for {}s", grace.num_seconds()));
    audit::record(store, event).await;
    Ok(Rotation {
        key,
        grace_cut_short,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(digest: [u8; 32]) -> ClientRecord {
        ClientRecord {
            id: uuid::Uuid::nil(),
            name: "ads".into(),
            key_digest: digest.to_vec(),
            allowed_providers: vec!["google".into()],
            allowed_scopes: None,
            scopes_exclude_defaults: false,
            verified_users_only: false,
            created_at: DateTime::UNIX_EPOCH,
            revoked_at: None,
            previous_key_digest: None,
            previous_key_valid_until: None,
        }
    }

    #[test]
    fn new_keys_carry_the_prefix_and_32_random_bytes() {
        let (a, b) = (NewKey::generate(), NewKey::generate());
        assert!(a.key.expose_secret().starts_with(KEY_PREFIX));
        assert_eq!(a.key.expose_secret().len(), KEY_PREFIX.len() + 43);
        assert_ne!(a.key.expose_secret(), b.key.expose_secret());
        assert_eq!(a.digest, digest(a.key.expose_secret()));
        assert!(!format!("{a:?}").contains(a.key.expose_secret()));
    }

    #[test]
    fn a_previous_key_is_admitted_only_during_its_grace_and_never_after_revocation() {
        let now = DateTime::UNIX_EPOCH + chrono::Duration::days(1);
        let (new, old) = (digest("gw_new"), digest("gw_old"));
        let mut client = record(new);
        client.previous_key_digest = Some(old.to_vec());
        client.previous_key_valid_until = Some(now + chrono::Duration::minutes(5));
        assert!(admits(&client, &new, now));
        assert!(admits(&client, &old, now));
        assert!(!admits(&client, &old, now + chrono::Duration::minutes(6)));
        assert!(!admits(&client, &digest("gw_other"), now));
        client.revoked_at = Some(now);
        assert!(!admits(&client, &new, now));
    }

    #[test]
    fn unknown_providers_are_refused_naming_the_configured_ones() {
        let google = vec!["google".to_owned()];
        let error = check_providers(&["nosuchprovider".into()], &google).unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown provider \"nosuchprovider\"; configured providers: google"
        );
        let error = check_providers(&["x".into()], &[]).unwrap_err();
        assert!(
            error.to_string().ends_with("none (known: google)"),
            "{error}"
        );
        assert_eq!(
            check_providers(&google, &google).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(check_providers(&google, &[]).unwrap(), google);
    }

    #[test]
    fn reserved_and_odd_names_are_refused() {
        assert!(valid_name("google-ads-mcp"));
        assert!(!valid_name("default"));
        assert!(!valid_name(""));
        assert!(!valid_name("name with spaces"));
    }
}
