//! The store contract for consents and the listing and revocation of grants. Run on
//! both backends by `contract_tests!` in the parent module.

use super::at;
use super::oauth::{
    CLIENT, RESOURCE, SUBJECT, grant_record, granted, insert_grant, is_revoked, refresh_token,
    with_refresh_token,
};
use auth_gateway::store::{ConsentRecord, RefreshRotation, Store};
use std::sync::Arc;

fn consent(client_id: &str, resource: &str, scope: &str) -> ConsentRecord {
    ConsentRecord {
        user_subject: SUBJECT.into(),
        client_id: client_id.into(),
        resource: resource.into(),
        scope: scope.into(),
        granted_at: at(1),
    }
}

pub(super) async fn a_consent_is_remembered_replaced_and_listed_by_client_then_resource(
    store: Arc<dyn Store>,
) {
    let drive = consent(CLIENT, "https://drive.example.com/mcp", "mcp:tools");
    let ads = consent(CLIENT, RESOURCE, "mcp:tools");
    let other_client = consent("a-client", RESOURCE, "mcp:tools");
    let mut someone_else = consent(CLIENT, RESOURCE, "mcp:tools");
    someone_else.user_subject = "another-subject".into();
    for consent in [&drive, &ads, &other_client, &someone_else] {
        store.upsert_consent(consent).await.expect("upsert");
    }
    let mut wider = ads.clone();
    wider.scope = "mcp:tools mcp:admin".into();
    wider.granted_at = at(5);
    store.upsert_consent(&wider).await.expect("replace");

    let read = store
        .consent(SUBJECT, CLIENT, RESOURCE)
        .await
        .expect("read");
    assert_eq!(read, Some(wider.clone()));
    assert_eq!(
        store
            .consent(SUBJECT, CLIENT, "https://x.example/mcp")
            .await
            .expect("read"),
        None
    );
    let listed = store.consents_for_user(SUBJECT).await.expect("list");
    assert_eq!(listed, [other_client, wider, drive]);
}

pub(super) async fn revoking_a_client_forgets_its_consents_and_revokes_only_its_grants(
    store: Arc<dyn Store>,
) {
    let drive = "https://drive.example.com/mcp";
    let other_client = consent("a-client", RESOURCE, "mcp:tools");
    let mut other_user = consent(CLIENT, RESOURCE, "mcp:tools");
    other_user.user_subject = "another-subject".into();
    for consent in [
        &consent(CLIENT, RESOURCE, "mcp:tools"),
        &consent(CLIENT, drive, "mcp:tools"),
        &other_client,
        &other_user,
    ] {
        store.upsert_consent(consent).await.expect("consent");
    }
    let (first, token) = with_refresh_token(&*store).await;
    let (second, _) = granted(&*store, CLIENT).await;
    let (earlier, _) = granted(&*store, CLIENT).await;
    assert!(store.revoke_grant(earlier.id, at(2)).await.expect("revoke"));
    let (of_other_client, _) = granted(&*store, "a-client").await;
    let of_other_user = grant_record("another-subject", CLIENT);
    insert_grant(&*store, &of_other_user).await;

    let revoked = store
        .revoke_client_authorization(SUBJECT, CLIENT, at(10))
        .await;
    assert_eq!(
        revoked.expect("revoke"),
        2,
        "the two live grants of the client"
    );
    assert_eq!(
        store.consents_for_user(SUBJECT).await.expect("list"),
        [other_client]
    );
    let kept = store.consent("another-subject", CLIENT, RESOURCE).await;
    assert_eq!(kept.expect("read"), Some(other_user));
    assert!(is_revoked(&*store, first.id).await);
    assert!(is_revoked(&*store, second.id).await);
    assert!(!is_revoked(&*store, of_other_client.id).await);
    assert!(!is_revoked(&*store, of_other_user.id).await);
    let earlier = store.grant(earlier.id).await.expect("read").expect("kept");
    assert_eq!(
        earlier.revoked_at,
        Some(at(2)),
        "the first revocation time stays"
    );
    let new = refresh_token(first.id, at(99_999));
    let rotation = store
        .rotate_refresh_token(&token.token_hash, &new, at(11), at(0))
        .await;
    assert_eq!(
        rotation.expect("rotate"),
        RefreshRotation::Invalid,
        "its tokens are dead"
    );
    let again = store
        .revoke_client_authorization(SUBJECT, CLIENT, at(12))
        .await;
    assert_eq!(again.expect("again"), 0);
}

pub(super) async fn active_grants_are_the_users_unrevoked_ones_newest_first(store: Arc<dyn Store>) {
    let mut grants = Vec::new();
    for seconds in [5, 1, 3] {
        let mut grant = grant_record(SUBJECT, CLIENT);
        grant.created_at = at(seconds);
        insert_grant(&*store, &grant).await;
        grants.push(grant);
    }
    insert_grant(&*store, &grant_record("another-subject", CLIENT)).await;
    assert!(
        store
            .revoke_grant(grants[2].id, at(9))
            .await
            .expect("revoke")
    );

    let active = store.active_grants_for_user(SUBJECT).await.expect("list");
    assert_eq!(active, [grants[0].clone(), grants[1].clone()]);
    let read = store
        .grant(grants[2].id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(read.revoked_at, Some(at(9)));
    assert!(
        store
            .active_grants_for_user("nobody")
            .await
            .expect("list")
            .is_empty()
    );
}
