//! Several nodes, one installation: three `postern serve` processes share one PostgreSQL
//! database and one NATS server. People connected to different nodes message each other
//! one-to-one and in a group and see each other's typing and read receipts live; then one
//! node is killed mid-conversation, and its user reconnects to another node, resumes from
//! their last position with no gap and no duplicate, and retries the send the kill cut off.
//! Webhooks: a node killed mid-delivery loses nothing, and events stored on two nodes at once
//! reach one webhook in order.

#![expect(
    clippy::indexing_slicing,
    reason = "serde_json::Value indexing by key yields null rather than panicking"
)]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::process::{free_port, serve, wait_healthy};
use common::receiver::receiver;
use common::{Client, Ws, s};
use postern_testkit::postgres::TestDatabase;
use postern_testkit::services::nats_url;
use serde_json::json;
use tokio::process::Child;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

/// Group messages each person sends in the second part.
const EACH: usize = 40;
/// Bob's node dies once his stream has shown this many of them.
const KILL_AFTER: usize = 25;

/// Starts three nodes at once (they migrate the empty database concurrently); returns a
/// client for each and the processes.
async fn cluster(db: &TestDatabase, data_dir: &std::path::Path) -> (Vec<Client>, Vec<Child>) {
    cluster_of(3, db, data_dir, &[]).await
}

/// Starts `n` nodes at once, with `more` settings besides the bus's.
async fn cluster_of(
    n: usize,
    db: &TestDatabase,
    data_dir: &std::path::Path,
    more: &[(&str, &str)],
) -> (Vec<Client>, Vec<Child>) {
    let mut env = vec![("POSTERN__BUS__SUBJECT_PREFIX", db.name.as_str())];
    env.extend_from_slice(more);
    let (apis, processes): (Vec<Client>, Vec<Child>) = (0..n)
        .map(|_| {
            let port = free_port();
            let args = [
                "--database-url",
                &db.url,
                "--bus-url",
                &nats_url(),
                "--data-dir",
                &data_dir.display().to_string(),
            ]
            .map(str::to_owned);
            (
                Client::new(&format!("http://127.0.0.1:{port}")),
                serve(port, args, &env),
            )
        })
        .unzip();
    for api in &apis {
        wait_healthy(api).await;
    }
    (apis, processes)
}

/// A person: their id, token, and the node they use.
struct Person {
    id: String,
    token: String,
}

/// Reads frames until `count` `message.created` frames arrived (or the connection broke);
/// checks each stored frame's position follows the last one. Returns the messages' texts.
async fn read_messages(ws: &mut Ws, last: &mut u64, count: usize) -> Option<Vec<String>> {
    let mut texts = Vec::new();
    while texts.len() < count {
        let frame = ws.next_or_closed().await?;
        if let Some(position) = frame["position"].as_str() {
            let position: u64 = position.parse().unwrap_or_else(|e| panic!("{e}"));
            if frame["type"] != "ready" {
                assert_eq!(position, *last + 1, "positions follow each other: {frame}");
            }
            *last = position;
        }
        if frame["type"] == "message.created" {
            texts.push(s(&frame["data"]["text"]));
        }
    }
    Some(texts)
}

async fn send(api: &Client, who: &Person, conversation: &str, text: &str) -> reqwest::Result<u16> {
    let key = text.replace(' ', "-");
    let (status, _, body) = api
        .try_call(
            "POST",
            &format!("/api/v1/conversations/{conversation}/messages"),
            Some(&who.token),
            Some(json!({ "text": text })),
            &[("Idempotency-Key", &key)],
        )
        .await?;
    assert!(status == 201 || status == 200, "{text}: {status} {body}");
    Ok(status)
}

#[postern_testkit::test(needs(Postgres, Nats))]
async fn three_nodes_share_conversations_and_survive_losing_one() {
    let db = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (apis, mut processes) = cluster(&db, dir.path()).await;
    let [n0, n1, n2] = &apis[..] else {
        unreachable!("three nodes")
    };
    let mut people = Vec::new();
    for (api, name) in [n0, n1, n2].into_iter().zip(["alice", "bob", "carol"]) {
        let (id, token) = api.user(name).await;
        people.push(Person { id, token });
    }
    let [alice, bob, carol] = &people[..] else {
        unreachable!("three people")
    };
    for (api, me) in [(n0, alice), (n1, bob), (n2, carol)] {
        for other in [alice, bob, carol].into_iter().filter(|p| p.id != me.id) {
            api.follow(&me.token, &other.id).await;
        }
    }
    let mut alice_ws = n0.ws(&alice.token, None).await;
    let mut bob_ws = n1.ws(&bob.token, None).await;
    let mut carol_ws = n2.ws(&carol.token, None).await;
    for ws in [&mut alice_ws, &mut bob_ws, &mut carol_ws] {
        ws.next_of("ready").await;
    }

    // One-to-one across nodes: the message, typing and the read receipt travel live.
    let m = n0.dm(&alice.token, &bob.id, "hello from node 0").await;
    let frame = bob_ws.next_of("message.created").await;
    assert_eq!(frame["data"]["text"], "hello from node 0");
    let one_to_one = s(&m["conversation_id"]);
    let typing_path = format!("/api/v1/conversations/{one_to_one}/typing");
    let (status, _) = n1.call("POST", &typing_path, Some(&bob.token), None).await;
    assert_eq!(status, 204);
    assert_eq!(
        alice_ws.next_of("typing").await["data"]["user_id"],
        bob.id.as_str()
    );
    let read_path = format!("/api/v1/conversations/{one_to_one}/read");
    n1.call("POST", &read_path, Some(&bob.token), None).await;
    let read = alice_ws.next_of("conversation.read").await;
    assert_eq!(read["data"]["last_read_event_id"], m["id"]);

    // A group made on node 2 reaches everyone on their own node.
    let (status, group) = n2
        .call(
            "POST",
            "/api/v1/conversations",
            Some(&carol.token),
            Some(json!({"participant_ids": [alice.id, bob.id], "name": "three nodes"})),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let group = s(&group["id"]);
    send(n2, carol, &group, "welcome, all")
        .await
        .unwrap_or_else(|e| panic!("welcome: {e}"));
    for ws in [&mut alice_ws, &mut bob_ws, &mut carol_ws] {
        assert_eq!(
            ws.next_of("message.created").await["data"]["text"],
            "welcome, all"
        );
    }
    // Fresh streams from here, so every frame that follows is checked for gaps.
    drop((alice_ws, bob_ws, carol_ws));
    let mut alice_ws = n0.ws(&alice.token, None).await;
    let mut bob_ws = n1.ws(&bob.token, None).await;
    let (mut alice_last, mut bob_last) = (0, 0);

    // Everyone talks at once; Bob's node dies partway through.
    let mut expected = BTreeSet::new();
    let mut senders = Vec::new();
    for (name, who, api) in [("alice", alice, n0), ("carol", carol, n2)] {
        let (api, token, group) = (Client::new(&api.base), who.token.clone(), group.clone());
        let texts: Vec<String> = (0..EACH).map(|i| format!("{name} {i}")).collect();
        expected.extend(texts.iter().cloned());
        let me = Person {
            id: who.id.clone(),
            token,
        };
        senders.push(tokio::spawn(async move {
            for text in texts {
                send(&api, &me, &group, &text)
                    .await
                    .unwrap_or_else(|e| panic!("{text}: {e}"));
                tokio::time::sleep(Duration::from_millis(15)).await;
            }
        }));
    }
    let bob_texts: Vec<String> = (0..EACH).map(|i| format!("bob {i}")).collect();
    expected.extend(bob_texts.iter().cloned());
    let bob_sender = {
        let (first, fallback) = (Client::new(&n1.base), Client::new(&n2.base));
        let me = Person {
            id: bob.id.clone(),
            token: bob.token.clone(),
        };
        let group = group.clone();
        tokio::spawn(async move {
            let mut api = &first;
            for text in bob_texts {
                // A send cut off by the kill is retried on another node with the same
                // idempotency key: it must end up stored once either way.
                if send(api, &me, &group, &text).await.is_err() {
                    api = &fallback;
                    send(api, &me, &group, &text)
                        .await
                        .unwrap_or_else(|e| panic!("{text} (retry): {e}"));
                }
                tokio::time::sleep(Duration::from_millis(15)).await;
            }
        })
    };

    let mut bob_seen = read_messages(&mut bob_ws, &mut bob_last, KILL_AFTER)
        .await
        .unwrap_or_else(|| panic!("Bob's stream closed before the kill"));
    processes
        .get_mut(1)
        .map(Child::start_kill)
        .unwrap_or_else(|| unreachable!("three nodes"))
        .unwrap_or_else(|e| panic!("kill: {e}"));
    // Frames in flight when the node died are lost with the connection; resuming brings
    // them back.
    while let Some(texts) = read_messages(&mut bob_ws, &mut bob_last, 1).await {
        bob_seen.extend(texts);
    }
    let mut bob_ws = n2.ws(&bob.token, Some(&bob_last.to_string())).await;
    let missing = expected.len().saturating_sub(bob_seen.len());
    let resumed = read_messages(&mut bob_ws, &mut bob_last, missing)
        .await
        .unwrap_or_else(|| panic!("node 2 closed Bob's stream"));
    bob_seen.extend(resumed);

    let alice_seen = read_messages(&mut alice_ws, &mut alice_last, expected.len())
        .await
        .unwrap_or_else(|| panic!("node 0 closed Alice's stream"));
    for task in senders.into_iter().chain([bob_sender]) {
        task.await.unwrap_or_else(|e| panic!("sender: {e}"));
    }
    for (who, seen) in [("bob", &bob_seen), ("alice", &alice_seen)] {
        let unique: BTreeSet<String> = seen.iter().cloned().collect();
        assert_eq!(unique.len(), seen.len(), "{who} saw a message twice");
        assert_eq!(unique, expected, "{who} saw every message");
    }
    while let Some(extra) = bob_ws.frame_within(300).await {
        assert_ne!(
            extra["type"], "message.created",
            "one message too many: {extra}"
        );
    }

    // The group's history, read through a surviving node, holds each message once.
    let stored: Vec<String> = n0
        .messages(&alice.token, &group)
        .await
        .into_iter()
        .map(|(text, _)| text)
        .filter(|t| t != "welcome, all")
        .collect();
    let unique: BTreeSet<String> = stored.iter().cloned().collect();
    assert_eq!(stored.len(), unique.len(), "history holds duplicates");
    assert_eq!(unique, expected);
    drop(processes);
}

/// A node killed while delivering a webhook loses nothing: its lease (3 s here) runs out,
/// another node carries on from the last event delivered, and the receiver gets every event
/// in order; the one cut off comes again with the same id.
#[postern_testkit::test(needs(Postgres, Nats))]
async fn a_node_killed_mid_delivery_loses_no_webhook_event() {
    let db = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let env = [
        ("POSTERN__BUS__SUBJECT_PREFIX", db.name.as_str()),
        ("POSTERN__WEBHOOKS__LEASE_SECS", "3"),
        ("POSTERN__OUTBOUND__ALLOW", "[\"127.0.0.1\"]"),
    ];
    let node = || {
        let port = free_port();
        let args = [
            "--database-url",
            &db.url,
            "--bus-url",
            &nats_url(),
            "--data-dir",
            &dir.path().display().to_string(),
        ]
        .map(str::to_owned);
        (
            Client::new(&format!("http://127.0.0.1:{port}")),
            serve(port, args, &env),
        )
    };
    let (a, mut a_process) = node();
    wait_healthy(&a).await;
    let (bot_id, bot) = a.user("bot").await;
    let (carol_id, carol) = a.user("carol").await;
    a.follow(&bot, &carol_id).await;
    // The receiver leaves its first delivery unanswered: node A is killed waiting for it.
    let mut rx = receiver("").await;
    rx.hang_next
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let url = rx.url.clone();
    let (status, made) = a
        .call(
            "POST",
            "/api/v1/webhooks",
            Some(&bot),
            Some(json!({"url": url, "events": ["message.created"]})),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    for i in 0..5 {
        a.dm(&carol, &bot_id, &format!("m{i}")).await;
    }
    // Node A is delivering m0 and waits for an answer that never comes: kill it there.
    let (cut_id, cut_text) = next_heard(&mut rx).await;
    assert_eq!(cut_text, "m0");
    let (b, _b_process) = node();
    wait_healthy(&b).await;
    a_process
        .start_kill()
        .unwrap_or_else(|e| panic!("kill: {e}"));
    let _ = a_process.wait().await;

    let mut texts = Vec::new();
    while texts.len() < 5 {
        let (id, text) = next_heard(&mut rx).await;
        if text == "m0" {
            assert_eq!(id, cut_id, "the event cut off comes again with its id");
        }
        if texts.last() != Some(&text) {
            texts.push(text);
        }
    }
    assert_eq!(
        texts,
        ["m0", "m1", "m2", "m3", "m4"],
        "every event, in order"
    );
    let log = b.deliveries(&bot, &s(&made["webhook"]["id"]), 5).await;
    assert_eq!(log.len(), 5, "node B logged its five: {log:?}");
}

/// Events for one account stored on two nodes at once all reach its webhook, once each and
/// in the account's stream order: each node leases the account's subscription for the events
/// it stored, and one that finds it leased by the other looks again after it.
#[postern_testkit::test(needs(Postgres, Nats))]
async fn events_stored_on_two_nodes_reach_one_webhook_in_order() {
    const EACH: usize = 15;
    let db = TestDatabase::create().await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let allow = [("POSTERN__OUTBOUND__ALLOW", "[\"127.0.0.1\"]")];
    let (nodes, processes) = cluster_of(2, &db, dir.path(), &allow).await;
    let (a, b) = (&nodes[0], &nodes[1]);
    let (bot_id, bot) = a.user("bot").await;
    let (carol_id, carol) = a.user("carol").await;
    let (dave_id, dave) = a.user("dave").await;
    a.follow(&bot, &carol_id).await;
    a.follow(&bot, &dave_id).await;
    let mut rx = receiver("").await;
    let (status, made) = a
        .call(
            "POST",
            "/api/v1/webhooks",
            Some(&bot),
            Some(json!({"url": rx.url, "events": ["message.created"]})),
        )
        .await;
    assert_eq!(status, 201, "{made}");

    // Carol writes through node A while Dave writes through node B.
    tokio::join!(
        write_each(a, &carol, &bot_id, "a", EACH),
        write_each(b, &dave, &bot_id, "b", EACH)
    );

    let mut heard: Vec<String> = Vec::new();
    let mut ids = std::collections::HashMap::new();
    while heard.len() < 2 * EACH {
        let (id, text) = next_heard(&mut rx).await;
        match ids.insert(text.clone(), id.clone()) {
            Some(first) => assert_eq!(first, id, "{text} came again with another id"),
            None => heard.push(text),
        }
    }
    for node in ["a", "b"] {
        let written: Vec<String> = (0..EACH).map(|i| format!("{node}{i}")).collect();
        let delivered: Vec<String> = heard
            .iter()
            .filter(|t| t.starts_with(node))
            .cloned()
            .collect();
        assert_eq!(
            delivered, written,
            "node {node}'s messages, in the order written"
        );
    }
    drop(processes);
}

/// Sends `to` `n` messages through `api`, texts `{tag}0`, `{tag}1`, … in turn.
async fn write_each(api: &Client, token: &str, to: &str, tag: &str, n: usize) {
    for i in 0..n {
        api.dm(token, to, &format!("{tag}{i}")).await;
    }
}

/// The next delivery's event id and message text, within 20 s.
async fn next_heard(rx: &mut common::receiver::Receiver) -> (String, String) {
    let event = rx.next(Duration::from_secs(20)).await.json();
    (s(&event["id"]), s(&event["data"]["text"]))
}
