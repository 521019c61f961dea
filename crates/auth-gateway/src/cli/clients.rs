//! `auth-gateway clients create|list|set|revoke|rotate`: per-MCP-server API keys. A new key
//! is printed once, on creation or rotation; only its digest is kept.

use crate::core::admin::clients::{self, NewKey};
use crate::store::{ClientRecord, Store};
use chrono::{DateTime, SecondsFormat, Utc};
use secrecy::ExposeSecret as _;
use std::io::Write;

/// The `clients` subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum ClientsCommand {
    /// Create a client and print its key (once).
    Create {
        name: String,
        /// Providers the key may use, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        providers: Vec<String>,
        /// Scopes the key may hold beyond the providers' defaults, comma-separated
        /// (default: none). Tokens of grants that carry more are narrowed for this key.
        #[arg(long, value_delimiter = ',')]
        scopes: Option<Vec<String>>,
        /// The key may hold only `--scopes`, not the providers' default scopes.
        #[arg(long)]
        no_default_scopes: bool,
        /// The key obtains users' tokens only by token exchange (RFC 8693) with a user's
        /// gateway access token; /auth/token and /auth/init with an email answer 403.
        #[arg(long)]
        verified_users_only: bool,
    },
    /// Change an existing client's settings.
    Set {
        name: String,
        /// Restrict the key to verified users (token exchange only), or lift it.
        #[arg(long, action = clap::ArgAction::Set, required = true)]
        verified_users_only: bool,
    },
    /// List clients (never their keys).
    List,
    /// Revoke a client's keys at once.
    Revoke { name: String },
    /// Give a client a new key; the old one keeps working for the grace period.
    Rotate {
        name: String,
        /// How long the old key stays valid, e.g. 30m, 24h, 7d.
        #[arg(long, default_value = "24h", value_parser = super::parse_duration)]
        grace: chrono::Duration,
    },
}

fn print_key(out: &mut dyn Write, key: &NewKey) -> std::io::Result<()> {
    writeln!(
        out,
        "Set this in the MCP server's environment (shown only now; only its digest is kept):\nAUTH_GATEWAY_API_KEY={}",
        key.key.expose_secret()
    )
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A client's scope allow-list as the operator reads it: `any` only for clients made
/// before allow-lists held at issuance and left unrestricted.
fn scopes_shown(client: &ClientRecord) -> String {
    match (
        client.allowed_scopes.as_deref(),
        client.scopes_exclude_defaults,
    ) {
        (None, _) => "any".to_owned(),
        (Some([]), true) => "none".to_owned(),
        (Some(listed), true) => listed.join(","),
        (Some([]), false) => "defaults".to_owned(),
        (Some(extra), false) => format!("defaults,{}", extra.join(",")),
    }
}

fn status(client: &ClientRecord, now: DateTime<Utc>) -> String {
    match (client.revoked_at, client.previous_key_valid_until) {
        (Some(at), _) => format!("revoked {}", time(at)),
        (None, Some(until)) if until > now => {
            format!("rotating, previous key valid until {}", time(until))
        }
        (None, _) => "active".to_owned(),
    }
}

/// Checks a `create`'s providers against those `configured` where the command runs: an
/// unknown name fails, listing the configured ones; a known but unconfigured one is
/// accepted with a warning on stderr.
pub fn check_providers(command: &ClientsCommand, configured: &[String]) -> anyhow::Result<()> {
    if let ClientsCommand::Create { providers, .. } = command {
        for provider in clients::check_providers(providers, configured)? {
            eprintln!(
                "warning: provider {provider} is not configured here; the key is accepted for it on gateways where it is"
            );
        }
    }
    Ok(())
}

/// Runs one `clients` subcommand; warnings go to stderr.
pub async fn run(
    store: &dyn Store,
    now: DateTime<Utc>,
    command: ClientsCommand,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match command {
        ClientsCommand::Create {
            name,
            providers,
            scopes,
            no_default_scopes,
            verified_users_only,
        } => {
            let scopes = clients::ScopeAllowance {
                extra: scopes.unwrap_or_default(),
                exclude_defaults: no_default_scopes,
            };
            let policy = clients::ClientPolicy {
                verified_users_only,
            };
            let (client, key) =
                clients::create_client(store, now, &name, providers, scopes, policy).await?;
            writeln!(
                out,
                "Created client {} (providers: {}; scopes: {}{}).",
                client.name,
                client.allowed_providers.join(","),
                scopes_shown(&client),
                if client.verified_users_only {
                    "; verified users only: token exchange"
                } else {
                    ""
                }
            )?;
            print_key(out, &key)?;
        }
        ClientsCommand::List => {
            writeln!(
                out,
                "{:<24} {:<20} {:<30} {:<9} {:<20} STATUS",
                "NAME", "PROVIDERS", "SCOPES", "VERIFIED", "CREATED"
            )?;
            for client in store.clients().await? {
                writeln!(
                    out,
                    "{:<24} {:<20} {:<30} {:<9} {:<20} {}",
                    client.name,
                    client.allowed_providers.join(","),
                    scopes_shown(&client),
                    if client.verified_users_only {
                        "only"
                    } else {
                        "-"
                    },
                    time(client.created_at),
                    status(&client, now)
                )?;
            }
        }
        ClientsCommand::Set {
            name,
            verified_users_only,
        } => {
            clients::set_verified_users_only(store, now, &name, verified_users_only).await?;
            let how = if verified_users_only {
                "only by token exchange (verified users only)"
            } else {
                "by token exchange or an asserted user_email"
            };
            writeln!(out, "Client {name} now obtains users' tokens {how}.")?;
        }
        ClientsCommand::Revoke { name } => {
            clients::revoke_client(store, now, &name).await?;
            writeln!(out, "Revoked client {name}; its keys no longer work.")?;
        }
        ClientsCommand::Rotate { name, grace } => {
            let rotation = clients::rotate_client(store, now, &name, grace).await?;
            if let Some(until) = rotation.grace_cut_short {
                eprintln!(
                    "warning: an earlier rotation of {name} was still in its grace period: the key it replaced (valid until {}) stops working now",
                    time(until)
                );
            }
            let key = rotation.key;
            writeln!(
                out,
                "Rotated client {name}; the old key works until {}.",
                time(now + grace)
            )?;
            print_key(out, &key)?;
        }
    }
    Ok(())
}
