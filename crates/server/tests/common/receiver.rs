//! A webhook receiver on 127.0.0.1 for the tests, at `<url>` (`/hook`): answers a CRC (a
//! `GET` with `crc_token`) as Twitter's documentation has it, with `consumer_secret` (wrongly
//! when told to), takes deliveries with `status` (changeable), can leave the next delivery
//! unanswered (`hang_next`, for a node killed mid-delivery), and reports every request.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::sync::mpsc;

/// A delivery as it arrived.
pub struct Heard {
    pub headers: HeaderMap,
    pub body: String,
}

impl Heard {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub struct Receiver {
    pub url: String,
    pub status: Arc<AtomicU16>,
    pub wrong_crc: Arc<AtomicBool>,
    /// Answer CRCs with 503, as a receiver that is down.
    pub crc_down: Arc<AtomicBool>,
    pub hang_next: Arc<AtomicBool>,
    pub heard: mpsc::UnboundedReceiver<Heard>,
    pub crcs: mpsc::UnboundedReceiver<HeaderMap>,
}

/// `sha256=` and the base64 HMAC-SHA256 of `message` with `secret`: Twitter's signatures.
pub fn sign(secret: &str, message: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|e| panic!("hmac: {e}"));
    mac.update(message);
    format!(
        "sha256={}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

#[derive(Clone)]
struct Shared {
    secret: String,
    status: Arc<AtomicU16>,
    wrong_crc: Arc<AtomicBool>,
    crc_down: Arc<AtomicBool>,
    hang_next: Arc<AtomicBool>,
    heard: mpsc::UnboundedSender<Heard>,
    crcs: mpsc::UnboundedSender<HeaderMap>,
}

/// A receiver answering CRCs with `consumer_secret` (any secret, for native webhooks).
pub async fn receiver(consumer_secret: &str) -> Receiver {
    let (tx, heard) = mpsc::unbounded_channel();
    let (crc_tx, crcs) = mpsc::unbounded_channel();
    let shared = Shared {
        secret: consumer_secret.to_owned(),
        status: Arc::new(AtomicU16::new(200)),
        wrong_crc: Arc::new(AtomicBool::new(false)),
        crc_down: Arc::new(AtomicBool::new(false)),
        hang_next: Arc::new(AtomicBool::new(false)),
        heard: tx,
        crcs: crc_tx,
    };
    let app = axum::Router::new()
        .route(
            "/hook",
            axum::routing::get(
                |State(s): State<Shared>,
                 headers: HeaderMap,
                 Query(q): Query<std::collections::HashMap<String, String>>| async move {
                    let _ = s.crcs.send(headers);
                    if s.crc_down.load(Ordering::SeqCst) {
                        return StatusCode::SERVICE_UNAVAILABLE.into_response();
                    }
                    let token = q.get("crc_token").cloned().unwrap_or_default();
                    let key = if s.wrong_crc.load(Ordering::SeqCst) {
                        "wrong"
                    } else {
                        s.secret.as_str()
                    };
                    axum::Json(json!({"response_token": sign(key, token.as_bytes())}))
                        .into_response()
                },
            )
            .post(
                |State(s): State<Shared>, headers: HeaderMap, body: String| async move {
                    let _ = s.heard.send(Heard { headers, body });
                    if s.hang_next.swap(false, Ordering::SeqCst) {
                        std::future::pending::<()>().await;
                    }
                    StatusCode::from_u16(s.status.load(Ordering::SeqCst))
                        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
                },
            ),
        )
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Receiver {
        url: format!("http://127.0.0.1:{}/hook", addr.port()),
        status: shared.status,
        wrong_crc: shared.wrong_crc,
        crc_down: shared.crc_down,
        hang_next: shared.hang_next,
        heard,
        crcs,
    }
}

impl Receiver {
    /// The next delivery, within `within`.
    pub async fn next(&mut self, within: Duration) -> Heard {
        tokio::time::timeout(within, self.heard.recv())
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("no delivery within {within:?}"))
    }
}
