//! The store contract for the authorization server's roles: resources and signing keys.
//! Run on both backends by `contract_tests!` in the parent module.

use super::{at, scopes, sealed};
use auth_gateway::store::{KeyIdCount, NewSigningKey, ResourceRecord, Store};
use std::sync::Arc;
use uuid::Uuid;

fn resource(uri: &str, client: &str) -> ResourceRecord {
    ResourceRecord {
        uri: uri.into(),
        client_name: client.into(),
        provider: "google".into(),
        scopes: scopes(&["https://www.googleapis.com/auth/adwords"]),
        display_name: "Google Ads".into(),
        created_at: at(1),
    }
}

fn signing_key(seconds: i64) -> NewSigningKey {
    NewSigningKey {
        kid: format!("kid-{}", Uuid::new_v4().simple()),
        algorithm: "ES256".into(),
        public_key: [[4u8].as_slice(), &[7u8; 64]].concat(),
        private_key: sealed("signing"),
        created_at: at(seconds),
    }
}

pub(super) async fn resources_are_registered_once_listed_by_uri_and_removed(store: Arc<dyn Store>) {
    let ads = resource("https://ads.example.com/mcp", "google-ads-mcp");
    let drive = resource("https://drive.example.com/mcp", "drive-mcp");
    assert!(store.insert_resource(&drive).await.expect("insert"));
    assert!(store.insert_resource(&ads).await.expect("insert"));
    let taken = resource("https://ads.example.com/mcp", "someone-else");
    assert!(!store.insert_resource(&taken).await.expect("insert taken"));
    assert_eq!(store.resources().await.expect("list"), [ads.clone(), drive]);
    assert_eq!(
        store.resource(&ads.uri).await.expect("read"),
        Some(ads.clone())
    );
    assert!(store.delete_resource(&ads.uri).await.expect("delete"));
    assert!(!store.delete_resource(&ads.uri).await.expect("delete again"));
    assert_eq!(store.resource(&ads.uri).await.expect("read"), None);
}

pub(super) async fn exactly_one_of_sixteen_concurrent_first_signing_keys_wins(
    store: Arc<dyn Store>,
) {
    let attempts = (0..16).map(|_| {
        let store = Arc::clone(&store);
        tokio::spawn(async move { store.insert_first_signing_key(&signing_key(1)).await })
    });
    let mut won = Vec::new();
    for attempt in futures::future::join_all(attempts).await {
        won.push(attempt.expect("task").expect("insert"));
    }
    assert_eq!(won.iter().filter(|won| **won).count(), 1, "{won:?}");
    let current = store.current_signing_key().await.expect("current");
    let current = current.expect("one current key");
    assert_eq!(current.retires_at, None);
    let published = store
        .published_signing_keys(at(2))
        .await
        .expect("published");
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].kid, current.kid);
}

pub(super) async fn rotating_a_signing_key_retires_the_previous_one_and_is_fenced(
    store: Arc<dyn Store>,
) {
    let first = signing_key(1);
    assert!(store.insert_first_signing_key(&first).await.expect("first"));
    let second = signing_key(2);
    assert!(
        store
            .rotate_signing_key(&first.kid, &second, at(100))
            .await
            .expect("rotate")
    );
    // A rotation that read the old current key loses, and writes nothing.
    let late = signing_key(3);
    assert!(
        !store
            .rotate_signing_key(&first.kid, &late, at(100))
            .await
            .expect("late rotate")
    );
    let current = store.current_signing_key().await.expect("current");
    assert_eq!(current.map(|key| key.kid), Some(second.kid.clone()));
    let published = store
        .published_signing_keys(at(50))
        .await
        .expect("published");
    let kids: Vec<_> = published.iter().map(|key| key.kid.as_str()).collect();
    assert_eq!(kids, [second.kid.as_str(), first.kid.as_str()]);
    assert_eq!(published[1].retires_at, Some(at(100)));
    assert_eq!(published[1].public_key, first.public_key);
    assert_eq!(published[1].private_key, first.private_key);
    let later = store.published_signing_keys(at(100)).await.expect("later");
    assert_eq!(
        later.len(),
        1,
        "retired at 100 is no longer published at 100"
    );
    assert_eq!(
        store
            .delete_signing_keys_retired_before(at(101))
            .await
            .expect("delete"),
        1
    );
    assert_eq!(
        store
            .delete_signing_keys_retired_before(at(101))
            .await
            .expect("delete again"),
        0
    );
}

pub(super) async fn signing_key_ciphertexts_are_counted_and_resealed_by_compare_and_swap(
    store: Arc<dyn Store>,
) {
    let first = signing_key(1);
    assert!(store.insert_first_signing_key(&first).await.expect("first"));
    let counts = store.signing_key_id_counts().await.expect("counts");
    assert_eq!(
        counts,
        [KeyIdCount {
            key_id: "key-signing".into(),
            ciphertexts: 1
        }]
    );
    let stale = store
        .signing_keys_not_under("key-new")
        .await
        .expect("not under");
    assert_eq!(stale.len(), 1);
    assert!(
        store
            .signing_keys_not_under("key-signing")
            .await
            .expect("under")
            .is_empty()
    );
    let mut resealed = sealed("new");
    resealed.key_id = "key-new".into();
    assert!(
        store
            .reseal_signing_key(&first.kid, &first.private_key, &resealed)
            .await
            .expect("reseal")
    );
    // The old ciphertext is gone: a second swap from it does nothing.
    assert!(
        !store
            .reseal_signing_key(&first.kid, &first.private_key, &sealed("other"))
            .await
            .expect("reseal again")
    );
    let current = store.current_signing_key().await.expect("current");
    assert_eq!(current.map(|key| key.private_key), Some(resealed));
}
