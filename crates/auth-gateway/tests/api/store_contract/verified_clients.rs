//! `ClientStore::set_client_verified_users_only` and the flag on insert and read.

use super::{at, new_client};
use auth_gateway::store::Store;
use std::sync::Arc;

pub(super) async fn a_client_is_made_verified_only_and_back_while_not_revoked(
    store: Arc<dyn Store>,
) {
    let mut client = new_client("verified-mcp");
    client.verified_users_only = true;
    assert!(store.insert_client(&client).await.expect("insert"));
    let read = |store: Arc<dyn Store>, digest: Vec<u8>| async move {
        store
            .client_by_digest(&digest)
            .await
            .expect("read")
            .expect("found")
    };
    let digest = client.key_digest.clone();
    assert!(
        read(Arc::clone(&store), digest.clone())
            .await
            .verified_users_only
    );

    let lift = store.set_client_verified_users_only("verified-mcp", false);
    assert!(lift.await.expect("set"));
    assert!(
        !read(Arc::clone(&store), digest.clone())
            .await
            .verified_users_only
    );
    assert!(
        store
            .set_client_verified_users_only("verified-mcp", true)
            .await
            .expect("set")
    );
    let all = store.clients().await.expect("list");
    let found = all
        .iter()
        .find(|c| c.name == "verified-mcp")
        .expect("listed");
    assert!(found.verified_users_only);

    // Unknown and revoked clients are not changed.
    assert!(
        !store
            .set_client_verified_users_only("nobody", true)
            .await
            .expect("set")
    );
    assert!(
        store
            .revoke_client("verified-mcp", at(60))
            .await
            .expect("revoke")
    );
    assert!(
        !store
            .set_client_verified_users_only("verified-mcp", false)
            .await
            .expect("set")
    );
    assert!(read(store, digest).await.verified_users_only);
}
