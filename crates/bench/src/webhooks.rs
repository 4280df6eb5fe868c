//! `sends --webhooks N`: N recipients each have a native webhook that POSTs their new messages
//! to a receiver in this process, which checks every signature (as a real receiver must) and
//! times each delivery from when its message was sent. The server must allow this process's
//! address (`outbound.allow = ["127.0.0.1"]`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use anyhow::Context;
use axum::extract::State;
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
    /// Each webhook owner's signing secret, by account id (the event id's first part).
    secrets: Mutex<HashMap<String, String>>,
    window: OnceLock<Window>,
    latencies: Mutex<Latencies>,
    /// Deliveries that arrived within the measured window.
    arrived: AtomicU64,
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
        vec![
            latencies,
            format!(
                "webhook deliveries     {:.0}/s received in the window ({arrived}), each signature checked",
                arrived as f64 / seconds
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
    let secret = heard
        .secrets
        .lock()
        .ok()
        .and_then(|s| s.get(owner).cloned())
        .unwrap_or_default();
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
    let Some(window) = heard.window.get() else {
        return StatusCode::OK;
    };
    if (window.measure_from..window.end).contains(&now) {
        heard.arrived.fetch_add(1, Ordering::Relaxed);
    }
    let event: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let mut words = event["data"]["text"].as_str().unwrap_or("").split(' ');
    let sent = words.nth(1).and_then(|n| n.parse::<u128>().ok());
    if let (Some(sent), Some("m")) = (sent, words.next()) {
        let at = now.duration_since(window.base).as_nanos();
        let nanos = u64::try_from(at.saturating_sub(sent)).unwrap_or(u64::MAX);
        if let Ok(mut l) = heard.latencies.lock() {
            l.record(std::time::Duration::from_nanos(nanos));
        }
    }
    StatusCode::OK
}
