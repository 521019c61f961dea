//! Docker cannot run here, so the deployment files are checked for what can be checked:
//! `.env.example` documents exactly the settings the gateway reads and is a valid
//! production configuration once its placeholders are filled in (production refuses
//! them), it documents every variable compose reads, and compose
//! passes the gateway only settings it reads.

use auth_gateway::config::{Config, Environment};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

fn repo_file(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn is_variable_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// `NAME=value` lines of an env file; with `commented`, also `# NAME=value` examples.
fn env_lines(text: &str, commented: bool) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            let line = match line.strip_prefix('#') {
                Some(rest) if commented => rest.trim(),
                Some(_) => return None,
                None => line,
            };
            let (name, value) = line.split_once('=')?;
            is_variable_name(name).then(|| (name.to_owned(), value.to_owned()))
        })
        .collect()
}

/// Every variable `Config::load` looks up, over loads that take each branch.
fn variables_the_config_reads() -> BTreeSet<String> {
    let read = RefCell::new(BTreeSet::new());
    let scenarios: &[&[(&str, &str)]] = &[
        &[],
        &[("GOOGLE_CLIENT_ID", "id")],
        &[
            ("GOOGLE_CLIENT_ID", "id"),
            ("GOOGLE_CLIENT_SECRET", "secret"),
        ],
        &[(
            "GOOGLE_REDIRECT_URI",
            "https://gw.example.com/auth/callback/google",
        )],
        &[("ENVIRONMENT", "production")],
    ];
    for scenario in scenarios {
        let vars: HashMap<&str, &str> = scenario.iter().copied().collect();
        let _ = Config::load(&|name| {
            read.borrow_mut().insert(name.to_owned());
            vars.get(name).map(|value| (*value).to_owned())
        });
    }
    read.into_inner()
}

/// Where `.env.example` moves from the gateway's settings to those only compose reads.
const COMPOSE_ONLY_MARKER: &str = "# === docker compose only";

/// `.env.example` split at the marker: (the gateway's part, compose's part).
fn env_example_parts() -> (String, String) {
    let text = repo_file(".env.example");
    let (gateway, compose) = text
        .split_once(COMPOSE_ONLY_MARKER)
        .unwrap_or_else(|| panic!(".env.example lacks the line {COMPOSE_ONLY_MARKER}"));
    (gateway.to_owned(), compose.to_owned())
}

fn names(lines: Vec<(String, String)>) -> BTreeSet<String> {
    lines.into_iter().map(|(name, _)| name).collect()
}

/// Every `${NAME}` (or `${NAME:-default}`) compose interpolates, defaults included.
fn variables_compose_reads(compose: &str) -> BTreeSet<String> {
    compose
        .split("${")
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .collect()
}

#[test]
fn env_example_documents_every_variable_compose_reads_and_nothing_else() {
    let compose = variables_compose_reads(&repo_file("docker-compose.yml"));
    assert!(compose.contains("POSTGRES_PASSWORD"), "{compose:?}");
    let (gateway_part, compose_part) = env_example_parts();
    let gateway_documented = names(env_lines(&gateway_part, true));
    let missing: Vec<_> = compose
        .iter()
        .filter(|name| !gateway_documented.contains(*name))
        .collect();
    let compose_documented = names(env_lines(&compose_part, true));
    let expected: BTreeSet<String> = missing.iter().map(|name| (*name).clone()).collect();
    assert_eq!(
        compose_documented, expected,
        "the compose-only part of .env.example must list exactly what compose reads beyond the gateway's settings"
    );
}

#[test]
fn env_example_documents_exactly_the_settings_the_gateway_reads() {
    let documented: BTreeSet<String> = env_lines(&env_example_parts().0, true)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let read = variables_the_config_reads();
    let unknown: Vec<_> = documented.difference(&read).collect();
    let undocumented: Vec<_> = read.difference(&documented).collect();
    assert!(unknown.is_empty(), "documented but never read: {unknown:?}");
    assert!(
        undocumented.is_empty(),
        "read but not documented: {undocumented:?}"
    );
}

/// What a filled-in `.env` has where `.env.example` has placeholders.
const FILLED_IN: &[(&str, &str)] = &[
    (
        "AUTH_GATEWAY_ENCRYPTION_KEY",
        "Qm9vdHN0cmFwLWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY",
    ),
    (
        "AUTH_GATEWAY_API_KEY",
        "hV3kP9zQ-2mT7xR4wL8nB1cJ6fD0sG5yA_eK3uN7iO2",
    ),
    ("GOOGLE_CLIENT_ID", "123-abc.apps.googleusercontent.com"),
    ("GOOGLE_CLIENT_SECRET", "GOCSPX-R4nd0mS3cr3tV4lu3"),
    ("AUTH_GATEWAY_PUBLIC_URL", "https://auth.acme-corp.test"),
    (
        "GOOGLE_REDIRECT_URI",
        "https://auth.acme-corp.test/auth/callback/google",
    ),
];

#[test]
fn env_example_loads_in_production_once_filled_in_and_each_placeholder_left_is_refused() {
    let example: HashMap<String, String> = env_lines(&env_example_parts().0, false)
        .into_iter()
        .collect();
    let mut filled = example.clone();
    for (name, value) in FILLED_IN {
        filled.insert((*name).to_owned(), (*value).to_owned());
    }
    let config = Config::load(&|name| filled.get(name).cloned())
        .unwrap_or_else(|error| panic!(".env.example, filled in, does not load: {error}"));
    assert_eq!(config.environment, Environment::Production);
    assert!(config.google.is_some());
    assert!(!config.server.api_docs);
    for (name, _) in FILLED_IN {
        let mut vars = filled.clone();
        vars.insert((*name).to_owned(), example[*name].clone());
        match Config::load(&|name| vars.get(name).cloned()) {
            Ok(_) => panic!("production accepted the placeholder of {name}"),
            Err(error) => assert_eq!(error.variable, *name, "{error}"),
        }
    }
}

/// The `environment:` keys of one compose service (a plain two-space-indented file).
fn compose_environment(compose: &str, service: &str) -> Vec<String> {
    let mut in_service = false;
    let mut in_environment = false;
    let mut names = Vec::new();
    for line in compose.lines() {
        let indent = line.len() - line.trim_start().len();
        let text = line.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        match indent {
            2 => in_service = text == format!("{service}:"),
            4 => in_environment = in_service && text == "environment:",
            6 if in_environment => {
                if let Some((name, _)) = text.split_once(':') {
                    names.push(name.to_owned());
                }
            }
            _ => {}
        }
    }
    names
}

#[test]
fn compose_passes_the_gateway_only_settings_it_reads() {
    let compose = repo_file("docker-compose.yml");
    let passed = compose_environment(&compose, "auth-gateway");
    assert!(passed.contains(&"DATABASE_URL".to_owned()), "{passed:?}");
    let read = variables_the_config_reads();
    for name in &passed {
        assert!(
            read.contains(name),
            "compose passes {name}, which the gateway ignores"
        );
    }
    for needle in [
        "postgres:15",
        "mcp-internal",
        "healthcheck:",
        "/ready",
        "google-ads-mcp",
        "google-analytics-mcp",
    ] {
        assert!(
            compose.contains(needle),
            "docker-compose.yml lacks {needle}"
        );
    }
}

#[test]
fn dockerfile_builds_in_stages_and_runs_as_a_non_root_user() {
    let dockerfile = repo_file("Dockerfile");
    assert!(dockerfile.matches("\nFROM ").count() >= 2, "multi-stage");
    assert!(dockerfile.contains("\nUSER gateway"), "non-root user");
    assert!(dockerfile.contains("HEALTHCHECK"));
}
