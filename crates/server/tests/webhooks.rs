//! Native webhooks (issue 18) through the real server, on both backends: registration and its
//! refusals, signed deliveries in stream order to a real HTTP receiver, a receiver that is
//! down and then back, the delivery log, pings, and turning a webhook off.

#![expect(
    clippy::indexing_slicing,
    reason = "indexing a serde_json::Value by key yields Null; it does not panic"
)]

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::receiver::{Heard, receiver};
use common::{TestServer, s};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

crate::on_every_backend!(
    events_arrive_signed_and_in_order,
    a_receiver_that_was_down_gets_every_event_afterwards,
    inward_and_unknown_targets_are_refused,
    a_webhook_turned_off_delivers_nothing_until_turned_on,
    follows_blocks_mutes_and_mentions_are_delivered,
    a_replay_delivers_the_range_asked_for_again_with_the_same_ids,
    a_second_replay_is_refused_while_one_runs,
    a_receiver_down_for_five_minutes_gets_every_event_after_on_a_standing_clock,
);

/// A server whose webhooks may reach 127.0.0.1 (the tests' receivers).
async fn server() -> TestServer {
    TestServer::with(|c| c.outbound.allow = vec!["127.0.0.1".into()]).await
}

fn signed_by(secret: &str, heard: &Heard) -> bool {
    let header = heard
        .headers
        .get("postern-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let (Some(t), Some(v1)) = (
        header.split(',').find_map(|p| p.strip_prefix("t=")),
        header.split(',').find_map(|p| p.strip_prefix("v1=")),
    ) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(format!("{t}.{}", heard.body).as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let fresh = t
        .parse::<i64>()
        .is_ok_and(|t| (chrono::Utc::now().timestamp() - t).abs() < 60);
    expected == v1 && fresh
}

fn body(heard: &Heard) -> Value {
    serde_json::from_str(&heard.body).unwrap_or(Value::Null)
}

async fn create(srv: &TestServer, token: &str, url: &str, events: Value) -> (u16, Value) {
    srv.call(
        "POST",
        "/api/v1/webhooks",
        Some(token),
        Some(json!({"url": url, "events": events})),
    )
    .await
}

async fn events_arrive_signed_and_in_order() {
    let srv = server().await;
    let (bot_id, bot) = srv.user("bot").await;
    let (carol_id, carol) = srv.user("carol").await;
    srv.follow(&carol, &bot_id).await;
    srv.follow(&bot, &carol_id).await;
    srv.dm(&carol, &bot_id, "before the webhook").await;
    let mut rx = receiver("").await;
    let (status, made) = create(&srv, &bot, &rx.url, json!(["message.created"])).await;
    assert_eq!(status, 201, "{made}");
    let secret = s(&made["secret"]);
    assert!(secret.starts_with("whsec_"));
    assert_eq!(made["webhook"]["events"], json!(["message.created"]));

    for i in 0..5 {
        srv.dm(&carol, &bot_id, &format!("hello {i}")).await;
    }
    for i in 0..5 {
        let heard = rx.next(Duration::from_secs(10)).await;
        assert!(signed_by(&secret, &heard), "signature: {:?}", heard.headers);
        assert_eq!(
            heard
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
        let event = body(&heard);
        assert_eq!(event["type"], "message.created", "{event}");
        assert_eq!(event["data"]["text"], format!("hello {i}"), "{event}");
        assert_eq!(
            heard
                .headers
                .get("postern-event-id")
                .and_then(|v| v.to_str().ok()),
            event["id"].as_str()
        );
    }
    // A webhook that asked only for read receipts hears nothing of messages.
    let mut other = receiver("").await;
    let (status, _) = create(&srv, &bot, &other.url, json!(["conversation.read"])).await;
    assert_eq!(status, 201);
    srv.dm(&carol, &bot_id, "after the second webhook").await;
    let heard = rx.next(Duration::from_secs(10)).await;
    assert_eq!(body(&heard)["data"]["text"], "after the second webhook");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(
        other.heard.try_recv().is_err(),
        "a message reached a mentions-only webhook"
    );

    // The log shows each attempt; a ping is delivered now and logged too.
    let id = s(&made["webhook"]["id"]);
    let (status, ping) = srv
        .call(
            "POST",
            &format!("/api/v1/webhooks/{id}/ping"),
            Some(&bot),
            None,
        )
        .await;
    assert_eq!(status, 200, "{ping}");
    assert_eq!(
        (ping["status"].clone(), ping["event"].clone()),
        (json!(200), json!("ping"))
    );
    let heard = rx.next(Duration::from_secs(5)).await;
    assert!(signed_by(&secret, &heard));
    assert_eq!(body(&heard)["type"], "ping");
    let log = srv.deliveries(&bot, &id, 7).await;
    let kinds: Vec<&str> = log.iter().filter_map(|d| d["event"].as_str()).collect();
    assert_eq!(kinds.len(), 7, "{log:?}");
    assert_eq!(kinds.first(), Some(&"ping"));
    // Someone else's webhook is not found.
    let (status, _) = srv
        .call(
            "GET",
            &format!("/api/v1/webhooks/{id}/deliveries"),
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

async fn a_receiver_that_was_down_gets_every_event_afterwards() {
    let srv = server().await;
    let (bot_id, bot) = srv.user("bot").await;
    let (carol_id, carol) = srv.user("carol").await;
    srv.follow(&bot, &carol_id).await;
    let mut rx = receiver("").await;
    rx.status.store(503, Ordering::SeqCst);
    let (status, made) = create(&srv, &bot, &rx.url, json!([])).await;
    assert_eq!(status, 201, "{made}");
    srv.dm(&carol, &bot_id, "one").await;
    // Refused: tried again later with the same id, and nothing after it goes first.
    let first = rx.next(Duration::from_secs(10)).await;
    srv.dm(&carol, &bot_id, "two").await;
    let again = rx.next(Duration::from_secs(10)).await;
    assert_eq!(body(&again)["id"], body(&first)["id"]);
    let id = s(&made["webhook"]["id"]);
    let (_, shown) = srv
        .call("GET", &format!("/api/v1/webhooks/{id}"), Some(&bot), None)
        .await;
    assert!(
        shown["failures"].as_i64().is_some_and(|n| n >= 1),
        "{shown}"
    );
    rx.status.store(200, Ordering::SeqCst);
    let started = Instant::now();
    let mut texts = Vec::new();
    while texts.len() < 2 {
        let heard = rx.next(Duration::from_secs(20)).await;
        let event = body(&heard);
        if event["type"] == "message.created" {
            let text = s(&event["data"]["text"]);
            if texts.last() != Some(&text) {
                texts.push(text);
            }
        }
    }
    assert_eq!(texts, ["one", "two"], "after {:?}", started.elapsed());
    // The count clears once the node gives the webhook back, just after the last delivery.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (_, shown) = srv
            .call("GET", &format!("/api/v1/webhooks/{id}"), Some(&bot), None)
            .await;
        if shown["failures"] == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "failures never cleared: {shown}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, log) = srv
        .call(
            "GET",
            &format!("/api/v1/webhooks/{id}/deliveries"),
            Some(&bot),
            None,
        )
        .await;
    let failed = log["deliveries"]
        .as_array()
        .map(|a| a.iter().filter(|d| d["status"] == 503).count())
        .unwrap_or_default();
    assert!(failed >= 2, "{log}");
}

async fn inward_and_unknown_targets_are_refused() {
    // No allowlist here: webhooks reach public addresses only.
    let srv = TestServer::start().await;
    let (_, bot) = srv.user("bot").await;
    let rx = receiver("").await;
    for url in [
        rx.url.as_str(),
        "http://10.0.0.8/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://localhost/hook",
        "ftp://example.com/hook",
        "not a url",
    ] {
        let (status, refused) = create(&srv, &bot, url, json!([])).await;
        assert_eq!(status, 400, "{url}: {refused}");
        assert_eq!(refused["error"]["field"], "url", "{refused}");
    }
    let srv = server().await;
    let (_, bot) = srv.user("bot").await;
    // Events that are not stored cannot be promised.
    for event in ["typing", "nonsense"] {
        let (status, refused) = create(&srv, &bot, &rx.url, json!([event])).await;
        assert_eq!(status, 400, "{event}: {refused}");
        assert_eq!(refused["error"]["field"], "events");
    }
    let long = format!("{}?{}", rx.url, "x".repeat(2100));
    let (status, refused) = create(&srv, &bot, &long, json!([])).await;
    assert_eq!((status, s(&refused["error"]["field"])), (400, "url".into()));
    for _ in 0..10 {
        let (status, _) = create(&srv, &bot, &rx.url, json!([])).await;
        assert_eq!(status, 201);
    }
    let (status, refused) = create(&srv, &bot, &rx.url, json!([])).await;
    assert_eq!(status, 409, "{refused}");
    // A redirect inward is not followed: the ping says why.
    let (_, list) = srv.call("GET", "/api/v1/webhooks", Some(&bot), None).await;
    let id = s(&list["webhooks"][0]["id"]);
    let (status, changed) = srv
        .call(
            "PATCH",
            &format!("/api/v1/webhooks/{id}"),
            Some(&bot),
            Some(json!({"url": "http://192.168.1.1/hook"})),
        )
        .await;
    assert_eq!((status, s(&changed["error"]["field"])), (400, "url".into()));
}

async fn a_webhook_turned_off_delivers_nothing_until_turned_on() {
    let srv = server().await;
    let (bot_id, bot) = srv.user("bot").await;
    let (carol_id, carol) = srv.user("carol").await;
    srv.follow(&bot, &carol_id).await;
    let mut rx = receiver("").await;
    let (_, made) = create(&srv, &bot, &rx.url, json!(["message.created"])).await;
    let id = s(&made["webhook"]["id"]);
    let (status, off) = srv
        .call(
            "PATCH",
            &format!("/api/v1/webhooks/{id}"),
            Some(&bot),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(
        (status, off["active"].clone()),
        (200, json!(false)),
        "{off}"
    );
    srv.dm(&carol, &bot_id, "while off").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(rx.heard.try_recv().is_err(), "delivered while off");
    let (status, _) = srv
        .call(
            "PATCH",
            &format!("/api/v1/webhooks/{id}"),
            Some(&bot),
            Some(json!({"active": true})),
        )
        .await;
    assert_eq!(status, 200);
    // Events wait in the stream: on again, it carries on from where it stopped.
    let heard = rx.next(Duration::from_secs(10)).await;
    assert_eq!(body(&heard)["data"]["text"], "while off");
    let (status, _) = srv
        .call(
            "DELETE",
            &format!("/api/v1/webhooks/{id}"),
            Some(&bot),
            None,
        )
        .await;
    assert_eq!(status, 204);
    srv.dm(&carol, &bot_id, "after delete").await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(rx.heard.try_recv().is_err(), "delivered after delete");
}

/// Graph events and mentions are stored, so a webhook has them: who did what to whom.
async fn follows_blocks_mutes_and_mentions_are_delivered() {
    let srv = server().await;
    let (bot_id, bot) = srv.user("bot").await;
    let (carol_id, carol) = srv.user("carol").await;
    let (dave_id, _) = srv.user("dave").await;
    let mut rx = receiver("").await;
    let (status, made) = create(
        &srv,
        &bot,
        &rx.url,
        json!(["relationship.changed", "post.mentioned"]),
    )
    .await;
    assert_eq!(status, 201, "{made}");

    srv.follow(&carol, &bot_id).await;
    for (method, path) in [
        ("PUT", format!("/api/v1/me/blocks/{dave_id}")),
        ("PUT", format!("/api/v1/me/mutes/{carol_id}")),
        ("DELETE", format!("/api/v1/me/mutes/{carol_id}")),
    ] {
        let (status, body) = srv.call(method, &path, Some(&bot), None).await;
        assert!(status < 300, "{method} {path}: {status} {body}");
    }
    let (status, post) = srv
        .call(
            "POST",
            "/api/v1/posts",
            Some(&carol),
            Some(json!({"text": "@bot where is my order?"})),
        )
        .await;
    assert_eq!(status, 201, "{post}");

    let mut heard = Vec::new();
    for _ in 0..5 {
        let event = body(&rx.next(Duration::from_secs(10)).await);
        let data = &event["data"];
        heard.push(match s(&event["type"]).as_str() {
            "relationship.changed" => format!(
                "{} {} {}",
                s(&data["source_id"]),
                s(&data["action"]),
                s(&data["target_id"])
            ),
            "post.mentioned" => format!(
                "mentioned by {}: {}",
                s(&data["author_id"]),
                s(&data["text"])
            ),
            other => panic!("unexpected {other}: {event}"),
        });
    }
    assert_eq!(
        heard,
        [
            format!("{carol_id} follow {bot_id}"),
            format!("{bot_id} block {dave_id}"),
            format!("{bot_id} mute {carol_id}"),
            format!("{bot_id} unmute {carol_id}"),
            format!("mentioned by {carol_id}: @bot where is my order?"),
        ]
    );
}

/// A replay delivers again exactly the events stored in `[from, to)`, in order, with the ids
/// they had, and says how it ended.
async fn a_replay_delivers_the_range_asked_for_again_with_the_same_ids() {
    let srv = server().await;
    let (bot_id, bot) = srv.user("bot").await;
    let (carol_id, carol) = srv.user("carol").await;
    srv.follow(&bot, &carol_id).await;
    let mut rx = receiver("").await;
    let (status, made) = create(&srv, &bot, &rx.url, json!(["message.created"])).await;
    assert_eq!(status, 201, "{made}");
    let id = s(&made["webhook"]["id"]);

    let start = chrono::Utc::now();
    srv.dm(&carol, &bot_id, "one").await;
    srv.dm(&carol, &bot_id, "two").await;
    tokio::time::sleep(Duration::from_millis(30)).await;
    let end = chrono::Utc::now();
    tokio::time::sleep(Duration::from_millis(30)).await;
    srv.dm(&carol, &bot_id, "three").await;
    let mut live = Vec::new();
    for _ in 0..3 {
        let event = body(&rx.next(Duration::from_secs(10)).await);
        live.push((s(&event["id"]), s(&event["data"]["text"])));
    }

    let path = format!("/api/v1/webhooks/{id}/replay");
    let (status, started) = srv
        .call(
            "POST",
            &path,
            Some(&bot),
            Some(json!({"from": start.to_rfc3339(), "to": end.to_rfc3339()})),
        )
        .await;
    assert_eq!(status, 202, "{started}");
    let mut replayed = Vec::new();
    for _ in 0..2 {
        let event = body(&rx.next(Duration::from_secs(10)).await);
        replayed.push((s(&event["id"]), s(&event["data"]["text"])));
    }
    assert_eq!(
        replayed,
        live[..2],
        "the range again, in order, with the same ids"
    );
    let state_path = format!("/api/v1/webhooks/{id}/replays/{}", s(&started["id"]));
    let deadline = Instant::now() + Duration::from_secs(10);
    let ended = loop {
        let (_, state) = srv.call("GET", &state_path, Some(&bot), None).await;
        if state["state"] != "running" {
            break state;
        }
        assert!(Instant::now() < deadline, "never ended: {state}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        (
            ended["state"].clone(),
            ended["delivered"].clone(),
            ended["failed"].clone()
        ),
        (json!("complete"), json!(2), json!(0)),
        "{ended}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(rx.heard.try_recv().is_err(), "three is outside the range");

    // Refused, naming the field: an empty or backward range, the future, too long ago.
    let now = chrono::Utc::now();
    for (from, to, field) in [
        (end, start, "to"),
        (start, now + chrono::Duration::hours(1), "to"),
        (now - chrono::Duration::days(8), now, "from"),
    ] {
        let (status, refused) = srv
            .call(
                "POST",
                &path,
                Some(&bot),
                Some(json!({"from": from.to_rfc3339(), "to": to.to_rfc3339()})),
            )
            .await;
        assert_eq!(
            (status, s(&refused["error"]["field"])),
            (400, field.to_owned()),
            "{refused}"
        );
    }
    let (status, _) = srv
        .call(
            "POST",
            &path,
            Some(&bot),
            Some(json!({"from": "yesterday", "to": "now"})),
        )
        .await;
    assert_eq!(status, 400);
    // Not the caller's webhook: not found.
    let (status, _) = srv
        .call(
            "POST",
            &path,
            Some(&carol),
            Some(json!({"from": start.to_rfc3339(), "to": end.to_rfc3339()})),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = srv.call("GET", &state_path, Some(&carol), None).await;
    assert_eq!(status, 404);
}

/// One replay of a webhook at a time: another asked for while the first still runs (its
/// receiver has not answered) is refused with 409, naming the webhook.
async fn a_second_replay_is_refused_while_one_runs() {
    let srv = server().await;
    let (bot_id, bot) = srv.user("bot").await;
    let (carol_id, carol) = srv.user("carol").await;
    srv.follow(&bot, &carol_id).await;
    let mut rx = receiver("").await;
    let (status, made) = create(&srv, &bot, &rx.url, json!(["message.created"])).await;
    assert_eq!(status, 201, "{made}");
    let id = s(&made["webhook"]["id"]);
    let start = chrono::Utc::now();
    srv.dm(&carol, &bot_id, "one").await;
    rx.next(Duration::from_secs(10)).await;
    let end = chrono::Utc::now();

    // The replay's delivery goes unanswered, so the replay keeps running.
    rx.hang_next
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let range = json!({"from": start.to_rfc3339(), "to": end.to_rfc3339()});
    let path = format!("/api/v1/webhooks/{id}/replay");
    let (status, first) = srv
        .call("POST", &path, Some(&bot), Some(range.clone()))
        .await;
    assert_eq!(status, 202, "{first}");
    rx.next(Duration::from_secs(10)).await;
    let (status, refused) = srv.call("POST", &path, Some(&bot), Some(range)).await;
    assert_eq!(
        (status, s(&refused["error"]["field"])),
        (409, "webhook_id".to_owned()),
        "{refused}"
    );
}

/// The server's clock stood still and moved by hand: a receiver down for five minutes is
/// tried on the backoff's schedule with the same first event, and once it is back it gets
/// every event, in order, with nothing lost.
async fn a_receiver_down_for_five_minutes_gets_every_event_after_on_a_standing_clock() {
    let srv = server().await;
    let (bot_id, bot) = srv.user("bot").await;
    let (carol_id, carol) = srv.user("carol").await;
    srv.follow(&bot, &carol_id).await;
    let start = chrono::Utc::now();
    srv.stand_at(&start.to_rfc3339());
    let mut rx = receiver("").await;
    rx.status.store(503, Ordering::SeqCst);
    let (status, made) = create(&srv, &bot, &rx.url, json!(["message.created"])).await;
    assert_eq!(status, 201, "{made}");
    for i in 0..5 {
        srv.dm(&carol, &bot_id, &format!("m{i}")).await;
    }
    let first = body(&rx.next(Duration::from_secs(10)).await);
    assert_eq!(first["data"]["text"], "m0");
    // Five minutes down, a minute at a time: each try is m0 again, never a later event.
    let mut tries = 1;
    for minute in 1..=5 {
        srv.stand_at(&(start + chrono::Duration::minutes(minute)).to_rfc3339());
        tokio::time::sleep(Duration::from_millis(700)).await;
        while let Ok(heard) = rx.heard.try_recv() {
            assert_eq!(
                body(&heard)["id"],
                first["id"],
                "only the first event is retried"
            );
            tries += 1;
        }
    }
    assert!(
        (3..=6).contains(&tries),
        "backed off: 1 s, 5 s, 30 s, 2 min: {tries} tries"
    );
    // Back: at the next try (10 minutes after the last) everything arrives, in order.
    rx.status.store(200, Ordering::SeqCst);
    srv.stand_at(&(start + chrono::Duration::minutes(20)).to_rfc3339());
    let mut texts: Vec<String> = Vec::new();
    while texts.len() < 5 {
        let event = body(&rx.next(Duration::from_secs(10)).await);
        let text = s(&event["data"]["text"]);
        if texts.last() != Some(&text) {
            texts.push(text);
        }
    }
    assert_eq!(texts, ["m0", "m1", "m2", "m3", "m4"]);
    let id = s(&made["webhook"]["id"]);
    let (_, shown) = srv
        .call("GET", &format!("/api/v1/webhooks/{id}"), Some(&bot), None)
        .await;
    assert_eq!(shown["active"], true, "a day has not passed: {shown}");
}
