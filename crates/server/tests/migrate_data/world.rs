//! The installation the test fills through the API: a bit of everything the schema holds.

use postern_core::UserId;
use serde_json::{Value, json};

use crate::common::{Client, TestServer, s};

/// Every registration in the tests uses this password (see `Client::user`).
pub const PASSWORD: &str = "correct horse";
/// Searched for by everyone, before and after the move.
pub const QUERIES: &[&str] = &["banana", "cafe", "typo", "trip", "welcome", "goes", "ban"];
const THUMBS_UP: &str = "%F0%9F%91%8D";
const PARTY: &str = "%F0%9F%8E%89";

pub struct Person {
    pub name: &'static str,
    pub id: String,
    pub token: String,
}

/// What the filled installation holds, as far as the checks need to know.
pub struct World {
    pub people: Vec<Person>,
    pub conversations: Vec<String>,
    /// Alice's personal access token.
    pub personal_token: String,
    /// The alice–bob conversation.
    pub alice_bob: String,
    /// The photo Carol sent Alice: `/api/v1/media/{id}`.
    pub photo_url: String,
}

impl World {
    pub fn person(&self, name: &str) -> &Person {
        self.people
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no {name}"))
    }
}

/// A call that must answer `status`; returns the body.
async fn ok(
    c: &Client,
    status: u16,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Value {
    let (got, answer) = c.call(method, path, Some(token), body).await;
    assert_eq!(got, status, "{method} {path}: {answer}");
    answer
}

async fn send(
    c: &Client,
    token: &str,
    conversation: &str,
    text: &str,
    reply_to: Option<&Value>,
) -> Value {
    let mut body = json!({"text": text});
    if let Some(m) = reply_to {
        body["reply_to_id"] = m["id"].clone();
    }
    let path = format!("/api/v1/conversations/{conversation}/messages");
    ok(c, 201, "POST", &path, token, Some(body)).await
}

/// Fills the server with a bit of everything the schema holds.
pub async fn fill(srv: &TestServer) -> World {
    let mut people = Vec::new();
    for name in ["alice", "bob", "carol", "dave", "erin", "frank"] {
        let (id, token) = srv.user(name).await;
        people.push(Person { name, id, token });
    }
    let [alice, bob, carol, dave, erin, frank] = people.as_slice() else {
        panic!("six people")
    };
    let (a, b, c, d, e, f) = (
        alice.token.as_str(),
        bob.token.as_str(),
        carol.token.as_str(),
        dave.token.as_str(),
        erin.token.as_str(),
        frank.token.as_str(),
    );
    let services = srv
        .running
        .as_ref()
        .map(|r| r.services.clone())
        .unwrap_or_else(|| panic!("running"));
    let alice_id = UserId(alice.id.parse().unwrap_or_else(|e| panic!("id: {e}")));
    services
        .set_verified(alice_id, true)
        .await
        .unwrap_or_else(|e| panic!("verify: {e}"));

    // Settings and profiles.
    let settings = json!({"allow_dms_from": "everyone", "read_receipts": false});
    ok(srv, 200, "PATCH", "/api/v1/me/settings", b, Some(settings)).await;
    let settings = json!({"allow_dms_from": "verified", "quality_filter": false});
    ok(srv, 200, "PATCH", "/api/v1/me/settings", c, Some(settings)).await;
    let profile = json!({"name": "Frank F.", "description": "new here"});
    ok(srv, 200, "PATCH", "/api/v1/me", f, Some(profile)).await;

    // The graph.
    for (who, whom) in [
        (b, &alice.id),
        (a, &bob.id),
        (c, &alice.id),
        (d, &alice.id),
        (a, &dave.id),
    ] {
        srv.follow(who, whom).await;
    }
    ok(
        srv,
        204,
        "PUT",
        &format!("/api/v1/me/blocks/{}", dave.id),
        e,
        None,
    )
    .await;
    ok(
        srv,
        204,
        "PUT",
        &format!("/api/v1/me/mutes/{}", frank.id),
        a,
        None,
    )
    .await;

    // Alice and Bob: replies, an idempotent send, reactions, edits, deletes, read marks.
    let (status, _, m1) = srv
        .call_full(
            "POST",
            &format!("/api/v1/messages/with/{}", bob.id),
            Some(a),
            Some(json!({"text": "Hello Bob, banana bread tonight?"})),
            &[("Idempotency-Key", "first-contact")],
        )
        .await;
    assert_eq!(status, 201, "{m1}");
    let ab = s(&m1["conversation_id"]);
    let m2 = send(srv, b, &ab, "Yes! Café at eight", Some(&m1)).await;
    let m3 = send(srv, a, &ab, "Bring the banana", None).await;
    let m4 = send(srv, a, &ab, "typo mesage", None).await;
    let m5 = send(srv, a, &ab, "this one goes", None).await;
    let message = |m: &Value| format!("/api/v1/conversations/{ab}/messages/{}", s(&m["id"]));
    for text in ["typo message", "no typo message"] {
        ok(
            srv,
            200,
            "PATCH",
            &message(&m4),
            a,
            Some(json!({"text": text})),
        )
        .await;
    }
    ok(
        srv,
        204,
        "DELETE",
        &format!("{}?for_everyone=true", message(&m5)),
        a,
        None,
    )
    .await;
    ok(srv, 204, "DELETE", &message(&m3), b, None).await;
    ok(
        srv,
        204,
        "PUT",
        &format!("{}/reactions/{THUMBS_UP}", message(&m1)),
        b,
        None,
    )
    .await;
    ok(
        srv,
        204,
        "PUT",
        &format!("{}/reactions/{PARTY}", message(&m2)),
        a,
        None,
    )
    .await;
    let read = json!({"last_read_event_id": m3["id"]});
    ok(
        srv,
        204,
        "POST",
        &format!("/api/v1/conversations/{ab}/read"),
        b,
        Some(read),
    )
    .await;
    ok(
        srv,
        204,
        "POST",
        &format!("/api/v1/conversations/{ab}/read"),
        a,
        None,
    )
    .await;

    // Alice and Carol (Carol follows Alice).
    let ac = s(&srv.dm(a, &carol.id, "Carol, trip planning?").await["conversation_id"]);
    send(srv, c, &ac, "Sure, after work", None).await;
    // With a photo.
    let mut png = std::io::Cursor::new(Vec::new());
    image::DynamicImage::new_rgb8(4, 3)
        .write_to(&mut png, image::ImageFormat::Png)
        .unwrap_or_else(|e| panic!("png: {e}"));
    let (status, photo) = srv.upload(c, &[], png.into_inner(), "image/png").await;
    assert_eq!(status, 201, "{photo}");
    let path = format!("/api/v1/conversations/{ac}/messages");
    let body = json!({"text": "the view", "media_id": photo["id"]});
    ok(srv, 201, "POST", &path, c, Some(body)).await;

    // Message requests to Bob, who accepts everyone: Frank's stays pending (and is
    // reported), Erin's is accepted, answered and archived.
    let request = srv.dm(f, &bob.id, "Hi Bob, I'm new").await;
    let fb = s(&request["conversation_id"]);
    let target = format!("{fb}:{}", s(&request["id"]));
    let report = json!({"target_type": "message", "target_id": target, "reason": "spam"});
    ok(srv, 201, "POST", "/api/v1/reports", b, Some(report)).await;
    let report = json!({"target_type": "user", "target_id": dave.id, "reason": "rude"});
    ok(srv, 201, "POST", "/api/v1/reports", e, Some(report)).await;
    let eb = s(&srv.dm(e, &bob.id, "Erin here").await["conversation_id"]);
    ok(
        srv,
        200,
        "POST",
        &format!("/api/v1/conversations/{eb}/accept"),
        b,
        None,
    )
    .await;
    send(srv, b, &eb, "Welcome, Erin", None).await;
    let archive = json!({"archived": true});
    ok(
        srv,
        200,
        "PATCH",
        &format!("/api/v1/conversations/{eb}"),
        b,
        Some(archive),
    )
    .await;
    ok(
        srv,
        204,
        "DELETE",
        &format!("/api/v1/conversations/{fb}"),
        f,
        None,
    )
    .await;

    // A group: a join, a leave, a reply, a reaction, a pin, a mute, a read mark.
    let group = json!({"participant_ids": [bob.id, carol.id], "name": "Trip planning"});
    let g = s(&ok(srv, 201, "POST", "/api/v1/conversations", a, Some(group)).await["id"]);
    let g1 = send(srv, a, &g, "Trip: banana boat on Sunday?", None).await;
    send(srv, b, &g, "Count me in", Some(&g1)).await;
    let in_group = |m: &Value| format!("/api/v1/conversations/{g}/messages/{}", s(&m["id"]));
    ok(
        srv,
        204,
        "PUT",
        &format!("{}/reactions/{PARTY}", in_group(&g1)),
        c,
        None,
    )
    .await;
    let participants = format!("/api/v1/conversations/{g}/participants");
    ok(
        srv,
        201,
        "POST",
        &format!("{participants}/{}", dave.id),
        a,
        None,
    )
    .await;
    ok(
        srv,
        200,
        "DELETE",
        &format!("{participants}/{}", carol.id),
        c,
        None,
    )
    .await;
    send(srv, d, &g, "Hi all, thanks for adding me", None).await;
    let patch = |p: Value| Some(p);
    ok(
        srv,
        200,
        "PATCH",
        &format!("/api/v1/conversations/{g}"),
        d,
        patch(json!({"muted": true})),
    )
    .await;
    ok(
        srv,
        200,
        "PATCH",
        &format!("/api/v1/conversations/{g}"),
        a,
        patch(json!({"pinned": true})),
    )
    .await;
    ok(
        srv,
        204,
        "POST",
        &format!("/api/v1/conversations/{g}/read"),
        b,
        None,
    )
    .await;

    let token = ok(
        srv,
        201,
        "POST",
        "/api/v1/me/tokens",
        a,
        Some(json!({"name": "cli"})),
    )
    .await;
    World {
        conversations: vec![ab.clone(), ac, fb, eb, g],
        personal_token: s(&token["token"]),
        alice_bob: ab,
        photo_url: s(&photo["media"]["url"]),
        people,
    }
}
