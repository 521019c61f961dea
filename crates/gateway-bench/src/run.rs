//! One backend from start to end: a fresh database and emulator, the gateway process,
//! seeding, the token load at each concurrency, the refresh storms, and cleanup.

use crate::args::{Args, Backend};
use crate::gateway_process::{API_KEY, GatewayProcess};
use crate::http1::TokenRequests;
use crate::load::{self, LoadPlan};
use crate::report::BackendReport;
use crate::{database, procfs, seed, storm};
use anyhow::{Context, Result};
use google_emulator::Emulator;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

pub async fn backend(args: &Args, backend: Backend, binary: &Path) -> Result<BackendReport> {
    let emulator = Emulator::start().await.context("starting the emulator")?;
    let data_dir = tempfile::tempdir().context("creating a temp dir")?;
    // The gateway's PostgreSQL database, created and dropped by the benchmark.
    let database = database::own_name("auth_gateway_bench");
    let database_url = match backend {
        Backend::Postgres => with_params(
            database::recreate(&args.postgres_url, &database).await?,
            &args.gateway_db_params,
        ),
        Backend::Sqlite => format!("sqlite://{}/gateway.db?mode=rwc", data_dir.path().display()),
    };
    let started = Instant::now();
    let mut gateway = GatewayProcess::start(
        binary,
        &database_url,
        data_dir.path(),
        &emulator,
        &args.gateway_log_level,
        &args.gateway_env,
    )?;
    let result = measure(args, backend, &mut gateway, &emulator, started).await;
    let result = result.map_err(|error| {
        error.context(format!(
            "{} run failed; the gateway's last log lines:\n{}",
            backend.name(),
            gateway.log_tail(10)
        ))
    });
    gateway.stop().await?;
    if backend == Backend::Postgres {
        database::drop(&args.postgres_url, &database).await;
    }
    result
}

async fn measure(
    args: &Args,
    backend: Backend,
    gateway: &mut GatewayProcess,
    emulator: &Emulator,
    started: Instant,
) -> Result<BackendReport> {
    let name = backend.name();
    let startup = gateway.wait_ready(started).await?;
    let pid = gateway.pid_text();
    let idle_rss_kib = procfs::status_kib(&pid, "VmRSS")?;
    eprintln!(
        "[{name}] gateway pid {} ready on port {} in {startup:?}",
        gateway.pid(),
        gateway.port()
    );

    let emails: Vec<String> = (0..args.users).map(seed::user_email).collect();
    let bodies = Arc::new(emails.iter().map(|e| TokenRequests::body(e)).collect());
    eprintln!("[{name}] signing in {} users…", emails.len());
    let seeded = seed::seed(&gateway.base_url(), emails, args.seed_concurrency).await?;
    eprintln!("[{name}] {:.0} sign-ins/s", seeded.sign_ins_per_second);

    let requests = TokenRequests::new(gateway.port(), API_KEY)?;
    let plan = LoadPlan {
        requests: requests.clone(),
        bodies,
        gateway_pid: pid.clone(),
    };
    let mut runs = Vec::new();
    for &concurrency in &args.concurrency {
        if let Some(pause) = args.attach_pause {
            eprintln!(
                "[{name}] measuring {concurrency} connections in {pause:?}: gateway pid {}",
                gateway.pid()
            );
            tokio::time::sleep(pause).await;
        }
        let run = load::run(&plan, concurrency, args.warmup, args.duration).await?;
        eprintln!(
            "[{name}] {concurrency} connections: {:.0} req/s, p99 {:.2} ms, {} errors",
            run.requests_per_second, run.p99_ms, run.errors
        );
        runs.push(run);
    }

    let storms = if args.skip_storms {
        Vec::new()
    } else {
        eprintln!("[{name}] refresh storms…");
        storm::run(&gateway.base_url(), &requests, emulator).await?
    };
    Ok(BackendReport {
        backend,
        startup_ms: startup.as_secs_f64() * 1000.0,
        idle_rss_mib: kib_to_mib(idle_rss_kib),
        seed: seeded,
        load: runs,
        storms,
        peak_rss_mib: kib_to_mib(procfs::status_kib(&pid, "VmHWM")?),
    })
}

/// `url` with `params` (`a=b&c=d`) added to its query string.
fn with_params(url: String, params: &str) -> String {
    if params.is_empty() {
        url
    } else if url.contains('?') {
        format!("{url}&{params}")
    } else {
        format!("{url}?{params}")
    }
}

fn kib_to_mib(kib: u64) -> f64 {
    // Resident sets are far below 2^52 KiB, so the conversion is exact.
    f64::from(u32::try_from(kib).unwrap_or(u32::MAX)) / 1024.0
}
