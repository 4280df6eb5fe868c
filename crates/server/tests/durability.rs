//! An acknowledged message survives the process being killed, and is never stored twice:
//! `postern serve` runs as a real process, several clients send a burst into 1:1 and group
//! conversations, the process gets SIGKILL mid-burst (three times), and the restarted server
//! must hold every message that got a 2xx exactly once. Sends cut off by a kill are retried
//! with their idempotency key and must then exist exactly once too, whether or not the first
//! attempt had committed before the kill (both happen: a commit can land just before the
//! process dies, with its answer never sent).

#![expect(
    clippy::indexing_slicing,
    reason = "serde_json::Value indexing by key yields null rather than panicking"
)]

mod common;

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::process::{self, free_port, wait_healthy};
use common::{Client, s};
use serde_json::{Value, json};
use tokio::process::Child;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

const CLIENTS: usize = 8;
const ROUNDS: usize = 3;
/// Acknowledged sends per round before the kill; the burst is still running when it lands.
const KILL_AFTER: usize = 400;

fn spawn_server(data_dir: &Path, port: u16) -> Child {
    process::serve(port, [OsStr::new("--data-dir"), data_dir.as_os_str()], &[])
}

/// One send: where it went, its idempotency key and text.
#[derive(Clone)]
struct Attempt {
    conversation: String,
    key: String,
    text: String,
}

#[derive(Default)]
struct Outcome {
    /// Message id by text, for every send answered 2xx.
    acknowledged: HashMap<String, String>,
    /// The send that was in flight when the connection died, if any.
    in_doubt: Option<Attempt>,
    /// Where this client's numbering resumes.
    next_seq: usize,
}

async fn burst(
    client: Arc<Client>,
    token: String,
    conversations: [String; 2],
    (index, first_seq): (usize, usize),
    acked: Arc<AtomicUsize>,
) -> Outcome {
    let mut outcome = Outcome::default();
    for seq in first_seq.. {
        outcome.next_seq = seq + 1;
        let send = Attempt {
            conversation: conversations[seq % 2].clone(),
            key: format!("c{index}-{seq}"),
            text: format!("client {index} message {seq}"),
        };
        match post(&client, &token, &send).await {
            Ok((201, body)) => {
                outcome.acknowledged.insert(send.text, s(&body["id"]));
                acked.fetch_add(1, Ordering::Relaxed);
            }
            Ok((status, body)) => panic!("unexpected answer {status}: {body}"),
            Err(_) => {
                outcome.in_doubt = Some(send);
                break;
            }
        }
    }
    outcome
}

async fn post(client: &Client, token: &str, send: &Attempt) -> reqwest::Result<(u16, Value)> {
    let (status, _, body) = client
        .try_call(
            "POST",
            &format!("/api/v1/conversations/{}/messages", send.conversation),
            Some(token),
            Some(json!({"text": send.text})),
            &[("Idempotency-Key", send.key.as_str())],
        )
        .await?;
    Ok((status, body))
}

#[postern_testkit::test]
async fn acknowledged_messages_survive_sigkill_exactly_once() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let port = free_port();
    let client = Arc::new(Client::new(&format!("http://127.0.0.1:{port}")));
    let mut server = spawn_server(dir.path(), port);
    wait_healthy(&client).await;

    // A hub who follows and is followed by every sender; each sender writes alternately in
    // its 1:1 with the hub and in one group of everyone.
    let (hub_id, hub) = client.user("hub").await;
    let mut senders = Vec::new();
    for i in 0..CLIENTS {
        let (id, token) = client.user(&format!("sender{i}")).await;
        client.follow(&token, &hub_id).await;
        client.follow(&hub, &id).await;
        senders.push((id, token));
    }
    let ids: Vec<&str> = senders.iter().map(|(id, _)| id.as_str()).collect();
    let (status, group) = client
        .call(
            "POST",
            "/api/v1/conversations",
            Some(&hub),
            Some(json!({"participant_ids": ids, "name": "everyone"})),
        )
        .await;
    assert_eq!(status, 201, "group: {group}");
    let group_id = s(&group["id"]);

    let mut pairs = Vec::new();
    for (index, (_, token)) in senders.iter().enumerate() {
        let hello = format!("hello from {index}");
        pairs.push(s(
            &client.dm(token, &hub_id, &hello).await["conversation_id"],
        ));
    }
    let mut acknowledged = HashMap::new();
    let mut next_seq = vec![0; CLIENTS];
    for _ in 0..ROUNDS {
        let acked = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = senders
            .iter()
            .zip(&pairs)
            .zip(&next_seq)
            .enumerate()
            .map(|(index, (((_, token), pair), seq))| {
                tokio::spawn(burst(
                    client.clone(),
                    token.clone(),
                    [pair.clone(), group_id.clone()],
                    (index, *seq),
                    acked.clone(),
                ))
            })
            .collect();
        while acked.load(Ordering::Relaxed) < KILL_AFTER {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        server
            .start_kill()
            .unwrap_or_else(|e| panic!("SIGKILL: {e}"));
        let _ = server.wait().await;

        let mut in_doubt = Vec::new();
        for (task, seq) in tasks.into_iter().zip(&mut next_seq) {
            let outcome = task.await.unwrap_or_else(|e| panic!("client task: {e}"));
            acknowledged.extend(outcome.acknowledged);
            in_doubt.extend(outcome.in_doubt);
            *seq = outcome.next_seq;
        }
        assert_eq!(
            in_doubt.len(),
            CLIENTS,
            "every client was cut off mid-burst"
        );

        server = spawn_server(dir.path(), port);
        wait_healthy(&client).await;
        // The cut-off sends, retried with the same key, land once: either the first attempt
        // had committed (and its message comes back) or this one commits it.
        for (send, (_, token)) in in_doubt.iter().zip(&senders) {
            let (status, body) = post(&client, token, send)
                .await
                .unwrap_or_else(|e| panic!("retry: {e}"));
            assert!(status == 200 || status == 201, "retry: {status} {body}");
            assert_eq!(body["text"], send.text.as_str());
            acknowledged.insert(send.text.clone(), s(&body["id"]));
        }
    }
    assert!(acknowledged.len() >= ROUNDS * KILL_AFTER);

    let mut stored: HashMap<String, Vec<String>> = HashMap::new();
    for conversation in pairs.iter().chain([&group_id]) {
        for (text, id) in client.messages(&hub, conversation).await {
            stored.entry(text).or_default().push(id);
        }
    }
    for (text, id) in &acknowledged {
        assert_eq!(
            stored.get(text),
            Some(&vec![id.clone()]),
            "{text:?} was acknowledged as {id}: it must be stored exactly once"
        );
    }
    let duplicated: Vec<_> = stored.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(duplicated.is_empty(), "stored twice: {duplicated:?}");
}
