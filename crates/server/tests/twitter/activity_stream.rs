//! The X Activity API's stream (issue 18), `GET /2/activity/stream`, through the real server on
//! both backends: what it hears while open. (Envelopes and backfill: `activity`.)

use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::account_activity::{authorize, server};
use crate::activity::bearer;
use crate::client::app_keys_and_bearer;
use crate::common::TestServer;

crate::on_every_backend!(an_open_stream_hears_people_subscribed_to_after_it_opened);

/// The app's activity stream, read line by line into a channel.
pub async fn open_stream(
    server: &TestServer,
    token: &str,
    query: &str,
) -> mpsc::UnboundedReceiver<Value> {
    let response = reqwest::Client::new()
        .get(format!("{}/2/activity/stream{query}", server.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("stream: {e}"));
    assert_eq!(response.status().as_u16(), 200);
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut bytes = response.bytes_stream();
        let mut buffer = String::new();
        while let Some(Ok(chunk)) = bytes.next().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\r\n") {
                let line: String = buffer.drain(..end + 2).collect();
                let line = line.trim();
                if !line.is_empty()
                    && tx
                        .send(serde_json::from_str(line).unwrap_or(Value::Null))
                        .is_err()
                {
                    return;
                }
            }
        }
    });
    rx
}

pub async fn next_line(lines: &mut mpsc::UnboundedReceiver<Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(10), lines.recv())
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no event on the stream"))
}

/// The stream carries every subscription the app has, also those made while it is open.
async fn an_open_stream_hears_people_subscribed_to_after_it_opened() {
    let server = server().await;
    let (bot_id, bot) = server.user("bot").await;
    let (carol_id, carol) = server.user("carol").await;
    server.follow(&carol, &bot_id).await;
    let (keys, app_token) = app_keys_and_bearer(&server, &bot).await;
    authorize(&server, &keys, &carol).await;
    let mut stream = open_stream(&server, &app_token, "").await;
    let (status, made) = bearer(
        &server,
        &app_token,
        "POST",
        "/2/activity/subscriptions",
        Some(json!({"event_type": "dm.received", "filter": {"user_id": carol_id}})),
    )
    .await;
    assert_eq!(status, 200, "{made}");
    // Live only: messages sent before the stream hears Carol are not carried, so send until
    // one is (it looks for new subscriptions every 2 s).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let line = loop {
        server.dm(&bot, &carol_id, "are you there?").await;
        if let Ok(Some(line)) = tokio::time::timeout(Duration::from_secs(1), stream.recv()).await {
            break line;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the open stream never heard Carol's messages"
        );
    };
    assert_eq!(
        (
            line["data"]["event_type"].clone(),
            line["data"]["filter"]["user_id"].clone()
        ),
        (json!("dm.received"), json!(carol_id)),
        "{line}"
    );
    drop(carol);
}
