//! The store contract for the authorization server's MCP clients. Run on both backends
//! by `contract_tests!` in the parent module.

use super::oauth::{CLIENT, granted};
use super::{at, digest, scopes, t0};
use auth_gateway::store::{OAuthClientKind, OAuthClientRecord, Store};
use std::sync::Arc;

fn oauth_client(client_id: &str, kind: OAuthClientKind) -> OAuthClientRecord {
    OAuthClientRecord {
        client_id: client_id.into(),
        kind,
        client_name: Some("Claude".into()),
        redirect_uris: scopes(&["https://claude.ai/api/mcp/auth_callback"]),
        token_endpoint_auth_method: "none".into(),
        secret_digest: None,
        created_at: t0(),
        last_used_at: None,
        refresh_after: None,
    }
}

pub(super) async fn oauth_clients_are_inserted_once_replaced_and_their_use_recorded_hourly(
    store: Arc<dyn Store>,
) {
    let mut client = oauth_client(CLIENT, OAuthClientKind::MetadataDocument);
    client.refresh_after = Some(at(3600));
    assert!(store.insert_oauth_client(&client).await.expect("insert"));
    let mut taken = oauth_client(CLIENT, OAuthClientKind::Dynamic);
    taken.client_name = None;
    assert!(!store.insert_oauth_client(&taken).await.expect("taken"));
    assert_eq!(
        store.oauth_client(CLIENT).await.expect("read"),
        Some(client.clone())
    );
    assert_eq!(store.oauth_client("other").await.expect("read"), None);

    client.redirect_uris = scopes(&["http://127.0.0.1/callback", "https://a.example/cb"]);
    client.refresh_after = Some(at(7200));
    store.upsert_oauth_client(&client).await.expect("upsert");
    assert_eq!(
        store.oauth_client(CLIENT).await.expect("read"),
        Some(client.clone())
    );

    let mut confidential = oauth_client("dyn-confidential", OAuthClientKind::Preregistered);
    confidential.token_endpoint_auth_method = "client_secret_basic".into();
    confidential.secret_digest = Some(digest());
    store
        .upsert_oauth_client(&confidential)
        .await
        .expect("upsert new");
    let read = store.oauth_client("dyn-confidential").await.expect("read");
    assert_eq!(read, Some(confidential));

    store
        .record_oauth_client_use(CLIENT, at(10), at(-3590))
        .await
        .expect("use");
    store
        .record_oauth_client_use(CLIENT, at(20), at(-3580))
        .await
        .expect("within the hour");
    let read = store
        .oauth_client(CLIENT)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(read.last_used_at, Some(at(10)));
    store
        .record_oauth_client_use(CLIENT, at(3611), at(11))
        .await
        .expect("an hour on");
    let read = store
        .oauth_client(CLIENT)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(read.last_used_at, Some(at(3611)));
}

pub(super) async fn unused_dynamic_clients_are_swept_but_used_fixed_and_granted_ones_stay(
    store: Arc<dyn Store>,
) {
    let idle = oauth_client("dyn-idle", OAuthClientKind::Dynamic);
    let mut used = oauth_client("dyn-used", OAuthClientKind::Dynamic);
    used.last_used_at = Some(at(100));
    let mut young = oauth_client("dyn-young", OAuthClientKind::Dynamic);
    young.created_at = at(100);
    let granted_client = oauth_client("dyn-granted", OAuthClientKind::Dynamic);
    let mut revoked_only = oauth_client("dyn-revoked", OAuthClientKind::Dynamic);
    revoked_only.last_used_at = Some(at(1));
    let fixed = oauth_client("fixed", OAuthClientKind::Preregistered);
    let document = oauth_client(CLIENT, OAuthClientKind::MetadataDocument);
    for client in [
        &idle,
        &used,
        &young,
        &granted_client,
        &revoked_only,
        &fixed,
        &document,
    ] {
        assert!(store.insert_oauth_client(client).await.expect("insert"));
    }
    granted(&*store, "dyn-granted").await;
    let (revoked, _) = granted(&*store, "dyn-revoked").await;
    assert!(store.revoke_grant(revoked.id, at(2)).await.expect("revoke"));

    let swept = store.delete_unused_dynamic_clients(at(50)).await;
    assert_eq!(swept.expect("sweep"), 2, "dyn-idle and dyn-revoked");
    for gone in ["dyn-idle", "dyn-revoked"] {
        assert_eq!(
            store.oauth_client(gone).await.expect("read"),
            None,
            "{gone}"
        );
    }
    for kept in ["dyn-used", "dyn-young", "dyn-granted", "fixed", CLIENT] {
        assert!(
            store.oauth_client(kept).await.expect("read").is_some(),
            "{kept}"
        );
    }
}
