//! What production refuses to start with (docs/threat-model.md A1, C1, D1): the
//! placeholders of `.env.example`, shared keys that are short or too regular to be
//! random, and plain-http URLs anywhere but loopback. Each refusal names the variable
//! and the fix, and never echoes a secret.

use super::{Config, ConfigError, Vars, invalid};
use crate::store::DatabaseUrl;
use secrecy::{ExposeSecret, SecretString};

/// Shortest shared key accepted (the README's "32+ characters").
const MIN_KEY_CHARS: usize = 32;
/// A random key of 32+ characters has far more; a repeated word or pattern has fewer.
const MIN_DISTINCT_CHARS: usize = 8;
/// Entropy estimated from character frequencies; 32 random hex digits give ~120 bits.
const MIN_ESTIMATED_BITS: f64 = 96.0;
/// How to get a good key, said with every refusal of one.
const KEY_FIX: &str = "`auth-gateway generate-keys` prints a random one";

/// Refuses weak settings; called only for `ENVIRONMENT=production`.
pub(super) fn refuse_weak(vars: &Vars<'_>, config: &Config) -> Result<(), ConfigError> {
    let secrets = &config.secrets;
    strong_key(
        "AUTH_GATEWAY_ENCRYPTION_KEY",
        secrets.encryption_key.as_ref(),
    )?;
    strong_key("AUTH_GATEWAY_API_KEY", secrets.api_key.as_ref())?;
    database_password(&config.database_url)?;
    super::authorization::refuse_in_production(&config.authorization)?;
    let public_url_variable = if vars.text("AUTH_GATEWAY_PUBLIC_URL").is_some() {
        "AUTH_GATEWAY_PUBLIC_URL"
    } else {
        "GOOGLE_REDIRECT_URI"
    };
    safe_url(public_url_variable, &config.public_url)?;
    if let Some(google) = &config.google {
        for (variable, value) in [
            ("GOOGLE_CLIENT_ID", google.client_id.as_str()),
            ("GOOGLE_CLIENT_SECRET", google.client_secret.expose_secret()),
        ] {
            if value.trim().to_ascii_lowercase().starts_with("your-") {
                return Err(invalid(
                    variable,
                    "is the placeholder of .env.example; set your OAuth client's (Google Cloud console, APIs & Services, Credentials)",
                ));
            }
        }
        safe_url("GOOGLE_REDIRECT_URI", &google.redirect_uri)?;
        safe_url("GOOGLE_AUTH_URL", &google.auth_url)?;
        safe_url("GOOGLE_TOKEN_URL", &google.token_url)?;
        safe_url("GOOGLE_REVOKE_URL", &google.revoke_url)?;
        safe_url("GOOGLE_USERINFO_URL", &google.userinfo_url)?;
    }
    Ok(())
}

fn is_placeholder(value: &str) -> bool {
    let value = value.to_ascii_lowercase();
    value.contains("change-me") || value.contains("changeme")
}

fn strong_key(variable: &'static str, key: Option<&SecretString>) -> Result<(), ConfigError> {
    let Some(key) = key else {
        return Ok(()); // a missing key is refused earlier, with its own message
    };
    let key = key.expose_secret();
    if is_placeholder(key) {
        return Err(invalid(
            variable,
            format!("is the placeholder of .env.example; {KEY_FIX}"),
        ));
    }
    let length = key.chars().count();
    if length < MIN_KEY_CHARS {
        return Err(invalid(
            variable,
            format!(
                "is {length} characters; production needs {MIN_KEY_CHARS} or more random ones: {KEY_FIX}"
            ),
        ));
    }
    if looks_guessable(key) {
        return Err(invalid(
            variable,
            format!("is too regular to be random (few distinct characters); {KEY_FIX}"),
        ));
    }
    Ok(())
}

/// Few distinct characters, or little entropy by character frequency: a repeated
/// character, word or short pattern.
fn looks_guessable(key: &str) -> bool {
    let mut counts = std::collections::HashMap::new();
    for c in key.chars() {
        *counts.entry(c).or_insert(0_u32) += 1;
    }
    #[allow(clippy::cast_precision_loss)] // keys are far shorter than 2^52 characters
    let total = key.chars().count() as f64;
    let bits_per_char: f64 = counts
        .values()
        .map(|&count| {
            let p = f64::from(count) / total;
            -p * p.log2()
        })
        .sum();
    counts.len() < MIN_DISTINCT_CHARS || bits_per_char * total < MIN_ESTIMATED_BITS
}

fn database_password(url: &DatabaseUrl) -> Result<(), ConfigError> {
    let DatabaseUrl::Postgres(text) = url else {
        return Ok(());
    };
    let placeholder = url::Url::parse(text)
        .ok()
        .and_then(|parsed| parsed.password().map(is_placeholder))
        .unwrap_or(false);
    if placeholder {
        return Err(invalid(
            "DATABASE_URL",
            "its password is the placeholder of .env.example; set POSTGRES_PASSWORD (compose) or the password in the URL",
        ));
    }
    Ok(())
}

/// https, or http on loopback only; never the example domain of `.env.example`.
fn safe_url(variable: &'static str, url: &url::Url) -> Result<(), ConfigError> {
    let host = url.host();
    let loopback = match host {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if url.scheme() != "https" && !loopback {
        return Err(invalid(
            variable,
            "is plain http; production needs https (http only on loopback), or sign-in links, codes and cookies travel in clear",
        ));
    }
    if let Some(url::Host::Domain(name)) = host
        && (name == "example.com" || name.ends_with(".example.com"))
    {
        return Err(invalid(
            variable,
            "names example.com, the placeholder of .env.example; set the address this is reached at",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::looks_guessable;

    #[test]
    fn generated_keys_pass_and_patterns_do_not() {
        assert!(!looks_guessable(
            "hV3kP9zQ-2mT7xR4wL8nB1cJ6fD0sG5yA_eK3uN7iO2"
        ));
        assert!(!looks_guessable("0f3a9c27e1b84d56a0c9f2e7b3d81c4e"));
        assert!(looks_guessable(&"ab".repeat(20)));
        assert!(looks_guessable("passwordpasswordpasswordpassword"));
    }
}
