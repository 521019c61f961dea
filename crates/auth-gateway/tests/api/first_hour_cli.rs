//! What a new user sees in the first hour, through the real binary: one-line errors with
//! exit status 1 whatever `RUST_BACKTRACE` says, database errors that name the server or
//! file and the cause (never the password), the `.env` file, data directory and API key
//! file named at every start, private SQLite files, plain logs in a pipe, and admin
//! commands that refuse unknown providers and warn before cutting a grace period short.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

const ENCRYPTION_KEY: &str = "first-hour-encryption-key-0123456789abcdef";
/// Longest wait for the gateway to start listening; a hang fails the test.
const START_TIMEOUT: Duration = Duration::from_secs(30);

fn binary(cwd: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_auth-gateway"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PORT", "0")
        .current_dir(cwd)
        .stdin(Stdio::null());
    command
}

/// [`binary`] with both keys set, so nothing is generated (or printed) on the way.
fn configured(cwd: &Path) -> Command {
    let mut command = binary(cwd);
    command
        .env("AUTH_GATEWAY_ENCRYPTION_KEY", ENCRYPTION_KEY)
        .env(
            "AUTH_GATEWAY_API_KEY",
            "first-hour-api-key-0123456789abcdefghij",
        );
    command
}

/// The one stderr line of a run that must fail with exit status 1.
fn failure_line(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "expected one line on stderr, got:\n{stderr}"
    );
    assert!(lines[0].starts_with("error: "), "{stderr}");
    lines[0].to_owned()
}

/// A loopback port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Starts `auth-gateway` in `cwd`, reads its stdout until it listens, stops it, and
/// returns the stdout lines and all of stderr.
async fn run_until_listening(cwd: &Path, env: &[(&str, &str)]) -> (Vec<String>, String) {
    let mut command = tokio::process::Command::from(binary(cwd));
    command
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut lines = Vec::new();
    let listening = tokio::time::timeout(START_TIMEOUT, async {
        while let Some(line) = stdout.next_line().await.unwrap() {
            let done = line.contains("listening");
            lines.push(line);
            if done {
                return true;
            }
        }
        false
    })
    .await;
    child.kill().await.unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await
        .unwrap();
    assert_eq!(
        listening,
        Ok(true),
        "the gateway did not start; stdout:\n{}\nstderr:\n{stderr}",
        lines.join("\n")
    );
    (lines, stderr)
}

/// The JSON log line whose message is `message`.
fn logged<'a>(lines: &'a [Value], message: &str) -> &'a Value {
    lines
        .iter()
        .find(|line| line["fields"]["message"] == message)
        .unwrap_or_else(|| panic!("no {message:?} line in {lines:#?}"))
}

fn parse_json(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect()
}

#[test]
fn a_configuration_error_is_one_line_and_exit_status_1_even_with_rust_backtrace() {
    let dir = tempfile::tempdir().unwrap();
    let output = binary(dir.path())
        .env("RUST_BACKTRACE", "1")
        .env("PORT", "notaport")
        .output()
        .unwrap();
    assert_eq!(
        failure_line(&output),
        r#"error: invalid configuration: PORT: expected a number, got "notaport""#
    );
    assert!(output.stdout.is_empty(), "{output:?}");

    let admin = binary(dir.path())
        .env("RUST_BACKTRACE", "full")
        .env("DATABASE_URL", "mysql://db/gateway")
        .args(["clients", "list"])
        .output()
        .unwrap();
    assert!(
        failure_line(&admin).starts_with("error: invalid configuration: DATABASE_URL: expected"),
        "{admin:?}"
    );
}

#[test]
fn an_unreachable_postgresql_is_named_by_address_and_cause_at_once_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let port = closed_port();
    let started = Instant::now();
    let output = configured(dir.path())
        .env("RUST_BACKTRACE", "1")
        .env(
            "DATABASE_URL",
            format!("postgres://gateway:s3cret-pw@127.0.0.1:{port}/gateway"),
        )
        .output()
        .unwrap();
    let line = failure_line(&output);
    assert!(
        line.starts_with(&format!(
            "error: DATABASE_URL: could not reach PostgreSQL at 127.0.0.1:{port}: Connection refused"
        )),
        "{line}"
    );
    // Not the pool's "timed out" after its acquire timeout.
    assert!(started.elapsed() < Duration::from_secs(5), "{line}");
    let everything = format!("{output:?}");
    assert!(
        !everything.contains("s3cret-pw"),
        "the password was printed"
    );

    // The Docker `.env`'s host, outside Docker: the host is named whatever the resolver says.
    let docker = configured(dir.path())
        .env(
            "DATABASE_URL",
            "postgres://gateway:s3cret-pw@postgres.invalid:5432/gateway",
        )
        .output()
        .unwrap();
    let line = failure_line(&docker);
    assert!(
        line.starts_with(
            "error: DATABASE_URL: could not reach PostgreSQL at postgres.invalid:5432: "
        ),
        "{line}"
    );
    assert!(!line.contains("s3cret-pw"));
}

#[test]
fn a_postgresql_that_refuses_the_connection_says_why_once() {
    let dir = tempfile::tempdir().unwrap();
    let admin = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path("/no_such_gateway_database");
    let server = format!(
        "{}:{}",
        url.host_str().unwrap(),
        url.port_or_known_default().unwrap()
    );
    let output = configured(dir.path())
        .env("DATABASE_URL", url.as_str())
        .output()
        .unwrap();
    assert_eq!(
        failure_line(&output),
        format!(
            "error: DATABASE_URL: PostgreSQL at {server} refused the connection: database \"no_such_gateway_database\" does not exist"
        )
    );
}

#[test]
fn a_sqlite_database_in_a_missing_directory_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing");
    let file = missing.join("gateway.db");
    let output = configured(dir.path())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", file.display()),
        )
        .output()
        .unwrap();
    assert_eq!(
        failure_line(&output),
        format!(
            "error: DATABASE_URL: cannot open the SQLite database {}: directory {} does not exist",
            file.display(),
            missing.display()
        )
    );
}

#[test]
fn a_data_directory_that_cannot_be_created_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let output = binary(dir.path())
        .env("AUTH_GATEWAY_DATA_DIR", file.join("data"))
        .output()
        .unwrap();
    let line = failure_line(&output);
    assert!(
        line.contains(&file.join("data").display().to_string()),
        "{line}"
    );
}

#[tokio::test]
async fn every_development_start_names_the_env_file_data_directory_and_api_key_file_but_shows_the_key_once()
 {
    let top = tempfile::tempdir().unwrap();
    let top_path = std::fs::canonicalize(top.path()).unwrap();
    // Started from a subdirectory: its .env is read and the data directory is there.
    let sub = top_path.join("sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join(".env"), "LOG_FORMAT=json\n").unwrap();
    let data_dir = sub.join(".auth-gateway");
    let key_file = data_dir.join("api.key");
    let hint = format!(
        "development API key: {} (KEY=$(cat .auth-gateway/api.key))",
        key_file.display()
    );

    let (first, first_stderr) = run_until_listening(&sub, &[]).await;
    let key = std::fs::read_to_string(&key_file).unwrap();
    assert!(
        first_stderr.contains(key.trim()),
        "the first start shows the new key"
    );
    let first = parse_json(&first);
    assert_eq!(
        logged(&first, "loaded .env")["fields"]["path"],
        sub.join(".env").display().to_string()
    );
    assert_eq!(
        logged(&first, "using data directory")["fields"]["data_dir"],
        data_dir.display().to_string()
    );
    assert_eq!(
        logged(&first, "using SQLite database")["fields"]["database"],
        data_dir.join("auth-gateway.db").display().to_string()
    );
    logged(&first, &hint);

    let (second, second_stderr) = run_until_listening(&sub, &[]).await;
    logged(&parse_json(&second), &hint);
    let everything = format!("{}\n{second_stderr}", second.join("\n"));
    assert!(
        !everything.contains(key.trim()),
        "a later start printed the key"
    );
}

#[tokio::test]
async fn a_env_file_above_the_working_directory_is_not_read() {
    let top = tempfile::tempdir().unwrap();
    std::fs::write(top.path().join(".env"), "LOG_FORMAT=json\n").unwrap();
    let sub = top.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let (lines, _) =
        run_until_listening(&sub, &[("AUTH_GATEWAY_ENCRYPTION_KEY", ENCRYPTION_KEY)]).await;
    let output = lines.join("\n");
    // Text logs (the development default): the parent's LOG_FORMAT=json was not read.
    assert!(output.contains("no .env file"), "{output}");
    assert!(!output.starts_with('{'), "{output}");
}

#[tokio::test]
async fn text_logs_in_a_pipe_carry_no_colour_codes_and_say_there_is_no_env_file() {
    let dir = tempfile::tempdir().unwrap();
    let (lines, _) = run_until_listening(
        dir.path(),
        &[
            ("LOG_FORMAT", "text"),
            ("AUTH_GATEWAY_ENCRYPTION_KEY", ENCRYPTION_KEY),
        ],
    )
    .await;
    let output = lines.join("\n");
    assert!(!output.contains('\u{1b}'), "ANSI escapes in:\n{output}");
    assert!(output.contains("no .env file"), "{output}");
}

#[tokio::test]
async fn the_sqlite_database_and_its_wal_and_shm_files_are_created_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gateway.db");
    let url =
        auth_gateway::store::DatabaseUrl::Sqlite(format!("sqlite://{}?mode=rwc", file.display()));
    let store = auth_gateway::store::connect(&url).await.unwrap();
    store.ping().await.unwrap();
    for name in ["gateway.db", "gateway.db-wal", "gateway.db-shm"] {
        let mode = std::fs::metadata(dir.path().join(name))
            .unwrap_or_else(|error| panic!("{name}: {error}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name} has mode {:o}", mode & 0o777);
    }
}

/// Runs an admin command against a SQLite database in `dir`.
fn admin(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    binary(dir)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", dir.join("gw.db").display()),
        )
        .env("AUTH_GATEWAY_ENCRYPTION_KEY", ENCRYPTION_KEY)
        .env("RUST_BACKTRACE", "1")
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn clients_create_refuses_an_unknown_provider_and_accepts_an_unconfigured_known_one() {
    let dir = tempfile::tempdir().unwrap();
    let google = [
        ("GOOGLE_CLIENT_ID", "first-hour-client"),
        ("GOOGLE_CLIENT_SECRET", "first-hour-secret"),
    ];
    let refused = admin(
        dir.path(),
        &google,
        &["clients", "create", "ads", "--providers", "nosuchprovider"],
    );
    assert_eq!(
        failure_line(&refused),
        r#"error: unknown provider "nosuchprovider"; configured providers: google"#
    );

    let created = admin(
        dir.path(),
        &[],
        &["clients", "create", "ads", "--providers", "google"],
    );
    assert!(created.status.success(), "{created:?}");
    assert_eq!(
        text(&created.stderr),
        "warning: provider google is not configured here; the key is accepted for it on gateways where it is\n"
    );
    let printed = text(&created.stdout);
    assert!(
        printed.contains("Set this in the MCP server's environment"),
        "{printed}"
    );
    let key = printed.lines().last().unwrap();
    assert!(key.starts_with("AUTH_GATEWAY_API_KEY=gw_"), "{printed}");
}

#[test]
fn a_second_rotation_within_the_grace_warns_that_the_previous_key_stops_now() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| admin(dir.path(), &[], args);
    assert!(
        run(&["clients", "create", "ads", "--providers", "google"])
            .status
            .success()
    );
    let first = run(&["clients", "rotate", "ads", "--grace", "1h"]);
    assert!(first.status.success(), "{first:?}");
    assert!(first.stderr.is_empty(), "{first:?}");
    let listed = text(&run(&["clients", "list"]).stdout);
    assert!(listed.contains("previous key valid until"), "{listed}");

    let second = run(&["clients", "rotate", "ads", "--grace", "1h"]);
    assert!(second.status.success(), "{second:?}");
    let warning = text(&second.stderr);
    assert!(
        warning.starts_with("warning: an earlier rotation of ads was still in its grace period")
            && warning.contains("stops working now"),
        "{warning}"
    );
}

#[test]
fn audit_with_no_matching_event_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let output = admin(
        dir.path(),
        &[],
        &[
            "audit",
            "--user",
            "nobody@example.com",
            "--since",
            "2026-01-01T00:00:00Z",
        ],
    );
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        text(&output.stdout),
        "no audit events match (user=nobody@example.com, since=2026-01-01T00:00:00Z)\n"
    );
}

#[test]
fn reencrypt_reports_rows_with_a_rounded_rate() {
    let dir = tempfile::tempdir().unwrap();
    let output = admin(dir.path(), &[], &["reencrypt", "--quiet"]);
    assert!(output.status.success(), "{output:?}");
    let printed = text(&output.stdout);
    let summary = printed
        .lines()
        .find(|line| line.starts_with("rows: checked 0, re-encrypted 0, failed 0"))
        .unwrap_or_else(|| panic!("{printed}"));
    let rate = summary.rsplit("; ").next().unwrap();
    assert!(rate.ends_with(" rows/s)"), "{summary}");
}

#[test]
fn a_database_url_from_a_copied_env_file_is_named_with_that_file() {
    let dir = tempfile::tempdir().unwrap();
    let dir_path = std::fs::canonicalize(dir.path()).unwrap();
    let port = closed_port();
    std::fs::write(
        dir_path.join(".env"),
        format!("DATABASE_URL=postgres://gateway:s3cret-pw@127.0.0.1:{port}/gateway\n"),
    )
    .unwrap();
    let output = binary(&dir_path)
        .env("AUTH_GATEWAY_ENCRYPTION_KEY", ENCRYPTION_KEY)
        .args(["clients", "list"])
        .output()
        .unwrap();
    let line = failure_line(&output);
    assert!(
        line.starts_with(&format!(
            "error: DATABASE_URL (from {}): could not reach PostgreSQL at 127.0.0.1:{port}: Connection refused",
            dir_path.join(".env").display()
        )),
        "{line}"
    );
    assert!(!line.contains("s3cret-pw"));
}

#[test]
fn an_env_file_line_that_does_not_parse_is_named_by_its_variable_not_its_value() {
    let dir = tempfile::tempdir().unwrap();
    let dir_path = std::fs::canonicalize(dir.path()).unwrap();
    std::fs::write(
        dir_path.join(".env"),
        "PORT=0\nAUTH_GATEWAY_API_KEY=\"s3cret-api-key\n",
    )
    .unwrap();
    let output = binary(&dir_path).output().unwrap();
    assert_eq!(
        failure_line(&output),
        format!(
            "error: {}: the line setting AUTH_GATEWAY_API_KEY does not parse (check its quotes)",
            dir_path.join(".env").display()
        )
    );
}

#[test]
fn a_port_in_use_is_named_with_its_variables() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = configured(dir.path())
        .env("HOST", "127.0.0.1")
        .env("PORT", &port)
        .output()
        .unwrap();
    let line = failure_line(&output);
    assert!(
        line.starts_with(&format!(
            "error: HOST, PORT: cannot listen on 127.0.0.1:{port}: "
        )),
        "{line}"
    );
}
