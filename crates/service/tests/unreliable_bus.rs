//! A bus may lose events (NATS under bursts) or, across nodes, deliver one twice or late.
//! Streams must not: a connection that sees a gap reads the missing events from the store,
//! and one that sees an event again drops it. Here the bus loses every event whose position
//! is a multiple of three and repeats every fifth, and the stream still shows each message
//! once, in order.

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use futures::stream::BoxStream;
use postern_bus::{Bus, Live, MemoryBus};
use postern_core::UserId;
use postern_core::stream::Delivery;
use postern_service::messages::Draft;
use postern_service::stream::EventStream;
use postern_service::{Actor, ServiceConfig};

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

struct UnreliableBus {
    inner: MemoryBus,
}

#[async_trait]
impl Bus for UnreliableBus {
    async fn publish(&self, deliveries: Vec<Delivery>) {
        let mut out = Vec::new();
        for d in deliveries {
            match d.position {
                Some(p) if p % 3 == 0 => {}
                Some(p) if p % 5 == 0 => out.extend([d.clone(), d]),
                _ => out.push(d),
            }
        }
        self.inner.publish(out).await;
    }

    async fn subscribe(&self, user: UserId) -> BoxStream<'static, Live> {
        self.inner.subscribe(user).await
    }
}

/// The next frame as (type, position, text).
async fn next(stream: &mut EventStream) -> (String, Option<i64>, String) {
    let frame = tokio::time::timeout(std::time::Duration::from_secs(5), stream.next_frame())
        .await
        .unwrap_or_else(|_| panic!("no frame within 5 s"))
        .unwrap_or_else(|e| panic!("stream: {e}"))
        .unwrap_or_else(|| panic!("stream ended"));
    let value: serde_json::Value =
        serde_json::from_str(&frame.text).unwrap_or_else(|e| panic!("{e}"));
    let field = |v: Option<&serde_json::Value>| {
        v.and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let text = field(value.get("data").and_then(|d| d.get("text")));
    (field(value.get("type")), frame.position, text)
}

#[postern_testkit::test]
async fn streams_stay_complete_and_unique_over_a_bus_that_loses_and_repeats() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bus = UnreliableBus {
        inner: MemoryBus::new(),
    };
    let services = common::services(dir.path(), Arc::new(bus), ServiceConfig::default());
    let (alice, bob) = common::alice_and_bob(&services).await;

    let mut stream = services
        .open_stream(bob, None)
        .await
        .unwrap_or_else(|e| panic!("open stream: {e}"));
    let (kind, start, _) = next(&mut stream).await;
    assert_eq!(kind, "ready");
    let texts: Vec<String> = (0..30).map(|i| format!("message {i}")).collect();
    for text in &texts {
        let draft = Draft {
            text: text.clone(),
            ..Draft::default()
        };
        services
            .send_to_user(&Actor::token(alice), bob, draft)
            .await
            .unwrap_or_else(|e| panic!("send: {e}"));
    }
    // Bob's positions: the conversation's creation, then one per message. The last one is
    // not a multiple of three, so the bus delivers it and any gap before it is noticed.
    let last = start.unwrap_or_default() + 1 + texts.len() as i64;
    assert_ne!(last % 3, 0);
    let mut seen = Vec::new();
    let mut position = start.unwrap_or_default();
    while position < last {
        let (kind, p, text) = next(&mut stream).await;
        let p = p.unwrap_or_else(|| panic!("{kind} without a position"));
        assert_eq!(p, position + 1, "positions follow each other");
        position = p;
        if kind == "message.created" {
            seen.push(text);
        }
    }
    assert_eq!(seen, texts, "every message once, in order");
}
