//! The emulator's in-memory world: accounts, codes, grants and tokens, behind
//! one mutex that handlers lock briefly and never hold across an `.await`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::apis::{AdsCustomer, GaAccount};
use crate::ids;

/// A Google account known to the emulator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Account {
    /// Lower-cased email address.
    pub email: String,
    /// Stable subject identifier (21 digits unless given explicitly).
    pub sub: String,
    /// Value of the `email_verified` claim.
    pub email_verified: bool,
    /// Hosted (Workspace) domain, sent as `hd` when set.
    pub hd: Option<String>,
    /// Display name derived from the email's local part.
    pub name: String,
    /// First word of [`Account::name`].
    pub given_name: String,
    /// Rest of [`Account::name`].
    pub family_name: String,
    /// Avatar URL (Google's default avatar).
    pub picture: String,
}

/// How [`crate::EmulatorState::add_account`] sets up an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountOptions {
    /// Value of the `email_verified` claim.
    pub email_verified: bool,
    /// Subject id; `None` derives one from the email.
    pub sub: Option<String>,
    /// Hosted domain claim; `None` leaves it out.
    pub hd: Option<String>,
}

impl Default for AccountOptions {
    fn default() -> Self {
        Self {
            email_verified: true,
            sub: None,
            hd: None,
        }
    }
}

/// How many times each endpoint did its job, for tests to assert on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// Authorization codes issued by `/o/oauth2/v2/auth`.
    pub authorizations: u64,
    /// Successful `authorization_code` exchanges at `/token`.
    pub code_exchanges: u64,
    /// Successful `refresh_token` grants at `/token`.
    pub refreshes: u64,
    /// Successful revocations at `/revoke`.
    pub revocations: u64,
    /// Every request to a userinfo endpoint, valid or not.
    pub userinfo_calls: u64,
    /// `/token` requests answered with a forced failure.
    pub token_requests_failed: u64,
    /// Every request to a Google Ads API route, answered or refused.
    pub ads_requests: u64,
    /// Every request to an Analytics Data or Admin API route, answered or refused.
    pub analytics_requests: u64,
    /// Ads and Analytics requests answered with a forced failure.
    pub api_requests_failed: u64,
}

/// PKCE transformation named at authorization time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PkceMethod {
    Plain,
    S256,
}

/// An issued, not yet exchanged authorization code.
#[derive(Clone, Debug)]
pub(crate) struct AuthCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub challenge: Option<(String, PkceMethod)>,
    pub scopes: Vec<String>,
    pub email: String,
    pub nonce: Option<String>,
    pub issue_refresh_token: bool,
    pub expires_at: Instant,
}

/// What one successful code exchange created: the unit that `/revoke` kills.
#[derive(Clone, Debug)]
pub(crate) struct Grant {
    pub seq: u64,
    pub email: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub refresh_token: Option<String>,
}

/// A live access token.
#[derive(Clone, Debug)]
pub(crate) struct AccessTokenRecord {
    pub grant_id: u64,
    pub seq: u64,
    pub expires_at: Instant,
    /// What this token may do: the grant's scopes, or the subset a refresh asked for.
    pub scopes: Vec<String>,
}

/// Knobs the controls turn.
#[derive(Clone, Debug, Default)]
pub(crate) struct Settings {
    pub access_token_lifetime_secs: u64,
    pub rotate_refresh_tokens: bool,
    pub latency: Duration,
    pub fail_next: u32,
    pub fail_status: u16,
    pub force_invalid_grant: bool,
    pub sign_in_as: Option<String>,
    pub deny_next: bool,
    /// How many of the next `id_token`s name another audience (meant for another client).
    pub foreign_id_tokens: u32,
    pub grant_only_scopes: Option<Vec<String>>,
    pub api: ApiSettings,
}

/// Knobs of the Ads and Analytics emulation.
#[derive(Clone, Debug)]
pub(crate) struct ApiSettings {
    /// Ads major versions answered with "unsupported version".
    pub sunset_ads_versions: BTreeSet<u32>,
    /// Rows per `googleAds:search` page and `searchStream` batch.
    pub ads_page_size: usize,
    pub fail_next: u32,
    pub fail_status: u16,
}

impl Default for ApiSettings {
    fn default() -> Self {
        Self {
            sunset_ads_versions: (19..=22).collect(),
            ads_page_size: 10_000,
            fail_next: 0,
            fail_status: 0,
        }
    }
}

/// Everything behind the mutex.
#[derive(Debug, Default)]
pub(crate) struct Inner {
    pub client_id: String,
    pub client_secret: String,
    pub issuer: String,
    pub base_url: String,
    pub settings: Settings,
    pub accounts: BTreeMap<String, Account>,
    pub codes: HashMap<String, AuthCode>,
    pub grants: HashMap<u64, Grant>,
    pub access_tokens: HashMap<String, AccessTokenRecord>,
    /// Live refresh tokens only; rotated and revoked ones are removed.
    pub refresh_tokens: HashMap<String, u64>,
    /// (email, `client_id`) → scopes the account has consented to.
    pub consents: HashMap<(String, String), Vec<String>>,
    pub counters: Counters,
    pub revoked: Vec<String>,
    /// Ads data per email; absent means the sample data.
    pub ads_customers: HashMap<String, Vec<AdsCustomer>>,
    /// Analytics data per email; absent means the sample data.
    pub analytics_accounts: HashMap<String, Vec<GaAccount>>,
    next_seq: u64,
}

impl Inner {
    /// A fresh, strictly increasing sequence number ("latest" means highest).
    pub fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// The account for `email`, created as a verified account if unknown
    /// (Google would let any address sign in).
    pub fn account_or_create(&mut self, email: &str) -> Account {
        let email = ids::normalize_email(email);
        self.accounts
            .entry(email.clone())
            .or_insert_with(|| new_account(&email, AccountOptions::default()))
            .clone()
    }

    /// Starts a grant from an exchanged code.
    pub fn new_grant(&mut self, code: &AuthCode) -> u64 {
        let seq = self.next_seq();
        let refresh_token = code.issue_refresh_token.then(ids::refresh_token);
        if let Some(rt) = &refresh_token {
            self.refresh_tokens.insert(rt.clone(), seq);
        }
        self.grants.insert(
            seq,
            Grant {
                seq,
                email: code.email.clone(),
                client_id: code.client_id.clone(),
                scopes: code.scopes.clone(),
                refresh_token,
            },
        );
        seq
    }

    /// Mints an access token for `grant_id`, carrying `scopes`, with the current lifetime.
    pub fn mint_access_token(&mut self, grant_id: u64, scopes: Vec<String>) -> (String, u64) {
        let lifetime = self.settings.access_token_lifetime_secs;
        let token = ids::access_token();
        let seq = self.next_seq();
        self.access_tokens.insert(
            token.clone(),
            AccessTokenRecord {
                grant_id,
                seq,
                expires_at: Instant::now() + Duration::from_secs(lifetime),
                scopes,
            },
        );
        (token, lifetime)
    }

    /// The grant behind `token` if it is a live, unexpired access token.
    pub fn valid_access_token(&self, token: &str) -> Option<&Grant> {
        let record = self.access_tokens.get(token)?;
        if Instant::now() >= record.expires_at {
            return None;
        }
        self.grants.get(&record.grant_id)
    }

    /// What an API request's bearer token is: live (with its grant and its own
    /// scopes), expired, or unknown (revoked tokens are forgotten, so they count as unknown).
    pub fn classify_access_token(&self, token: &str) -> TokenStatus<'_> {
        let Some(record) = self.access_tokens.get(token) else {
            return TokenStatus::Unknown;
        };
        match self.grants.get(&record.grant_id) {
            None => TokenStatus::Unknown,
            Some(_) if Instant::now() >= record.expires_at => TokenStatus::Expired,
            Some(grant) => TokenStatus::Live(grant, &record.scopes),
        }
    }

    /// Takes one forced Ads/Analytics failure if any is pending.
    pub fn take_forced_api_failure(&mut self) -> Option<u16> {
        if self.settings.api.fail_next == 0 {
            return None;
        }
        self.settings.api.fail_next -= 1;
        self.counters.api_requests_failed += 1;
        Some(self.settings.api.fail_status)
    }

    /// Which grant a live token (access, expired access, or refresh) belongs to.
    pub fn grant_of_token(&self, token: &str) -> Option<u64> {
        self.refresh_tokens
            .get(token)
            .copied()
            .or_else(|| self.access_tokens.get(token).map(|r| r.grant_id))
    }

    /// Revokes a whole grant: its refresh token, every access token, and the
    /// account's consent for the client (so the next sign-in consents afresh).
    pub fn kill_grant(&mut self, grant_id: u64) {
        let Some(grant) = self.grants.remove(&grant_id) else {
            return;
        };
        if let Some(rt) = &grant.refresh_token {
            self.refresh_tokens.remove(rt);
        }
        self.access_tokens.retain(|_, r| r.grant_id != grant_id);
        self.consents.remove(&(grant.email, grant.client_id));
    }

    /// Takes one forced `/token` failure if any is pending.
    pub fn take_forced_failure(&mut self) -> Option<u16> {
        if self.settings.fail_next == 0 {
            return None;
        }
        self.settings.fail_next -= 1;
        self.counters.token_requests_failed += 1;
        Some(self.settings.fail_status)
    }
}

/// See [`Inner::classify_access_token`].
#[derive(Debug)]
pub(crate) enum TokenStatus<'a> {
    Live(&'a Grant, &'a [String]),
    Expired,
    Unknown,
}

/// Builds an account record, deriving the display name from the email.
pub(crate) fn new_account(email: &str, options: AccountOptions) -> Account {
    let email = ids::normalize_email(email);
    let local = email.split('@').next().unwrap_or_default();
    let mut words: Vec<String> = local
        .split(['.', '_', '-', '+'])
        .filter(|w| !w.is_empty())
        .map(capitalize)
        .collect();
    if words.is_empty() {
        words.push("Emulated".into());
    }
    let given_name = words.remove(0);
    // Google always has a family name for these test identities; invent one
    // rather than leave the claim out.
    let family_name = if words.is_empty() {
        "Tester".to_owned()
    } else {
        words.join(" ")
    };
    Account {
        sub: options.sub.unwrap_or_else(|| ids::sub_for_email(&email)),
        email_verified: options.email_verified,
        hd: options.hd,
        name: format!("{given_name} {family_name}"),
        given_name,
        family_name,
        picture: "https://lh3.googleusercontent.com/a/default-user=s96-c".to_owned(),
        email,
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// Shared handle on the emulator's state; cheap to clone. The control methods
/// (in `controls`) and every HTTP handler go through it.
#[derive(Clone)]
pub struct EmulatorState {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for EmulatorState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorState").finish_non_exhaustive()
    }
}

impl EmulatorState {
    pub(crate) fn new(config: &crate::EmulatorConfig, base_url: String) -> Self {
        let inner = Inner {
            client_id: config.client_id.clone(),
            client_secret: config.client_secret.clone(),
            issuer: config.issuer.clone(),
            base_url,
            settings: Settings {
                access_token_lifetime_secs: config.access_token_lifetime_secs,
                ..Settings::default()
            },
            ..Inner::default()
        };
        Self {
            inner: Arc::new(Mutex::new(inner)),
        }
    }

    /// Locks the state. A panic in another handler must not wedge the whole
    /// emulator, so a poisoned lock is simply taken over.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_local_part() {
        let a = new_account("Alice.Smith@Example.com", AccountOptions::default());
        assert_eq!(a.email, "alice.smith@example.com");
        assert_eq!(a.name, "Alice Smith");
        assert_eq!(a.given_name, "Alice");
        assert_eq!(a.family_name, "Smith");
        let b = new_account("bob@example.com", AccountOptions::default());
        assert_eq!(b.name, "Bob Tester");
    }
}
