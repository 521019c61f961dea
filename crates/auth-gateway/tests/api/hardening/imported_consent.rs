//! A credential imported from the legacy gateway has no pinned account subject
//! (issue 16, finding 11): its next sign-in shows Google's consent screen, as a first
//! sign-in does; once that sign-in pinned the subject, later ones do not.

use crate::on_both_backends;
use crate::secrets_at_rest::Sql;
use crate::support::app::TestApp;
use crate::support::db::Backend;

on_both_backends!(an_imported_credential_without_a_subject_forces_consent_once);

/// The `prompt` parameter of the authorization URL a new sign-in link for `email` leads to.
async fn prompt_of_next_sign_in(app: &TestApp, email: &str) -> Option<String> {
    let link = app.init(email).await;
    let response = app
        .http
        .get(link["auth_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    location
        .query_pairs()
        .find(|(name, _)| name == "prompt")
        .map(|(_, value)| value.into_owned())
}

async fn an_imported_credential_without_a_subject_forces_consent_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let email = "imported@example.com";
    app.sign_in(email).await;
    assert_eq!(prompt_of_next_sign_in(&app, email).await, None);
    // What `import-legacy` writes: a grant with a refresh token and no subject.
    let mut sql = Sql::connect(&app).await;
    sql.execute("UPDATE credentials SET account_subject = NULL")
        .await;
    sql.close().await;
    assert_eq!(
        prompt_of_next_sign_in(&app, email).await.as_deref(),
        Some("consent")
    );
    app.sign_in(email).await;
    assert_eq!(prompt_of_next_sign_in(&app, email).await, None);
}
