//! `gateway-bench`: measures the gateway's token path on PostgreSQL and SQLite (issue 9)
//! and writes a table to stdout and JSON to `--out`. `--smoke` is the few-second CI run;
//! any error, wrong storm count or unready gateway makes it exit non-zero.

mod args;
mod database;
mod gateway_process;
mod http1;
mod load;
mod pgbench;
mod procfs;
mod report;
mod run;
mod seed;
mod storm;

use anyhow::{Context, Result};
use args::Args;
use clap::Parser;
use gateway_process::GatewayProcess;
use report::{Report, Settings};
use std::process::ExitCode;

fn main() -> Result<ExitCode> {
    let args = Args::parse().effective();
    // One thread by default: the load generator shares the two cores with the gateway.
    let runtime = if args.client_threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.client_threads)
            .enable_all()
            .build()
    }
    .context("building the runtime")?;
    runtime.block_on(bench(args))
}

async fn bench(args: Args) -> Result<ExitCode> {
    let binary = GatewayProcess::locate(args.gateway_bin.as_deref())?;
    let mut report = Report {
        date: wall_clock_date(),
        machine: procfs::Machine::describe(),
        profile: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        smoke: args.smoke,
        settings: Settings {
            users: args.users,
            seed_concurrency: args.seed_concurrency,
            concurrency: args.concurrency.clone(),
            duration_seconds: args.duration.as_secs_f64(),
            warmup_seconds: args.warmup.as_secs_f64(),
            client_threads: args.client_threads,
            gateway_log_level: args.gateway_log_level.clone(),
            gateway_db_params: args.gateway_db_params.clone(),
            gateway_env: args
                .gateway_env
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect(),
        },
        backends: Vec::new(),
        pgbench: Vec::new(),
        pgbench_fractions: Vec::new(),
    };
    for backend in args.backends() {
        report
            .backends
            .push(run::backend(&args, backend, &binary).await?);
    }
    if !args.skip_pgbench {
        report.pgbench = reference(&args).await?;
        report.compute_fractions();
    }
    report.write_json(&args.out)?;
    print!("{}", report.table());
    eprintln!("results written to {}", args.out.display());
    let problems = report.problems();
    if problems.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for problem in &problems {
        eprintln!("FAILED: {problem}");
    }
    Ok(ExitCode::FAILURE)
}

/// When the run started, for the report. The gateway takes time from its `Clock`; a
/// benchmark's date is simply the wall clock.
#[expect(
    clippy::disallowed_methods,
    reason = "the report's date is the wall clock"
)]
fn wall_clock_date() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `pgbench -S` at each concurrency, plain and with prepared statements, with the
/// gateway stopped so the database has the machine to itself.
async fn reference(args: &Args) -> Result<Vec<pgbench::PgbenchResult>> {
    eprintln!("[pgbench] initializing (scale {})…", args.pgbench_scale);
    let name = database::own_name(pgbench::DATABASE_PREFIX);
    let url = database::recreate(&args.postgres_url, &name).await?;
    let results = async {
        pgbench::initialize(&url, args.pgbench_scale).await?;
        let mut results = Vec::new();
        for &concurrency in &args.concurrency {
            for protocol in ["simple", "prepared"] {
                let result = pgbench::run(&url, concurrency, args.duration, protocol).await?;
                eprintln!(
                    "[pgbench] {concurrency} clients, {protocol}: {:.0} tps",
                    result.tps
                );
                results.push(result);
            }
        }
        anyhow::Ok(results)
    }
    .await;
    database::drop(&args.postgres_url, &name).await;
    results
}
