//! Production refuses weak settings at startup, naming the variable and the fix
//! (issue 16, finding 3): placeholder or guessable secrets, and plain-http URLs
//! anywhere but loopback.

use auth_gateway::config::{Config, ConfigError};
use std::collections::HashMap;

/// A production configuration that loads: random-looking secrets, https everywhere.
fn strong() -> HashMap<&'static str, String> {
    [
        ("ENVIRONMENT", "production"),
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
            "DATABASE_URL",
            "postgres://gateway:Zq81vLx2Wp@db.internal:5432/auth_gateway",
        ),
    ]
    .into_iter()
    .map(|(name, value)| (name, value.to_owned()))
    .collect()
}

fn load(vars: &HashMap<&'static str, String>) -> Result<Config, ConfigError> {
    Config::load(&|name| vars.get(name).cloned())
}

/// The error of `strong()` with `name` set to `value`.
fn refused(name: &'static str, value: &str) -> ConfigError {
    let mut vars = strong();
    vars.insert(name, value.to_owned());
    match load(&vars) {
        Ok(_) => panic!("production accepted {name}={value}"),
        Err(error) => error,
    }
}

#[test]
fn a_strong_production_configuration_loads() {
    load(&strong()).unwrap();
}

#[test]
fn short_placeholder_or_guessable_keys_are_refused_naming_the_variable_and_the_fix() {
    for name in ["AUTH_GATEWAY_ENCRYPTION_KEY", "AUTH_GATEWAY_API_KEY"] {
        for weak in [
            "too-short-0123456789",
            "change-me-to-a-random-string-of-32-or-more-characters",
            "change-me-to-a-random-api-key",
            &"a".repeat(40),
            &"abab".repeat(10),
            "passwordpasswordpasswordpassword",
        ] {
            let error = refused(name, weak);
            assert_eq!(error.variable, name, "{weak}: {error}");
            let text = error.to_string();
            assert!(text.contains("generate-keys"), "says how to fix: {text}");
            assert!(!text.contains(weak), "echoes the secret: {text}");
            assert!(!text.contains('\n'), "one line: {text}");
        }
    }
}

#[test]
fn the_env_example_google_placeholders_are_refused() {
    for (name, value) in [
        (
            "GOOGLE_CLIENT_ID",
            "your-client-id.apps.googleusercontent.com",
        ),
        ("GOOGLE_CLIENT_SECRET", "your-client-secret"),
    ] {
        assert_eq!(refused(name, value).variable, name);
    }
}

#[test]
fn the_placeholder_database_password_is_refused_without_echoing_it() {
    let error = refused(
        "DATABASE_URL",
        "postgres://gateway:change-me@postgres:5432/auth_gateway",
    );
    assert_eq!(error.variable, "DATABASE_URL");
    assert!(error.to_string().contains("POSTGRES_PASSWORD"), "{error}");
}

#[test]
fn plain_http_urls_are_refused_outside_loopback() {
    for name in [
        "AUTH_GATEWAY_PUBLIC_URL",
        "GOOGLE_REDIRECT_URI",
        "GOOGLE_AUTH_URL",
        "GOOGLE_TOKEN_URL",
        "GOOGLE_REVOKE_URL",
        "GOOGLE_USERINFO_URL",
    ] {
        let error = refused(name, "http://auth.acme-corp.test/auth/callback/google");
        assert_eq!(error.variable, name, "{error}");
        assert!(error.to_string().contains("https"), "{error}");
    }
    // The example domain of .env.example is a placeholder too.
    let error = refused("AUTH_GATEWAY_PUBLIC_URL", "https://auth.example.com");
    assert_eq!(error.variable, "AUTH_GATEWAY_PUBLIC_URL");
}

#[test]
fn loopback_http_stays_allowed_for_a_trial_on_one_machine() {
    let mut vars = strong();
    vars.insert(
        "AUTH_GATEWAY_PUBLIC_URL",
        "http://localhost:8000".to_owned(),
    );
    vars.insert(
        "GOOGLE_REDIRECT_URI",
        "http://localhost:8000/auth/callback/google".to_owned(),
    );
    vars.insert("GOOGLE_TOKEN_URL", "http://127.0.0.1:8085/token".to_owned());
    load(&vars).unwrap();
}

#[test]
fn development_keeps_accepting_anything() {
    let mut vars = strong();
    vars.insert("ENVIRONMENT", "development".to_owned());
    vars.insert("AUTH_GATEWAY_API_KEY", "short".to_owned());
    vars.insert("AUTH_GATEWAY_PUBLIC_URL", "http://gw.lan:8000".to_owned());
    load(&vars).unwrap();
}
