//! The real `auth-gateway` binary as a child process, for what only a process shows:
//! signals, exit codes and what it writes to stdout. It binds port 0 and logs JSON; the
//! port is read from its "listening" line.

use super::app::{API_KEY, ENCRYPTION_KEY};
use super::db::{Backend, TestDatabase};
use serde_json::Value;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

/// Longest wait for an expected log line; a hang fails the test instead of blocking it.
const LINE_TIMEOUT: Duration = Duration::from_secs(30);

pub struct GatewayProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    pub port: u16,
    lines: mpsc::UnboundedReceiver<String>,
    /// Every stdout line read so far.
    pub seen: Vec<String>,
    _db: Option<TestDatabase>,
    _dir: tempfile::TempDir,
}

impl GatewayProcess {
    /// Starts the binary on a fresh SQLite database with `LOG_FORMAT=json` plus `env`.
    pub async fn start(env: &[(&str, &str)]) -> Self {
        let db = TestDatabase::create(Backend::Sqlite).await;
        let url = db.url.clone();
        Self::spawn(&url, Some(db), env).await
    }

    /// Starts the binary on an existing database (shared with other gateways).
    pub async fn start_on(database_url: &str, env: &[(&str, &str)]) -> Self {
        Self::spawn(database_url, None, env).await
    }

    async fn spawn(database_url: &str, db: Option<TestDatabase>, env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_auth-gateway"));
        command
            .env_clear()
            .current_dir(dir.path())
            .env("HOST", "127.0.0.1")
            .env("PORT", "0")
            .env("LOG_FORMAT", "json")
            .env("LOG_LEVEL", "info,tower_http=debug")
            .env("DATABASE_URL", database_url)
            .env("AUTH_GATEWAY_DATA_DIR", dir.path())
            .env("AUTH_GATEWAY_ENCRYPTION_KEY", ENCRYPTION_KEY)
            .env("AUTH_GATEWAY_API_KEY", API_KEY)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("start the auth-gateway binary");
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut process = Self {
            child,
            address: String::new(),
            port: 0,
            lines,
            seen: Vec::new(),
            _db: db,
            _dir: dir,
        };
        let listening = process
            .wait_for_line(|line| line["fields"]["message"] == "listening")
            .await;
        process.port = listening["fields"]["port"]
            .as_u64()
            .and_then(|port| u16::try_from(port).ok())
            .expect("the listening line names the port");
        process.address = format!("http://127.0.0.1:{}", process.port);
        process
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Reads stdout until a JSON line satisfies `matches`; panics on a line that is not
    /// JSON, on end of output, or after [`LINE_TIMEOUT`].
    pub async fn wait_for_line(&mut self, matches: impl Fn(&Value) -> bool) -> Value {
        loop {
            let line = tokio::time::timeout(LINE_TIMEOUT, self.lines.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "no matching log line in time; saw:\n{}",
                        self.seen.join("\n")
                    )
                })
                .unwrap_or_else(|| panic!("stdout ended first; saw:\n{}", self.seen.join("\n")));
            let value: Value = serde_json::from_str(&line)
                .unwrap_or_else(|error| panic!("log line is not JSON ({error}): {line}"));
            self.seen.push(line);
            if matches(&value) {
                return value;
            }
        }
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let pid = self.child.id().expect("the gateway is running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {pid} failed");
    }

    /// Waits for the process to exit; returns its exit code.
    pub async fn exit_code(&mut self) -> Option<i32> {
        tokio::time::timeout(LINE_TIMEOUT, self.child.wait())
            .await
            .expect("the gateway exits in time")
            .expect("wait for the gateway")
            .code()
    }
}
