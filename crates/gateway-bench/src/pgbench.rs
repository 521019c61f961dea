//! The physical limit of an uncached token read: PostgreSQL's own select-by-key rate
//! (`pgbench -S`) on the same box, at the same concurrency, in a database of its own.

use anyhow::{Context, Result, bail};
use std::time::Duration;
use tokio::process::Command;

/// Prefix of the reference database (created and dropped by the benchmark).
pub const DATABASE_PREFIX: &str = "auth_gateway_bench_pgbench";

/// One `pgbench -S` run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PgbenchResult {
    pub concurrency: usize,
    /// `simple` is plain `pgbench -S`; `prepared` adds `-M prepared` (as sqlx does).
    pub protocol: &'static str,
    pub tps: f64,
}

/// Fills the reference database (`pgbench -i`).
pub async fn initialize(url: &str, scale: u32) -> Result<()> {
    let output = Command::new("pgbench")
        .args(["-i", "-q", "-s", &scale.to_string(), url])
        .output()
        .await
        .context("running pgbench -i (is pgbench installed?)")?;
    if !output.status.success() {
        bail!(
            "pgbench -i failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// `pgbench -S` with `concurrency` clients on 2 threads for `duration`.
pub async fn run(
    url: &str,
    concurrency: usize,
    duration: Duration,
    protocol: &'static str,
) -> Result<PgbenchResult> {
    let seconds = duration.as_secs().max(1).to_string();
    let clients = concurrency.to_string();
    let output = Command::new("pgbench")
        .args([
            "-S", "-n", "-j", "2", "-c", &clients, "-T", &seconds, "-M", protocol, url,
        ])
        .output()
        .await
        .context("running pgbench -S")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "pgbench -S failed: {}{stdout}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let tps = parse_tps(&stdout).with_context(|| format!("no tps in pgbench output:\n{stdout}"))?;
    Ok(PgbenchResult {
        concurrency,
        protocol,
        tps,
    })
}

/// The `tps = N (without initial connection time)` line of pgbench's report.
fn parse_tps(report: &str) -> Option<f64> {
    report.lines().find_map(|line| {
        line.trim()
            .strip_prefix("tps = ")?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tps_is_read_from_the_report() {
        let report = "transaction type: <builtin: select only>\n\
                      number of clients: 16\n\
                      latency average = 0.342 ms\n\
                      initial connection time = 12.345 ms\n\
                      tps = 46780.123456 (without initial connection time)\n";
        assert_eq!(parse_tps(report), Some(46_780.123_456));
        assert_eq!(parse_tps("pgbench: error"), None);
    }
}
