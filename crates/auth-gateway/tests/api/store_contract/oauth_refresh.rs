//! The store contract for refresh tokens: rotation once across replicas, the grace
//! period for a lost response, reuse detection, and the sweep. Run on both backends by
//! `contract_tests!` in the parent module.

use super::at;
use super::oauth::{is_revoked, refresh_token, with_refresh_token};
use auth_gateway::store::{NewRefreshToken, RefreshRotation, Store};
use std::sync::Arc;
use uuid::Uuid;

pub(super) async fn sixteen_concurrent_rotations_of_one_token_have_one_winner(
    store: Arc<dyn Store>,
) {
    let (grant, token) = with_refresh_token(&*store).await;
    let news: Vec<_> = (0..16)
        .map(|_| refresh_token(grant.id, at(2 * 86_400)))
        .collect();
    let attempts = news.iter().cloned().map(|new| {
        let store = Arc::clone(&store);
        let token_hash = token.token_hash.clone();
        // Grace covers every attempt: the losers see a lost response each.
        tokio::spawn(async move {
            let outcome = store
                .rotate_refresh_token(&token_hash, &new, at(10), at(0))
                .await;
            (new, outcome)
        })
    });
    let mut rotated = 0;
    for attempt in futures::future::join_all(attempts).await {
        let (new, outcome) = attempt.expect("task");
        match outcome.expect("rotate") {
            RefreshRotation::Rotated { grant: of } => {
                assert_eq!(of, grant);
                rotated += 1;
            }
            RefreshRotation::Reissued { grant: of } => assert_eq!(of, grant),
            other => panic!("{other:?} for {:?}", new.token_hash),
        }
    }
    assert_eq!(rotated, 1);
    // Each reissue replaced the previous successor: exactly one new token is live.
    let mut live = 0;
    for new in &news {
        if store
            .grant_of_refresh_token(&new.token_hash, at(11))
            .await
            .expect("read")
            .is_some()
        {
            live += 1;
        }
    }
    assert_eq!(live, 1);
    assert!(!is_revoked(&*store, grant.id).await);
}

async fn rotate(
    store: &dyn Store,
    token: &NewRefreshToken,
    now: i64,
    grace_since: i64,
) -> (NewRefreshToken, RefreshRotation) {
    let new = refresh_token(Uuid::new_v4(), at(2 * 86_400));
    let outcome = store
        .rotate_refresh_token(&token.token_hash, &new, at(now), at(grace_since))
        .await
        .expect("rotate");
    (new, outcome)
}

async fn is_live(store: &dyn Store, token: &NewRefreshToken, now: i64) -> bool {
    let grant = store.grant_of_refresh_token(&token.token_hash, at(now));
    grant.await.expect("read").is_some()
}

pub(super) async fn a_lost_response_is_reissued_within_grace_and_a_later_use_is_a_reuse(
    store: Arc<dyn Store>,
) {
    let (grant, first) = with_refresh_token(&*store).await;
    let (lost, outcome) = rotate(&*store, &first, 10, 0).await;
    assert_eq!(
        outcome,
        RefreshRotation::Rotated {
            grant: grant.clone()
        }
    );
    // `new.grant_id` was random: the new token joined the presented token's family.
    assert_eq!(
        store
            .grant_of_refresh_token(&lost.token_hash, at(11))
            .await
            .expect("read"),
        Some(grant.clone())
    );
    assert!(
        !is_live(&*store, &first, 11).await,
        "a used token has no live grant"
    );

    // The client retries with the first token within grace: the lost one is replaced.
    let (retried, outcome) = rotate(&*store, &first, 20, 10).await;
    assert_eq!(
        outcome,
        RefreshRotation::Reissued {
            grant: grant.clone()
        }
    );
    assert!(!is_live(&*store, &lost, 21).await);
    assert!(is_live(&*store, &retried, 21).await);
    let (_, outcome) = rotate(&*store, &lost, 22, 0).await;
    assert_eq!(
        outcome,
        RefreshRotation::Invalid,
        "the lost token is revoked"
    );
    assert!(!is_revoked(&*store, grant.id).await);

    // Used at 10, presented again with grace from 11: a reuse revokes the family.
    let (_, outcome) = rotate(&*store, &first, 30, 11).await;
    assert_eq!(outcome, RefreshRotation::Reused { grant_id: grant.id });
    assert!(is_revoked(&*store, grant.id).await);
    let (_, outcome) = rotate(&*store, &retried, 31, 0).await;
    assert_eq!(outcome, RefreshRotation::Invalid, "the family is dead");
}

pub(super) async fn a_second_use_after_the_successor_was_used_is_a_reuse_even_within_grace(
    store: Arc<dyn Store>,
) {
    let (grant, first) = with_refresh_token(&*store).await;
    let (second, _) = rotate(&*store, &first, 10, 0).await;
    let (third, outcome) = rotate(&*store, &second, 12, 0).await;
    assert!(matches!(outcome, RefreshRotation::Rotated { .. }));
    let (_, outcome) = rotate(&*store, &first, 13, 0).await;
    assert_eq!(outcome, RefreshRotation::Reused { grant_id: grant.id });
    assert!(
        !is_live(&*store, &third, 14).await,
        "revoked with its grant"
    );
    let (_, outcome) = rotate(&*store, &third, 14, 0).await;
    assert_eq!(outcome, RefreshRotation::Invalid);
}

pub(super) async fn expired_unknown_and_revoked_refresh_tokens_are_invalid(store: Arc<dyn Store>) {
    let (grant, token) = with_refresh_token(&*store).await;
    let (_, outcome) = rotate(&*store, &refresh_token(grant.id, at(99)), 10, 0).await;
    assert_eq!(outcome, RefreshRotation::Invalid, "unknown");
    let (_, outcome) = rotate(&*store, &token, 86_400, 0).await;
    assert_eq!(outcome, RefreshRotation::Invalid, "at expiry");
    assert!(!is_live(&*store, &token, 86_400).await);

    // Used, then presented after expiry: dead, not a reuse.
    let (grant, token) = with_refresh_token(&*store).await;
    let (next, _) = rotate(&*store, &token, 10, 0).await;
    let (_, outcome) = rotate(&*store, &token, 86_401, 0).await;
    assert_eq!(outcome, RefreshRotation::Invalid);
    assert!(!is_revoked(&*store, grant.id).await);

    assert!(store.revoke_grant(grant.id, at(20)).await.expect("revoke"));
    let (new, outcome) = rotate(&*store, &next, 21, 0).await;
    assert_eq!(outcome, RefreshRotation::Invalid, "its grant is revoked");
    assert!(!is_live(&*store, &new, 22).await, "nothing was stored");
    assert!(!is_live(&*store, &next, 22).await, "dead with its grant");
}

pub(super) async fn sweeping_authorizations_deletes_expired_codes_and_tokens_and_revoked_grants(
    store: Arc<dyn Store>,
) {
    // Live: a grant with an unexpired code and token.
    let (live, live_token) = with_refresh_token(&*store).await;
    // Expired: the code (60 s) and a token of a live grant.
    let (_, old_token) = with_refresh_token(&*store).await;
    let expired = refresh_token(old_token.grant_id, at(100));
    store.insert_refresh_token(&expired).await.expect("insert");
    // Revoked at 50: the grant goes, with its code and token.
    let (revoked, _) = with_refresh_token(&*store).await;
    assert!(
        store
            .revoke_grant(revoked.id, at(50))
            .await
            .expect("revoke")
    );
    // Revoked at 500: stays.
    let (recent, _) = with_refresh_token(&*store).await;
    assert!(
        store
            .revoke_grant(recent.id, at(500))
            .await
            .expect("revoke")
    );

    let swept = store
        .delete_authorization_rows_expired_before(at(200))
        .await;
    // 4 expired codes (every code expired at 60), 1 expired token, the revoked grant's
    // token and the grant itself.
    assert_eq!(swept.expect("sweep"), 7);
    assert!(store.grant(revoked.id).await.expect("read").is_none());
    assert!(store.grant(recent.id).await.expect("read").is_some());
    assert!(is_live(&*store, &live_token, 201).await);
    assert!(is_live(&*store, &old_token, 201).await);
    let again = store
        .delete_authorization_rows_expired_before(at(200))
        .await;
    assert_eq!(again.expect("sweep again"), 0);
    assert!(!is_revoked(&*store, live.id).await);
}
