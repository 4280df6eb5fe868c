//! `reads`: the inbox's first page and 50-message history pages, as a person opening the app
//! and scrolling back would fetch them, against accounts made by `seed`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use rand::seq::IndexedRandom;
use serde_json::Value;

use crate::client::{Account, Api};
use crate::report::Latencies;

#[derive(clap::Args)]
pub struct ReadsArgs {
    /// The accounts file `seed` wrote (`DATA_DIR/bench-accounts.json`).
    #[arg(long)]
    accounts: PathBuf,
    /// Samples per client; each sample fetches an inbox, a newest history page and an older one.
    #[arg(long, default_value_t = 2000)]
    samples: usize,
    /// Clients reading at once.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Read posts instead: each sample fetches a mentions page and a post search.
    #[arg(long)]
    posts: bool,
    /// Read business insights instead: each sample fetches an account's last 30 days.
    #[arg(long, conflicts_with = "posts")]
    insights: bool,
}

#[derive(Default)]
struct ReadResult {
    inbox: Latencies,
    newest: Latencies,
    older: Latencies,
}

pub async fn run(api: &Api, args: ReadsArgs) -> anyhow::Result<()> {
    let accounts: Vec<Account> = serde_json::from_slice(
        &std::fs::read(&args.accounts)
            .with_context(|| format!("cannot read {}", args.accounts.display()))?,
    )?;
    anyhow::ensure!(!accounts.is_empty(), "the accounts file is empty");
    if args.posts {
        return post_reads(api, accounts, &args).await;
    }
    if args.insights {
        return insights_reads(api, accounts, &args).await;
    }
    let started = Instant::now();
    let tasks: Vec<_> = (0..args.clients)
        .map(|_| tokio::spawn(read_loop(api.clone(), accounts.clone(), args.samples)))
        .collect();
    let mut total = ReadResult::default();
    for task in tasks {
        let result = task.await??;
        total.inbox.merge(&result.inbox);
        total.newest.merge(&result.newest);
        total.older.merge(&result.older);
    }
    let requests = total.inbox.count() + total.newest.count() + total.older.count();
    println!(
        "reads: {} clients × {} samples, {:.0} requests/s",
        args.clients,
        args.samples,
        requests as f64 / started.elapsed().as_secs_f64()
    );
    println!("{}", total.inbox.line("inbox first page"));
    println!("{}", total.newest.line("history newest 50"));
    println!("{}", total.older.line("history older 50"));
    Ok(())
}

/// Mentions' first page and a one-word post search, as someone checking their mentions and
/// searching posts would fetch them.
async fn post_reads(api: &Api, accounts: Vec<Account>, args: &ReadsArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let tasks: Vec<_> = (0..args.clients)
        .map(|_| {
            let (api, accounts, samples) = (api.clone(), accounts.clone(), args.samples);
            tokio::spawn(async move {
                let (mut mentions, mut search) = (Latencies::default(), Latencies::default());
                for _ in 0..samples {
                    let Some(account) = accounts.choose(&mut rand::rng()) else {
                        break;
                    };
                    timed(&api, account, "/api/v1/me/mentions?limit=20", &mut mentions).await?;
                    let word = ["order", "refund", "coffee", "deploy", "weekend"]
                        .choose(&mut rand::rng())
                        .copied()
                        .unwrap_or("order");
                    let path = format!("/api/v1/search/posts?q={word}&limit=20");
                    timed(&api, account, &path, &mut search).await?;
                }
                anyhow::Ok((mentions, search))
            })
        })
        .collect();
    let (mut mentions, mut search) = (Latencies::default(), Latencies::default());
    for task in tasks {
        let (m, s) = task.await??;
        mentions.merge(&m);
        search.merge(&s);
    }
    println!(
        "post reads: {} clients × {} samples, {:.0} requests/s",
        args.clients,
        args.samples,
        (mentions.count() + search.count()) as f64 / started.elapsed().as_secs_f64()
    );
    println!("{}", mentions.line("mentions first page"));
    println!("{}", search.line("post search, one word"));
    Ok(())
}

/// `GET /insights` (the last 30 days) for random accounts.
async fn insights_reads(api: &Api, accounts: Vec<Account>, args: &ReadsArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let tasks: Vec<_> = (0..args.clients)
        .map(|_| {
            let (api, accounts, samples) = (api.clone(), accounts.clone(), args.samples);
            tokio::spawn(async move {
                let mut insights = Latencies::default();
                for _ in 0..samples {
                    let Some(account) = accounts.choose(&mut rand::rng()) else {
                        break;
                    };
                    timed(&api, account, "/api/v1/insights", &mut insights).await?;
                }
                anyhow::Ok(insights)
            })
        })
        .collect();
    let mut insights = Latencies::default();
    for task in tasks {
        insights.merge(&task.await??);
    }
    println!(
        "insights reads: {} clients × {} samples, {:.0} requests/s",
        args.clients,
        args.samples,
        insights.count() as f64 / started.elapsed().as_secs_f64()
    );
    println!("{}", insights.line("insights, 30 days"));
    Ok(())
}

async fn read_loop(api: Api, accounts: Vec<Account>, samples: usize) -> anyhow::Result<ReadResult> {
    let mut result = ReadResult::default();
    for _ in 0..samples {
        let Some(account) = accounts.choose(&mut rand::rng()) else {
            break;
        };
        let inbox = timed(
            &api,
            account,
            "/api/v1/conversations?limit=20",
            &mut result.inbox,
        )
        .await?;
        let ids: Vec<&str> = inbox["conversations"]
            .as_array()
            .map(|list| list.iter().filter_map(|c| c["id"].as_str()).collect())
            .unwrap_or_default();
        let Some(id) = ids.choose(&mut rand::rng()) else {
            continue;
        };
        let path = format!("/api/v1/conversations/{id}/events?limit=50");
        let page = timed(&api, account, &path, &mut result.newest).await?;
        if let Some(cursor) = page["next_cursor"].as_str() {
            let path = format!("{path}&cursor={cursor}");
            timed(&api, account, &path, &mut result.older).await?;
        }
    }
    Ok(result)
}

async fn timed(
    api: &Api,
    account: &Account,
    path: &str,
    into: &mut Latencies,
) -> anyhow::Result<Value> {
    let started = Instant::now();
    let (status, body) = api
        .call(reqwest::Method::GET, path, Some(&account.token), None)
        .await?;
    into.record(started.elapsed());
    anyhow::ensure!(status == 200, "GET {path}: {status} {body}");
    Ok(body)
}
