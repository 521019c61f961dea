//! The real `auth-gateway` binary as a child process, so its CPU time and memory can be
//! read from `/proc` without the load generator's own mixed in.

use anyhow::{Context, Result, bail};
use google_emulator::Emulator;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use test_kit::GatewayEnv;
use tokio::process::{Child, Command};

/// The API key the benchmark's gateway accepts.
pub const API_KEY: &str = "bench-api-key-0123456789abcdefghijklmnopqr";
const ENCRYPTION_KEY: &str = "bench-encryption-key-0123456789abcdefghij";
/// How long a gateway may take to migrate and start listening.
const READY_TIMEOUT: Duration = Duration::from_mins(1);

/// A running gateway; killed when dropped if [`GatewayProcess::stop`] was not called.
pub struct GatewayProcess {
    child: Child,
    pid: u32,
    port: u16,
    log_path: PathBuf,
}

impl GatewayProcess {
    /// Where the binary is: `--gateway-bin`, else `auth-gateway` next to this executable
    /// (both are built into the same `target/<profile>/`).
    pub fn locate(explicit: Option<&Path>) -> Result<PathBuf> {
        if let Some(path) = explicit {
            return Ok(path.to_owned());
        }
        let exe = std::env::current_exe().context("locating the bench executable")?;
        let path = exe
            .parent()
            .context("the bench executable has no directory")?
            .join("auth-gateway");
        if !path.is_file() {
            bail!(
                "{} not found: build it in the same profile (`cargo build [--release] -p auth-gateway`) or pass --gateway-bin",
                path.display()
            );
        }
        Ok(path)
    }

    /// Starts the gateway on a free port with a configuration of its own: the given
    /// database, the emulator as Google, no rate limits (they would cap the load at
    /// 100 requests/s) and no background refresh (it would skew the storm counts).
    pub fn start(
        binary: &Path,
        database_url: &str,
        data_dir: &Path,
        emulator: &Emulator,
        log_level: &str,
        extra_env: &[(String, String)],
    ) -> Result<Self> {
        let port = free_port()?;
        let address = format!("http://127.0.0.1:{port}");
        let log_path = data_dir.join("gateway.log");
        let log = std::fs::File::create(&log_path)
            .with_context(|| format!("creating {}", log_path.display()))?;
        // The test gateway's environment (database, data dir, emulator as Google, no
        // background refresh) with the benchmark's own keys and settings on top.
        let env = GatewayEnv::new(&address, database_url, data_dir, emulator)
            .set("HOST", "127.0.0.1")
            .set("PORT", port.to_string())
            .set("AUTH_GATEWAY_ENCRYPTION_KEY", ENCRYPTION_KEY)
            .set("AUTH_GATEWAY_API_KEY", API_KEY)
            .set("RATE_LIMIT_PER_MINUTE", "0")
            .set("RATE_LIMIT_PER_IP_PER_MINUTE", "0")
            .set("LOG_LEVEL", log_level)
            // Production's format, so the per-request log line costs what it costs there.
            .set("LOG_FORMAT", "json");
        let child = Command::new(binary)
            // Nothing from the caller's environment or a stray `.env` may change the run.
            .env_clear()
            .envs(env.vars())
            .envs(extra_env.iter().cloned())
            .current_dir(data_dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("duplicating the log file")?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let pid = child.id().context("the gateway exited at once")?;
        Ok(Self {
            child,
            pid,
            port,
            log_path,
        })
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn pid_text(&self) -> String {
        self.pid.to_string()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Polls `GET /ready` until it answers 200; fails if the process exits or the
    /// deadline passes. Returns how long startup took.
    pub async fn wait_ready(&mut self, started: Instant) -> Result<Duration> {
        let client = reqwest::Client::new();
        let url = format!("{}/ready", self.base_url());
        while started.elapsed() < READY_TIMEOUT {
            if let Some(status) = self.child.try_wait()? {
                bail!("the gateway exited ({status}) before it was ready");
            }
            if let Ok(response) = client.get(&url).send().await
                && response.status().is_success()
            {
                return Ok(started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        bail!("the gateway was not ready within {READY_TIMEOUT:?}")
    }

    /// The last `lines` lines of the gateway's log, for error messages.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// SIGTERM (graceful: SQLite is closed cleanly), then SIGKILL after 10 s.
    pub async fn stop(mut self) -> Result<()> {
        if self.child.try_wait()?.is_some() {
            return Ok(());
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .stderr(Stdio::null())
            .status()
            .await;
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .is_err()
        {
            self.child.kill().await.context("killing the gateway")?;
        }
        Ok(())
    }
}

/// A port nobody listens on right now. The gateway binds it a moment later; the window
/// is tiny on a quiet loopback and a clash shows up as a failed start.
fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}
