//! The store contract for finding a client's pending sessions (reused by `/auth/token`).
//! Run on both backends by `contract_tests!` in the parent module.

use super::{ALICE, BOB, GOOGLE, at, new_session};
use auth_gateway::store::Store;
use std::sync::Arc;

pub(super) async fn pending_sessions_are_found_by_client_user_and_provider_unexpired_latest_first(
    store: Arc<dyn Store>,
) {
    let early = new_session(ALICE, at(600));
    let late = new_session(ALICE, at(900));
    let expired = new_session(ALICE, at(100));
    let claimed = new_session(ALICE, at(1000));
    let other_user = new_session(BOB, at(900));
    let mut other_client = new_session(ALICE, at(900));
    other_client.client_name = "analytics-mcp".into();
    for session in [
        &early,
        &late,
        &expired,
        &claimed,
        &other_user,
        &other_client,
    ] {
        store.insert_session(session).await.expect("insert");
    }
    assert!(
        store
            .claim_session(claimed.id, at(200))
            .await
            .expect("claim")
    );
    let found: Vec<_> = store
        .pending_sessions_for("google-ads-mcp", ALICE, GOOGLE, at(200))
        .await
        .expect("find")
        .into_iter()
        .map(|session| session.id)
        .collect();
    assert_eq!(found, [late.id, early.id]);
    assert!(
        store
            .pending_sessions_for("google-ads-mcp", ALICE, "github", at(200))
            .await
            .expect("other provider")
            .is_empty()
    );
}
