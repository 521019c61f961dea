//! The results: one JSON document for machines and a table for people, plus the list of
//! problems that make the run fail.

use crate::args::Backend;
use crate::load::LoadResult;
use crate::pgbench::PgbenchResult;
use crate::procfs::Machine;
use crate::seed::SeedResult;
use crate::storm::StormResult;
use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::path::Path;

/// Everything one invocation measured.
#[derive(Debug, serde::Serialize)]
pub struct Report {
    /// RFC 3339, UTC.
    pub date: String,
    pub machine: Machine,
    /// Build profile of the bench and the gateway (`release` or `debug`).
    pub profile: &'static str,
    pub smoke: bool,
    pub settings: Settings,
    pub backends: Vec<BackendReport>,
    pub pgbench: Vec<PgbenchResult>,
    /// Our PostgreSQL token rate over `pgbench -S` (simple protocol) at each concurrency.
    pub pgbench_fractions: Vec<PgbenchShare>,
}

/// The knobs of the run.
#[derive(Debug, serde::Serialize)]
pub struct Settings {
    pub users: usize,
    pub seed_concurrency: usize,
    pub concurrency: Vec<usize>,
    pub duration_seconds: f64,
    pub warmup_seconds: f64,
    pub client_threads: usize,
    pub gateway_log_level: String,
    /// Added to the gateway's PostgreSQL URL (`sslmode=disable`, ...).
    pub gateway_db_params: String,
    /// Extra gateway environment given with `--gateway-env`.
    pub gateway_env: Vec<String>,
}

/// One backend's results.
#[derive(Debug, serde::Serialize)]
pub struct BackendReport {
    pub backend: Backend,
    /// From spawning the process to `/ready` answering 200 (migrations included).
    pub startup_ms: f64,
    /// Resident set right after startup, before any load.
    pub idle_rss_mib: f64,
    pub seed: SeedResult,
    pub load: Vec<LoadResult>,
    pub storms: Vec<StormResult>,
    /// `VmHWM` at the end: the peak over seeding, load and storms.
    pub peak_rss_mib: f64,
}

/// Token rate as a fraction of pgbench's select-by-key rate.
#[derive(Debug, serde::Serialize)]
pub struct PgbenchShare {
    pub concurrency: usize,
    pub token_requests_per_second: f64,
    pub pgbench_tps: f64,
    pub fraction: f64,
}

impl Report {
    /// Pairs the PostgreSQL load runs with the plain `pgbench -S` runs.
    pub fn compute_fractions(&mut self) {
        let Some(postgres) = self
            .backends
            .iter()
            .find(|b| b.backend == Backend::Postgres)
        else {
            return;
        };
        self.pgbench_fractions = postgres
            .load
            .iter()
            .filter_map(|run| {
                let reference = self
                    .pgbench
                    .iter()
                    .find(|p| p.protocol == "simple" && p.concurrency == run.concurrency)?;
                Some(PgbenchShare {
                    concurrency: run.concurrency,
                    token_requests_per_second: run.requests_per_second,
                    pgbench_tps: reference.tps,
                    fraction: run.requests_per_second / reference.tps,
                })
            })
            .collect();
    }

    /// Why this run must count as failed: errors, wrong storm counts.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for backend in &self.backends {
            let name = backend.backend.name();
            for run in &backend.load {
                if run.errors > 0 {
                    problems.push(format!(
                        "{name}: {} of {} token requests failed at concurrency {} (e.g. {:?})",
                        run.errors, run.requests, run.concurrency, run.error_samples
                    ));
                }
                if run.requests == 0 {
                    problems.push(format!(
                        "{name}: no request completed at concurrency {}",
                        run.concurrency
                    ));
                }
            }
            for storm in &backend.storms {
                if !storm.passed() {
                    problems.push(format!(
                        "{name}: storm {}×{}: {} errors, {} upstream refreshes (expected {}), one fresh token per user: {}",
                        storm.users,
                        storm.requests_per_user,
                        storm.errors,
                        storm.upstream_refreshes,
                        storm.expected_refreshes,
                        storm.one_fresh_token_per_user
                    ));
                }
            }
        }
        problems
    }

    pub fn write_json(&self, path: &Path) -> Result<()> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let json = serde_json::to_string_pretty(self)?;
        std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))
    }

    /// The human-readable summary (Markdown tables, so it can go into the README).
    pub fn table(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(
            out,
            "{} · {} build · {} × {} · load average at start {:.2}\n",
            self.date, self.profile, m.nproc, m.cpu_model, m.load_average_at_start
        );
        out.push_str(
            "| backend | conns | req/s | p50 ms | p90 ms | p99 ms | max ms | errors | gateway CPU µs/req | bench CPU s | gateway peak RSS MiB |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for backend in &self.backends {
            for run in &backend.load {
                let _ = writeln!(
                    out,
                    "| {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {:.1} | {:.1} | {:.1} |",
                    backend.backend.name(),
                    run.concurrency,
                    run.requests_per_second,
                    run.p50_ms,
                    run.p90_ms,
                    run.p99_ms,
                    run.max_ms,
                    run.errors,
                    run.gateway_cpu_us_per_request,
                    run.bench_cpu_seconds,
                    run.gateway_peak_rss_mib
                );
            }
        }
        out.push_str(
            "\n| backend | startup ms | idle RSS MiB | sign-ins | sign-ins/s | storm 1×50 refreshes | storm 8×8 refreshes | storm max ms |\n\
             |---|---:|---:|---:|---:|---|---|---:|\n",
        );
        for backend in &self.backends {
            let storm = |index: usize| {
                backend.storms.get(index).map_or_else(
                    || "skipped".to_owned(),
                    |s| {
                        let verdict = if s.passed() { "ok" } else { "FAILED" };
                        format!(
                            "{} (expected {}, {verdict})",
                            s.upstream_refreshes, s.expected_refreshes
                        )
                    },
                )
            };
            let storm_max = backend.storms.iter().map(|s| s.max_ms).fold(0.0, f64::max);
            let _ = writeln!(
                out,
                "| {} | {:.0} | {:.1} | {} | {:.0} | {} | {} | {:.1} |",
                backend.backend.name(),
                backend.startup_ms,
                backend.idle_rss_mib,
                backend.seed.users,
                backend.seed.sign_ins_per_second,
                storm(0),
                storm(1),
                storm_max
            );
        }
        if !self.pgbench.is_empty() {
            out.push_str("\n| conns | pgbench -S tps | pgbench -S -M prepared tps | gateway (postgres) req/s | fraction of pgbench -S |\n|---:|---:|---:|---:|---:|\n");
            for plain in self.pgbench.iter().filter(|p| p.protocol == "simple") {
                let prepared = self
                    .pgbench
                    .iter()
                    .find(|p| p.protocol == "prepared" && p.concurrency == plain.concurrency)
                    .map_or_else(|| "-".to_owned(), |p| format!("{:.0}", p.tps));
                // Without a PostgreSQL run there is nothing to compare with.
                let (ours, fraction) = self
                    .pgbench_fractions
                    .iter()
                    .find(|f| f.concurrency == plain.concurrency)
                    .map_or_else(
                        || ("-".to_owned(), "-".to_owned()),
                        |f| {
                            (
                                format!("{:.0}", f.token_requests_per_second),
                                format!("{:.2}", f.fraction),
                            )
                        },
                    );
                let _ = writeln!(
                    out,
                    "| {} | {:.0} | {prepared} | {ours} | {fraction} |",
                    plain.concurrency, plain.tps
                );
            }
        }
        out
    }
}
