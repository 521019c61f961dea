//! The store contract for the authorization server's sign-ins at the gateway and the
//! browser sessions they open. Run on both backends by `contract_tests!` in the parent
//! module.

use super::oauth::SUBJECT;
use super::{ALICE, GOOGLE, at, digest, grant, scopes, sealed, sign_in, stored_credential, t0};
use auth_gateway::store::{BrowserSessionRecord, KeyIdCount, NewLogin, Store};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use uuid::Uuid;

fn new_login(expires_at: DateTime<Utc>) -> NewLogin {
    NewLogin {
        id: Uuid::new_v4(),
        state_hash: digest(),
        browser_hash: digest(),
        pkce_verifier: sealed("login"),
        provider: GOOGLE.into(),
        scopes: scopes(&["openid", "email"]),
        return_to: "/oauth/authorize?client_id=x&state=y".into(),
        expected_subject: Some(SUBJECT.into()),
        created_at: t0(),
        expires_at,
    }
}

fn browser_session(idle: i64, absolute: i64) -> BrowserSessionRecord {
    BrowserSessionRecord {
        id_hash: digest(),
        user_subject: SUBJECT.into(),
        user_email: ALICE.into(),
        provider: GOOGLE.into(),
        created_at: t0(),
        idle_expires_at: at(idle),
        absolute_expires_at: at(absolute),
    }
}

/// Opens a browser session through `complete_login`, as the login callback does.
async fn open_session(store: &dyn Store, session: &BrowserSessionRecord) {
    let signed_in = grant(ALICE, GOOGLE, Some(sealed("refresh")));
    let stored = store.complete_login(&signed_in, session, t0()).await;
    stored.expect("complete login");
}

async fn session_at(store: &dyn Store, id_hash: &[u8], now: i64) -> Option<BrowserSessionRecord> {
    store.browser_session(id_hash, at(now)).await.expect("read")
}

pub(super) async fn a_login_reads_back_by_state_and_exactly_one_of_sixteen_claims_wins(
    store: Arc<dyn Store>,
) {
    let login = new_login(at(900));
    store.insert_login(&login).await.expect("insert");
    let read = store.login_by_state(&login.state_hash).await.expect("read");
    let read = read.expect("found");
    assert_eq!(read.id, login.id);
    assert_eq!(read.browser_hash, login.browser_hash);
    assert_eq!(read.pkce_verifier, login.pkce_verifier);
    assert_eq!(read.provider, GOOGLE);
    assert_eq!(read.scopes, login.scopes);
    assert_eq!(read.return_to, login.return_to);
    assert_eq!(read.expected_subject, login.expected_subject);
    assert_eq!(
        (read.created_at, read.expires_at, read.used_at),
        (t0(), at(900), None)
    );
    assert!(
        store
            .login_by_state(&digest())
            .await
            .expect("read")
            .is_none()
    );

    let claims = (0..16).map(|_| {
        let store = Arc::clone(&store);
        tokio::spawn(async move { store.claim_login(login.id, at(5)).await })
    });
    let mut won = 0;
    for claim in futures::future::join_all(claims).await {
        won += usize::from(claim.expect("task").expect("claim"));
    }
    assert_eq!(won, 1);
    let read = store.login_by_state(&login.state_hash).await.expect("read");
    assert_eq!(read.expect("still found").used_at, Some(at(5)));

    let expired = new_login(at(900));
    store.insert_login(&expired).await.expect("insert");
    assert!(
        !store
            .claim_login(expired.id, at(900))
            .await
            .expect("at expiry")
    );
    assert!(
        !store
            .claim_login(Uuid::new_v4(), at(1))
            .await
            .expect("unknown")
    );
}

pub(super) async fn completing_a_login_stores_the_grant_and_opens_the_browser_session(
    store: Arc<dyn Store>,
) {
    let refresh = sealed("refresh");
    let first = sign_in(&*store, &grant(ALICE, GOOGLE, Some(refresh.clone())), at(1)).await;
    let session = browser_session(3600, 86_400);
    let again = grant(ALICE, GOOGLE, None);
    let stored = store.complete_login(&again, &session, at(50)).await;
    let stored = stored.expect("complete login");
    assert_eq!(stored.access_token, again.access_token);
    assert_eq!(
        stored.refresh_token,
        Some(refresh),
        "the stored one is kept"
    );
    assert_eq!(stored.version, first.version + 1);
    assert_eq!(stored.authenticated_at, at(50));
    assert_eq!(
        stored_credential(&*store, ALICE, GOOGLE).await.version,
        stored.version
    );
    assert_eq!(
        session_at(&*store, &session.id_hash, 51).await,
        Some(session.clone())
    );

    // A session whose cookie hash is taken fails as a whole: no credential write.
    let clash = store
        .complete_login(&grant(ALICE, GOOGLE, None), &session, at(60))
        .await;
    assert!(clash.is_err());
    assert_eq!(
        stored_credential(&*store, ALICE, GOOGLE).await.version,
        stored.version
    );
}

pub(super) async fn browser_sessions_end_at_either_expiry_and_touching_stops_at_the_absolute_one(
    store: Arc<dyn Store>,
) {
    let session = browser_session(100, 1000);
    open_session(&*store, &session).await;
    assert!(session_at(&*store, &session.id_hash, 99).await.is_some());
    assert!(
        session_at(&*store, &session.id_hash, 100).await.is_none(),
        "idle"
    );

    store
        .touch_browser_session(&session.id_hash, at(500))
        .await
        .expect("touch");
    store
        .touch_browser_session(&session.id_hash, at(200))
        .await
        .expect("never back");
    let read = session_at(&*store, &session.id_hash, 100)
        .await
        .expect("live");
    assert_eq!(read.idle_expires_at, at(500));
    store
        .touch_browser_session(&session.id_hash, at(5000))
        .await
        .expect("touch");
    let read = session_at(&*store, &session.id_hash, 999)
        .await
        .expect("live");
    assert_eq!(
        read.idle_expires_at,
        at(1000),
        "capped at the absolute expiry"
    );
    assert!(
        session_at(&*store, &session.id_hash, 1000).await.is_none(),
        "absolute"
    );

    // Opened with an idle expiry past the absolute one: capped too.
    let long_idle = browser_session(5000, 1000);
    open_session(&*store, &long_idle).await;
    let read = session_at(&*store, &long_idle.id_hash, 1)
        .await
        .expect("live");
    assert_eq!(read.idle_expires_at, at(1000));

    assert!(
        store
            .delete_browser_session(&session.id_hash)
            .await
            .expect("delete")
    );
    assert!(
        !store
            .delete_browser_session(&session.id_hash)
            .await
            .expect("again")
    );
}

pub(super) async fn sweeping_logins_and_browser_sessions_counts_only_the_expired(
    store: Arc<dyn Store>,
) {
    for expires_at in [at(100), at(199), at(200), at(300)] {
        store
            .insert_login(&new_login(expires_at))
            .await
            .expect("insert");
    }
    open_session(&*store, &browser_session(150, 1000)).await;
    open_session(&*store, &browser_session(200, 1000)).await;
    let kept = browser_session(1000, 5000);
    open_session(&*store, &kept).await;
    let swept = store
        .delete_logins_and_browser_sessions_expired_before(at(200))
        .await;
    assert_eq!(swept.expect("sweep"), 3, "two logins and one session");
    let again = store
        .delete_logins_and_browser_sessions_expired_before(at(200))
        .await;
    assert_eq!(again.expect("sweep again"), 0);
    assert!(session_at(&*store, &kept.id_hash, 201).await.is_some());
}

pub(super) async fn key_id_counts_include_login_verifiers(store: Arc<dyn Store>) {
    store
        .insert_login(&new_login(at(900)))
        .await
        .expect("insert");
    store
        .insert_login(&new_login(at(900)))
        .await
        .expect("insert");
    let counts = store.key_id_counts().await.expect("counts");
    let login = KeyIdCount {
        key_id: "key-login".into(),
        ciphertexts: 2,
    };
    assert_eq!(counts, [login]);
}
