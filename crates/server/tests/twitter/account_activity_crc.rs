//! Account Activity webhooks asked the CRC again (issue 18, item 3): every day on the
//! server's standing clock, and a webhook silent too long goes invalid until its owner
//! re-checks it.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{Value, json};

use crate::account_activity::{BASE, Receiver, call, receiver, register, server, webhooks_listed};
use crate::client::{Keys, app_keys};
use crate::common::{TestServer, s};

crate::on_every_backend!(
    the_crc_is_asked_again_each_day,
    a_webhook_silent_for_28_hours_goes_invalid,
);

/// A webhook answers the CRC again a day after it last did (on the server's standing clock);
/// a wrong answer then makes it invalid until its owner re-checks it.
async fn the_crc_is_asked_again_each_day() {
    let server = server().await;
    let Registered {
        keys,
        mut rx,
        start,
        ..
    } = registered(&server).await;

    server.stand_at(&(start + chrono::Duration::hours(25)).to_rfc3339());
    assert!(asked_crc(&mut rx).await, "asked again a day later");
    assert_eq!(
        valid(&keys, &server).await,
        json!(true),
        "answered: still valid"
    );

    rx.wrong_crc.store(true, Ordering::SeqCst);
    server.stand_at(&(start + chrono::Duration::hours(50)).to_rfc3339());
    assert!(asked_crc(&mut rx).await, "asked again the next day");
    goes_invalid(&keys, &server, "a wrong answer never made it invalid").await;
}

/// A receiver that does not answer the CRC stays valid (and delivering) for 28 hours after
/// its last answer, as Twitter allows; then it goes invalid until its owner checks it again.
async fn a_webhook_silent_for_28_hours_goes_invalid() {
    let server = server().await;
    let Registered {
        keys,
        mut rx,
        start,
        webhook,
    } = registered(&server).await;
    let hook_path = format!("{BASE}/dev/webhooks/{webhook}.json");

    rx.crc_down.store(true, Ordering::SeqCst);
    server.stand_at(&(start + chrono::Duration::hours(25)).to_rfc3339());
    assert!(asked_crc(&mut rx).await, "asked a day later");
    // Asked and not answered, 25 hours after its answer: still within the grace.
    server.stand_at(
        &(start + chrono::Duration::hours(25) + chrono::Duration::minutes(31)).to_rfc3339(),
    );
    assert!(asked_crc(&mut rx).await, "asked again half an hour later");
    assert_eq!(
        valid(&keys, &server).await,
        json!(true),
        "silent for 25 h: still valid"
    );

    server.stand_at(&(start + chrono::Duration::hours(29)).to_rfc3339());
    assert!(asked_crc(&mut rx).await, "asked again");
    goes_invalid(&keys, &server, "silent for 29 hours and still valid").await;
    // Its owner checks it once it answers again: valid.
    rx.crc_down.store(false, Ordering::SeqCst);
    assert_eq!(
        call(&keys, &server, "PUT", &hook_path, &[]).await.status,
        204
    );
    assert_eq!(valid(&keys, &server).await, json!(true));
}

/// A bot's app with its `dev` webhook registered (its CRC answered) at `start`, where the
/// server's clock stands.
struct Registered {
    keys: Keys,
    rx: Receiver,
    start: chrono::DateTime<chrono::Utc>,
    webhook: String,
}

async fn registered(server: &TestServer) -> Registered {
    let (_, bot) = server.user("bot").await;
    let keys = app_keys(server, &bot).await;
    let mut rx = receiver(&keys.consumer_secret).await;
    let start = chrono::Utc::now();
    server.stand_at(&start.to_rfc3339());
    let made = register(server, &keys, &rx).await;
    assert!(rx.crcs.recv().await.is_some());
    Registered {
        keys,
        rx,
        start,
        webhook: s(&made.body["id"]),
    }
}

/// Whether the app's webhook is listed as valid.
async fn valid(keys: &Keys, server: &TestServer) -> Value {
    webhooks_listed(keys, server).await.body[0]["valid"].clone()
}

/// Waits up to 5 s for the webhook to be listed as invalid; fails with `never` if it is not.
async fn goes_invalid(keys: &Keys, server: &TestServer, never: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while valid(keys, server).await != json!(false) {
        assert!(std::time::Instant::now() < deadline, "{never}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Whether a CRC reaches the receiver within 15 s.
async fn asked_crc(rx: &mut Receiver) -> bool {
    tokio::time::timeout(Duration::from_secs(15), rx.crcs.recv())
        .await
        .ok()
        .flatten()
        .is_some()
}
