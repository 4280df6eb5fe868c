//! The real-time stream: `GET /api/v1/stream` (WebSocket) and `GET /api/v1/stream/sse`.
//! Both carry the frames of [`postern_service::stream::EventStream`]; `?since=POSITION`
//! replays everything after it first.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use postern_core::Error;
use postern_service::stream::EventStream;
use serde::Deserialize;
use tokio::sync::watch;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, Query};

/// WebSocket buffer sizes. axum's defaults (128 KiB write buffer, 64 KiB read buffer
/// reserved up front) cost ~134 KiB per idle connection; frames here are small JSON.
#[derive(Debug, Clone, Copy)]
pub struct StreamConfig {
    pub read_buffer: usize,
    pub write_buffer: usize,
    pub max_message: usize,
    pub ping_every: Duration,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            read_buffer: 4096,
            write_buffer: 0,
            max_message: 64 * 1024,
            ping_every: Duration::from_secs(30),
        }
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(websocket))
        .routes(routes!(sse))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct StreamParams {
    /// Resume after this position: every stored event after it is replayed first.
    since: Option<String>,
}

fn since(p: &StreamParams) -> Result<Option<i64>, Error> {
    p.since
        .as_deref()
        .map(|s| {
            postern_core::ids::canonical_key(s).map_err(|_| {
                Error::invalid(
                    "since",
                    "must be a stream position (a non-negative integer)",
                )
            })
        })
        .transpose()
}

/// `GET /api/v1/stream` (WebSocket upgrade).
#[utoipa::path(get, path = "/stream", tag = "stream", params(StreamParams),
    description = "The caller's real-time events as a WebSocket: JSON text frames `{\"type\", \"position\"?, \"data\"}`, first any replayed events, then `ready`, then live ones. Closed with code 1012 when the server restarts: reconnect and resume with `since`.",
    responses((status = 101, description = "switching to the WebSocket protocol"),
        (status = 426, description = "not a WebSocket handshake: `Upgrade` says what this speaks", body = crate::error::ErrorBody)))]
async fn websocket(
    State(s): State<AppState>,
    Auth(c): Auth,
    Query(p): Query<StreamParams>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let Ok(ws) = ws else {
        return Ok(upgrade_required());
    };
    let stream = s.services.open_stream(c.user_id, since(&p)?).await?;
    let cfg = s.stream;
    Ok(ws
        .read_buffer_size(cfg.read_buffer)
        .write_buffer_size(cfg.write_buffer)
        .max_write_buffer_size(cfg.max_message.max(cfg.write_buffer + 1))
        .max_message_size(cfg.max_message)
        .on_upgrade(move |socket| pump(socket, stream, cfg.ping_every, s.stopping))
        .into_response())
}

/// The answer to a plain request for the WebSocket stream: what it speaks, in the error shape
/// (axum's own answer is a bare-text 400).
fn upgrade_required() -> Response {
    let mut response = crate::error::plain(
        StatusCode::UPGRADE_REQUIRED,
        "websocket_required",
        "this is a WebSocket endpoint: open it with a WebSocket handshake, or read the same \
         events as Server-Sent Events from /api/v1/stream/sse"
            .to_owned(),
        None,
    );
    response
        .headers_mut()
        .insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    response
}

/// Forwards frames until either side goes away. Client messages are ignored (the stream is
/// one-way), but reading them is how closes and pongs are noticed.
async fn pump(
    socket: WebSocket,
    mut stream: EventStream,
    ping_every: Duration,
    mut stopping: watch::Receiver<bool>,
) {
    let (mut tx, mut rx) = socket.split();
    let mut ping = tokio::time::interval(ping_every);
    ping.tick().await;
    loop {
        tokio::select! {
            () = stopped(&mut stopping) => {
                // 1012, "service restart": the client reconnects and resumes from its
                // position, on another node if there is one.
                let close = CloseFrame {
                    code: 1012,
                    reason: "the server is restarting: reconnect".into(),
                };
                let _ = tx.send(Message::Close(Some(close))).await;
                return;
            }
            frame = stream.next_frame() => match frame {
                Ok(Some(frame)) => {
                    if tx.send(Message::Text(frame.text.into())).await.is_err() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "stream failed; closing so the client resumes");
                    break;
                }
            },
            incoming = rx.next() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                if tx.send(Message::Ping(Default::default())).await.is_err() {
                    return;
                }
            }
        }
    }
    let _ = tx.close().await;
}

/// Completes when the server starts stopping (or is gone).
async fn stopped(stopping: &mut watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}

#[utoipa::path(get, path = "/stream/sse", tag = "stream", params(StreamParams,
        ("Last-Event-ID" = Option<String>, Header, description = "resume after this position, as EventSource sends it")),
    responses((status = 200, description = "the same frames as Server-Sent Events, each with its position as the event id", content_type = "text/event-stream", body = String)))]
/// `GET /api/v1/stream/sse`: the same frames as Server-Sent Events; the SSE `id` is the
/// position, so `Last-Event-ID` also resumes.
async fn sse(
    State(s): State<AppState>,
    Auth(c): Auth,
    headers: axum::http::HeaderMap,
    Query(p): Query<StreamParams>,
) -> ApiResult<Response> {
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let last_event_id = last_event_id
        .map(|id| {
            postern_core::ids::canonical_key(&id).map_err(|_| {
                Error::invalid(
                    "Last-Event-ID",
                    "must be a stream position this stream sent as an event id",
                )
            })
        })
        .transpose()?;
    // `since` names the position outright; the header is what a reconnecting EventSource
    // sends on its own.
    let resume = since(&p)?.or(last_event_id);
    let stream = s.services.open_stream(c.user_id, resume).await?;
    let mut stopping = s.stopping.clone();
    let events = futures::stream::unfold(stream, |mut stream| async move {
        match stream.next_frame().await {
            Ok(Some(frame)) => {
                let event = Event::default().data(frame.text);
                let event = match frame.position {
                    Some(p) => event.id(p.to_string()),
                    None => event,
                };
                Some((Ok::<_, Infallible>(event), stream))
            }
            _ => None,
        }
    })
    // Ending the response on shutdown makes an EventSource reconnect (after its retry
    // delay) and resume with Last-Event-ID.
    .take_until(Box::pin(async move { stopped(&mut stopping).await }));
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
}
