//! `auth-gateway resources add|list|remove`: the MCP servers registered as OAuth
//! protected resources (docs/authorization-server.md).

use crate::core::authz::resources::{self, NewResource};
use crate::store::Store;
use chrono::{DateTime, SecondsFormat, Utc};
use std::io::Write;

/// The `resources` subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum ResourcesCommand {
    /// Register an MCP server under its canonical URI.
    Add {
        /// The MCP server's URI, e.g. `https://ads.example.com/mcp` (http only on loopback).
        uri: String,
        /// The API client (see `clients list`) that owns the MCP server.
        #[arg(long)]
        client: String,
        /// The upstream provider its tools use, e.g. google.
        #[arg(long)]
        provider: String,
        /// The upstream scopes its tools need, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<String>,
        /// How the consent page names it.
        #[arg(long)]
        name: String,
    },
    /// List the registered resources.
    List,
    /// Remove a resource.
    Remove { uri: String },
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Runs one `resources` subcommand; `configured` names the providers set up where it
/// runs. Warnings go to stderr.
pub async fn run(
    store: &dyn Store,
    now: DateTime<Utc>,
    command: ResourcesCommand,
    configured: &[String],
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match command {
        ResourcesCommand::Add {
            uri,
            client,
            provider,
            scopes,
            name,
        } => {
            let new = NewResource {
                uri,
                client_name: client,
                provider,
                scopes,
                display_name: name,
            };
            let (resource, unconfigured) =
                resources::add_resource(store, now, new, configured).await?;
            if unconfigured {
                eprintln!(
                    "warning: provider {} is not configured here; the resource works on gateways where it is",
                    resource.provider
                );
            }
            writeln!(
                out,
                "Registered resource {} ({}) for client {} (provider {}; scopes: {}).",
                resource.uri,
                resource.display_name,
                resource.client_name,
                resource.provider,
                resource.scopes.join(",")
            )?;
        }
        ResourcesCommand::List => {
            writeln!(
                out,
                "{:<40} {:<20} {:<10} {:<20} {:<40} NAME",
                "URI", "CLIENT", "PROVIDER", "CREATED", "SCOPES"
            )?;
            for resource in store.resources().await? {
                writeln!(
                    out,
                    "{:<40} {:<20} {:<10} {:<20} {:<40} {}",
                    resource.uri,
                    resource.client_name,
                    resource.provider,
                    time(resource.created_at),
                    resource.scopes.join(","),
                    resource.display_name
                )?;
            }
        }
        ResourcesCommand::Remove { uri } => {
            let removed = resources::remove_resource(store, now, &uri).await?;
            writeln!(out, "Removed resource {}.", removed.uri)?;
        }
    }
    Ok(())
}
