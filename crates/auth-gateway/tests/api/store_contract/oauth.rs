//! The store contract for the authorization server's grants and codes (a code is used
//! once across replicas), and the helpers the other `oauth_*` contract files share. Run
//! on both backends by `contract_tests!` in the parent module.

use super::{at, digest, t0};
use auth_gateway::store::{
    AuthorizationCodeRecord, AuthorizationGrantRecord, CodeRedemption, NewRefreshToken, Store,
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

/// Stores `grant` with a code expiring at 60 s.
pub(super) async fn insert_grant(
    store: &dyn Store,
    grant: &AuthorizationGrantRecord,
) -> AuthorizationCodeRecord {
    let code = code_record(grant.id, at(60));
    store
        .insert_grant_with_code(grant, &code)
        .await
        .expect("insert grant and code");
    code
}

/// A new grant of `SUBJECT` to `client_id` with its code (expiring at 60 s).
pub(super) async fn granted(
    store: &dyn Store,
    client_id: &str,
) -> (AuthorizationGrantRecord, AuthorizationCodeRecord) {
    let grant = grant_record(SUBJECT, client_id);
    let code = insert_grant(store, &grant).await;
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

pub(super) async fn a_code_is_unknown_once_expired_and_a_replay_even_after(store: Arc<dyn Store>) {
    let (grant, code) = granted(&*store, CLIENT).await;
    let unknown = store.redeem_code(&digest(), at(1)).await.expect("unknown");
    assert_eq!(unknown, CodeRedemption::Unknown);
    let expired = store.redeem_code(&code.code_hash, at(60)).await;
    assert_eq!(expired.expect("at expiry"), CodeRedemption::Unknown);
    assert!(
        !is_revoked(&*store, grant.id).await,
        "no replay, nothing revoked"
    );

    let (grant, code) = granted(&*store, CLIENT).await;
    let first = store.redeem_code(&code.code_hash, at(59)).await;
    assert!(matches!(
        first.expect("first"),
        CodeRedemption::Redeemed { .. }
    ));
    let replay = store.redeem_code(&code.code_hash, at(3600)).await;
    let replay = replay.expect("replay after expiry");
    assert_eq!(replay, CodeRedemption::Replayed { grant_id: grant.id });
    assert!(is_revoked(&*store, grant.id).await);
}

pub(super) async fn a_code_of_a_revoked_grant_is_redeemed_with_the_revocation_shown(
    store: Arc<dyn Store>,
) {
    let (grant, code) = granted(&*store, CLIENT).await;
    assert!(store.revoke_grant(grant.id, at(1)).await.expect("revoke"));
    assert!(!store.revoke_grant(grant.id, at(2)).await.expect("again"));
    assert!(
        !store
            .revoke_grant(Uuid::new_v4(), at(2))
            .await
            .expect("unknown")
    );
    match store
        .redeem_code(&code.code_hash, at(3))
        .await
        .expect("redeem")
    {
        CodeRedemption::Redeemed { grant: of, .. } => assert_eq!(of.revoked_at, Some(at(1))),
        other => panic!("{other:?}"),
    }
}
