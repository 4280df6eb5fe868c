//! Custom profiles (issue 15, item 6; SPEC §4.6).

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use serde_json::{Value, json};

use crate::common::{TestServer, s};

crate::on_every_backend!(
    an_agent_sends_as_a_custom_profile_that_everyone_sees,
    only_the_owner_sends_as_a_profile_and_names_keep_to_their_limits,
    an_account_keeps_at_most_100_profiles,
);

fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(RgbImage::from_pixel(w, h, Rgb([20, 120, 200])))
        .write_to(&mut out, ImageFormat::Png)
        .unwrap_or_else(|e| panic!("png: {e}"));
    out.into_inner()
}

async fn create(server: &TestServer, token: &str, body: Value) -> (u16, Value) {
    server
        .call("POST", "/api/v1/custom_profiles", Some(token), Some(body))
        .await
}

async fn an_agent_sends_as_a_custom_profile_that_everyone_sees() {
    let server = TestServer::start().await;
    let (brand_id, brand) = server.user("acme").await;
    let (carol_id, carol) = server.user("carol").await;
    server.follow(&carol, &brand_id).await;
    let (status, upload) = server.upload(&brand, &[], png(300, 200), "image/png").await;
    assert_eq!(status, 201, "{upload}");
    let (status, maria) = create(
        &server,
        &brand,
        json!({"name": "Maria from Support", "media_id": s(&upload["id"])}),
    )
    .await;
    assert_eq!(status, 201, "{maria}");
    assert_eq!(maria["name"], "Maria from Support");
    let picture = s(&maria["avatar_url"]);
    assert!(picture.starts_with("/api/v1/avatars/"), "{maria}");
    assert_eq!(
        server
            .raw("GET", &format!("{picture}?size=96"), None, None, &[])
            .await
            .0,
        200
    );
    let (status, bot) = create(&server, &brand, json!({"name": "Acme Bot"})).await;
    assert_eq!((status, &bot["avatar_url"]), (201, &Value::Null));
    let (_, list) = server
        .call("GET", "/api/v1/custom_profiles", Some(&brand), None)
        .await;
    let names: Vec<&str> = list["custom_profiles"]
        .as_array()
        .map(|a| a.iter().filter_map(|p| p["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["Maria from Support", "Acme Bot"]);

    let mut carol_ws = server.ws(&carol, None).await;
    assert_eq!(carol_ws.next().await["type"], "ready");
    let (status, sent) = server
        .call(
            "POST",
            &format!("/api/v1/messages/with/{carol_id}"),
            Some(&brand),
            Some(json!({"text": "Hi Carol, I'm on it.", "custom_profile_id": s(&maria["id"])})),
        )
        .await;
    assert_eq!(status, 201, "{sent}");
    let shown = json!({"id": maria["id"], "name": "Maria from Support", "avatar_url": picture});
    assert_eq!(sent["custom_profile"], shown);
    assert_eq!(
        sent["sender_id"],
        json!(brand_id),
        "still the account's message"
    );
    // Live, and in history, for the customer.
    let live = carol_ws.next_of("message.created").await;
    assert_eq!(live["data"]["custom_profile"], shown);
    let conversation = s(&sent["conversation_id"]);
    let (_, history) = server
        .call(
            "GET",
            &format!("/api/v1/conversations/{conversation}/events?limit=1"),
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(history["events"][0]["custom_profile"], shown);

    // Deleted, it sends no more, and the message keeps it as it was sent.
    let (status, _) = server
        .call(
            "DELETE",
            &format!("/api/v1/custom_profiles/{}", s(&maria["id"])),
            Some(&brand),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, refused) = server
        .call(
            "POST",
            &format!("/api/v1/messages/with/{carol_id}"),
            Some(&brand),
            Some(json!({"text": "again", "custom_profile_id": s(&maria["id"])})),
        )
        .await;
    assert_eq!(
        (status, &refused["error"]["field"]),
        (404, &json!("custom_profile_id")),
        "{refused}"
    );
    let (_, history) = server
        .call(
            "GET",
            &format!("/api/v1/conversations/{conversation}/events?limit=1"),
            Some(&carol),
            None,
        )
        .await;
    assert_eq!(history["events"][0]["custom_profile"], shown);
    assert_eq!(
        server.raw("GET", &picture, None, None, &[]).await.0,
        200,
        "its picture stays with the message"
    );
}

async fn only_the_owner_sends_as_a_profile_and_names_keep_to_their_limits() {
    let server = TestServer::start().await;
    let (_, brand) = server.user("acme").await;
    let (rival_id, rival) = server.user("rival").await;
    let (carol_id, carol) = server.user("carol").await;
    server.follow(&carol, &rival_id).await;
    let (_, maria) = create(&server, &brand, json!({"name": "Maria from Support"})).await;
    // Another account cannot send as it, see it, or delete it.
    let (status, refused) = server
        .call(
            "POST",
            &format!("/api/v1/messages/with/{carol_id}"),
            Some(&rival),
            Some(json!({"text": "Hi, this is Maria", "custom_profile_id": s(&maria["id"])})),
        )
        .await;
    assert_eq!(
        (status, &refused["error"]["field"]),
        (404, &json!("custom_profile_id")),
        "{refused}"
    );
    let path = format!("/api/v1/custom_profiles/{}", s(&maria["id"]));
    assert_eq!(server.call("GET", &path, Some(&rival), None).await.0, 404);
    assert_eq!(
        server.call("DELETE", &path, Some(&rival), None).await.0,
        404
    );
    assert_eq!(server.call("GET", &path, Some(&brand), None).await.0, 200);
    let (_, nothing_sent) = server
        .call("GET", "/api/v1/conversations", Some(&carol), None)
        .await;
    assert_eq!(
        nothing_sent["conversations"],
        json!([]),
        "the refused send stored nothing"
    );

    let (_, video) = server
        .upload(
            &brand,
            &[],
            include_bytes!("../fixtures/clip.mp4").to_vec(),
            "video/mp4",
        )
        .await;
    let cases: [(Value, u16, &str); 5] = [
        (json!({"name": "x".repeat(49)}), 400, "name"),
        (json!({"name": "   "}), 400, "name"),
        (json!({"name": "Two\nlines"}), 400, "name"),
        (
            json!({"name": "Maria", "media_id": "12345"}),
            404,
            "media_id",
        ),
        (
            json!({"name": "Maria", "media_id": s(&video["id"])}),
            400,
            "media_id",
        ),
    ];
    for (body, status, field) in cases {
        let (got, refused) = create(&server, &brand, body.clone()).await;
        assert_eq!(
            (got, &refused["error"]["field"]),
            (status, &json!(field)),
            "{body}: {refused}"
        );
    }
    let (status, _) = create(&server, &brand, json!({"name": "M".repeat(48)})).await;
    assert_eq!(status, 201, "48 characters is the limit");
}

async fn an_account_keeps_at_most_100_profiles() {
    let server = TestServer::start().await;
    let (_, brand) = server.user("acme").await;
    let mut first = Value::Null;
    for i in 0..100 {
        let (status, made) = create(&server, &brand, json!({"name": format!("Agent {i}")})).await;
        assert_eq!(status, 201, "profile {i}: {made}");
        if i == 0 {
            first = made;
        }
    }
    let (status, refused) = create(&server, &brand, json!({"name": "Agent 100"})).await;
    assert_eq!(
        (status, &refused["error"]["field"]),
        (409, &json!("name")),
        "the 101st: {refused}"
    );
    assert!(
        s(&refused["error"]["message"]).contains("at most 100"),
        "{refused}"
    );
    let (status, _) = server
        .call(
            "DELETE",
            &format!("/api/v1/custom_profiles/{}", s(&first["id"])),
            Some(&brand),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, made) = create(&server, &brand, json!({"name": "Agent 100"})).await;
    assert_eq!(status, 201, "room again after deleting one: {made}");
}
