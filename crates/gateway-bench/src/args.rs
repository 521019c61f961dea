//! Command-line options of the benchmark, and the reduced `--smoke` profile CI runs to
//! keep the benchmark from rotting.

use clap::{Parser, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

/// Which databases to run the gateway on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendChoice {
    Postgres,
    Sqlite,
    Both,
}

/// One database the gateway runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// Benchmark of `POST /auth/token` against the real `auth-gateway` binary.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Args {
    /// Database(s) to run the gateway on.
    #[arg(long, value_enum, default_value = "both")]
    pub backend: BackendChoice,
    /// Users signed in through the real sign-in flow before the load runs.
    #[arg(long, default_value_t = 1000)]
    pub users: usize,
    /// Concurrent sign-ins while seeding.
    #[arg(long, default_value_t = 8)]
    pub seed_concurrency: usize,
    /// Keep-alive connections of the token load, one run per value.
    #[arg(long, value_delimiter = ',', default_value = "16,64")]
    pub concurrency: Vec<usize>,
    /// Measured length of each load run (`10s`, `500ms`, `1m`).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Unmeasured load before each run (warms caches and prepared statements).
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub warmup: Duration,
    /// Where the JSON results go.
    #[arg(long, default_value = "target/bench/results.json")]
    pub out: PathBuf,
    /// A few seconds in all (CI): few users, short runs, no pgbench; exits non-zero on
    /// any error.
    #[arg(long)]
    pub smoke: bool,
    /// A PostgreSQL database the benchmark may use to create and drop its own databases.
    #[arg(
        long,
        env = "BENCH_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub postgres_url: String,
    /// Query parameters added to the gateway's PostgreSQL URL, e.g. `sslmode=disable`
    /// (by default the server decides: Debian's PostgreSQL offers TLS even on loopback).
    #[arg(long, default_value = "")]
    pub gateway_db_params: String,
    /// Extra environment of the gateway, `NAME=VALUE` (repeatable), e.g. to compare a
    /// setting; the gateway otherwise gets only the benchmark's own configuration.
    #[arg(long = "gateway-env", value_parser = parse_env)]
    pub gateway_env: Vec<(String, String)>,
    /// Skip the `pgbench -S` reference runs.
    #[arg(long)]
    pub skip_pgbench: bool,
    /// `pgbench -i` scale of the reference database.
    #[arg(long, default_value_t = 10)]
    pub pgbench_scale: u32,
    /// Skip the refresh storms.
    #[arg(long)]
    pub skip_storms: bool,
    /// The gateway binary (default: `auth-gateway` next to this executable).
    #[arg(long)]
    pub gateway_bin: Option<PathBuf>,
    /// `LOG_LEVEL` of the gateway (its logs go to a file in the temp dir).
    #[arg(long, default_value = "INFO")]
    pub gateway_log_level: String,
    /// Threads of the load generator's runtime; it shares the cores with the gateway, so
    /// one keeps its footprint small and stable.
    #[arg(long, default_value_t = 1)]
    pub client_threads: usize,
    /// Print the gateway's pid and wait this long before each measured run, so a
    /// profiler can attach (`perf record -p PID`).
    #[arg(long, value_parser = parse_duration)]
    pub attach_pause: Option<Duration>,
}

impl Args {
    /// Applies the `--smoke` profile on top of what was given.
    pub fn effective(mut self) -> Self {
        if self.smoke {
            self.users = self.users.min(20);
            self.duration = Duration::from_secs(1);
            self.warmup = Duration::ZERO;
            self.skip_pgbench = true;
        }
        self
    }

    pub fn backends(&self) -> Vec<Backend> {
        match self.backend {
            BackendChoice::Postgres => vec![Backend::Postgres],
            BackendChoice::Sqlite => vec![Backend::Sqlite],
            BackendChoice::Both => vec![Backend::Postgres, Backend::Sqlite],
        }
    }
}

/// Parses `NAME=VALUE`.
fn parse_env(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .filter(|(name, _)| !name.is_empty())
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .ok_or_else(|| format!("expected NAME=VALUE, got {text:?}"))
}

/// Parses `10s`, `250ms`, `2m` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((text, "s"), |at| text.split_at(at));
    let value: f64 = number
        .parse()
        .map_err(|_| format!("not a duration: {text:?} (try 10s, 500ms, 1m)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("unknown unit {unit:?} in {text:?} (ms, s or m)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|error| format!("{text:?}: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_seconds_milliseconds_and_minutes() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_mins(2)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5h").is_err());
    }

    #[test]
    fn gateway_env_takes_name_equals_value() {
        assert_eq!(parse_env("A=b=c"), Ok(("A".to_owned(), "b=c".to_owned())));
        assert!(parse_env("=x").is_err());
        assert!(parse_env("novalue").is_err());
    }

    #[test]
    fn smoke_shrinks_the_run_and_skips_pgbench() {
        let args = Args::parse_from(["gateway-bench", "--smoke"]).effective();
        assert_eq!(args.users, 20);
        assert_eq!(args.duration, Duration::from_secs(1));
        assert!(args.skip_pgbench);
        assert_eq!(args.concurrency, vec![16, 64]);
        assert_eq!(args.backends(), vec![Backend::Postgres, Backend::Sqlite]);
    }
}
