//! What someone outside a conversation or its media learns: nothing, and the same nothing
//! whatever the reason.

use serde_json::{Value, json};

use crate::common::{TestServer, s};

/// A former member keeps their history but not a view into the group as it is now: its
/// current name, members and read positions stay with the members.
async fn a_member_who_left_no_longer_sees_the_group_as_it_is() {
    let srv = TestServer::start().await;
    let (a_id, a) = srv.user("ann").await;
    let (b_id, b) = srv.user("ben").await;
    let (c_id, c) = srv.user("cat").await;
    let (d_id, d) = srv.user("dan").await;
    for t in [&b, &c, &d] {
        srv.follow(t, &a_id).await;
    }
    let (status, group) = srv
        .call(
            "POST",
            "/api/v1/conversations",
            Some(&a),
            Some(json!({"participant_ids": [b_id, c_id], "name": "crew"})),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    let gid = s(&group["id"]);
    let (status, _) = srv
        .call(
            "DELETE",
            &format!("/api/v1/conversations/{gid}/participants/{b_id}"),
            Some(&b),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = srv
        .call(
            "PATCH",
            &format!("/api/v1/conversations/{gid}"),
            Some(&a),
            Some(json!({"name": "secret plans"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = srv
        .call(
            "POST",
            &format!("/api/v1/conversations/{gid}/participants/{d_id}"),
            Some(&a),
            None,
        )
        .await;
    assert!(status == 200 || status == 201, "add dan: {status}");
    let (status, _) = srv
        .call(
            "POST",
            &format!("/api/v1/conversations/{gid}/read"),
            Some(&d),
            Some(json!({})),
        )
        .await;
    assert!(status < 300, "dan reads: {status}");

    let (status, seen) = srv
        .call(
            "GET",
            &format!("/api/v1/conversations/{gid}"),
            Some(&b),
            None,
        )
        .await;
    assert_eq!(status, 200, "{seen}");
    // The inbox lists a group only while one is in it.
    let (_, inbox) = srv
        .call("GET", "/api/v1/conversations", Some(&b), None)
        .await;
    assert!(
        !inbox["conversations"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["id"] == gid.as_str()),
        "{inbox}"
    );
    assert_eq!(seen["left"], true, "{seen}");
    assert_eq!(seen["name"], Value::Null, "no current name: {seen}");
    let members: Vec<String> = seen["participants"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| s(&u["id"]))
        .collect();
    assert_eq!(
        members,
        std::slice::from_ref(&b_id),
        "only themselves: {seen}"
    );
    assert_eq!(seen["read_by"], json!([]), "{seen}");
    // The members still see it whole.
    let (_, current) = srv
        .call(
            "GET",
            &format!("/api/v1/conversations/{gid}"),
            Some(&a),
            None,
        )
        .await;
    assert_eq!(current["name"], "secret plans");
    assert!(current.get("left").is_none(), "{current}");
}

crate::on_every_backend!(a_member_who_left_no_longer_sees_the_group_as_it_is);
