//! What every person reads through the API, captured to compare before and after the move.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::common::{Client, s};
use crate::world::{QUERIES, World};

/// Every page of a list, following `next_cursor`, as `{status, body}` values.
async fn pages(c: &Client, token: &str, path: &str) -> Value {
    let mut out = Vec::new();
    let mut next = path.to_owned();
    for _ in 0..100 {
        let (status, body) = c.call("GET", &next, Some(token), None).await;
        let cursor = body["next_cursor"].as_str().map(str::to_owned);
        out.push(json!({"status": status, "body": body}));
        match cursor {
            Some(cursor) if status == 200 => next = format!("{path}&cursor={cursor}"),
            _ => return Value::Array(out),
        }
    }
    panic!("{path}: more than 100 pages");
}

/// The stream's replay from the start, up to and including `ready`.
async fn replay(c: &Client, token: &str) -> Value {
    let mut ws = c.ws(token, Some("0")).await;
    let mut frames = Vec::new();
    loop {
        let frame = ws.next().await;
        let ready = frame["type"] == "ready";
        frames.push(frame);
        if ready {
            return Value::Array(frames);
        }
    }
}

/// What every person reads through the API, keyed by who asked what.
pub async fn observe(c: &Client, world: &World) -> BTreeMap<String, Value> {
    let mut seen = BTreeMap::new();
    for me in &world.people {
        let token = me.token.as_str();
        let mut lists: Vec<String> = ["primary", "requests", "filtered", "archived"]
            .iter()
            .map(|b| format!("/api/v1/conversations?box={b}&limit=2"))
            .collect();
        lists.extend([
            "/api/v1/me/blocks?limit=1".to_owned(),
            "/api/v1/me/mutes?limit=1".to_owned(),
            format!("/api/v1/users/{}/followers?limit=2", me.id),
            format!("/api/v1/users/{}/following?limit=2", me.id),
        ]);
        for conversation in &world.conversations {
            lists.push(format!(
                "/api/v1/conversations/{conversation}/events?limit=3"
            ));
        }
        for q in QUERIES {
            lists.push(format!("/api/v1/search/messages?q={q}&limit=2"));
        }
        for path in lists {
            seen.insert(
                format!("{} GET {path}", me.name),
                pages(c, token, &path).await,
            );
        }
        let mut single = vec![
            "/api/v1/me".to_owned(),
            "/api/v1/me/settings".to_owned(),
            "/api/v1/me/tokens".to_owned(),
        ];
        for other in &world.people {
            single.push(format!("/api/v1/users/{}", other.id));
            single.push(format!("/api/v1/users/{}/dm_permission", other.id));
        }
        for conversation in &world.conversations {
            single.push(format!("/api/v1/conversations/{conversation}"));
        }
        for path in single {
            let (status, body) = c.call("GET", &path, Some(token), None).await;
            seen.insert(
                format!("{} GET {path}", me.name),
                json!({"status": status, "body": body}),
            );
        }
        seen.insert(
            format!("{} stream ?since=0", me.name),
            replay(c, token).await,
        );
    }
    seen
}

pub fn assert_same(before: &BTreeMap<String, Value>, after: &BTreeMap<String, Value>, when: &str) {
    for (key, value) in before {
        assert_eq!(Some(value), after.get(key), "{key}: differs {when}");
    }
    assert_eq!(before.len(), after.len(), "the same reads {when}");
}

/// The filled installation's answers say what the fill meant them to: a broken fill cannot
/// make the comparison pass by having nothing to compare.
pub fn assert_filled(seen: &BTreeMap<String, Value>, world: &World) {
    let get = |key: &str| seen.get(key).unwrap_or_else(|| panic!("no {key}"));
    let history = get(&format!(
        "alice GET /api/v1/conversations/{}/events?limit=3",
        world.alice_bob
    ));
    let events: Vec<&Value> = history
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|page| page["body"]["events"].as_array().into_iter().flatten())
        .collect();
    assert_eq!(
        events.len(),
        5,
        "alice sees five messages with bob: {history}"
    );
    assert!(
        events
            .iter()
            .any(|e| e["edit_history"].as_array().map(Vec::len) == Some(2))
    );
    assert!(events.iter().any(|e| e["deleted"] == true));
    assert!(events.iter().any(|e| !e["reply_to_id"].is_null()));
    assert!(
        events
            .iter()
            .any(|e| e["reactions"].as_array().is_some_and(|r| !r.is_empty()))
    );
    let found = get("carol GET /api/v1/search/messages?q=cafe&limit=2");
    assert_eq!(
        found[0]["body"]["messages"].as_array().map(Vec::len),
        Some(0),
        "carol is not in that chat"
    );
    let found = get("bob GET /api/v1/search/messages?q=cafe&limit=2");
    assert_eq!(
        found[0]["body"]["messages"][0]["text"],
        "Yes! Café at eight"
    );
    let found = get("alice GET /api/v1/search/messages?q=banana&limit=2");
    assert!(
        found[0]["body"]["next_cursor"].is_string(),
        "several pages: {found}"
    );
    let requests = get("bob GET /api/v1/conversations?box=requests&limit=2");
    assert_eq!(
        requests[0]["body"]["conversations"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let archived = get("bob GET /api/v1/conversations?box=archived&limit=2");
    assert_eq!(
        archived[0]["body"]["conversations"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let me = get("alice GET /api/v1/me");
    assert_eq!(me["body"]["verified"], true);
    let stream = get("bob stream ?since=0");
    assert!(stream.as_array().is_some_and(|f| f.len() > 10), "{stream}");
    // Outsiders' reads of others' conversations are refused; everything else succeeds.
    let reads: Vec<&Value> = seen
        .iter()
        .filter(|(key, _)| !key.ends_with("stream ?since=0"))
        .map(|(_, v)| v)
        .collect();
    let ok = reads
        .iter()
        .filter(|v| v["status"] == 200 || v[0]["status"] == 200)
        .count();
    assert!(
        ok * 4 > reads.len() * 3,
        "{ok} of {} reads succeed",
        reads.len()
    );
}

/// The largest event id anyone saw.
pub fn newest_event(seen: &BTreeMap<String, Value>) -> i64 {
    let mut newest = 0;
    for value in seen.values() {
        for page in value.as_array().into_iter().flatten() {
            for e in page["body"]["events"].as_array().into_iter().flatten() {
                newest = newest.max(s(&e["id"]).parse().unwrap_or(0));
            }
        }
    }
    newest
}
