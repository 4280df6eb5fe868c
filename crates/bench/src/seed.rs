//! `seed`: fills a data directory with accounts, 1:1 conversations and many messages (and,
//! with `--posts`, public posts) for the read benchmarks, through the service layer in-process (every rule applies; HTTP is skipped
//! only because ten million requests would take longer than the benchmark itself).
//!
//! Run it against a stopped server's data directory, then start the server on it.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use postern_core::UserId;
use postern_service::accounts::Registration;
use postern_service::messages::Draft;
use postern_service::posts::PostDraft;
use postern_service::{Actor, Services};
use rand::Rng;

use crate::client::Account;

#[derive(clap::Args)]
pub struct SeedArgs {
    /// The data directory to fill (the server must not be running on it).
    #[arg(long)]
    data_dir: PathBuf,
    /// Accounts to create.
    #[arg(long, default_value_t = 1000)]
    users: usize,
    /// Conversations per account: account i talks with accounts i+1 … i+K.
    #[arg(long, default_value_t = 20)]
    partners: usize,
    /// Messages to send, spread at random over the conversations.
    #[arg(long, default_value_t = 10_000_000)]
    messages: u64,
    /// Sends in flight at once (the store groups their commits).
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// Public posts to write after the messages, a third of them mentioning an account.
    #[arg(long, default_value_t = 0)]
    posts: u64,
}

const WORDS: &[&str] = &[
    "hello", "thanks", "order", "shipping", "tomorrow", "meeting", "coffee", "photo", "link",
    "call", "later", "weekend", "price", "support", "ticket", "refund", "great", "sounds", "good",
    "see", "you", "there", "when", "where", "what", "how", "about", "the", "new", "release", "bug",
    "fixed", "deploy", "train", "late", "dinner", "movie", "game", "score", "lunch",
];

pub async fn run(args: SeedArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.users > args.partners, "--users must exceed --partners");
    let mut config = postern::Config::load(None)?;
    config.storage.data_dir = args.data_dir.clone();
    config.server.rate_limits = false;
    // Seeded passwords are never checked; cheap hashes keep setup short.
    config.auth.argon2_memory_kib = 64;
    config.auth.argon2_iterations = 1;
    let services = postern::services(&config).await?;

    eprintln!("creating {} accounts…", args.users);
    let mut accounts = Vec::with_capacity(args.users);
    let mut ids = Vec::with_capacity(args.users);
    for i in 0..args.users {
        let (user, issued) = services
            .register(Registration {
                screen_name: format!("seed{i}"),
                password: "bench password".into(),
                name: None,
                verified: false,
                session: false,
            })
            .await
            .context("register")?;
        ids.push(user.id);
        accounts.push(Account {
            id: user.id.to_string(),
            token: issued.secret,
        });
    }
    let pairs = pairs(&ids, args.partners);
    eprintln!("following: {} mutual pairs…", pairs.len());
    for (a, b) in &pairs {
        services.follow(*a, *b).await?;
        services.follow(*b, *a).await?;
    }
    let file = args.data_dir.join("bench-accounts.json");
    std::fs::write(&file, serde_json::to_vec(&accounts)?)?;
    eprintln!("wrote {}", file.display());

    send_all(&services, Arc::new(pairs), &args).await?;
    post_all(&services, Arc::new(ids), &args).await
}

/// Writes `--posts` posts through the service, as many at once as `--concurrency`.
async fn post_all(
    services: &Arc<Services>,
    ids: Arc<Vec<UserId>>,
    args: &SeedArgs,
) -> anyhow::Result<()> {
    if args.posts == 0 {
        return Ok(());
    }
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..args.concurrency)
        .map(|_| {
            let (services, ids, next, total) =
                (services.clone(), ids.clone(), next.clone(), args.posts);
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < total {
                    let (author, text) = {
                        let mut rng = rand::rng();
                        let n = ids.len();
                        let Some(&author) = ids.get(rng.random_range(0..n)) else {
                            break;
                        };
                        let mut text = sentence(&mut rng);
                        if rng.random_range(0..3) == 0 {
                            text = format!("@seed{} {text}", rng.random_range(0..n));
                        }
                        (author, text)
                    };
                    let draft = PostDraft {
                        text,
                        ..PostDraft::default()
                    };
                    services.create_post(&Actor::token(author), draft).await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    let progress = tokio::spawn(report_progress(next.clone(), args.posts, started));
    for worker in workers {
        worker.await??;
    }
    progress.abort();
    let took = started.elapsed().as_secs_f64();
    eprintln!(
        "wrote {} posts in {took:.0}s ({:.0}/s)",
        args.posts,
        args.posts as f64 / took
    );
    Ok(())
}

/// Account i with accounts i+1 … i+k (wrapping), each pair once.
fn pairs(ids: &[UserId], k: usize) -> Vec<(UserId, UserId)> {
    let n = ids.len();
    (0..n)
        .flat_map(|i| (1..=k).map(move |d| (i, (i + d) % n)))
        .filter_map(|(i, j)| Some((*ids.get(i)?, *ids.get(j)?)))
        .collect()
}

async fn send_all(
    services: &Arc<Services>,
    pairs: Arc<Vec<(UserId, UserId)>>,
    args: &SeedArgs,
) -> anyhow::Result<()> {
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..args.concurrency)
        .map(|_| {
            let (services, pairs, next, total) =
                (services.clone(), pairs.clone(), next.clone(), args.messages);
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < total {
                    let (from, to, text) = {
                        let mut rng = rand::rng();
                        let Some(&(a, b)) = pairs.get(rng.random_range(0..pairs.len())) else {
                            break;
                        };
                        let (from, to) = if rng.random_bool(0.5) { (a, b) } else { (b, a) };
                        (from, to, sentence(&mut rng))
                    };
                    let draft = Draft {
                        text,
                        ..Draft::default()
                    };
                    services
                        .send_to_user(&Actor::token(from), to, draft)
                        .await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    let progress = tokio::spawn(report_progress(next.clone(), args.messages, started));
    for worker in workers {
        worker.await??;
    }
    progress.abort();
    let took = started.elapsed().as_secs_f64();
    eprintln!(
        "sent {} messages in {took:.0}s ({:.0}/s)",
        args.messages,
        args.messages as f64 / took
    );
    Ok(())
}

fn sentence(rng: &mut impl Rng) -> String {
    let len = rng.random_range(3..16);
    (0..len)
        .filter_map(|_| WORDS.get(rng.random_range(0..WORDS.len())).copied())
        .collect::<Vec<_>>()
        .join(" ")
}

async fn report_progress(next: Arc<AtomicU64>, total: u64, started: Instant) {
    loop {
        tokio::time::sleep(Duration::from_secs(30)).await;
        let done = next.load(Ordering::Relaxed).min(total);
        eprintln!(
            "  {done} / {total} after {:.0}s",
            started.elapsed().as_secs_f64()
        );
    }
}
