//! The store contract for the audit retention sweep. Run on both backends by
//! `contract_tests!` in the parent module.

use super::at;
use auth_gateway::store::{AuditEvent, AuditQuery, Store};
use std::sync::Arc;

pub(super) async fn deleting_audit_events_removes_only_those_before_the_cutoff(
    store: Arc<dyn Store>,
) {
    for second in [1, 2, 3, 4] {
        let event = AuditEvent {
            occurred_at: at(second),
            client_name: None,
            user_email: None,
            provider: None,
            event: format!("event-{second}"),
            outcome: "ok".into(),
            detail: None,
        };
        store.insert_audit_event(&event).await.expect("insert");
    }
    // Strictly before: the event at the cutoff itself stays.
    assert_eq!(
        store
            .delete_audit_events_before(at(3))
            .await
            .expect("delete"),
        2
    );
    let query = AuditQuery {
        user_email: None,
        since: None,
        limit: 10,
    };
    let left: Vec<String> = store
        .audit_events(&query)
        .await
        .expect("read")
        .into_iter()
        .map(|event| event.event)
        .collect();
    assert_eq!(left, ["event-3", "event-4"]);
    assert_eq!(
        store
            .delete_audit_events_before(at(3))
            .await
            .expect("again"),
        0
    );
}
