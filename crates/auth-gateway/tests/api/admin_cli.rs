//! The admin commands through the real binary: the environment and `.env` conventions,
//! exit codes, and that a new key is printed once and never stored in plain text.

use std::process::Command;

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_auth-gateway"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    command
}

#[test]
fn generate_keys_prints_new_secrets_in_env_form_each_time() {
    let run = || {
        let output = binary().arg("generate-keys").output().unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let (first, second) = (run(), run());
    for name in [
        "AUTH_GATEWAY_ENCRYPTION_KEY=",
        "AUTH_GATEWAY_ENCRYPTION_KEY_SALT=",
        "AUTH_GATEWAY_API_KEY=",
    ] {
        let value = first
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .unwrap_or_else(|| panic!("{name} missing in {first}"));
        assert!(value.len() >= 22, "{name}{value}");
        assert!(!second.contains(value));
    }
    let rotate = binary()
        .args(["generate-keys", "--rotate"])
        .output()
        .unwrap();
    let rotate = String::from_utf8(rotate.stdout).unwrap();
    assert!(rotate.contains("AUTH_GATEWAY_ROTATION_KEYS="), "{rotate}");
    assert!(rotate.contains("auth-gateway reencrypt"), "{rotate}");
}

#[test]
fn clients_create_and_list_run_against_the_configured_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("gw.db").display());
    let run = |args: &[&str]| {
        binary()
            .args(args)
            .env("DATABASE_URL", &url)
            .env("AUTH_GATEWAY_DATA_DIR", dir.path())
            .env(
                "AUTH_GATEWAY_ENCRYPTION_KEY",
                "cli-test-encryption-key-0123456789abcdef",
            )
            .env(
                "AUTH_GATEWAY_API_KEY",
                "cli-test-api-key-0123456789abcdefghijkl",
            )
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let created = run(&["clients", "create", "ads-mcp", "--providers", "google"]);
    assert!(created.status.success(), "{created:?}");
    let printed = String::from_utf8(created.stdout).unwrap();
    let key = printed
        .lines()
        .last()
        .and_then(|line| line.strip_prefix("AUTH_GATEWAY_API_KEY="))
        .unwrap();
    assert!(key.starts_with("gw_"), "{printed}");

    let listed = run(&["clients", "list"]);
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert!(
        listed.contains("ads-mcp") && listed.contains("active"),
        "{listed}"
    );
    assert!(!listed.contains(key));
    let database = std::fs::read(dir.path().join("gw.db")).unwrap();
    assert!(
        !database
            .windows(key.len())
            .any(|window| window == key.as_bytes())
    );

    let twice = run(&["clients", "create", "ads-mcp", "--providers", "google"]);
    assert!(!twice.status.success());
    assert!(
        String::from_utf8(twice.stderr)
            .unwrap()
            .contains("already exists")
    );
}
