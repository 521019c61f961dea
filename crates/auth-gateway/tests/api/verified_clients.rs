//! API clients restricted to verified users: refused where they would assert a user's
//! email (`/auth/token`, `/auth/init`), served by token exchange, switched by the admin
//! CLI. On both backends.

use crate::on_both_backends;
use crate::support::browser::{browser, user_access_token};
use crate::support::db::Backend;
use crate::support::exchange::{ADS, ADS_CLIENT, ALICE, Servers, exchange, servers};
use auth_gateway::cli::clients::{ClientsCommand, run};
use auth_gateway::store::AuditQuery;
use serde_json::{Value, json};

on_both_backends!(a_verified_only_client_is_refused_an_asserted_email_but_served_by_exchange);

async fn as_client(app: &crate::support::app::TestApp, key: &str, path: &str) -> (u16, Value) {
    let response = app
        .http
        .post(app.url(path))
        .header("X-API-Key", key)
        .json(&json!({"provider": "google", "user_email": ALICE}))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn set(servers: &Servers, name: &str, verified: bool) -> anyhow::Result<String> {
    let mut out = Vec::new();
    let command = ClientsCommand::Set {
        name: name.into(),
        verified_users_only: verified,
    };
    run(
        servers.store.as_ref(),
        servers.app.clock_now(),
        command,
        &mut out,
    )
    .await?;
    Ok(String::from_utf8(out).unwrap())
}

async fn a_verified_only_client_is_refused_an_asserted_email_but_served_by_exchange(
    backend: Backend,
) {
    let servers = servers(backend, true).await;
    let (app, key) = (&servers.app, servers.ads_key.as_str());
    let jwt = user_access_token(app, &browser(), ADS, ALICE).await;

    for path in ["/auth/token", "/auth/init"] {
        let (status, body) = as_client(app, key, path).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(body["detail"]["error"], "verified_users_only", "{body}");
        assert!(
            body["detail"]["message"]
                .as_str()
                .unwrap()
                .contains("token exchange")
        );
    }
    let exchanged = exchange(app, key, &jwt, &[]).await;
    assert_eq!(exchanged.status(), 200);

    // Lifted by the CLI (audited): the email may be asserted again.
    let printed = set(&servers, ADS_CLIENT, false).await.unwrap();
    assert!(printed.contains("asserted user_email"), "{printed}");
    assert_eq!(as_client(app, key, "/auth/token").await.0, 200);
    set(&servers, ADS_CLIENT, true).await.unwrap();
    assert_eq!(as_client(app, key, "/auth/token").await.0, 403);
    // The shared key is never verified-only, and unknown clients are refused.
    let shared = set(&servers, "default", true).await.unwrap_err();
    assert!(shared.to_string().contains("default"), "{shared}");
    assert!(set(&servers, "nobody", true).await.is_err());
    // Made verified-only at creation by the CLI, and listed so.
    let mut out = Vec::new();
    let create = ClientsCommand::Create {
        name: "cli-verified".into(),
        providers: vec!["google".into()],
        scopes: None,
        no_default_scopes: false,
        verified_users_only: true,
    };
    let (store, now) = (servers.store.as_ref(), app.clock_now());
    run(store, now, create, &mut out).await.unwrap();
    let printed = String::from_utf8(out).unwrap();
    assert!(printed.contains("verified users only"), "{printed}");
    let mut out = Vec::new();
    run(store, now, ClientsCommand::List, &mut out)
        .await
        .unwrap();
    let listed = String::from_utf8(out).unwrap();
    let line = listed
        .lines()
        .find(|l| l.starts_with("cli-verified"))
        .unwrap();
    assert!(line.contains(" only "), "{listed}");

    let events = servers
        .store
        .audit_events(&AuditQuery {
            limit: 500,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let updates: Vec<_> = events
        .iter()
        .filter(|e| e.event == "client_updated")
        .filter_map(|e| e.detail.clone())
        .collect();
    assert_eq!(
        updates,
        ["verified_users_only=false", "verified_users_only=true"]
    );
}
