//! `google-emulator`: runs the emulator standalone and prints the endpoint
//! URLs as `.env` lines.

use clap::Parser;
use google_emulator::{AccountOptions, Emulator, EmulatorConfig};
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
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port)).await?;
    let emulator = Emulator::start_with(config, listener).await?;
    for email in &args.accounts {
        emulator.add_account(email, AccountOptions::default());
    }
    println!("GOOGLE_AUTH_URL={}", emulator.auth_url());
    println!("GOOGLE_TOKEN_URL={}", emulator.token_url());
    println!("GOOGLE_REVOKE_URL={}", emulator.revoke_url());
    println!("GOOGLE_USERINFO_URL={}", emulator.userinfo_url());
    println!("GOOGLE_ADS_API_URL={}", emulator.base_url());
    println!("GOOGLE_ANALYTICS_DATA_URL={}", emulator.base_url());
    println!("GOOGLE_ANALYTICS_ADMIN_URL={}", emulator.base_url());
    println!("GOOGLE_CLIENT_ID={}", emulator.client_id());
    println!("GOOGLE_CLIENT_SECRET={}", emulator.client_secret());
    tokio::select! {
        result = emulator.wait() => result?,
        _ = tokio::signal::ctrl_c() => tracing::info!("shutting down"),
    }
    Ok(())
}
