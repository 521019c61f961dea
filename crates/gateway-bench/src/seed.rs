//! Signs users in through the real flow, as a browser would: `POST /auth/init`, then the
//! sign-in link through `/connect`, the emulator's consent and the gateway's callback.

use crate::gateway_process::API_KEY;
use anyhow::{Context, Result, bail};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How seeding went.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SeedResult {
    pub users: usize,
    pub concurrency: usize,
    pub seconds: f64,
    pub sign_ins_per_second: f64,
}

/// The `index`th benchmark user.
pub fn user_email(index: usize) -> String {
    format!("bench-user-{index:05}@bench.example.com")
}

/// A cookie-keeping, redirect-following client: the sign-in link binds the flow to the
/// browser with a cookie, so one browser must follow it from start to end.
pub use test_kit::browser;

/// Signs in `emails` with `concurrency` browsers in parallel; any failed sign-in fails
/// the whole run.
pub async fn seed(base_url: &str, emails: Vec<String>, concurrency: usize) -> Result<SeedResult> {
    let emails = Arc::new(emails);
    let next = Arc::new(AtomicUsize::new(0));
    let api = reqwest::Client::new();
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (emails, next, api) = (emails.clone(), next.clone(), api.clone());
        let base_url = base_url.to_owned();
        workers.push(tokio::spawn(async move {
            // One browser per worker: each flow's cookie replaces the previous one, and
            // flows of one worker never overlap.
            let browser = browser()?;
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(email) = emails.get(index) else {
                    return anyhow::Ok(());
                };
                sign_in(&api, &browser, &base_url, email).await?;
            }
        }));
    }
    for worker in workers {
        worker.await??;
    }
    let elapsed = started.elapsed();
    Ok(SeedResult {
        users: emails.len(),
        concurrency,
        seconds: elapsed.as_secs_f64(),
        sign_ins_per_second: per_second(emails.len(), elapsed),
    })
}

/// One whole sign-in of `email`.
pub async fn sign_in(
    api: &reqwest::Client,
    browser: &reqwest::Client,
    base_url: &str,
    email: &str,
) -> Result<()> {
    let response = api
        .post(format!("{base_url}/auth/init"))
        .header("X-API-Key", API_KEY)
        .json(&serde_json::json!({"provider": "google", "user_email": email}))
        .send()
        .await
        .context("POST /auth/init")?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.context("/auth/init body")?;
    let Some(auth_url) = body["auth_url"].as_str().filter(|_| status.is_success()) else {
        bail!("POST /auth/init for {email}: {status} {body}");
    };
    let page = browser
        .get(auth_url)
        .send()
        .await
        .context("following the sign-in link")?;
    if page.status() != reqwest::StatusCode::OK {
        let status = page.status();
        let text = page.text().await.unwrap_or_default();
        bail!(
            "sign-in of {email} ended with {status}: {}",
            text.chars().take(300).collect::<String>()
        );
    }
    Ok(())
}

#[expect(
    clippy::cast_precision_loss,
    reason = "counts far below 2^52 are exact as f64"
)]
pub fn per_second(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64().max(f64::EPSILON)
}
