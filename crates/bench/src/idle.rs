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
    let before = settle(args.pid).await?;
    eprintln!("opening {} streams…", args.connections);
    let sockets = futures::stream::iter(&accounts)
        .map(|account| api.stream(account))
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<Vec<_>>>()?;
    let after = settle(args.pid).await?;
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

/// Waits until the server's resident memory stops moving (the allocator hands freed memory
/// back to the system with a delay), up to half a minute.
async fn settle(pid: u32) -> anyhow::Result<u64> {
    let mut last = resident_kib(pid)?;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = resident_kib(pid)?;
        if now.abs_diff(last) * 200 < last {
            return Ok(now);
        }
        last = now;
    }
    Ok(last)
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
