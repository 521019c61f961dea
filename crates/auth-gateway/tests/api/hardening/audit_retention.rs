//! Audit retention (issue 16, finding 11): the periodic sweep deletes audit events older
//! than `AUDIT_RETENTION_DAYS`; 0 keeps them forever. Time moves on the injected clock.

use crate::support::app::TestApp;
use crate::support::db::Backend;
use auth_gateway::store::{AuditEvent, AuditQuery, Store};
use chrono::Duration;
use std::sync::Arc;

async fn events_of(store: &Arc<dyn Store>, email: &str) -> usize {
    let query = AuditQuery {
        user_email: Some(email.to_owned()),
        since: None,
        limit: 1000,
    };
    store.audit_events(&query).await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_deletes_audit_events_past_their_retention() {
    let app = TestApp::spawn_with(Backend::Sqlite, &[("AUDIT_RETENTION_DAYS", "30")]).await;
    let store = app.db.store().await;
    app.sign_in("old@example.com").await;
    app.clock.advance(Duration::days(10));
    // (A second sign-in would need Google's id_token to be as far in the future.)
    let recent = AuditEvent {
        occurred_at: app.clock_now(),
        client_name: None,
        user_email: Some("recent@example.com".to_owned()),
        provider: None,
        event: "sign_in_completed".to_owned(),
        outcome: "ok".to_owned(),
        detail: None,
    };
    store.insert_audit_event(&recent).await.unwrap();
    assert!(events_of(&store, "old@example.com").await > 0);
    app.clock.advance(Duration::days(25));
    app.gateway.sweep_sessions().await.unwrap();
    assert_eq!(events_of(&store, "old@example.com").await, 0);
    assert!(events_of(&store, "recent@example.com").await > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retention_of_zero_keeps_audit_events_forever() {
    let app = TestApp::spawn_with(Backend::Sqlite, &[("AUDIT_RETENTION_DAYS", "0")]).await;
    let store = app.db.store().await;
    app.sign_in("kept@example.com").await;
    let before = events_of(&store, "kept@example.com").await;
    app.clock.advance(Duration::days(3650));
    app.gateway.sweep_sessions().await.unwrap();
    assert_eq!(events_of(&store, "kept@example.com").await, before);
}
