//! The real-time stream: every participant's connections receive events live, and a
//! reconnect with `?since=` replays what was missed, in order, without duplicates.

#![expect(
    clippy::indexing_slicing,
    reason = "indexing a serde_json::Value by key yields Null; it does not panic"
)]

mod common;

use common::{TestServer, s};
use serde_json::json;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

async fn messages_reads_and_typing_arrive_live_on_every_connection() {
    let srv = TestServer::start().await;
    let (alice_id, alice) = srv.user("alice").await;
    let (bob_id, bob) = srv.user("bob").await;
    srv.follow(&bob, &alice_id).await;
    let mut bob1 = srv.ws(&bob, None).await;
    let mut bob2 = srv.ws(&bob, None).await;
    let mut alice_ws = srv.ws(&alice, None).await;
    for ws in [&mut bob1, &mut bob2, &mut alice_ws] {
        assert_eq!(ws.next().await["type"], "ready");
    }
    let m = srv.dm(&alice, &bob_id, "live").await;
    for ws in [&mut bob1, &mut bob2] {
        let frame = ws.next_of("message.created").await;
        assert_eq!(frame["data"]["text"], "live");
        assert!(frame["position"].is_string());
    }
    assert_eq!(
        alice_ws.next_of("message.created").await["data"]["id"],
        m["id"],
        "the sender's devices too"
    );
    let conv = s(&m["conversation_id"]);
    let (status, body) = srv
        .call(
            "POST",
            &format!("/api/v1/conversations/{conv}/typing"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let typing = alice_ws.next_of("typing").await;
    assert_eq!(typing["data"]["user_id"], bob_id.as_str());
    assert!(typing.get("position").is_none(), "typing is ephemeral");
    srv.call(
        "POST",
        &format!("/api/v1/conversations/{conv}/read"),
        Some(&bob),
        None,
    )
    .await;
    let read = alice_ws.next_of("conversation.read").await;
    assert_eq!(read["data"]["last_read_event_id"], m["id"]);
}

async fn read_receipts_are_reciprocal() {
    let srv = TestServer::start().await;
    let (alice_id, alice) = srv.user("alice").await;
    let (bob_id, bob) = srv.user("bob").await;
    srv.follow(&bob, &alice_id).await;
    let m = srv.dm(&alice, &bob_id, "seen?").await;
    srv.dm(&bob, &alice_id, "accepting by replying").await;
    srv.call(
        "PATCH",
        "/api/v1/me/settings",
        Some(&alice),
        Some(json!({"read_receipts": false})),
    )
    .await;
    let mut alice_ws = srv.ws(&alice, None).await;
    alice_ws.next().await;
    let conv = s(&m["conversation_id"]);
    srv.call(
        "POST",
        &format!("/api/v1/conversations/{conv}/read"),
        Some(&bob),
        None,
    )
    .await;
    assert!(
        alice_ws.quiet_for(300).await,
        "receipts off: Alice sees none"
    );
}

async fn reconnecting_with_since_replays_missed_events_exactly_once() {
    let srv = TestServer::start().await;
    let (alice_id, alice) = srv.user("alice").await;
    let (bob_id, bob) = srv.user("bob").await;
    srv.follow(&bob, &alice_id).await;
    let mut ws = srv.ws(&bob, None).await;
    let ready = ws.next().await;
    srv.dm(&alice, &bob_id, "m0").await;
    let seen = ws.next_of("message.created").await;
    let last = s(&seen["position"]);
    drop(ws);
    for i in 1..=5 {
        srv.dm(&alice, &bob_id, &format!("m{i}")).await;
    }
    let mut ws = srv.ws(&bob, Some(&last)).await;
    let mut texts = Vec::new();
    let mut positions = Vec::new();
    loop {
        let f = ws.next().await;
        if f["type"] == "ready" {
            break;
        }
        positions.push(s(&f["position"]).parse::<i64>().unwrap_or(-1));
        if f["type"] == "message.created" {
            texts.push(s(&f["data"]["text"]));
        }
    }
    assert_eq!(texts, ["m1", "m2", "m3", "m4", "m5"]);
    let start: i64 = last.parse().unwrap_or(-1);
    assert_eq!(
        positions,
        (start + 1..=start + positions.len() as i64).collect::<Vec<_>>(),
        "dense, in order"
    );
    srv.dm(&alice, &bob_id, "m6").await;
    assert_eq!(ws.next_of("message.created").await["data"]["text"], "m6");
    // A full replay from zero covers everything since the account began.
    let mut all = srv.ws(&bob, Some("0")).await;
    let first = all.next().await;
    assert_eq!(first["position"], "1");
    assert!(ready["position"].is_string());
}

async fn the_stream_requires_authentication_and_a_valid_position() {
    let srv = TestServer::start().await;
    let (_, bob) = srv.user("bob").await;
    let (status, body) = srv.call("GET", "/api/v1/stream/sse", None, None).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (401, json!("unauthenticated"))
    );
    let (status, body) = srv
        .call("GET", "/api/v1/stream/sse?since=-4", Some(&bob), None)
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (400, json!("since"))
    );
}

async fn sse_resumes_from_last_event_id() {
    let srv = TestServer::start().await;
    let (_, alice, bob_id, bob) = srv.friends().await;
    srv.dm(&alice, &bob_id, "missed while away").await;
    let resp = reqwest::Client::new()
        .get(format!("{}/api/v1/stream/sse", srv.base))
        .bearer_auth(&bob)
        .header("last-event-id", "0")
        .send()
        .await
        .unwrap_or_else(|e| panic!("sse: {e}"));
    assert_eq!(resp.status().as_u16(), 200);
    let mut resp = resp;
    let mut text = String::new();
    while !text.contains("\"type\":\"ready\"") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), resp.chunk())
            .await
            .unwrap_or_else(|_| panic!("no SSE data; got {text}"))
            .unwrap_or_else(|e| panic!("sse read: {e}"))
            .unwrap_or_else(|| panic!("SSE ended; got {text}"));
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains("missed while away"), "{text}");
    // Each event's SSE id is its own position, so Last-Event-ID resumes exactly.
    for block in text.split("\n\n").filter(|b| b.contains("data:")) {
        let id = block
            .lines()
            .find_map(|l| l.strip_prefix("id:"))
            .map(str::trim);
        let data = block
            .lines()
            .find_map(|l| l.strip_prefix("data:"))
            .unwrap_or_default();
        let frame: serde_json::Value = serde_json::from_str(data.trim()).unwrap_or_default();
        assert_eq!(id, frame["position"].as_str(), "{block}");
    }
}

/// A profile on screen updates when its person follows you: a follow or unfollow is told to
/// both people; a block or mute only to the one who did it (the blocked party is not told).
/// Each is stored (it has a position), so a reconnecting client or a webhook has it too.
async fn a_change_in_how_two_people_relate_reaches_those_who_may_know() {
    let srv = TestServer::start().await;
    let (alice_id, alice) = srv.user("alice").await;
    let (bob_id, bob) = srv.user("bob").await;
    let (carol_id, carol) = srv.user("carol").await;
    let mut alice_ws = srv.ws(&alice, None).await;
    let mut bob_ws = srv.ws(&bob, None).await;
    for ws in [&mut alice_ws, &mut bob_ws] {
        assert_eq!(ws.next().await["type"], "ready");
    }
    let changed = |frame: &serde_json::Value| {
        assert_eq!(frame["type"], "relationship.changed", "{frame}");
        assert!(frame["position"].is_string(), "stored: {frame}");
        s(&frame["data"]["user_id"])
    };

    srv.follow(&bob, &alice_id).await;
    assert_eq!(
        changed(&alice_ws.next().await),
        bob_id,
        "the person followed"
    );
    assert_eq!(
        changed(&bob_ws.next().await),
        alice_id,
        "the follower's devices"
    );
    let (status, _) = srv
        .call(
            "DELETE",
            &format!("/api/v1/me/following/{alice_id}"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(changed(&alice_ws.next().await), bob_id);
    assert_eq!(changed(&bob_ws.next().await), alice_id);
    // Following someone you already follow changes nothing and tells no one.
    srv.follow(&bob, &alice_id).await;
    srv.follow(&bob, &alice_id).await;
    assert_eq!(changed(&alice_ws.next().await), bob_id);
    assert_eq!(changed(&bob_ws.next().await), alice_id);

    for (method, path) in [
        ("PUT", format!("/api/v1/me/blocks/{alice_id}")),
        ("DELETE", format!("/api/v1/me/blocks/{alice_id}")),
        ("PUT", format!("/api/v1/me/mutes/{alice_id}")),
    ] {
        let (status, body) = srv.call(method, &path, Some(&bob), None).await;
        assert!(status < 300, "{method} {path}: {status} {body}");
        assert_eq!(changed(&bob_ws.next().await), alice_id, "{method} {path}");
    }
    // Alice heard none of it: the next thing she hears is Carol following her, saying who
    // did what to whom.
    srv.follow(&carol, &alice_id).await;
    let frame = alice_ws.next().await;
    assert_eq!(changed(&frame), carol_id);
    assert_eq!(
        (
            &frame["data"]["action"],
            s(&frame["data"]["source_id"]),
            s(&frame["data"]["target_id"])
        ),
        (
            &serde_json::json!("follow"),
            carol_id.clone(),
            alice_id.clone()
        )
    );
    // Bob's devices replay what they missed, the mute included.
    let mut later = srv.ws(&bob, Some("0")).await;
    let mut actions = Vec::new();
    loop {
        let frame = later.next().await;
        if frame["type"] == "ready" {
            break;
        }
        actions.push(s(&frame["data"]["action"]));
    }
    assert_eq!(
        actions,
        ["follow", "unfollow", "follow", "block", "unblock", "mute"]
    );
}

crate::on_every_backend!(
    a_change_in_how_two_people_relate_reaches_those_who_may_know,
    messages_reads_and_typing_arrive_live_on_every_connection,
    read_receipts_are_reciprocal,
    reconnecting_with_since_replays_missed_events_exactly_once,
    the_stream_requires_authentication_and_a_valid_position,
    sse_resumes_from_last_event_id,
);
