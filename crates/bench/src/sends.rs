//! `sends`: senders write into their own 1:1 conversations (or groups, `--group`), closed-loop
//! (as fast as the server acknowledges) or open-loop at a fixed total rate; with `--watch`
//! every recipient holds a WebSocket and the time from send to the recipient's
//! `message.created` frame is measured.
//!
//! Open-loop latency is measured from when each send was *scheduled* whenever a sender runs
//! behind, so a server that falls behind is charged for the queue it builds (no coordinated
//! omission); see `start_at`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

use crate::client::{Account, Api, OAuthKeys, Socket, register_many, run_tag, screen_name, string};
use crate::report::Latencies;

#[derive(clap::Args)]
pub struct SendsArgs {
    /// Concurrent senders, each with its own recipient.
    #[arg(long, default_value_t = 32)]
    senders: usize,
    /// Total target rate in messages/s; omit to send as fast as acknowledgements allow.
    #[arg(long)]
    rate: Option<f64>,
    /// Measured seconds (after the warm-up).
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Seconds of load before measuring starts.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Hold a WebSocket per recipient and measure send → frame latency.
    #[arg(long)]
    watch: bool,
    /// Every message carries 20 quick-reply options and 3 buttons (the most a send takes).
    #[arg(long)]
    interactive: bool,
    /// Create public posts instead, each mentioning the sender's recipient (who hears of it
    /// on the stream): posts/s over HTTP.
    #[arg(long, conflicts_with = "interactive")]
    posts: bool,
    /// Send through Twitter's v1.1 `direct_messages/events/new.json`, each request signed
    /// with OAuth 1.0a (every sender makes an app and signs with its own token).
    #[arg(long, conflicts_with_all = ["interactive", "posts"])]
    v1: bool,
    /// The first N recipients each have a webhook for their new messages, delivered to a
    /// receiver in this process that checks each signature: send → webhook latency and
    /// deliveries/s. The server must allow 127.0.0.1 (`outbound.allow`).
    #[arg(long, default_value_t = 0)]
    webhooks: usize,
    /// The webhooks are Twitter's Account Activity API's: each of those recipients makes an
    /// app, registers its webhook (the receiver answers the CRC) and subscribes to it.
    #[arg(long, requires = "webhooks")]
    account_activity: bool,
    /// Each sender writes in a group of this many members (itself, its recipient, and
    /// others who follow it, none shared between groups) instead of a 1:1 conversation, so
    /// every message reaches them all.
    #[arg(long, value_parser = clap::value_parser!(u16).range(3..=50),
          conflicts_with_all = ["posts", "v1"])]
    group: Option<u16>,
}

/// The shared clock: message texts carry their send time as an offset from `base`.
#[derive(Clone, Copy)]
struct Clock {
    base: Instant,
    measure_from: Instant,
    end: Instant,
}

#[derive(Default)]
struct SenderResult {
    latencies: Latencies,
    measured: u64,
    errors: BTreeMap<String, u64>,
}

/// The node sender `i` uses, and the node its recipient watches from: with several nodes,
/// every delivery crosses from one node to another.
fn node_of(nodes: &[Api], i: usize, offset: usize) -> &Api {
    let n = nodes.len().max(1);
    nodes
        .get((i + offset) % n)
        .unwrap_or_else(|| unreachable!("at least one node"))
}

pub async fn run(nodes: &[Api], args: SendsArgs) -> anyhow::Result<()> {
    let api = node_of(nodes, 0, 0);
    let pairs = setup(api, args.senders, args.v1, args.group).await?;
    let watchers = if args.watch {
        Some(open_watchers(nodes, &pairs).await?)
    } else {
        None
    };
    let receiver = if args.webhooks > 0 {
        let receiver = crate::webhooks::Receiver::start().await?;
        let owners: Vec<&Account> = pairs
            .iter()
            .take(args.webhooks)
            .map(|p| &p.recipient)
            .collect();
        eprintln!("{} webhooks to a receiver in this process", owners.len());
        if args.account_activity {
            receiver.subscribe_activity(api, &owners).await?;
        } else {
            receiver.subscribe(api, &owners).await?;
        }
        Some(receiver)
    } else {
        None
    };
    let start = Instant::now() + Duration::from_millis(100);
    let measure_from = start + Duration::from_secs(args.warmup);
    let clock = Clock {
        base: start,
        measure_from,
        end: measure_from + Duration::from_secs(args.duration),
    };
    if let Some(r) = &receiver {
        r.measure(crate::webhooks::Window {
            base: clock.base,
            measure_from: clock.measure_from,
            end: clock.end,
        });
    }
    let (stop, stopped) = watch::channel(false);
    let delivery = watchers.map(|sockets| {
        sockets
            .into_iter()
            .map(|socket| tokio::spawn(watch_frames(socket, clock, stopped.clone())))
            .collect::<Vec<_>>()
    });
    let period = args
        .rate
        .map(|rate| Duration::from_secs_f64(args.senders as f64 / rate.max(f64::MIN_POSITIVE)));
    let tasks: Vec<_> = pairs
        .into_iter()
        .enumerate()
        .map(|(i, pair)| {
            // Senders take turns across the period so the load arrives evenly, not in bursts
            // of one message per sender.
            let schedule = period.map(|period| Schedule {
                first: period * i as u32 / args.senders as u32,
                period,
            });
            tokio::spawn(send_loop(
                node_of(nodes, i, 0).clone(),
                pair,
                clock,
                schedule,
                Kind::of(&args),
            ))
        })
        .collect();
    let mut total = SenderResult::default();
    for task in tasks {
        let result = task.await?;
        total.latencies.merge(&result.latencies);
        total.measured += result.measured;
        for (error, n) in result.errors {
            *total.errors.entry(error).or_default() += n;
        }
    }
    let seconds = args.duration as f64;
    println!(
        "sends: {} senders{}, {} target, {}s measured after {}s warm-up",
        args.senders,
        args.group
            .map_or(String::new(), |n| format!(" in groups of {n}")),
        args.rate
            .map_or("closed loop".to_owned(), |r| format!("{r} msg/s")),
        args.duration,
        args.warmup
    );
    println!(
        "throughput             {:.0} msg/s acknowledged ({} messages)",
        total.measured as f64 / seconds,
        total.measured
    );
    println!("{}", total.latencies.line("send latency"));
    for (error, n) in &total.errors {
        println!("errors                 {n} × {error}");
    }
    if let Some(r) = &receiver {
        // Deliveries still on their way get a moment to land.
        tokio::time::sleep(Duration::from_secs(2)).await;
        for line in r.report(seconds) {
            println!("{line}");
        }
    }
    if let Some(tasks) = delivery {
        // Frames still in flight get a moment to land before the watchers stop.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let _ = stop.send(true);
        let mut frames = Latencies::new();
        for task in tasks {
            frames.merge(&task.await??);
        }
        println!("{}", frames.line("send → ws frame"));
        println!(
            "delivered              {} of {} measured messages",
            frames.count(),
            total.measured
        );
    }
    Ok(())
}

struct Pair {
    sender: Account,
    recipient: Account,
    /// The recipient's screen name, for posts that mention them.
    recipient_name: String,
    conversation: String,
    /// The sender's OAuth 1.0a credentials, for `--v1`.
    keys: Option<OAuthKeys>,
}

/// Registers the senders and recipients, makes each pair follow each other, and opens each
/// pair's conversation with a first message (with `group`, the sender's group: its recipient
/// and `group - 2` more members of its own, who follow the sender so it may add them).
async fn setup(
    api: &Api,
    senders: usize,
    v1: bool,
    group: Option<u16>,
) -> anyhow::Result<Vec<Pair>> {
    let run = run_tag();
    eprintln!("setting up {senders} sender/recipient pairs (run {run})…");
    let from = register_many(api, &run, 's', senders, 4).await?;
    let to = register_many(api, &run, 'r', senders, 4).await?;
    let others_each = group.map_or(0, |n| usize::from(n) - 2);
    let mut others = register_many(api, &run, 'g', senders * others_each, 4)
        .await?
        .into_iter();
    let mut pairs = Vec::with_capacity(senders);
    for (i, (sender, recipient)) in from.into_iter().zip(to).enumerate() {
        api.follow(&sender, &recipient).await?;
        api.follow(&recipient, &sender).await?;
        let first = if group.is_some() {
            let mine: Vec<Account> = others.by_ref().take(others_each).collect();
            for member in &mine {
                api.follow(member, &sender).await?;
            }
            let members: Vec<&Account> = std::iter::once(&recipient).chain(&mine).collect();
            let id = api
                .create_group(&sender, &members, &format!("bench group {i}"))
                .await?;
            json!({ "conversation_id": id })
        } else {
            api.send_to_user(&sender, &recipient, "hello").await?
        };
        let keys = if v1 {
            Some(api.app_credentials(&sender).await?)
        } else {
            None
        };
        pairs.push(Pair {
            keys,
            recipient_name: screen_name(&run, 'r', i),
            conversation: string(&first["conversation_id"])?,
            sender,
            recipient,
        });
    }
    Ok(pairs)
}

async fn open_watchers(nodes: &[Api], pairs: &[Pair]) -> anyhow::Result<Vec<Socket>> {
    let mut sockets = Vec::with_capacity(pairs.len());
    for (i, pair) in pairs.iter().enumerate() {
        sockets.push(node_of(nodes, i, 1).stream(&pair.recipient).await?);
    }
    Ok(sockets)
}

/// When an open-loop sender sends: at `first`, then every `period`, after the clock's base.
#[derive(Clone, Copy)]
struct Schedule {
    first: Duration,
    period: Duration,
}

async fn send_loop(
    api: Api,
    pair: Pair,
    clock: Clock,
    schedule: Option<Schedule>,
    kind: Kind,
) -> SenderResult {
    let path = match kind {
        Kind::Posts => "/api/v1/posts".to_owned(),
        Kind::V1 => "/1.1/direct_messages/events/new.json".to_owned(),
        Kind::Plain | Kind::Interactive => {
            format!("/api/v1/conversations/{}/messages", pair.conversation)
        }
    };
    let mut result = SenderResult::default();
    tokio::time::sleep_until(clock.base.into()).await;
    for k in 0u32.. {
        let scheduled = match schedule {
            Some(s) => clock.base + s.first + s.period * k,
            None => Instant::now(),
        };
        if scheduled >= clock.end {
            break;
        }
        let started = start_at(scheduled).await;
        let measured = scheduled >= clock.measure_from;
        // The text carries the send time and whether it counts, for the recipient's watcher.
        let offset = clock.base.elapsed().as_nanos();
        let tag = if measured { 'm' } else { 'w' };
        let mut body = json!({ "text": format!("bench {offset} {tag} the quick brown fox jumps over the lazy dog") });
        match kind {
            Kind::Interactive => add_parts(&mut body),
            Kind::Posts => {
                body["text"] = json!(format!(
                    "@{} bench {offset} the quick brown fox jumps over the lazy dog #bench https://example.com/fox",
                    pair.recipient_name
                ));
            }
            Kind::V1 => {
                body = json!({"event": {"type": "message_create", "message_create": {
                    "target": {"recipient_id": pair.recipient.id},
                    "message_data": body,
                }}});
            }
            Kind::Plain => {}
        }
        let outcome = match &pair.keys {
            Some(keys) => api.signed_post(keys, &path, &body).await,
            None => {
                api.call(
                    reqwest::Method::POST,
                    &path,
                    Some(&pair.sender.token),
                    Some(&body),
                )
                .await
            }
        };
        match outcome {
            Ok((200 | 201, _)) if measured => {
                result.measured += 1;
                result.latencies.record(started.elapsed());
            }
            Ok((200 | 201, _)) => {}
            Ok((status, body)) => {
                let code = body["error"]["code"]
                    .as_str()
                    .map(str::to_owned)
                    .or_else(|| body["errors"][0]["code"].as_i64().map(|c| c.to_string()))
                    .unwrap_or_else(|| "?".to_owned());
                *result.errors.entry(format!("{status} {code}")).or_default() += 1;
            }
            Err(e) => *result.errors.entry(format!("{e:#}")).or_default() += 1,
        }
    }
    result
}

/// Reads a recipient's frames until told to stop, timing each measured `message.created`.
/// What each sender writes.
#[derive(Clone, Copy)]
enum Kind {
    Plain,
    /// With the most a message carries (`--interactive`).
    Interactive,
    /// Public posts (`--posts`).
    Posts,
    /// Through the v1.1 API, signed (`--v1`).
    V1,
}

impl Kind {
    fn of(args: &SendsArgs) -> Kind {
        match (args.v1, args.posts, args.interactive) {
            (true, _, _) => Kind::V1,
            (false, true, _) => Kind::Posts,
            (false, false, true) => Kind::Interactive,
            (false, false, false) => Kind::Plain,
        }
    }
}

/// The most a send carries: 20 quick-reply options, described, and 3 buttons.
fn add_parts(body: &mut serde_json::Value) {
    let options: Vec<serde_json::Value> = (0..20)
        .map(|i| json!({"label": format!("Option number {i}"), "description": "What this option does, in a line", "metadata": format!("option-{i}")}))
        .collect();
    body["quick_reply"] = json!({"type": "options", "options": options});
    body["ctas"] = json!([
        {"type": "url", "label": "Help centre", "url": "https://help.example.com/articles/returns"},
        {"type": "url", "label": "Track an order", "url": "https://example.com/track?ref=dm"},
        {"type": "url", "label": "Our stores", "url": "https://example.com/stores"},
    ]);
}

/// Waits for a send's scheduled time and returns the instant its latency counts from.
///
/// tokio's timer fires on millisecond ticks, up to a millisecond after the deadline, so a
/// sender that is on time counts from when it actually starts. A sender already behind
/// schedule (the server is slower than the rate) counts from the scheduled time, so a
/// backlog is charged to the server.
async fn start_at(scheduled: Instant) -> Instant {
    if Instant::now() >= scheduled {
        return scheduled;
    }
    tokio::time::sleep_until(scheduled.into()).await;
    Instant::now()
}

async fn watch_frames(
    mut socket: Socket,
    clock: Clock,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<Latencies> {
    let mut latencies = Latencies::new();
    loop {
        let frame = tokio::select! {
            frame = socket.next() => frame,
            _ = stop.wait_for(|stop| *stop) => break,
        };
        let Some(frame) = frame else { break };
        let Message::Text(text) = frame.context("stream error")? else {
            continue;
        };
        let now = clock.base.elapsed().as_nanos();
        let value: Value = serde_json::from_str(&text)?;
        if value["type"] != "message.created" {
            continue;
        }
        let mut words = value["data"]["text"].as_str().unwrap_or("").split(' ');
        let sent = words.nth(1).and_then(|n| n.parse::<u128>().ok());
        if let (Some(sent), Some("m")) = (sent, words.next()) {
            let nanos = u64::try_from(now.saturating_sub(sent)).unwrap_or(u64::MAX);
            latencies.record(Duration::from_nanos(nanos));
        }
    }
    Ok(latencies)
}
