//! `idle`: opens many authenticated WebSockets that then sit idle, and reports how much the
//! server's resident memory grew per connection.

use std::time::Duration;

use anyhow::Context;
use futures::StreamExt;

use crate::client::{Api, register_many, run_tag};

#[derive(clap::Args)]
pub struct IdleArgs {
    /// Connections to open, one account each.
    #[arg(long, default_value_t = 10_000)]
    connections: usize,
    /// The server's process id, to read its resident memory.
    #[arg(long)]
    pid: u32,
}

pub async fn run(api: &Api, args: IdleArgs) -> anyhow::Result<()> {
    let run = run_tag();
    eprintln!("registering {} accounts (run {run})…", args.connections);
    let accounts = register_many(api, &run, 'i', args.connections, 8).await?;
    settle().await;
    let before = resident_kib(args.pid)?;
    eprintln!("opening {} streams…", args.connections);
    let sockets = futures::stream::iter(&accounts)
        .map(|account| api.stream(account))
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<Vec<_>>>()?;
    settle().await;
    let after = resident_kib(args.pid)?;
    let grown = after.saturating_sub(before);
    println!(
        "idle: {} authenticated WebSockets; server RSS {before} KiB → {after} KiB",
        sockets.len()
    );
    println!(
        "per connection         {:.1} KiB",
        grown as f64 / sockets.len().max(1) as f64
    );
    drop(sockets);
    Ok(())
}

/// Lets the server finish the work a burst started before memory is read.
async fn settle() {
    tokio::time::sleep(Duration::from_secs(2)).await;
}

/// `VmRSS` from `/proc/PID/status`, in KiB.
fn resident_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("cannot read the status of process {pid}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS line in the process status")
}
