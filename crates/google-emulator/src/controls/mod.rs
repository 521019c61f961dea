//! Test controls and inspection on [`EmulatorState`]: the knobs a test turns to
//! make the emulator misbehave like Google does, and what it can read back.

mod api_http;
mod apis;
pub(crate) mod http;

use std::time::Duration;

use crate::ids;
use crate::state::{Account, AccountOptions, Counters, EmulatorState, new_account};

impl EmulatorState {
    /// Registers (or replaces) an account; returns it as stored.
    pub fn add_account(&self, email: &str, options: AccountOptions) -> Account {
        let account = new_account(email, options);
        self.lock()
            .accounts
            .insert(account.email.clone(), account.clone());
        account
    }

    /// The account for `email`, if known.
    pub fn account(&self, email: &str) -> Option<Account> {
        self.lock()
            .accounts
            .get(&ids::normalize_email(email))
            .cloned()
    }

    /// Every known account, ordered by email.
    pub fn accounts(&self) -> Vec<Account> {
        self.lock().accounts.values().cloned().collect()
    }

    /// `expires_in` of access tokens minted from now on.
    pub fn set_access_token_lifetime(&self, secs: u64) {
        self.lock().settings.access_token_lifetime_secs = secs;
    }

    /// When on, every refresh returns a new refresh token and the old one
    /// stops working.
    pub fn set_rotate_refresh_tokens(&self, rotate: bool) {
        self.lock().settings.rotate_refresh_tokens = rotate;
    }

    /// Delay before the token endpoint answers anything.
    pub fn set_latency(&self, latency: Duration) {
        self.lock().settings.latency = latency;
    }

    /// The next `count` POSTs to `/token` fail with `status` (5xx answers
    /// `internal_failure`, 429 answers `rate_limit_exceeded`).
    pub fn fail_next_token_requests(&self, count: u32, status: u16) {
        let mut inner = self.lock();
        inner.settings.fail_next = count;
        inner.settings.fail_status = status;
    }

    /// When on, every refresh answers `invalid_grant`.
    pub fn force_invalid_grant(&self, on: bool) {
        self.lock().settings.force_invalid_grant = on;
    }

    /// The next authorization signs in as `email` whatever its `login_hint`
    /// says (the user picked another account in the chooser). `None` clears it.
    pub fn sign_in_as(&self, email: Option<String>) {
        self.lock().settings.sign_in_as = email.map(|e| ids::normalize_email(&e));
    }

    /// The next authorization redirects back with `error=access_denied`.
    pub fn deny_next_authorization(&self) {
        self.lock().settings.deny_next = true;
    }

    /// The next `id_token` the token endpoint issues has `aud` (and `azp`) set to
    /// another client: well formed, but a relying party must refuse it. The grant
    /// itself is real, so a test can see whether the refused grant is revoked.
    pub fn issue_foreign_next_id_token(&self) {
        self.lock().settings.foreign_id_tokens += 1;
    }

    /// The user unchecks scopes: granted scopes become the intersection of the
    /// requested ones with `scopes`. `None` grants everything requested again.
    pub fn grant_only_scopes(&self, scopes: Option<Vec<String>>) {
        self.lock().settings.grant_only_scopes = scopes;
    }

    /// The user removes the app from their Google account: every grant of
    /// `email` (all clients) dies and its consents are forgotten.
    pub fn revoke_all_for(&self, email: &str) {
        let email = ids::normalize_email(email);
        let mut inner = self.lock();
        let doomed: Vec<u64> = inner
            .grants
            .values()
            .filter(|g| g.email == email)
            .map(|g| g.seq)
            .collect();
        for id in doomed {
            inner.kill_grant(id);
        }
        inner.consents.retain(|(e, _), _| *e != email);
    }

    /// Snapshot of the counters.
    pub fn counters(&self) -> Counters {
        self.lock().counters
    }

    /// Whether `token` is a live, unexpired, unrevoked access token.
    pub fn access_token_is_valid(&self, token: &str) -> bool {
        self.lock().valid_access_token(token).is_some()
    }

    /// The scopes an issued access token carries (what Google's tokeninfo reports),
    /// `None` for a token the emulator does not know or forgot (revoked).
    pub fn access_token_scopes(&self, token: &str) -> Option<Vec<String>> {
        self.lock()
            .access_tokens
            .get(token)
            .map(|record| record.scopes.clone())
    }

    /// The most recently minted unrevoked access token of `email` (it may
    /// have expired since).
    pub fn latest_access_token_for(&self, email: &str) -> Option<String> {
        let email = ids::normalize_email(email);
        let inner = self.lock();
        inner
            .access_tokens
            .iter()
            .filter(|(_, r)| {
                inner
                    .grants
                    .get(&r.grant_id)
                    .is_some_and(|g| g.email == email)
            })
            .max_by_key(|(_, r)| r.seq)
            .map(|(t, _)| t.clone())
    }

    /// The live refresh token of `email`'s most recent grant that has one.
    pub fn refresh_token_for(&self, email: &str) -> Option<String> {
        let email = ids::normalize_email(email);
        let inner = self.lock();
        inner
            .grants
            .values()
            .filter(|g| g.email == email && g.refresh_token.is_some())
            .max_by_key(|g| g.seq)
            .and_then(|g| g.refresh_token.clone())
    }

    /// Tokens passed to `/revoke` that were valid at the time, oldest first.
    pub fn revoked_tokens(&self) -> Vec<String> {
        self.lock().revoked.clone()
    }

    /// Forgets every code, grant, token, consent and counter and resets the
    /// misbehaviour knobs (including sunset Ads versions, Ads page size and
    /// forced API failures); accounts, their Ads and Analytics data, client
    /// credentials and the access-token lifetime stay.
    pub fn reset(&self) {
        let mut inner = self.lock();
        let lifetime = inner.settings.access_token_lifetime_secs;
        inner.settings = crate::state::Settings {
            access_token_lifetime_secs: lifetime,
            ..Default::default()
        };
        inner.codes.clear();
        inner.grants.clear();
        inner.access_tokens.clear();
        inner.refresh_tokens.clear();
        inner.consents.clear();
        inner.revoked.clear();
        inner.counters = Counters::default();
    }
}
