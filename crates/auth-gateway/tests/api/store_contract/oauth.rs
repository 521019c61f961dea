//! The store contract for the authorization server's single-use records: codes and
//! refresh tokens, which must be used once across replicas. Run on both backends by
//! `contract_tests!` in the parent module. Helpers shared with `oauth_sessions.rs`.

use super::{at, digest, t0};
use auth_gateway::store::{
    AuthorizationCodeRecord, AuthorizationGrantRecord, CodeRedemption, NewRefreshToken,
    RefreshRotation, Store,
};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use uuid::Uuid;

pub(super) const CLIENT: &str = "https://claude.ai/oauth/mcp-client.json";
pub(super) const SUBJECT: &str = "google-sub-1234567890";
pub(super) const RESOURCE: &str = "https://ads.example.com/mcp";

pub(super) fn grant_record(user_subject: &str, client_id: &str) -> AuthorizationGrantRecord {
    AuthorizationGrantRecord {
        id: Uuid::new_v4(),
        client_id: client_id.into(),
        user_subject: user_subject.into(),
        user_email: "alice@example.com".into(),
        resource: RESOURCE.into(),
        scope: "mcp:tools".into(),
        created_at: t0(),
        revoked_at: None,
    }
}

fn code_record(grant_id: Uuid, expires_at: DateTime<Utc>) -> AuthorizationCodeRecord {
    AuthorizationCodeRecord {
        code_hash: digest(),
        grant_id,
        redirect_uri: "http://127.0.0.1:33418/callback".into(),
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
        created_at: t0(),
        expires_at,
    }
}

pub(super) fn refresh_token(grant_id: Uuid, expires_at: DateTime<Utc>) -> NewRefreshToken {
    NewRefreshToken {
        token_hash: digest(),
        grant_id,
        created_at: t0(),
        expires_at,
    }
}

/// A new grant of `SUBJECT` to `client_id` with its code (expiring at 60 s).
pub(super) async fn granted(
    store: &dyn Store,
    client_id: &str,
) -> (AuthorizationGrantRecord, AuthorizationCodeRecord) {
    let grant = grant_record(SUBJECT, client_id);
    let code = code_record(grant.id, at(60));
    store
        .insert_grant_with_code(&grant, &code)
        .await
        .expect("insert grant and code");
    (grant, code)
}

/// A grant with a first refresh token (expiring at one day), as a code exchange leaves it.
pub(super) async fn with_refresh_token(
    store: &dyn Store,
) -> (AuthorizationGrantRecord, NewRefreshToken) {
    let (grant, _) = granted(store, CLIENT).await;
    let token = refresh_token(grant.id, at(86_400));
    store
        .insert_refresh_token(&token)
        .await
        .expect("insert refresh token");
    (grant, token)
}

pub(super) async fn is_revoked(store: &dyn Store, id: Uuid) -> bool {
    let grant = store.grant(id).await.expect("read grant");
    grant.expect("grant exists").revoked_at.is_some()
}

pub(super) async fn sixteen_concurrent_code_redemptions_have_one_winner_and_revoke_the_grant(
    store: Arc<dyn Store>,
) {
    let (grant, code) = granted(&*store, CLIENT).await;
    let attempts = (0..16).map(|_| {
        let store = Arc::clone(&store);
        let code_hash = code.code_hash.clone();
        tokio::spawn(async move { store.redeem_code(&code_hash, at(1)).await })
    });
    let (mut redeemed, mut replayed) = (0, 0);
    for attempt in futures::future::join_all(attempts).await {
        match attempt.expect("task").expect("redeem") {
            CodeRedemption::Redeemed {
                code: read,
                grant: of,
            } => {
                assert_eq!(read, code);
                assert_eq!(of, grant, "the grant as it was when redeemed");
                redeemed += 1;
            }
            CodeRedemption::Replayed { grant_id } => {
                assert_eq!(grant_id, grant.id);
                replayed += 1;
            }
            CodeRedemption::Unknown => panic!("a stored, unexpired code is never unknown"),
        }
    }
    assert_eq!((redeemed, replayed), (1, 15));
    let revoked = store.grant(grant.id).await.expect("read").expect("kept");
    assert_eq!(
        revoked.revoked_at,
        Some(at(1)),
        "revoked once, by the first replay"
    );
}

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
