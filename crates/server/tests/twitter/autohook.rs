//! twitter-autohook's own receiver (npm, `clients/node/autohook_receiver.mjs`) registered
//! through Postern's Account Activity API (autohook itself would call Twitter's host): it must
//! answer Postern's CRC, validate every delivery's signature and emit every event Postern
//! delivers, and it takes only bodies sent with exactly `Content-Type: application/json`.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;

use crate::account_activity::{authorize, server};
use crate::client::{Tweak, app_keys};
use crate::common::s;

#[postern_testkit::test(needs(TwitterClients))]
async fn twitter_autohook_answers_the_crc_and_emits_every_event() {
    let server = server().await;
    let (bot_id, bot) = server.user("bot").await;
    let (carol_id, carol) = server.user("carol").await;
    let (dave_id, _) = server.user("dave").await;
    server.follow(&bot, &carol_id).await;
    let keys = app_keys(&server, &bot).await;
    let carol_keys = authorize(&server, &keys, &carol).await;

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port: {e}"));
    let mut receiver = tokio::process::Command::new("node")
        .arg("autohook_receiver.mjs")
        .current_dir(postern_testkit::services::twitter_node_suite())
        .env("CONSUMER_KEY", &keys.consumer_key)
        .env("CONSUMER_SECRET", &keys.consumer_secret)
        .env("ACCESS_TOKEN", &keys.token)
        .env("ACCESS_TOKEN_SECRET", &keys.token_secret)
        .env("PORT", port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("node: {e}"));
    let stdout = receiver
        .stdout
        .take()
        .unwrap_or_else(|| panic!("the receiver's output"));
    let (tx, mut lines) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut reader = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut next = async || {
        tokio::time::timeout(Duration::from_secs(15), lines.recv())
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("autohook said nothing more"))
    };
    assert_eq!(next().await, format!("listening {port}"));

    // Registered through Postern: autohook's server answers the CRC (and checks its signature).
    let call = |keys: &crate::client::Keys,
                method: &'static str,
                path: String,
                query: Vec<(&'static str, String)>| {
        let keys = keys.clone();
        let base = server.base.clone();
        async move {
            let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
            keys.call(&base, method, &path, &query, None, None, &Tweak::default())
                .await
        }
    };
    let made = call(
        &keys,
        "POST",
        "/1.1/account_activity/all/dev/webhooks.json".into(),
        vec![("url", format!("http://127.0.0.1:{port}/webhook"))],
    )
    .await;
    assert_eq!(
        (made.status, made.body["valid"].clone()),
        (200, json!(true)),
        "{}",
        made.body
    );
    for k in [&keys, &carol_keys] {
        let subscribed = call(
            k,
            "POST",
            "/1.1/account_activity/all/dev/subscriptions.json".into(),
            vec![],
        )
        .await;
        assert_eq!(subscribed.status, 204, "{}", subscribed.body);
    }

    // A message between them, her follow, the bot's block and a mention: each emitted.
    server.dm(&carol, &bot_id, "hello autohook").await;
    server.follow(&carol, &bot_id).await;
    let (status, _) = server
        .call(
            "PUT",
            &format!("/api/v1/me/blocks/{dave_id}"),
            Some(&bot),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = server
        .call(
            "POST",
            "/api/v1/posts",
            Some(&carol),
            Some(json!({"text": "@bot thanks for the help"})),
        )
        .await;
    assert_eq!(status, 201);

    let mut seen: Vec<(String, String)> = Vec::new();
    let wanted = [
        (bot_id.clone(), "direct_message_events"),
        (carol_id.clone(), "direct_message_events"),
        (bot_id.clone(), "follow_events"),
        (carol_id.clone(), "follow_events"),
        (bot_id.clone(), "block_events"),
        (bot_id.clone(), "tweet_create_events"),
    ];
    while !wanted
        .iter()
        .all(|(u, k)| seen.iter().any(|(su, sk)| su == u && sk == k))
    {
        let event: Value = serde_json::from_str(&next().await).unwrap_or(Value::Null);
        let kind = [
            "direct_message_events",
            "follow_events",
            "block_events",
            "tweet_create_events",
        ]
        .into_iter()
        .find(|k| event.get(k).is_some())
        .unwrap_or_else(|| panic!("an event Postern does not send: {event}"));
        if kind == "direct_message_events" {
            assert_eq!(
                event[kind][0]["message_create"]["message_data"]["text"], "hello autohook",
                "{event}"
            );
        }
        seen.push((s(&event["for_user_id"]), kind.to_owned()));
    }
    assert!(
        receiver.try_wait().ok().flatten().is_none(),
        "autohook stopped: a signature it could not validate"
    );
}
