//! The NATS bus against a real NATS server (127.0.0.1:4222, or `POSTERN_TEST_NATS`).

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use postern_bus::{Bus, Live, NatsBus};
use postern_core::UserId;
use postern_core::stream::{Delivery, EventBody};
use postern_testkit::services::nats_url;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

async fn node(prefix: &str) -> NatsBus {
    let url = nats_url();
    NatsBus::connect(&url, prefix)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to NATS at {url}: {e}"))
}

/// A subject prefix no other test run shares.
fn prefix() -> String {
    format!(
        "postern-test-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    )
}

fn delivery(user: i64, position: Option<i64>, data: &str) -> Delivery {
    Delivery {
        user_id: UserId(user),
        position,
        body: Arc::new(EventBody {
            kind: "message.created".into(),
            data: data.into(),
        }),
    }
}

async fn next_event(live: &mut futures::stream::BoxStream<'static, Live>) -> Delivery {
    match tokio::time::timeout(Duration::from_secs(5), live.next()).await {
        Ok(Some(Live::Event(d))) => d,
        other => panic!("expected an event, got {other:?}"),
    }
}

#[postern_testkit::test(needs(Nats))]
async fn events_published_on_one_node_reach_subscribers_on_another() {
    let prefix = prefix();
    let (a, b) = (node(&prefix).await, node(&prefix).await);
    let mut on_b = b.subscribe(UserId(7)).await;
    let mut also_on_a = a.subscribe(UserId(7)).await;
    let mut other_user = b.subscribe(UserId(8)).await;
    a.publish(vec![
        delivery(7, Some(1), r#"{"text":"one"}"#),
        delivery(7, None, r#"{"typing":true}"#),
        delivery(7, Some(2), r#"{"text":"two"}"#),
    ])
    .await;
    for live in [&mut on_b, &mut also_on_a] {
        let first = next_event(live).await;
        assert_eq!(
            (first.position, first.body.data.as_str()),
            (Some(1), r#"{"text":"one"}"#)
        );
        assert_eq!(
            next_event(live).await.position,
            None,
            "ephemeral events pass through"
        );
        assert_eq!(next_event(live).await.position, Some(2));
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(200), other_user.next())
            .await
            .is_err(),
        "another user's subscription hears nothing"
    );
}

#[postern_testkit::test(needs(Nats))]
async fn installations_with_different_prefixes_do_not_hear_each_other() {
    let (a, b) = (node(&prefix()).await, node(&prefix()).await);
    let mut on_b = b.subscribe(UserId(1)).await;
    a.publish(vec![delivery(1, Some(1), "{}")]).await;
    assert!(
        tokio::time::timeout(Duration::from_millis(300), on_b.next())
            .await
            .is_err()
    );
}

#[postern_testkit::test(needs(Nats))]
async fn a_node_stops_listening_when_its_last_connection_for_a_user_ends() {
    let prefix = prefix();
    let (a, b) = (node(&prefix).await, node(&prefix).await);
    let first = b.subscribe(UserId(3)).await;
    let mut second = b.subscribe(UserId(3)).await;
    drop(first);
    a.publish(vec![delivery(3, Some(1), "{}")]).await;
    assert_eq!(
        next_event(&mut second).await.position,
        Some(1),
        "one connection remains"
    );
    drop(second);
    assert_eq!(
        b.listening_users(),
        0,
        "the NATS subscription ended with the last connection"
    );
    let mut again = b.subscribe(UserId(3)).await;
    a.publish(vec![delivery(3, Some(2), "{}")]).await;
    assert_eq!(next_event(&mut again).await.position, Some(2));
}
