//! The authorization server's roles: MCP clients, sign-ins and browser sessions at the
//! gateway, and what users authorized (consents, grants, codes, refresh tokens). Every
//! method is atomic; the ones that must be single-use across replicas (a code, a refresh
//! token, a login) are one conditional statement or one transaction.

use super::authz_records::{
    AuthorizationCodeRecord, AuthorizationGrantRecord, BrowserSessionRecord, CodeRedemption,
    ConsentRecord, LoginRecord, NewLogin, NewRefreshToken, OAuthClientRecord, RefreshRotation,
};
use super::{CredentialRecord, SignInGrant, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// MCP clients known to the authorization server, by `client_id`.
#[async_trait]
pub trait OAuthClientStore: Send + Sync {
    /// Stores a new client; `false` (nothing written) when the id is taken.
    async fn insert_oauth_client(&self, client: &OAuthClientRecord) -> StoreResult<bool>;

    /// Inserts or replaces a client (a metadata document fetched again).
    async fn upsert_oauth_client(&self, client: &OAuthClientRecord) -> StoreResult<()>;

    async fn oauth_client(&self, client_id: &str) -> StoreResult<Option<OAuthClientRecord>>;

    /// Records that the client was used, unless already recorded at or after
    /// `unless_since` (one write an hour for a busy client).
    async fn record_oauth_client_use(
        &self,
        client_id: &str,
        now: DateTime<Utc>,
        unless_since: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Deletes dynamic registrations created before `before` and never used since
    /// `before`, with no live grant; returns how many.
    async fn delete_unused_dynamic_clients(&self, before: DateTime<Utc>) -> StoreResult<u64>;
}

/// Sign-ins at the gateway (the browser's trip to the login provider) and the browser
/// sessions they open.
#[async_trait]
pub trait LoginStore: Send + Sync {
    async fn insert_login(&self, login: &NewLogin) -> StoreResult<()>;

    /// The login whose `state` hash matches, used or not, expired or not.
    async fn login_by_state(&self, state_hash: &[u8]) -> StoreResult<Option<LoginRecord>>;

    /// Marks an unused, unexpired login used. Exactly one caller ever gets `true`.
    async fn claim_login(&self, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool>;

    /// In one transaction: stores the user's grant at the login provider (as
    /// `SessionStore::complete_sign_in` does: the stored refresh token is kept when the
    /// grant has none, status `Active`, version bumped) and opens the browser session
    /// (its idle expiry capped at its absolute one).
    async fn complete_login(
        &self,
        grant: &SignInGrant,
        session: &BrowserSessionRecord,
        now: DateTime<Utc>,
    ) -> StoreResult<CredentialRecord>;

    /// The browser session with this cookie hash, if neither expiry has passed at `now`.
    async fn browser_session(
        &self,
        id_hash: &[u8],
        now: DateTime<Utc>,
    ) -> StoreResult<Option<BrowserSessionRecord>>;

    /// Moves the idle expiry forward (never past the absolute one; an earlier time is
    /// ignored).
    async fn touch_browser_session(
        &self,
        id_hash: &[u8],
        idle_expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// Signs a browser out; `false` when there was no such session.
    async fn delete_browser_session(&self, id_hash: &[u8]) -> StoreResult<bool>;

    /// Deletes logins and browser sessions that expired before `before`; returns how many.
    async fn delete_logins_and_browser_sessions_expired_before(
        &self,
        before: DateTime<Utc>,
    ) -> StoreResult<u64>;
}

/// What users authorized: remembered consents, and the grants with their codes and
/// refresh tokens.
#[async_trait]
pub trait AuthorizationStore: Send + Sync {
    /// Remembers a consent, replacing one for the same (user, client, resource).
    async fn upsert_consent(&self, consent: &ConsentRecord) -> StoreResult<()>;

    async fn consent(
        &self,
        user_subject: &str,
        client_id: &str,
        resource: &str,
    ) -> StoreResult<Option<ConsentRecord>>;

    /// A user's consents, by client then resource.
    async fn consents_for_user(&self, user_subject: &str) -> StoreResult<Vec<ConsentRecord>>;

    /// In one transaction: forgets the user's consents for the client and revokes every
    /// grant of the user to the client (so its refresh tokens stop working). Returns how
    /// many grants were revoked.
    async fn revoke_client_authorization(
        &self,
        user_subject: &str,
        client_id: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;

    /// In one transaction: stores a new grant and its first code.
    async fn insert_grant_with_code(
        &self,
        grant: &AuthorizationGrantRecord,
        code: &AuthorizationCodeRecord,
    ) -> StoreResult<()>;

    async fn grant(&self, id: Uuid) -> StoreResult<Option<AuthorizationGrantRecord>>;

    /// The user's unrevoked grants, newest first.
    async fn active_grants_for_user(
        &self,
        user_subject: &str,
    ) -> StoreResult<Vec<AuthorizationGrantRecord>>;

    /// Redeems a code once, across replicas: the first caller for an unexpired code gets
    /// `Redeemed` (and must then check the grant is not revoked); a later caller gets
    /// `Replayed` and the code's grant is revoked in the same transaction, also once the
    /// used code has expired (until it is swept). An unused expired code is `Unknown`.
    async fn redeem_code(
        &self,
        code_hash: &[u8],
        now: DateTime<Utc>,
    ) -> StoreResult<CodeRedemption>;

    /// Stores a refresh token (the first of a grant, issued with the code's tokens).
    async fn insert_refresh_token(&self, token: &NewRefreshToken) -> StoreResult<()>;

    /// Uses a refresh token, once, across replicas, in one transaction: see
    /// [`RefreshRotation`]. `grace_since`: a token used at or after this time whose
    /// successor was never used counts as a lost response, not a reuse. `new` is stored
    /// only for `Rotated` and `Reissued`, always in the presented token's grant (the
    /// caller cannot know that grant beforehand): `new.grant_id` is not read.
    async fn rotate_refresh_token(
        &self,
        token_hash: &[u8],
        new: &NewRefreshToken,
        now: DateTime<Utc>,
        grace_since: DateTime<Utc>,
    ) -> StoreResult<RefreshRotation>;

    /// Revokes a grant (and so its refresh tokens); `false` when it was already revoked
    /// or does not exist.
    async fn revoke_grant(&self, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool>;

    /// The grant of a live refresh token (neither used nor expired, and its grant not
    /// revoked: a token of a revoked grant is dead), for revocation (RFC 7009) and
    /// introspection; `None` for any other token.
    async fn grant_of_refresh_token(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
    ) -> StoreResult<Option<AuthorizationGrantRecord>>;

    /// Deletes codes and refresh tokens expired before `before`, and grants revoked before
    /// `before`; returns how many rows.
    async fn delete_authorization_rows_expired_before(
        &self,
        before: DateTime<Utc>,
    ) -> StoreResult<u64>;
}
