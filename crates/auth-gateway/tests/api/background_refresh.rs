//! The background refresh job: grants in use are refreshed before they go stale, idle
//! grants are kept alive, one replica runs it per tick, and a tick is rate-limited.

use crate::on_both_backends;
use crate::support::app::TestApp;
use crate::support::db::Backend;
use auth_gateway::core::flows::maintenance::MaintenanceSettings;

on_both_backends!(
    a_grant_in_use_is_refreshed_before_it_goes_stale,
    an_idle_grant_is_kept_alive_and_an_unused_recent_one_is_left_alone,
    one_tick_refreshes_at_most_a_batch,
);

fn settings(batch: u32) -> MaintenanceSettings {
    MaintenanceSettings {
        batch,
        ..MaintenanceSettings::default()
    }
}

/// Signs in through the link only, so no token was served yet.
async fn sign_in_without_use(app: &TestApp, email: &str) {
    let link = app.init(email).await;
    let (status, _) = app.follow(link["auth_url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
}

async fn a_grant_in_use_is_refreshed_before_it_goes_stale(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "busy@example.com";
    app.sign_in(email).await;
    // 330 s left: not yet inside the 300 s request buffer, but it will be by the next tick.
    app.clock.advance(chrono::Duration::seconds(3599 - 330));
    let report = app
        .gateway
        .refresh_due_credentials(&settings(20))
        .await
        .unwrap();
    assert!(report.ran);
    assert_eq!((report.refreshed, report.failed), (1, 0));
    assert_eq!(app.emulator.counters().refreshes, 1);
    // Requests now get the refreshed token without waiting on the provider.
    assert_eq!(app.token(email).await.status(), 200);
    assert_eq!(app.emulator.counters().refreshes, 1);
}

async fn an_idle_grant_is_kept_alive_and_an_unused_recent_one_is_left_alone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    sign_in_without_use(&app, "idle@example.com").await;
    app.expire_tokens();
    let report = app
        .gateway
        .refresh_due_credentials(&settings(20))
        .await
        .unwrap();
    assert_eq!(
        report.refreshed, 0,
        "expired but unused and not idle: left alone"
    );
    app.clock.advance(chrono::Duration::days(31));
    let report = app
        .gateway
        .refresh_due_credentials(&settings(20))
        .await
        .unwrap();
    assert_eq!(report.refreshed, 1, "idle for a month: kept alive");
    assert_eq!(app.emulator.counters().refreshes, 1);
}

async fn one_tick_refreshes_at_most_a_batch(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for i in 0..3 {
        sign_in_without_use(&app, &format!("user{i}@example.com")).await;
    }
    app.clock.advance(chrono::Duration::days(31));
    let first = app
        .gateway
        .refresh_due_credentials(&settings(2))
        .await
        .unwrap();
    assert_eq!(first.refreshed, 2);
    let second = app
        .gateway
        .refresh_due_credentials(&settings(2))
        .await
        .unwrap();
    assert_eq!(second.refreshed, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_at_a_time_runs_the_job() {
    let app = TestApp::spawn(Backend::Postgres).await;
    let (_, other) = app.replica_with_gateway().await;
    assert!(
        app.gateway
            .refresh_due_credentials(&settings(20))
            .await
            .unwrap()
            .ran
    );
    assert!(
        !other
            .refresh_due_credentials(&settings(20))
            .await
            .unwrap()
            .ran
    );
    // The leader keeps it on its next tick; the other takes over once it lapses.
    assert!(
        app.gateway
            .refresh_due_credentials(&settings(20))
            .await
            .unwrap()
            .ran
    );
    app.clock.advance(chrono::Duration::minutes(3));
    assert!(
        other
            .refresh_due_credentials(&settings(20))
            .await
            .unwrap()
            .ran
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_running_gateway_refreshes_in_the_background_on_its_own() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[("BACKGROUND_REFRESH_INTERVAL_SECONDS", "1")],
    )
    .await;
    app.sign_in("auto@example.com").await;
    // Stale within the 300 s buffer plus the 1 s interval.
    app.clock.advance(chrono::Duration::seconds(3599 - 290));
    // Wait for the job's next tick (every second), bounded.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while app.emulator.counters().refreshes == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "no background refresh within 15 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.emulator.counters().refreshes, 1);
}
