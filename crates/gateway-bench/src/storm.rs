//! Refresh storms: many concurrent requests for users whose access tokens have expired.
//! The gateway must refresh each credential once (single flight), and every request
//! must get that one fresh token.
//!
//! Expiry comes from the emulator, not from editing rows: the storm users sign in while
//! the emulator issues 1-second tokens, the lifetime goes back to an hour, and after 1.5 s
//! their stored tokens are really expired. The upstream refresh count is then exactly
//! what the storm caused (the gateway's background refresh is off), and this keeps
//! working if the gateway ever caches tokens in memory.

use crate::http1::TokenRequests;
use crate::seed::{browser, sign_in};
use anyhow::{Context, Result};
use google_emulator::Emulator;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Barrier;

/// The emulator's normal access token lifetime (Google's).
const NORMAL_LIFETIME_SECS: u64 = 3599;

/// One storm's outcome.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StormResult {
    pub users: usize,
    pub requests_per_user: usize,
    pub requests: usize,
    pub errors: usize,
    /// `refresh_token` grants the emulator served during the storm.
    pub upstream_refreshes: u64,
    pub expected_refreshes: u64,
    /// Every request for a user got the same token, and the emulator says it is valid.
    pub one_fresh_token_per_user: bool,
    pub max_ms: f64,
}

impl StormResult {
    pub fn passed(&self) -> bool {
        self.errors == 0
            && self.upstream_refreshes == self.expected_refreshes
            && self.one_fresh_token_per_user
    }
}

/// Runs "1 user × 50" and "8 users × 8".
pub async fn run(
    base_url: &str,
    requests: &TokenRequests,
    emulator: &Emulator,
) -> Result<Vec<StormResult>> {
    let single = vec!["storm-single@bench.example.com".to_owned()];
    let eight: Vec<String> = (0..8)
        .map(|i| format!("storm-{i}@bench.example.com"))
        .collect();
    expire_after_sign_in(base_url, emulator, single.iter().chain(&eight)).await?;
    Ok(vec![
        storm(requests, emulator, &single, 50).await?,
        storm(requests, emulator, &eight, 8).await?,
    ])
}

/// Signs the storm users in with 1-second tokens and waits until those have expired.
async fn expire_after_sign_in<'a>(
    base_url: &str,
    emulator: &Emulator,
    emails: impl Iterator<Item = &'a String>,
) -> Result<()> {
    let (api, browser) = (reqwest::Client::new(), browser()?);
    emulator.set_access_token_lifetime(1);
    let signed_in = async {
        for email in emails {
            sign_in(&api, &browser, base_url, email).await?;
        }
        anyhow::Ok(())
    }
    .await;
    // The refresh must hand out a normal, long-lived token.
    emulator.set_access_token_lifetime(NORMAL_LIFETIME_SECS);
    signed_in?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    Ok(())
}

/// Fires `per_user` simultaneous requests for each of `emails`, each on its own
/// connection.
async fn storm(
    requests: &TokenRequests,
    emulator: &Emulator,
    emails: &[String],
    per_user: usize,
) -> Result<StormResult> {
    let total = emails.len() * per_user;
    let barrier = Arc::new(Barrier::new(total));
    let refreshes_before = emulator.counters().refreshes;
    let mut tasks = Vec::with_capacity(total);
    for email in emails {
        let body = TokenRequests::body(email);
        for _ in 0..per_user {
            let mut connection = requests.connect().await?;
            let (body, barrier, email) = (body.clone(), barrier.clone(), email.clone());
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                let sent = Instant::now();
                let answer = connection.token(body).await;
                (email, answer, sent.elapsed())
            }));
        }
    }
    let mut errors = 0;
    let mut max = Duration::ZERO;
    let mut tokens: HashMap<String, HashSet<String>> = HashMap::new();
    for task in tasks {
        let (email, answer, elapsed) = task.await.context("storm request panicked")?;
        max = max.max(elapsed);
        let token = match answer {
            Ok((status, body)) if status == hyper::StatusCode::OK => {
                serde_json::from_slice::<serde_json::Value>(&body)?["access_token"]
                    .as_str()
                    .map(str::to_owned)
            }
            Ok((status, body)) => {
                eprintln!(
                    "storm: {email}: {status} {}",
                    String::from_utf8_lossy(&body)
                );
                None
            }
            Err(error) => {
                eprintln!("storm: {email}: {error:#}");
                None
            }
        };
        match token {
            Some(token) => {
                tokens.entry(email).or_default().insert(token);
            }
            None => errors += 1,
        }
    }
    let one_fresh_token_per_user = tokens.len() == emails.len()
        && tokens.values().all(|set| {
            set.len() == 1
                && set
                    .iter()
                    .all(|token| emulator.access_token_is_valid(token))
        });
    Ok(StormResult {
        users: emails.len(),
        requests_per_user: per_user,
        requests: total,
        errors,
        upstream_refreshes: emulator.counters().refreshes - refreshes_before,
        expected_refreshes: emails.len() as u64,
        one_fresh_token_per_user,
        max_ms: max.as_secs_f64() * 1000.0,
    })
}
