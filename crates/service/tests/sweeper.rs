//! The sweeper runs on its own: with a key window of zero hours every key is expired as soon
//! as it is claimed, and a sweeper ticking every few milliseconds forgets it without being
//! asked, and sign-up tokens that expire at once go the same way. It ends when its shutdown
//! completes.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use postern_bus::MemoryBus;
use postern_core::limits::Limits;
use postern_core::model::InboxBox;
use postern_core::{ConversationId, UserId};
use postern_service::messages::Draft;
use postern_service::{Actor, ServiceConfig, Services};
use postern_store::{NewMessage, OneToOneSetup, TokenKind};

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

/// Whether `key` of `from`'s is still stored: a retry that accepts a key of any age is
/// answered from it (and then writes nothing).
async fn key_is_stored(services: &Services, from: UserId, to: UserId, key: &str) -> bool {
    let retry = NewMessage {
        conversation_id: ConversationId::one_to_one(from, to),
        sender_id: from,
        text: "again".into(),
        entities: Default::default(),
        reply_to_id: None,
        media: None,
        client_key: Some(key.into()),
        idempotent_since: DateTime::<Utc>::UNIX_EPOCH,
        setup: Some(OneToOneSetup {
            recipient: to,
            recipient_box: InboxBox::Primary,
        }),
        notify: vec![from, to],
        also: Default::default(),
        parts: Default::default(),
    };
    services
        .store()
        .append_message(retry)
        .await
        .unwrap_or_else(|e| panic!("retry: {e}"))
        .duplicate
}

#[postern_testkit::test]
async fn the_sweeper_forgets_expired_keys_on_its_own_and_stops_when_told() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let config = ServiceConfig {
        limits: Limits {
            idempotency_hours: 0,
            ..Limits::default()
        },
        sweep_every: Duration::from_millis(10),
        // Sign-up tokens that expire at once, for the sweeper to remove.
        login_token_days: 0,
        ..ServiceConfig::default()
    };
    let services = common::services(dir.path(), Arc::new(MemoryBus::new()), config);
    let (alice, bob) = common::alice_and_bob(&services).await;
    let draft = Draft {
        text: "hello".into(),
        reply_to_id: None,
        media_id: None,
        client_key: Some("k1".into()),
        interactive: Default::default(),
    };
    let sent = services
        .send_to_user(&Actor::token(alice), bob, draft)
        .await
        .unwrap_or_else(|e| panic!("send: {e}"));
    assert!(sent.created);
    // Nothing sweeps yet, so the key is there (the probe itself must be able to see it).
    assert!(key_is_stored(&services, alice, bob, "k1").await);

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let sweeper = services.spawn_sweeper(async move {
        let _ = stopped.await;
    });
    tokio::time::timeout(Duration::from_secs(10), async {
        while key_is_stored(&services, alice, bob, "k1").await {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the key was not swept within 10 s"));
    // The sign-up tokens expired at once; the same sweeps remove them.
    let store = services.store().clone();
    tokio::time::timeout(Duration::from_secs(10), async {
        while !store
            .tokens(alice, TokenKind::Personal)
            .await
            .unwrap_or_else(|e| panic!("tokens: {e}"))
            .is_empty()
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("expired tokens were not swept within 10 s"));

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), sweeper)
        .await
        .unwrap_or_else(|_| panic!("the sweeper did not stop within 10 s"))
        .unwrap_or_else(|e| panic!("the sweeper failed: {e}"));
}
