//! `google-emulator`: runs the emulator standalone and prints the settings that point
//! the gateway and the MCP servers at it, as `export` lines a shell can source.

use clap::Parser;
use google_emulator::{AccountOptions, Emulator, EmulatorConfig};
use std::fmt::Write as _;
use tracing_subscriber::EnvFilter;

/// Local stand-in for Google's OAuth 2.0 / `OpenID` Connect endpoints and the
/// Ads and Analytics APIs.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to bind (0 picks a free one).
    #[arg(long, default_value_t = 8085)]
    port: u16,
    /// OAuth client id the emulator accepts.
    #[arg(long)]
    client_id: Option<String>,
    /// OAuth client secret the emulator accepts.
    #[arg(long)]
    client_secret: Option<String>,
    /// Account to pre-register (repeatable); shown in the account chooser.
    #[arg(long = "account", value_name = "EMAIL")]
    accounts: Vec<String>,
    /// Also write the `export` lines to this file, for `. ./FILE` in another shell.
    #[arg(long, value_name = "FILE")]
    env_file: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Logs go to stderr so stdout stays pasteable into a .env file.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let defaults = EmulatorConfig::default();
    let config = EmulatorConfig {
        client_id: args.client_id.unwrap_or(defaults.client_id),
        client_secret: args.client_secret.unwrap_or(defaults.client_secret),
        ..defaults
    };
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
        .await
        .map_err(|error| {
            anyhow::anyhow!("could not listen on {}:{}: {error}", args.host, args.port)
        })?;
    let emulator = Emulator::start_with(config, listener).await?;
    for email in &args.accounts {
        emulator.add_account(email, AccountOptions::default());
    }
    // Values are URLs and ids without spaces or quotes; single quotes keep any shell
    // from reading them anyway.
    let mut exports = String::new();
    for (name, value) in emulator.demo_env() {
        let _ = writeln!(exports, "export {name}='{value}'");
    }
    print!("{exports}");
    if let Some(path) = &args.env_file {
        std::fs::write(path, &exports)
            .map_err(|error| anyhow::anyhow!("could not write {}: {error}", path.display()))?;
        eprintln!(
            "wrote these settings to {}: `. {}` in another shell loads them",
            path.display(),
            shell_path(path)
        );
    }
    tokio::select! {
        result = emulator.wait() => result?,
        _ = tokio::signal::ctrl_c() => tracing::info!("shutting down"),
    }
    Ok(())
}

/// `path` as a shell can source it: `.` searches `PATH` for a bare file name.
fn shell_path(path: &std::path::Path) -> String {
    if path.components().count() == 1 {
        format!("./{}", path.display())
    } else {
        path.display().to_string()
    }
}
