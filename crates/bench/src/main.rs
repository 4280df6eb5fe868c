//! `postern-bench`: the load tool behind `docs/benchmarks.md`. It drives a running server over
//! real HTTP and WebSocket connections and prints latency percentiles and rates.

#![expect(
    clippy::indexing_slicing,
    reason = "responses are read with serde_json's `value[\"key\"]`, which yields null, never panics"
)]

mod client;
mod idle;
mod reads;
mod report;
mod seed;
mod sends;
mod webhooks;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "postern-bench",
    about = "Load tool for a running Postern server"
)]
struct Cli {
    /// The server's base URL; several, comma-separated, for nodes of one installation
    /// (`sends` spreads senders over them and watches each recipient on another node).
    #[arg(
        long,
        global = true,
        default_value = "http://127.0.0.1:8080",
        value_delimiter = ','
    )]
    server: Vec<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Durable sends into 1:1 conversations, optionally with delivery latency (`--watch`).
    Sends(sends::SendsArgs),
    /// Inbox and history page latency against seeded data.
    Reads(reads::ReadsArgs),
    /// Memory per idle authenticated WebSocket.
    Idle(idle::IdleArgs),
    /// Fill a stopped server's data directory for `reads`.
    Seed(seed::SeedArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let nodes = cli
        .server
        .iter()
        .map(|url| client::Api::new(url, 512))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let Some(api) = nodes.first() else {
        anyhow::bail!("--server needs at least one URL");
    };
    match cli.command {
        Command::Sends(args) => sends::run(&nodes, args).await,
        Command::Reads(args) => reads::run(api, args).await,
        Command::Idle(args) => idle::run(api, args).await,
        Command::Seed(args) => seed::run(args).await,
    }
}
