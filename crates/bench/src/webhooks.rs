//! `sends --webhooks N`: N recipients each have a native webhook that POSTs their new messages
//! to a receiver in this process, which checks every signature (as a real receiver must) and
//! times each delivery from when its message was sent. With `--account-activity` each of them
//! instead makes an app, registers its webhook through Twitter's Account Activity API (the
//! receiver answers the CRC) and subscribes to it, so messages arrive as Twitter's payloads.
//! The server must allow this process's address (`outbound.allow = ["127.0.0.1"]`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use anyhow::Context;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use crate::client::{Account, Api, string};
use crate::report::Latencies;

/// The window deliveries are counted in, and the clock message texts are stamped with.
#[derive(Clone, Copy)]
pub struct Window {
    pub base: Instant,
    pub measure_from: Instant,
    pub end: Instant,
}

#[derive(Default)]
struct Heard {
    /// What signs each webhook owner's deliveries, by account id (a native event id's first
    /// part): its webhook's secret, or its app's consumer secret (Account Activity).
    secrets: Mutex<HashMap<String, String>>,
    window: OnceLock<Window>,
    latencies: Mutex<Latencies>,
    /// Messages that arrived within the measured window.
    arrived: AtomicU64,
    /// POSTs that arrived within the measured window.
    posts: AtomicU64,
    bad_signatures: AtomicU64,
}

pub struct Receiver {
    url: String,
    heard: Arc<Heard>,
}

impl Receiver {
    /// Listens on 127.0.0.1 at a free port.
    pub async fn start() -> anyhow::Result<Receiver> {
        let heard = Arc::new(Heard::default());
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(take))
            .route(
                "/activity/{owner}",
                axum::routing::get(crc).post(take_activity),
            )
            .with_state(heard.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/hook", listener.local_addr()?);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Receiver { url, heard })
    }

    /// Gives each of `owners` a webhook for its new messages.
    pub async fn subscribe(&self, api: &Api, owners: &[&Account]) -> anyhow::Result<()> {
        for owner in owners {
            let (status, made) = api
                .call(
                    reqwest::Method::POST,
                    "/api/v1/webhooks",
                    Some(&owner.token),
                    Some(&json!({"url": self.url, "events": ["message.created"]})),
                )
                .await?;
            anyhow::ensure!(
                status == 201,
                "creating a webhook: {status} {made} (does outbound.allow hold 127.0.0.1?)"
            );
            let secret = string(&made["secret"]).context("the webhook's secret")?;
            if let Ok(mut secrets) = self.heard.secrets.lock() {
                secrets.insert(owner.id.clone(), secret);
            }
        }
        Ok(())
    }

    /// Has each of `owners` make an app, register this receiver as its Account Activity
    /// webhook (answering the CRC) and subscribe to it.
    pub async fn subscribe_activity(&self, api: &Api, owners: &[&Account]) -> anyhow::Result<()> {
        let base = self.url.trim_end_matches("/hook");
        for owner in owners {
            let keys = api.app_credentials(owner).await?;
            if let Ok(mut secrets) = self.heard.secrets.lock() {
                secrets.insert(owner.id.clone(), keys.consumer_secret.clone());
            }
            let url = format!("{base}/activity/{}", owner.id);
            let env = "/1.1/account_activity/all/bench";
            let (status, made) = api
                .signed(
                    &keys,
                    &format!("{env}/webhooks.json"),
                    &[("url", &url)],
                    None,
                )
                .await?;
            anyhow::ensure!(
                status == 200,
                "registering a webhook: {status} {made} (does outbound.allow hold 127.0.0.1?)"
            );
            let (status, answer) = api
                .signed(&keys, &format!("{env}/subscriptions.json"), &[], None)
                .await?;
            anyhow::ensure!(status == 204, "subscribing: {status} {answer}");
        }
        Ok(())
    }

    pub fn measure(&self, window: Window) {
        let _ = self.heard.window.set(window);
    }

    /// `send → webhook` latencies, deliveries/s in the window, and bad signatures.
    pub fn report(&self, seconds: f64) -> Vec<String> {
        let latencies = self
            .heard
            .latencies
            .lock()
            .map(|l| l.line("send → webhook"))
            .unwrap_or_default();
        let arrived = self.heard.arrived.load(Ordering::Relaxed);
        let posts = self.heard.posts.load(Ordering::Relaxed);
        vec![
            latencies,
            format!(
                "webhook deliveries     {:.0}/s received in the window ({arrived}), each signature checked",
                arrived as f64 / seconds
            ),
            format!(
                "webhook POSTs          {:.0}/s ({:.1} messages each)",
                posts as f64 / seconds,
                arrived as f64 / posts.max(1) as f64
            ),
            format!(
                "bad signatures         {}",
                self.heard.bad_signatures.load(Ordering::Relaxed)
            ),
        ]
    }
}

async fn take(State(heard): State<Arc<Heard>>, headers: HeaderMap, body: String) -> StatusCode {
    let now = Instant::now();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let owner = header("postern-event-id").split('-').next().unwrap_or("");
    let secret = secret_of(&heard, owner);
    let signed = header("postern-signature");
    let stamp = signed
        .split(',')
        .find_map(|p| p.strip_prefix("t="))
        .and_then(|t| t.parse::<i64>().ok())
        .unwrap_or_default();
    let given = signed
        .split(',')
        .find_map(|p| p.strip_prefix("v1="))
        .unwrap_or("");
    if postern_service::webhook_delivery::sign(&secret, stamp, &body) != given {
        heard.bad_signatures.fetch_add(1, Ordering::Relaxed);
        return StatusCode::UNAUTHORIZED;
    }
    let event: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    heard.record(now, [event["data"]["text"].as_str().unwrap_or("")]);
    StatusCode::OK
}

/// What signs an owner's deliveries (an Account Activity webhook's path names its owner).
fn secret_of(heard: &Heard, owner: &str) -> String {
    heard
        .secrets
        .lock()
        .ok()
        .and_then(|s| s.get(owner).cloned())
        .unwrap_or_default()
}

/// Twitter's CRC: the token's HMAC-SHA256 with the consumer secret.
async fn crc(
    State(heard): State<Arc<Heard>>,
    Path(owner): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> axum::Json<Value> {
    let token = query.get("crc_token").map_or("", String::as_str);
    let secret = secret_of(&heard, &owner);
    axum::Json(json!({
        "response_token": postern_service::account_activity::signature(&secret, token.as_bytes())
    }))
}

/// An Account Activity delivery: its signature checked, each of its messages timed.
async fn take_activity(
    State(heard): State<Arc<Heard>>,
    Path(owner): Path<String>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let now = Instant::now();
    let secret = secret_of(&heard, &owner);
    let given = headers
        .get("x-twitter-webhooks-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if postern_service::account_activity::signature(&secret, body.as_bytes()) != given {
        heard.bad_signatures.fetch_add(1, Ordering::Relaxed);
        return StatusCode::UNAUTHORIZED;
    }
    let payload: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let events = payload["direct_message_events"].as_array();
    heard.record(
        now,
        events.into_iter().flatten().map(|e| {
            e["message_create"]["message_data"]["text"]
                .as_str()
                .unwrap_or("")
        }),
    );
    StatusCode::OK
}

impl Heard {
    /// Counts a POST that arrived at `now` carrying messages with `texts`, and times each
    /// from the send stamped in its text.
    fn record<'a>(&self, now: Instant, texts: impl IntoIterator<Item = &'a str>) {
        let Some(window) = self.window.get() else {
            return;
        };
        let measured = (window.measure_from..window.end).contains(&now);
        if measured {
            self.posts.fetch_add(1, Ordering::Relaxed);
        }
        for text in texts {
            if measured {
                self.arrived.fetch_add(1, Ordering::Relaxed);
            }
            let mut words = text.split(' ');
            let sent = words.nth(1).and_then(|n| n.parse::<u128>().ok());
            if let (Some(sent), Some("m")) = (sent, words.next()) {
                let at = now.duration_since(window.base).as_nanos();
                let nanos = u64::try_from(at.saturating_sub(sent)).unwrap_or(u64::MAX);
                if let Ok(mut l) = self.latencies.lock() {
                    l.record(std::time::Duration::from_nanos(nanos));
                }
            }
        }
    }
}
