//! Forgetting idempotency keys past their window: only expired keys go, a batch at a time,
//! racing sweeps forget each key once, and a forgotten key no longer deduplicates.

use chrono::{DateTime, Duration, Utc};
use postern_core::UserId;
use postern_store::Appended;

use crate::harness::{Harness, Must, conformance};

conformance!(
    sweeping_forgets_only_expired_keys_a_batch_at_a_time,
    racing_sweeps_forget_each_key_once,
);

/// Keyed messages from `from` to `to`, one per key, and the earliest instant after all of
/// them (keys claimed before it are "older than" it).
async fn send_keyed(
    h: &Harness,
    from: UserId,
    to: UserId,
    keys: &[&str],
) -> (Vec<Appended>, DateTime<Utc>) {
    let mut sent = Vec::new();
    for key in keys {
        sent.push(h.send(h.dm(from, to, key, Some(key))).await);
    }
    let last = sent.iter().map(|s| s.message.created_at).max();
    let after = last.must("a message") + Duration::milliseconds(1);
    // Stored times have millisecond precision: wait for the clock to pass `after`, so
    // anything sent next is claimed at or after it.
    while Utc::now() <= after {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    (sent, after)
}

/// A retry of `key` that any surviving key would answer, however old.
async fn retry(h: &Harness, from: UserId, to: UserId, key: &str) -> Appended {
    let mut again = h.dm(from, to, "again", Some(key));
    again.idempotent_since = DateTime::<Utc>::UNIX_EPOCH;
    h.send(again).await
}

async fn sweep(h: &Harness, older_than: DateTime<Utc>, batch: usize) -> usize {
    h.store
        .sweep_idempotency(older_than, batch)
        .await
        .must("sweep")
}

async fn sweeping_forgets_only_expired_keys_a_batch_at_a_time(h: &Harness) {
    let (alice, bob) = (h.user("alice").await, h.user("bob").await);
    let (old, cutoff) = send_keyed(
        h,
        alice,
        bob,
        &["old-0", "old-1", "old-2", "old-3", "old-4"],
    )
    .await;
    let (fresh, _) = send_keyed(h, alice, bob, &["new-0", "new-1"]).await;
    // Bob's key of the same name, claimed after the cutoff, stays: keys are per sender.
    let bobs = h.send(h.dm(bob, alice, "hi", Some("old-0"))).await;
    assert!(!bobs.duplicate && bobs.message.created_at >= cutoff);
    let first_claim = old.first().must("an old send").message.created_at;
    assert_eq!(sweep(h, first_claim, 100).await, 0, "nothing is older yet");

    // Nothing claimed at or after the cutoff goes, and no call takes more than its batch.
    assert_eq!(sweep(h, cutoff, 2).await, 2);
    assert_eq!(sweep(h, cutoff, 2).await, 2);
    assert_eq!(sweep(h, cutoff, 2).await, 1);
    assert_eq!(sweep(h, cutoff, 2).await, 0);

    // A forgotten key makes a new message, however old a send it would accept …
    let again = retry(h, alice, bob, "old-0").await;
    assert!(!again.duplicate);
    assert!(old.iter().all(|s| s.message.id < again.message.id));
    // … and a key claimed after the cutoff still answers with its first message.
    let first = fresh.first().must("a fresh send");
    let dup = retry(h, alice, bob, "new-0").await;
    assert!(dup.duplicate && dup.message == first.message);
    let dup = retry(h, bob, alice, "old-0").await;
    assert!(dup.duplicate && dup.message == bobs.message);

    // With a cutoff after everything, every key goes: the two fresh ones, Bob's, and the one
    // the retry claimed again.
    let later = Utc::now() + Duration::minutes(1);
    assert_eq!(sweep(h, later, 100).await, 4);
    assert_eq!(sweep(h, later, 100).await, 0);
    assert!(!retry(h, alice, bob, "new-1").await.duplicate);
}

async fn racing_sweeps_forget_each_key_once(h: &Harness) {
    let (alice, bob) = (h.user("alice").await, h.user("bob").await);
    let keys: Vec<String> = (0..30).map(|n| format!("k{n}")).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let (_, cutoff) = send_keyed(h, alice, bob, &keys).await;
    // Four sweepers (as on four nodes) at once, each until it finds nothing left: together
    // they forget every key, and each exactly once.
    let sweepers = (0..4).map(|_| {
        let store = h.store.clone();
        tokio::spawn(async move {
            let mut swept = 0;
            loop {
                match store.sweep_idempotency(cutoff, 3).await.must("sweep") {
                    0 => return swept,
                    n => swept += n,
                }
            }
        })
    });
    let swept: usize = futures::future::join_all(sweepers)
        .await
        .into_iter()
        .map(|r| r.must("sweeper task"))
        .sum();
    assert_eq!(swept, 30);
    assert_eq!(sweep(h, cutoff, 100).await, 0);
    assert!(!retry(h, alice, bob, "k7").await.duplicate);
}
