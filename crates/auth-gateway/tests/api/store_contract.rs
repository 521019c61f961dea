//! The store contract: one suite of behaviours every `Store` must have, run against a
//! fresh SQLite file and a fresh PostgreSQL database, so the two backends cannot drift.

// The suite functions and helpers are not #[test] fns, so clippy.toml's
// allow-expect-in-tests does not reach them; a failed expectation is a failed test.
#![allow(clippy::expect_used)]

use crate::support::db::{Backend, TestDatabase};
use auth_gateway::core::audit::{AuditAction, AuditOutcome};
use auth_gateway::core::crypto::Sealed;
use auth_gateway::store::{
    AuditEvent, AuditQuery, CredentialRecord, CredentialStatus, ImportedCredential, KeyIdCount,
    NewClient, NewSession, PgStore, RefreshedTokens, SessionRecord, SessionState, SignInGrant,
    SqliteStore, Store, StoreError,
};
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use uuid::Uuid;

/// The authorization server's roles (resources, signing keys).
mod authz;
use authz::*;
/// The authorization server's grants and codes, and the helpers of the `oauth_*` files.
mod oauth;
use oauth::*;
/// The authorization server's MCP clients.
mod oauth_clients;
use oauth_clients::*;
/// The authorization server's refresh tokens.
mod oauth_refresh;
use oauth_refresh::*;
/// The authorization server's consents and the listing and revocation of grants.
mod oauth_consents;
use oauth_consents::*;
/// The authorization server's logins and browser sessions.
mod oauth_logins;
use oauth_logins::*;
/// API clients restricted to verified users (token exchange only).
mod verified_clients;
use verified_clients::*;
/// The audit retention sweep.
mod audit;
use audit::*;
/// A client's pending sessions.
mod pending_sessions;
use pending_sessions::*;

/// Generates one `#[tokio::test]` per suite function for a backend. Suite functions take
/// the store, or (`@database`) the whole test database when they need its URL.
macro_rules! contract_tests {
    ($module:ident, $backend:expr) => {
        mod $module {
            use super::{Backend, TestDatabase};

            contract_tests!(@store $backend;
                a_new_session_reads_back_with_every_field,
                authorization_binds_only_pending_unexpired_sessions,
                a_second_authorization_replaces_the_state_and_browser_binding,
                exactly_one_of_sixteen_concurrent_claims_wins,
                an_expired_session_cannot_be_claimed,
                failing_a_session_records_the_error_only_while_it_is_open,
                completing_a_sign_in_stores_the_grant_and_completes_the_session,
                a_sign_in_without_refresh_token_keeps_the_stored_one_and_bumps_the_version,
                a_sign_in_reactivates_a_grant_that_needed_reauthentication,
                a_sign_in_on_an_unclaimed_session_stores_nothing,
                storing_refreshed_tokens_is_fenced_on_the_version,
                a_rotated_refresh_token_and_new_scopes_are_saved,
                marking_needs_reauth_is_fenced_on_the_version,
                credentials_for_a_user_are_ordered_by_provider_and_never_another_users,
                deleting_a_credential_returns_the_deleted_row,
                sweeping_sessions_deletes_and_counts_only_those_expired_before_the_cutoff,
                timestamps_round_trip_with_microsecond_precision,
                a_refresh_lease_has_one_holder_until_it_is_released_or_runs_out,
                storing_refreshed_tokens_releases_the_lease,
                a_client_is_found_by_its_current_or_previous_key_digest,
                a_client_name_is_taken_once_and_revocation_clears_the_previous_key,
                a_client_without_the_default_scopes_reads_back_so,
                a_client_is_made_verified_only_and_back_while_not_revoked,
                audit_events_filter_by_user_and_time_and_keep_the_newest,
                typed_audit_events_read_back_as_the_same_action_and_outcome,
                deleting_audit_events_removes_only_those_before_the_cutoff,
                pending_sessions_are_found_by_client_user_and_provider_unexpired_latest_first,
                key_id_counts_cover_token_columns_and_session_verifiers,
                resealing_a_credential_is_fenced_on_the_version_and_keeps_it,
                resealing_a_session_verifier_is_a_compare_and_swap,
                importing_a_credential_never_overwrites_an_existing_grant,
                resources_are_registered_once_listed_by_uri_and_removed,
                exactly_one_of_sixteen_concurrent_first_signing_keys_wins,
                rotating_a_signing_key_retires_the_previous_one_and_is_fenced,
                signing_key_ciphertexts_are_counted_and_resealed_by_compare_and_swap,
                sixteen_concurrent_code_redemptions_have_one_winner_and_revoke_the_grant,
                sixteen_concurrent_rotations_of_one_token_have_one_winner,
                a_code_is_unknown_once_expired_and_a_replay_even_after,
                a_code_of_a_revoked_grant_is_redeemed_with_the_revocation_shown,
                a_lost_response_is_reissued_within_grace_and_a_later_use_is_a_reuse,
                a_second_use_after_the_successor_was_used_is_a_reuse_even_within_grace,
                expired_unknown_and_revoked_refresh_tokens_are_invalid,
                sweeping_authorizations_deletes_expired_codes_and_tokens_and_revoked_grants,
                a_consent_is_remembered_replaced_and_listed_by_client_then_resource,
                revoking_a_client_forgets_its_consents_and_revokes_only_its_grants,
                active_grants_are_the_users_unrevoked_ones_newest_first,
                oauth_clients_are_inserted_once_replaced_and_their_use_recorded_hourly,
                unused_dynamic_clients_are_swept_but_used_fixed_and_granted_ones_stay,
                a_login_reads_back_by_state_and_exactly_one_of_sixteen_claims_wins,
                completing_a_login_stores_the_grant_and_opens_the_browser_session,
                browser_sessions_end_at_either_expiry_and_touching_stops_at_the_absolute_one,
                sweeping_logins_and_browser_sessions_counts_only_the_expired,
                key_id_counts_include_login_verifiers,
            );
            contract_tests!(@database $backend;
                migrations_are_idempotent_across_connects,
                a_row_that_cannot_be_parsed_is_reported_corrupt,
            );
        }
    };
    (@store $backend:expr; $($test:ident),+ $(,)?) => {$(
        // Multi-threaded so the concurrency tests race for real.
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            let database = TestDatabase::create($backend).await;
            super::$test(database.store().await).await;
        }
    )+};
    (@database $backend:expr; $($test:ident),+ $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            let database = TestDatabase::create($backend).await;
            super::$test(&database).await;
        }
    )+};
}

contract_tests!(sqlite, Backend::Sqlite);
contract_tests!(postgres, Backend::Postgres);

const GOOGLE: &str = "google";
const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";

/// A fixed instant with a full six-digit fraction, so any precision loss shows.
fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(1_767_225_600_123_456).expect("valid instant")
}

fn at(seconds: i64) -> DateTime<Utc> {
    t0() + Duration::seconds(seconds)
}

fn sealed(what: &str) -> Sealed {
    Sealed {
        key_id: format!("key-{what}"),
        ciphertext: format!("gAAAA-{what}-{}", Uuid::new_v4().simple()),
    }
}

/// A distinct 32-byte value, like the SHA-256 digests the gateway stores.
fn digest() -> Vec<u8> {
    [Uuid::new_v4().into_bytes(), Uuid::new_v4().into_bytes()].concat()
}

fn scopes(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

fn new_session(user_email: &str, expires_at: DateTime<Utc>) -> NewSession {
    NewSession {
        id: Uuid::new_v4(),
        connect_hash: digest(),
        user_email: user_email.into(),
        provider: GOOGLE.into(),
        scopes: scopes(&["openid", "https://www.googleapis.com/auth/adwords"]),
        client_name: "google-ads-mcp".into(),
        pkce_verifier: sealed("pkce"),
        created_at: t0(),
        expires_at,
    }
}

fn grant(user_email: &str, provider: &str, refresh_token: Option<Sealed>) -> SignInGrant {
    SignInGrant {
        user_email: user_email.into(),
        provider: provider.into(),
        access_token: sealed("access"),
        refresh_token,
        expires_at: at(3600),
        scopes: scopes(&["openid", "email"]),
        account_email: user_email.into(),
        account_subject: "1234567890".into(),
    }
}

/// A session the callback has won, ready for `complete_sign_in`.
async fn claimed_session(store: &dyn Store, user_email: &str) -> NewSession {
    let session = new_session(user_email, at(600));
    store
        .insert_session(&session)
        .await
        .expect("insert session");
    assert!(store.claim_session(session.id, t0()).await.expect("claim"));
    session
}

/// Runs a whole sign-in for `grant` at `now` and returns the stored credential.
async fn sign_in(store: &dyn Store, grant: &SignInGrant, now: DateTime<Utc>) -> CredentialRecord {
    let session = claimed_session(store, &grant.user_email).await;
    store
        .complete_sign_in(session.id, grant, now)
        .await
        .expect("complete sign-in")
}

async fn stored_session(store: &dyn Store, id: Uuid) -> SessionRecord {
    store
        .session(id)
        .await
        .expect("read session")
        .expect("session exists")
}

async fn session_exists(store: &dyn Store, id: Uuid) -> bool {
    store.session(id).await.expect("read session").is_some()
}

async fn stored_credential(
    store: &dyn Store,
    user_email: &str,
    provider: &str,
) -> CredentialRecord {
    store
        .credential(user_email, provider)
        .await
        .expect("read credential")
        .expect("credential exists")
}

async fn credential_exists(store: &dyn Store, user_email: &str, provider: &str) -> bool {
    store
        .credential(user_email, provider)
        .await
        .expect("read credential")
        .is_some()
}

fn assert_same_credential(actual: &CredentialRecord, expected: &CredentialRecord) {
    assert_eq!(actual.user_email, expected.user_email);
    assert_eq!(actual.provider, expected.provider);
    assert_eq!(actual.access_token, expected.access_token);
    assert_eq!(actual.refresh_token, expected.refresh_token);
    assert_eq!(actual.expires_at, expected.expires_at);
    assert_eq!(actual.scopes, expected.scopes);
    assert_eq!(actual.account_email, expected.account_email);
    assert_eq!(actual.account_subject, expected.account_subject);
    assert_eq!(actual.status, expected.status);
    assert_eq!(actual.version, expected.version);
    assert_eq!(actual.authenticated_at, expected.authenticated_at);
    assert_eq!(actual.created_at, expected.created_at);
    assert_eq!(actual.updated_at, expected.updated_at);
}

async fn a_new_session_reads_back_with_every_field(store: Arc<dyn Store>) {
    let new = new_session(ALICE, at(600));
    store.insert_session(&new).await.expect("insert");

    let read = stored_session(&*store, new.id).await;
    assert_eq!(read.id, new.id);
    assert_eq!(read.user_email, ALICE);
    assert_eq!(read.provider, GOOGLE);
    assert_eq!(read.scopes, new.scopes);
    assert_eq!(read.client_name, "google-ads-mcp");
    assert_eq!(read.state, SessionState::Pending);
    assert_eq!(read.error, None);
    assert_eq!(read.pkce_verifier, new.pkce_verifier);
    assert_eq!(read.browser_hash, None);
    assert_eq!(read.account_email, None);
    assert_eq!(read.created_at, new.created_at);
    assert_eq!(read.expires_at, new.expires_at);
    assert_eq!(read.completed_at, None);

    assert!(store.session(Uuid::new_v4()).await.expect("read").is_none());
    store.ping().await.expect("ping");
}

async fn authorization_binds_only_pending_unexpired_sessions(store: Arc<dyn Store>) {
    let open = new_session(ALICE, at(600));
    let expired = new_session(ALICE, at(-1));
    let expiring_now = new_session(ALICE, t0());
    let claimed = new_session(ALICE, at(600));
    for session in [&open, &expired, &expiring_now, &claimed] {
        store.insert_session(session).await.expect("insert");
    }
    assert!(store.claim_session(claimed.id, t0()).await.expect("claim"));

    let (state, browser) = (digest(), digest());
    let bound = store
        .begin_authorization(&open.connect_hash, &state, &browser, t0())
        .await
        .expect("begin")
        .expect("open session binds");
    assert_eq!(bound.id, open.id);
    assert_eq!(bound.browser_hash.as_deref(), Some(browser.as_slice()));
    let by_state = store
        .session_by_state(&state)
        .await
        .expect("by state")
        .expect("found");
    assert_eq!(by_state.id, open.id);

    for refused in [&expired, &expiring_now, &claimed] {
        let state = digest();
        let result = store
            .begin_authorization(&refused.connect_hash, &state, &digest(), t0())
            .await
            .expect("begin");
        assert!(result.is_none(), "session {} must not bind", refused.id);
        assert!(
            store
                .session_by_state(&state)
                .await
                .expect("by state")
                .is_none()
        );
    }
    let unknown = store
        .begin_authorization(&digest(), &digest(), &digest(), t0())
        .await
        .expect("begin");
    assert!(unknown.is_none());
}

async fn a_second_authorization_replaces_the_state_and_browser_binding(store: Arc<dyn Store>) {
    let session = new_session(ALICE, at(600));
    store.insert_session(&session).await.expect("insert");
    let (first_state, second_state, second_browser) = (digest(), digest(), digest());
    store
        .begin_authorization(&session.connect_hash, &first_state, &digest(), t0())
        .await
        .expect("first")
        .expect("binds");
    let second = store
        .begin_authorization(&session.connect_hash, &second_state, &second_browser, at(5))
        .await
        .expect("second")
        .expect("binds again");

    assert_eq!(second.browser_hash, Some(second_browser));
    assert!(
        store
            .session_by_state(&first_state)
            .await
            .expect("old")
            .is_none()
    );
    let current = store
        .session_by_state(&second_state)
        .await
        .expect("new")
        .expect("found");
    assert_eq!(current.id, session.id);
}

async fn exactly_one_of_sixteen_concurrent_claims_wins(store: Arc<dyn Store>) {
    let session = new_session(ALICE, at(600));
    store.insert_session(&session).await.expect("insert");

    let claims = (0..16).map(|_| {
        let store = Arc::clone(&store);
        tokio::spawn(async move { store.claim_session(session.id, t0()).await })
    });
    let mut winners = 0;
    for claim in futures::future::join_all(claims).await {
        if claim.expect("task").expect("claim") {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
    let read = stored_session(&*store, session.id).await;
    assert_eq!(read.state, SessionState::Exchanging);
    assert!(
        !store
            .claim_session(session.id, t0())
            .await
            .expect("late claim")
    );
}

async fn an_expired_session_cannot_be_claimed(store: Arc<dyn Store>) {
    let session = new_session(ALICE, at(600));
    store.insert_session(&session).await.expect("insert");

    assert!(
        !store
            .claim_session(session.id, at(600))
            .await
            .expect("at expiry")
    );
    assert!(
        !store
            .claim_session(session.id, at(601))
            .await
            .expect("after expiry")
    );
    let read = stored_session(&*store, session.id).await;
    assert_eq!(read.state, SessionState::Pending);
    assert!(
        !store
            .claim_session(Uuid::new_v4(), t0())
            .await
            .expect("unknown")
    );
}

async fn failing_a_session_records_the_error_only_while_it_is_open(store: Arc<dyn Store>) {
    let pending = new_session(ALICE, at(600));
    store.insert_session(&pending).await.expect("insert");
    store
        .fail_session(pending.id, "access_denied", at(3))
        .await
        .expect("fail");
    let read = stored_session(&*store, pending.id).await;
    assert_eq!(read.state, SessionState::Failed);
    assert_eq!(read.error.as_deref(), Some("access_denied"));
    assert_eq!(read.completed_at, Some(at(3)));

    let exchanging = claimed_session(&*store, ALICE).await;
    store
        .fail_session(exchanging.id, "account_mismatch", at(4))
        .await
        .expect("fail");
    let read = stored_session(&*store, exchanging.id).await;
    assert_eq!(read.state, SessionState::Failed);
    assert_eq!(read.error.as_deref(), Some("account_mismatch"));

    // A finished session keeps its outcome.
    store
        .fail_session(pending.id, "other", at(9))
        .await
        .expect("fail again");
    let read = stored_session(&*store, pending.id).await;
    assert_eq!(read.error.as_deref(), Some("access_denied"));
    assert_eq!(read.completed_at, Some(at(3)));

    let completed = claimed_session(&*store, ALICE).await;
    store
        .complete_sign_in(
            completed.id,
            &grant(ALICE, GOOGLE, Some(sealed("r"))),
            at(5),
        )
        .await
        .expect("complete");
    store
        .fail_session(completed.id, "late", at(6))
        .await
        .expect("fail");
    let read = stored_session(&*store, completed.id).await;
    assert_eq!(read.state, SessionState::Completed);
    assert_eq!(read.error, None);
}

async fn completing_a_sign_in_stores_the_grant_and_completes_the_session(store: Arc<dyn Store>) {
    let session = claimed_session(&*store, ALICE).await;
    let grant = grant(ALICE, GOOGLE, Some(sealed("refresh")));
    let stored = store
        .complete_sign_in(session.id, &grant, at(7))
        .await
        .expect("complete");

    assert_eq!(stored.user_email, ALICE);
    assert_eq!(stored.provider, GOOGLE);
    assert_eq!(stored.access_token, grant.access_token);
    assert_eq!(stored.refresh_token, grant.refresh_token);
    assert_eq!(stored.expires_at, grant.expires_at);
    assert_eq!(stored.scopes, grant.scopes);
    assert_eq!(stored.account_email.as_deref(), Some(ALICE));
    assert_eq!(stored.account_subject.as_deref(), Some("1234567890"));
    assert_eq!(stored.status, CredentialStatus::Active);
    assert_eq!(stored.version, 1);
    assert_eq!(stored.authenticated_at, at(7));
    assert_eq!(stored.created_at, at(7));
    assert_eq!(stored.updated_at, at(7));
    let read = stored_credential(&*store, ALICE, GOOGLE).await;
    assert_same_credential(&read, &stored);

    let session = stored_session(&*store, session.id).await;
    assert_eq!(session.state, SessionState::Completed);
    assert_eq!(session.account_email.as_deref(), Some(ALICE));
    assert_eq!(session.completed_at, Some(at(7)));
}

async fn a_sign_in_without_refresh_token_keeps_the_stored_one_and_bumps_the_version(
    store: Arc<dyn Store>,
) {
    let refresh = sealed("refresh");
    let first = sign_in(&*store, &grant(ALICE, GOOGLE, Some(refresh.clone())), at(1)).await;

    let mut again = grant(ALICE, GOOGLE, None);
    again.scopes = scopes(&[
        "openid",
        "email",
        "https://www.googleapis.com/auth/analytics",
    ]);
    let second = sign_in(&*store, &again, at(50)).await;
    assert_eq!(second.access_token, again.access_token);
    assert_eq!(second.refresh_token, Some(refresh));
    assert_eq!(second.scopes, again.scopes);
    assert_eq!(second.version, first.version + 1);
    assert_eq!(second.authenticated_at, at(50));
    assert_eq!(second.updated_at, at(50));
    assert_eq!(second.created_at, first.created_at);

    let rotated = sealed("rotated");
    let third = sign_in(
        &*store,
        &grant(ALICE, GOOGLE, Some(rotated.clone())),
        at(60),
    )
    .await;
    assert_eq!(third.refresh_token, Some(rotated));
    assert_eq!(third.version, first.version + 2);
}

async fn a_sign_in_reactivates_a_grant_that_needed_reauthentication(store: Arc<dyn Store>) {
    let first = sign_in(&*store, &grant(ALICE, GOOGLE, Some(sealed("r"))), at(1)).await;
    assert!(
        store
            .mark_needs_reauth(ALICE, GOOGLE, first.version, at(2))
            .await
            .expect("mark")
    );
    let again = sign_in(&*store, &grant(ALICE, GOOGLE, Some(sealed("r2"))), at(3)).await;
    assert_eq!(again.status, CredentialStatus::Active);
    assert_eq!(again.version, first.version + 2);
}

async fn a_sign_in_on_an_unclaimed_session_stores_nothing(store: Arc<dyn Store>) {
    let pending = new_session(ALICE, at(600));
    store.insert_session(&pending).await.expect("insert");
    let result = store
        .complete_sign_in(pending.id, &grant(ALICE, GOOGLE, Some(sealed("r"))), at(1))
        .await;
    assert!(
        result.is_err(),
        "a session nobody claimed must not complete"
    );
    assert!(!credential_exists(&*store, ALICE, GOOGLE).await);
    let read = stored_session(&*store, pending.id).await;
    assert_eq!(read.state, SessionState::Pending);

    let unknown = store
        .complete_sign_in(Uuid::new_v4(), &grant(ALICE, GOOGLE, None), at(1))
        .await;
    assert!(unknown.is_err());
    assert!(!credential_exists(&*store, ALICE, GOOGLE).await);
}

async fn storing_refreshed_tokens_is_fenced_on_the_version(store: Arc<dyn Store>) {
    let refresh = sealed("refresh");
    let signed_in = sign_in(&*store, &grant(ALICE, GOOGLE, Some(refresh.clone())), at(1)).await;
    let tokens = RefreshedTokens {
        access_token: sealed("access-2"),
        refresh_token: None,
        expires_at: at(7200),
        scopes: None,
    };

    let stale = store
        .store_refreshed(ALICE, GOOGLE, signed_in.version + 1, &tokens, at(10))
        .await
        .expect("stale write");
    assert!(stale.is_none());
    let unchanged = stored_credential(&*store, ALICE, GOOGLE).await;
    assert_same_credential(&unchanged, &signed_in);

    let refreshed = store
        .store_refreshed(ALICE, GOOGLE, signed_in.version, &tokens, at(10))
        .await
        .expect("write")
        .expect("version matched");
    assert_eq!(refreshed.access_token, tokens.access_token);
    assert_eq!(refreshed.refresh_token, Some(refresh));
    assert_eq!(refreshed.expires_at, at(7200));
    assert_eq!(refreshed.scopes, signed_in.scopes);
    assert_eq!(refreshed.version, signed_in.version + 1);
    assert_eq!(refreshed.updated_at, at(10));
    assert_eq!(refreshed.authenticated_at, signed_in.authenticated_at);
    let read = stored_credential(&*store, ALICE, GOOGLE).await;
    assert_same_credential(&read, &refreshed);

    // The same expected version again is now stale: a second racer loses.
    let again = store
        .store_refreshed(ALICE, GOOGLE, signed_in.version, &tokens, at(11))
        .await
        .expect("racing write");
    assert!(again.is_none());
    let missing = store
        .store_refreshed(BOB, GOOGLE, 1, &tokens, at(11))
        .await
        .expect("no row");
    assert!(missing.is_none());
}

async fn a_refresh_lease_has_one_holder_until_it_is_released_or_runs_out(store: Arc<dyn Store>) {
    let signed_in = sign_in(
        &*store,
        &grant(ALICE, GOOGLE, Some(sealed("refresh"))),
        at(1),
    )
    .await;
    let leased = store
        .acquire_refresh_lease(ALICE, GOOGLE, "replica-a", at(25), at(10))
        .await
        .expect("acquire")
        .expect("the lease was free");
    assert_eq!(
        leased.version, signed_in.version,
        "taking a lease is not a write of the grant"
    );
    let contended = store
        .acquire_refresh_lease(ALICE, GOOGLE, "replica-b", at(26), at(11))
        .await
        .expect("contended acquire");
    assert!(contended.is_none());
    // Only the holder can release it.
    store
        .release_refresh_lease(ALICE, GOOGLE, "replica-b")
        .await
        .expect("foreign release");
    assert!(
        store
            .acquire_refresh_lease(ALICE, GOOGLE, "replica-b", at(26), at(12))
            .await
            .expect("still held")
            .is_none()
    );
    store
        .release_refresh_lease(ALICE, GOOGLE, "replica-a")
        .await
        .expect("release");
    assert!(
        store
            .acquire_refresh_lease(ALICE, GOOGLE, "replica-b", at(40), at(13))
            .await
            .expect("free again")
            .is_some()
    );
    // replica-b dies holding it: the lease runs out at 40.
    assert!(
        store
            .acquire_refresh_lease(ALICE, GOOGLE, "replica-c", at(60), at(39))
            .await
            .expect("before expiry")
            .is_none()
    );
    assert!(
        store
            .acquire_refresh_lease(ALICE, GOOGLE, "replica-c", at(60), at(40))
            .await
            .expect("at expiry")
            .is_some()
    );
    assert!(
        store
            .acquire_refresh_lease(BOB, GOOGLE, "replica-a", at(60), at(40))
            .await
            .expect("no row")
            .is_none()
    );
}

async fn storing_refreshed_tokens_releases_the_lease(store: Arc<dyn Store>) {
    let signed_in = sign_in(
        &*store,
        &grant(ALICE, GOOGLE, Some(sealed("refresh"))),
        at(1),
    )
    .await;
    store
        .acquire_refresh_lease(ALICE, GOOGLE, "replica-a", at(25), at(10))
        .await
        .expect("acquire")
        .expect("free");
    let tokens = RefreshedTokens {
        access_token: sealed("access-2"),
        refresh_token: None,
        expires_at: at(7200),
        scopes: None,
    };
    store
        .store_refreshed(ALICE, GOOGLE, signed_in.version, &tokens, at(11))
        .await
        .expect("write")
        .expect("version matched");
    assert!(
        store
            .acquire_refresh_lease(ALICE, GOOGLE, "replica-b", at(30), at(12))
            .await
            .expect("acquire after write")
            .is_some()
    );
}

async fn a_rotated_refresh_token_and_new_scopes_are_saved(store: Arc<dyn Store>) {
    let signed_in = sign_in(&*store, &grant(ALICE, GOOGLE, Some(sealed("old"))), at(1)).await;
    let tokens = RefreshedTokens {
        access_token: sealed("access-2"),
        refresh_token: Some(sealed("rotated")),
        expires_at: at(7200),
        scopes: Some(scopes(&["openid"])),
    };
    let refreshed = store
        .store_refreshed(ALICE, GOOGLE, signed_in.version, &tokens, at(10))
        .await
        .expect("write")
        .expect("version matched");
    assert_eq!(refreshed.refresh_token, tokens.refresh_token);
    assert_eq!(Some(refreshed.scopes.clone()), tokens.scopes);
    let read = stored_credential(&*store, ALICE, GOOGLE).await;
    assert_same_credential(&read, &refreshed);
}

async fn marking_needs_reauth_is_fenced_on_the_version(store: Arc<dyn Store>) {
    let signed_in = sign_in(&*store, &grant(ALICE, GOOGLE, Some(sealed("r"))), at(1)).await;

    assert!(
        !store
            .mark_needs_reauth(ALICE, GOOGLE, signed_in.version + 1, at(5))
            .await
            .expect("stale mark")
    );
    let unchanged = stored_credential(&*store, ALICE, GOOGLE).await;
    assert_same_credential(&unchanged, &signed_in);

    assert!(
        store
            .mark_needs_reauth(ALICE, GOOGLE, signed_in.version, at(5))
            .await
            .expect("mark")
    );
    let marked = stored_credential(&*store, ALICE, GOOGLE).await;
    assert_eq!(marked.status, CredentialStatus::NeedsReauth);
    assert_eq!(marked.version, signed_in.version + 1);
    assert_eq!(marked.updated_at, at(5));
    assert_eq!(marked.access_token, signed_in.access_token);

    // A refresh that started before the grant was marked dead must not revive it.
    let tokens = RefreshedTokens {
        access_token: sealed("late"),
        refresh_token: None,
        expires_at: at(7200),
        scopes: None,
    };
    let late = store
        .store_refreshed(ALICE, GOOGLE, signed_in.version, &tokens, at(6))
        .await
        .expect("late refresh");
    assert!(late.is_none());
    assert!(
        !store
            .mark_needs_reauth(BOB, GOOGLE, 1, at(5))
            .await
            .expect("no row")
    );
}

async fn credentials_for_a_user_are_ordered_by_provider_and_never_another_users(
    store: Arc<dyn Store>,
) {
    for provider in ["zeta", GOOGLE, "analytics"] {
        sign_in(
            &*store,
            &grant(ALICE, provider, Some(sealed(provider))),
            at(1),
        )
        .await;
    }
    let bobs = sign_in(&*store, &grant(BOB, GOOGLE, Some(sealed("bob"))), at(2)).await;

    let alices: Vec<_> = store
        .credentials_for_user(ALICE)
        .await
        .expect("list")
        .into_iter()
        .map(|credential| (credential.user_email, credential.provider))
        .collect();
    assert_eq!(
        alices,
        [("analytics", ALICE), (GOOGLE, ALICE), ("zeta", ALICE)]
            .map(|(provider, user)| (user.to_owned(), provider.to_owned()))
    );
    let only_bob = store.credentials_for_user(BOB).await.expect("list");
    assert_eq!(only_bob.len(), 1);
    assert_same_credential(&only_bob[0], &bobs);
    assert!(!credential_exists(&*store, BOB, "zeta").await);
    assert!(
        store
            .credentials_for_user("carol@example.com")
            .await
            .expect("list")
            .is_empty()
    );
}

async fn deleting_a_credential_returns_the_deleted_row(store: Arc<dyn Store>) {
    let google = sign_in(&*store, &grant(ALICE, GOOGLE, Some(sealed("r"))), at(1)).await;
    sign_in(&*store, &grant(ALICE, "analytics", None), at(1)).await;

    let deleted = store
        .delete_credential(ALICE, GOOGLE)
        .await
        .expect("delete")
        .expect("was there");
    assert_same_credential(&deleted, &google);
    assert!(!credential_exists(&*store, ALICE, GOOGLE).await);
    assert!(
        store
            .delete_credential(ALICE, GOOGLE)
            .await
            .expect("again")
            .is_none()
    );
    let analytics = stored_credential(&*store, ALICE, "analytics").await;
    assert_eq!(analytics.refresh_token, None);
}

async fn sweeping_sessions_deletes_and_counts_only_those_expired_before_the_cutoff(
    store: Arc<dyn Store>,
) {
    let sessions: Vec<_> = [-10, -1, 0, 10]
        .into_iter()
        .map(|seconds| new_session(ALICE, at(seconds)))
        .collect();
    for session in &sessions {
        store.insert_session(session).await.expect("insert");
    }

    assert_eq!(
        store
            .delete_sessions_expired_before(t0())
            .await
            .expect("sweep"),
        2
    );
    assert!(!session_exists(&*store, sessions[0].id).await);
    assert!(!session_exists(&*store, sessions[1].id).await);
    assert!(session_exists(&*store, sessions[2].id).await);
    assert!(session_exists(&*store, sessions[3].id).await);
    assert_eq!(
        store
            .delete_sessions_expired_before(t0())
            .await
            .expect("again"),
        0
    );
    assert_eq!(
        store
            .delete_sessions_expired_before(at(11))
            .await
            .expect("all"),
        2
    );
}

async fn timestamps_round_trip_with_microsecond_precision(store: Arc<dyn Store>) {
    let created = DateTime::from_timestamp_micros(1_767_225_600_000_001).expect("instant");
    let expires = DateTime::from_timestamp_micros(1_767_226_200_999_999).expect("instant");
    let mut session = new_session(ALICE, expires);
    session.created_at = created;
    store.insert_session(&session).await.expect("insert");
    let read = stored_session(&*store, session.id).await;
    assert_eq!(read.created_at, created);
    assert_eq!(read.expires_at, expires);

    // One microsecond either side of the expiry decides the claim.
    let just_before = expires - Duration::microseconds(1);
    assert!(
        !store
            .claim_session(session.id, expires)
            .await
            .expect("at expiry")
    );
    assert!(
        store
            .claim_session(session.id, just_before)
            .await
            .expect("before expiry")
    );

    let completed = DateTime::from_timestamp_micros(1_767_225_700_654_321).expect("instant");
    let mut grant = grant(ALICE, GOOGLE, Some(sealed("r")));
    grant.expires_at = DateTime::from_timestamp_micros(1_767_229_300_000_010).expect("instant");
    let stored = store
        .complete_sign_in(session.id, &grant, completed)
        .await
        .expect("complete");
    let read = stored_credential(&*store, ALICE, GOOGLE).await;
    assert_eq!(read.expires_at, grant.expires_at);
    assert_eq!(read.authenticated_at, completed);
    assert_same_credential(&read, &stored);
    let session = stored_session(&*store, session.id).await;
    assert_eq!(session.completed_at, Some(completed));
}

async fn migrations_are_idempotent_across_connects(database: &TestDatabase) {
    let first = database.store().await;
    let session = new_session(ALICE, at(600));
    first.insert_session(&session).await.expect("insert");

    let second = database.store().await;
    second.ping().await.expect("ping");
    let read = second
        .session(session.id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(read.id, session.id);
}

async fn a_row_that_cannot_be_parsed_is_reported_corrupt(database: &TestDatabase) {
    let store = database.store().await;
    sign_in(&*store, &grant(ALICE, GOOGLE, Some(sealed("r"))), at(1)).await;

    // A JSON array, so the schema accepts it, but not of strings.
    let damage = "UPDATE credentials SET scopes = '[1, 2]'";
    match database.backend {
        Backend::Sqlite => {
            let raw = SqliteStore::connect(&database.url).await.expect("connect");
            sqlx::query(damage)
                .execute(raw.pool())
                .await
                .expect("damage");
        }
        Backend::Postgres => {
            let raw = PgStore::connect(&database.url).await.expect("connect");
            sqlx::query(damage)
                .execute(raw.pool())
                .await
                .expect("damage");
        }
    }

    let result = store.credential(ALICE, GOOGLE).await;
    assert!(
        matches!(result, Err(StoreError::Corrupt(_))),
        "expected Corrupt, got {result:?}"
    );
}

fn new_client(name: &str) -> NewClient {
    NewClient {
        id: Uuid::new_v4(),
        name: name.into(),
        key_digest: digest(),
        allowed_providers: scopes(&["google"]),
        allowed_scopes: Some(scopes(&["https://www.googleapis.com/auth/adwords"])),
        scopes_exclude_defaults: false,
        verified_users_only: false,
        created_at: t0(),
    }
}

async fn a_client_is_found_by_its_current_or_previous_key_digest(store: Arc<dyn Store>) {
    let client = new_client("ads-mcp");
    assert!(store.insert_client(&client).await.expect("insert"));
    let found = store
        .client_by_digest(&client.key_digest)
        .await
        .expect("read")
        .expect("found");
    assert_eq!(found.name, "ads-mcp");
    assert_eq!(found.allowed_providers, client.allowed_providers);
    assert_eq!(found.allowed_scopes, client.allowed_scopes);
    assert_eq!(found.created_at, t0());
    let new_digest = digest();
    assert!(
        store
            .rotate_client_key("ads-mcp", &new_digest, at(600))
            .await
            .expect("rotate")
    );
    let by_old = store
        .client_by_digest(&client.key_digest)
        .await
        .expect("read")
        .expect("old");
    assert_eq!(by_old.key_digest, new_digest);
    assert_eq!(
        by_old.previous_key_digest.as_deref(),
        Some(client.key_digest.as_slice())
    );
    assert_eq!(by_old.previous_key_valid_until, Some(at(600)));
    assert!(
        store
            .client_by_digest(&new_digest)
            .await
            .expect("read")
            .is_some()
    );
    assert!(
        store
            .client_by_digest(&digest())
            .await
            .expect("read")
            .is_none()
    );
    assert!(
        !store
            .rotate_client_key("nobody", &digest(), at(1))
            .await
            .expect("rotate")
    );
}

async fn a_client_without_the_default_scopes_reads_back_so(store: Arc<dyn Store>) {
    let narrow = NewClient {
        scopes_exclude_defaults: true,
        ..new_client("narrow-mcp")
    };
    assert!(store.insert_client(&narrow).await.expect("insert"));
    assert!(
        store
            .insert_client(&new_client("plain-mcp"))
            .await
            .expect("insert")
    );
    let listed = store.clients().await.expect("list");
    let excluded: Vec<(&str, bool)> = listed
        .iter()
        .map(|client| (client.name.as_str(), client.scopes_exclude_defaults))
        .collect();
    assert_eq!(excluded, [("narrow-mcp", true), ("plain-mcp", false)]);
    let found = store
        .client_by_digest(&narrow.key_digest)
        .await
        .expect("read")
        .expect("found");
    assert!(found.scopes_exclude_defaults);
    assert_eq!(found.allowed_scopes, narrow.allowed_scopes);
}

async fn a_client_name_is_taken_once_and_revocation_clears_the_previous_key(store: Arc<dyn Store>) {
    assert!(
        store
            .insert_client(&new_client("ads-mcp"))
            .await
            .expect("insert")
    );
    assert!(
        !store
            .insert_client(&new_client("ads-mcp"))
            .await
            .expect("insert twice")
    );
    assert!(
        store
            .rotate_client_key("ads-mcp", &digest(), at(600))
            .await
            .expect("rotate")
    );
    assert!(store.revoke_client("ads-mcp", at(5)).await.expect("revoke"));
    assert!(
        !store
            .revoke_client("ads-mcp", at(6))
            .await
            .expect("revoke twice")
    );
    let listed = store.clients().await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].revoked_at, Some(at(5)));
    assert_eq!(listed[0].previous_key_digest, None);
    assert!(
        !store
            .rotate_client_key("ads-mcp", &digest(), at(600))
            .await
            .expect("rotate")
    );
}

async fn audit_events_filter_by_user_and_time_and_keep_the_newest(store: Arc<dyn Store>) {
    for (second, user) in [(1, ALICE), (2, BOB), (3, ALICE), (4, ALICE)] {
        let event = AuditEvent {
            occurred_at: at(second),
            client_name: Some("ads-mcp".into()),
            user_email: Some(user.into()),
            provider: Some(GOOGLE.into()),
            event: format!("event-{second}"),
            outcome: "ok".into(),
            detail: None,
        };
        store.insert_audit_event(&event).await.expect("insert");
    }
    let query = |user_email: Option<&str>, since, limit| AuditQuery {
        user_email: user_email.map(Into::into),
        since,
        limit,
    };
    let names = |events: Vec<AuditEvent>| events.into_iter().map(|e| e.event).collect::<Vec<_>>();
    let all = store
        .audit_events(&query(None, None, 10))
        .await
        .expect("all");
    assert_eq!(all[0].occurred_at, at(1));
    assert_eq!(names(all), ["event-1", "event-2", "event-3", "event-4"]);
    let alice = store
        .audit_events(&query(Some(ALICE), Some(at(2)), 10))
        .await
        .expect("alice");
    assert_eq!(names(alice), ["event-3", "event-4"]);
    let newest = store
        .audit_events(&query(None, None, 2))
        .await
        .expect("newest");
    assert_eq!(names(newest), ["event-3", "event-4"]);
}

async fn typed_audit_events_read_back_as_the_same_action_and_outcome(store: Arc<dyn Store>) {
    let written: Vec<(AuditAction, AuditOutcome)> = AuditAction::ALL
        .into_iter()
        .zip(AuditOutcome::CLOSED.into_iter().cycle())
        .collect();
    for (second, (action, outcome)) in (1..).zip(&written) {
        let event = AuditEvent::batch(at(second), *action, *outcome, String::new());
        store.insert_audit_event(&event).await.expect("insert");
    }
    let query = AuditQuery {
        user_email: None,
        since: None,
        limit: 100,
    };
    let read: Vec<(AuditAction, AuditOutcome)> = store
        .audit_events(&query)
        .await
        .expect("read")
        .iter()
        .map(|event| {
            (
                AuditAction::parse(&event.event).expect("a known action"),
                AuditOutcome::parse(&event.outcome).expect("a known outcome"),
            )
        })
        .collect();
    assert_eq!(read, written);
}

async fn key_id_counts_cover_token_columns_and_session_verifiers(store: Arc<dyn Store>) {
    sign_in(
        &*store,
        &grant(ALICE, GOOGLE, Some(sealed("refresh"))),
        at(1),
    )
    .await;
    sign_in(&*store, &grant(BOB, GOOGLE, None), at(1)).await;
    let counts = store.key_id_counts().await.expect("counts");
    let count = |key_id: &str, ciphertexts| KeyIdCount {
        key_id: key_id.into(),
        ciphertexts,
    };
    // Two sessions (one per sign-in), two access tokens, one refresh token.
    assert_eq!(
        counts,
        [
            count("key-access", 2),
            count("key-pkce", 2),
            count("key-refresh", 1)
        ]
    );
}

async fn resealing_a_credential_is_fenced_on_the_version_and_keeps_it(store: Arc<dyn Store>) {
    let stored = sign_in(
        &*store,
        &grant(ALICE, GOOGLE, Some(sealed("refresh"))),
        at(1),
    )
    .await;
    let todo = store
        .credentials_not_under("key-new", None, 10)
        .await
        .expect("todo");
    assert_eq!(todo.len(), 1);
    let (access, refresh) = (sealed("new"), sealed("new"));
    let stale = store
        .reseal_credential(ALICE, GOOGLE, stored.version + 1, &access, Some(&refresh))
        .await
        .expect("stale");
    assert!(!stale);
    assert!(
        store
            .reseal_credential(ALICE, GOOGLE, stored.version, &access, Some(&refresh))
            .await
            .expect("reseal")
    );
    let read = store
        .credential(ALICE, GOOGLE)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(read.access_token, access);
    assert_eq!(read.refresh_token, Some(refresh));
    assert_eq!(
        read.version, stored.version,
        "same secrets: the version stays"
    );
    assert_eq!(read.updated_at, stored.updated_at);
    assert!(
        store
            .credentials_not_under("key-new", None, 10)
            .await
            .expect("done")
            .is_empty()
    );
    let after = store
        .credentials_not_under("other", Some((ALICE, GOOGLE)), 10)
        .await
        .expect("after");
    assert!(after.is_empty(), "the cursor is exclusive");
}

async fn resealing_a_session_verifier_is_a_compare_and_swap(store: Arc<dyn Store>) {
    let session = new_session(ALICE, at(600));
    store.insert_session(&session).await.expect("insert");
    let todo = store
        .sessions_not_under("key-new", None, 10)
        .await
        .expect("todo");
    assert_eq!(todo.len(), 1);
    assert_eq!(todo[0].pkce_verifier, session.pkce_verifier);
    let new = sealed("new");
    assert!(
        !store
            .reseal_session_verifier(session.id, &sealed("pkce"), &new)
            .await
            .expect("wrong old value")
    );
    assert!(
        store
            .reseal_session_verifier(session.id, &session.pkce_verifier, &new)
            .await
            .expect("swap")
    );
    let read = store
        .session(session.id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(read.pkce_verifier, new);
    assert!(
        store
            .sessions_not_under("key-new", None, 10)
            .await
            .expect("done")
            .is_empty()
    );
}

async fn importing_a_credential_never_overwrites_an_existing_grant(store: Arc<dyn Store>) {
    let imported = ImportedCredential {
        user_email: ALICE.into(),
        provider: GOOGLE.into(),
        access_token: sealed("legacy"),
        refresh_token: Some(sealed("legacy-refresh")),
        expires_at: at(3600),
        scopes: scopes(&["openid"]),
        imported_at: at(1),
    };
    assert!(store.import_credential(&imported).await.expect("import"));
    let read = store
        .credential(ALICE, GOOGLE)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(read.access_token, imported.access_token);
    assert_eq!(read.status, CredentialStatus::Active);
    assert_eq!(read.version, 1);
    let mut again = imported.clone();
    again.access_token = sealed("other");
    assert!(!store.import_credential(&again).await.expect("import again"));
    let read = store
        .credential(ALICE, GOOGLE)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(read.access_token, imported.access_token);
}
