//! Group conversations: creation limits, adds, leaves, and no history before joining.

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

async fn groups_are_created_with_two_to_forty_nine_others() {
    let srv = TestServer::start().await;
    let (a_id, a) = srv.user("a").await;
    let (b_id, b) = srv.user("b").await;
    let (c_id, c) = srv.user("c").await;
    let (d_id, d) = srv.user("d").await;
    for t in [&b, &c, &d] {
        srv.follow(t, &a_id).await;
    }
    let (status, body) = srv
        .call(
            "POST",
            "/api/v1/conversations",
            Some(&a),
            Some(json!({"participant_ids": [b_id, b_id], "name": "x"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (400, json!("participant_ids"))
    );
    let (status, group) = srv
        .call(
            "POST",
            "/api/v1/conversations",
            Some(&a),
            Some(json!({"participant_ids": [b_id, c_id], "name": "crew"})),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    assert_eq!(group["type"], "group");
    let gid = s(&group["id"]);
    let m = srv
        .call(
            "POST",
            &format!("/api/v1/conversations/{gid}/messages"),
            Some(&b),
            Some(json!({"text": "before d"})),
        )
        .await;
    assert_eq!(m.0, 201);
    let (status, _) = srv
        .call(
            "POST",
            &format!("/api/v1/conversations/{gid}/participants/{d_id}"),
            Some(&c),
            None,
        )
        .await;
    assert_eq!(status, 403, "c is not admitted to d (d does not follow c)");
    let (status, join) = srv
        .call(
            "POST",
            &format!("/api/v1/conversations/{gid}/participants/{d_id}"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(
        (status, join["type"].clone()),
        (201, json!("participants_join"))
    );
    let (_, page) = srv
        .call(
            "GET",
            &format!("/api/v1/conversations/{gid}/events"),
            Some(&d),
            None,
        )
        .await;
    let texts: Vec<_> = page["events"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["type"].clone())
        .collect();
    assert_eq!(
        texts,
        vec![json!("participants_join")],
        "d sees their join, not history before it"
    );
    let (status, _) = srv
        .call(
            "DELETE",
            &format!("/api/v1/conversations/{gid}/participants/{b_id}"),
            Some(&c),
            None,
        )
        .await;
    assert_eq!(status, 403, "nobody removes someone else");
    let (status, leave) = srv
        .call(
            "DELETE",
            &format!("/api/v1/conversations/{gid}/participants/{c_id}"),
            Some(&c),
            None,
        )
        .await;
    assert_eq!(
        (status, leave["type"].clone()),
        (200, json!("participants_leave"))
    );
    let (status, _) = srv
        .call(
            "POST",
            &format!("/api/v1/conversations/{gid}/messages"),
            Some(&c),
            Some(json!({"text": "gone"})),
        )
        .await;
    assert_eq!(status, 403);
    let (_, page) = srv
        .call(
            "GET",
            &format!("/api/v1/conversations/{gid}/events"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(page["events"][0]["type"], "participants_leave");
}

async fn the_group_size_cap_is_enforced() {
    let srv = TestServer::with(|c| c.limits.group_size = 3).await;
    let (a_id, a) = srv.user("a").await;
    let mut others = Vec::new();
    for name in ["b", "c", "d"] {
        let (id, t) = srv.user(name).await;
        srv.follow(&t, &a_id).await;
        others.push(id);
    }
    let last = others.pop().unwrap_or_default();
    let (status, group) = srv
        .call(
            "POST",
            "/api/v1/conversations",
            Some(&a),
            Some(json!({"participant_ids": others})),
        )
        .await;
    assert_eq!(status, 201);
    let gid = s(&group["id"]);
    let (status, body) = srv
        .call(
            "POST",
            &format!("/api/v1/conversations/{gid}/participants/{last}"),
            Some(&a),
            None,
        )
        .await;
    // Full is a state the group is in: 409, naming who could not be added.
    assert_eq!(
        (status, &body["error"]["field"]),
        (409, &json!("user_id")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains('3'))
    );
}

crate::on_every_backend!(
    groups_are_created_with_two_to_forty_nine_others,
    the_group_size_cap_is_enforced,
);
