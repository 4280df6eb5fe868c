//! Stopping the server: open streams are told at once to reconnect.

use std::time::{Duration, Instant};

use futures::StreamExt;

use crate::common::TestServer;

/// SIGTERM left WebSocket and SSE streams hanging for the whole grace period, then cut them
/// with no close frame. Now a WebSocket gets close code 1012 (service restart) and an SSE
/// response ends, both at once, and the server is done well within the grace period.
async fn stopping_closes_streams_at_once_with_a_reason() {
    let mut srv = TestServer::start().await;
    let (_, token) = srv.user("alice").await;
    let mut ws = srv.ws(&token, None).await;
    ws.next_of("ready").await;
    let sse = reqwest::Client::new()
        .get(format!("{}/api/v1/stream/sse", srv.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("sse: {e}"));
    assert_eq!(sse.status(), 200);
    let mut sse = sse.bytes_stream();
    let ready = sse.next().await;
    assert!(ready.is_some_and(|r| r.is_ok()), "the ready event");

    let running = srv.running.take().unwrap_or_else(|| panic!("running"));
    let started = Instant::now();
    let stopping = tokio::spawn(running.stop(Duration::from_secs(20)));
    assert_eq!(ws.close_code_within(2_000).await, Some(1012));
    let ended = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(Ok(_)) = sse.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the SSE response ended");
    let _ = stopping.await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "stopped after {:?}",
        started.elapsed()
    );
}

crate::on_every_backend!(stopping_closes_streams_at_once_with_a_reason);
