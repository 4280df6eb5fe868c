//! `media/upload.json` (issue 17, item 4): chunked and whole uploads as Twitter's clients make
//! them, then a message carrying the media.

use base64::Engine;
use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::client::{Keys, Tweak, app_keys, dm_body};
use crate::common::{TestServer, s};

crate::on_every_backend!(
    a_chunked_upload_in_form_or_multipart_parts_then_a_message_with_it,
    a_whole_upload_is_typed_by_its_content_and_bad_uploads_are_refused,
);

const UPLOAD: &str = "/1.1/media/upload.json";

fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(w, h, image::Rgb([9, 90, 200])))
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap_or_else(|e| panic!("png: {e}"));
    out.into_inner()
}

async fn form(keys: &Keys, server: &TestServer, fields: &[(&str, &str)]) -> crate::client::Signed {
    keys.call(
        &server.base,
        "POST",
        UPLOAD,
        &[],
        Some(fields),
        None,
        &Tweak::default(),
    )
    .await
}

async fn a_chunked_upload_in_form_or_multipart_parts_then_a_message_with_it() {
    let server = TestServer::start().await;
    let (bot_id, bot) = server.user("bot").await;
    let (carol_id, carol) = server.user("carol").await;
    server.follow(&carol, &bot_id).await;
    let keys = app_keys(&server, &bot).await;
    let bytes = png(300, 200);
    let (first, second) = bytes.split_at(bytes.len() / 2);
    let total = bytes.len().to_string();
    let init = form(
        &keys,
        &server,
        &[
            ("command", "INIT"),
            ("total_bytes", &total),
            ("media_type", "image/png"),
            ("media_category", "dm_image"),
        ],
    )
    .await;
    assert_eq!(init.status, 200, "{}", init.body);
    // twitter-api-v2 names categories DmImage, TweetImage: the same ones.
    for (named, ok) in [("DmImage", true), ("TweetImage", true), ("dm_photo", false)] {
        let other = form(
            &keys,
            &server,
            &[
                ("command", "INIT"),
                ("total_bytes", &total),
                ("media_type", "image/png"),
                ("media_category", named),
            ],
        )
        .await;
        if ok {
            assert_eq!(other.status, 200, "{named}: {}", other.body);
        } else {
            assert_eq!(other.status, 400, "{named}: {}", other.body);
            assert!(
                other.body["errors"][0]["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("media_category:")),
                "{}",
                other.body
            );
        }
    }
    let id = s(&init.body["media_id_string"]);
    assert_eq!(
        init.body["media_id"].as_u64().map(|n| n.to_string()),
        Some(id.clone())
    );
    assert!(
        init.body["expires_after_secs"]
            .as_i64()
            .is_some_and(|n| n > 0),
        "{}",
        init.body
    );
    // twitter-api-v2 and tweepy send a segment as a multipart part; the form may carry it in base64.
    let part = Form::new()
        .text("command", "APPEND")
        .text("media_id", id.clone())
        .text("segment_index", "0")
        .part("media", Part::bytes(first.to_vec()).file_name("blob"));
    let appended = keys.multipart(&server.base, UPLOAD, &[], part).await;
    assert_eq!(
        (appended.status, appended.body.clone()),
        (204, serde_json::Value::Null)
    );
    let encoded = base64::engine::general_purpose::STANDARD.encode(second);
    let appended = form(
        &keys,
        &server,
        &[
            ("command", "APPEND"),
            ("media_id", &id),
            ("segment_index", "1"),
            ("media_data", &encoded),
        ],
    )
    .await;
    assert_eq!(appended.status, 204, "{}", appended.body);
    let status = keys
        .get(
            &server.base,
            UPLOAD,
            &[("command", "STATUS"), ("media_id", &id)],
        )
        .await;
    assert_eq!(
        status.body["processing_info"]["state"], "pending",
        "{}",
        status.body
    );
    let done = form(
        &keys,
        &server,
        &[("command", "FINALIZE"), ("media_id", &id)],
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["image"]["w"], 300);
    assert_eq!(done.body["image"]["image_type"], "image/png");
    let status = keys
        .get(
            &server.base,
            UPLOAD,
            &[("command", "STATUS"), ("media_id", &id)],
        )
        .await;
    assert_eq!(
        status.body["processing_info"]["state"], "succeeded",
        "{}",
        status.body
    );
    let sent = keys
        .post_json(
            &server.base,
            "/1.1/direct_messages/events/new.json",
            dm_body(
                &carol_id,
                json!({"text": "look", "attachment": {"type": "media", "media": {"id": id}}}),
            ),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let media = &sent.body["event"]["message_create"]["message_data"]["attachment"]["media"];
    assert_eq!(media["id_str"], id.as_str());
    assert_eq!(media["type"], "photo");
    // Fetched with a signed GET, as Twitter's DM media is: by the sender and the recipient
    // (through her own app), and by no one else.
    let url = s(&media["media_url_https"]);
    assert!(
        url.starts_with(&format!("{}/1.1/ton/data/dm/", server.base)),
        "{url}"
    );
    let (status, kind, length) = keys.fetch(&url).await;
    assert_eq!((status, kind.as_str()), (200, "image/png"));
    assert!(length > 100, "{length} bytes");
    let (status, _, _) = app_keys(&server, &carol).await.fetch(&url).await;
    assert_eq!(status, 200);
    let (_, stranger) = server.user("stranger").await;
    let (status, _, _) = app_keys(&server, &stranger).await.fetch(&url).await;
    assert_eq!(status, 404);
    // Attached once (not shared): a second message with it is refused with Twitter's code.
    let again = keys
        .post_json(
            &server.base,
            "/1.1/direct_messages/events/new.json",
            dm_body(
                &carol_id,
                json!({"text": "again", "attachment": {"type": "media", "media": {"id": id}}}),
            ),
        )
        .await;
    assert_eq!(again.code(400), 324);
}

async fn a_whole_upload_is_typed_by_its_content_and_bad_uploads_are_refused() {
    let server = TestServer::start().await;
    let (_, bot) = server.user("bot").await;
    let (_, other) = server.user("other").await;
    let keys = app_keys(&server, &bot).await;
    let others = app_keys(&server, &other).await;
    // tweepy's simple upload sends the file alone, without a type.
    let whole = Form::new()
        .text("media_category", "dm_image")
        .part("media", Part::bytes(png(40, 30)).file_name("photo"));
    let done = keys.multipart(&server.base, UPLOAD, &[], whole).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(
        (
            done.body["image"]["w"].clone(),
            done.body["image"]["h"].clone()
        ),
        (json!(40), json!(30))
    );
    let text = Form::new().part(
        "media",
        Part::bytes(b"not a picture at all".to_vec()).file_name("x"),
    );
    let refused = keys.multipart(&server.base, UPLOAD, &[], text).await;
    assert_eq!(refused.code(400), 324);
    let unknown = form(&keys, &server, &[("command", "REWIND")]).await;
    assert_eq!(unknown.code(400), 44);
    assert!(
        s(&unknown.body["errors"][0]["message"]).contains("command"),
        "{}",
        unknown.body
    );
    // Another account's upload is not there for you.
    let init = form(
        &keys,
        &server,
        &[
            ("command", "INIT"),
            ("total_bytes", "10"),
            ("media_type", "image/png"),
        ],
    )
    .await;
    let id = s(&init.body["media_id_string"]);
    let own = keys
        .get(
            &server.base,
            UPLOAD,
            &[("command", "STATUS"), ("media_id", &id)],
        )
        .await;
    assert_eq!(own.status, 200, "{}", own.body);
    let not_yours = others
        .call(
            &server.base,
            "POST",
            UPLOAD,
            &[],
            Some(&[("command", "FINALIZE"), ("media_id", id.as_str())]),
            None,
            &Tweak::default(),
        )
        .await;
    assert_eq!(not_yours.code(400), 325);
    let no_segment = form(
        &keys,
        &server,
        &[
            ("command", "APPEND"),
            ("media_id", &id),
            ("segment_index", "0"),
        ],
    )
    .await;
    assert_eq!(no_segment.code(400), 44);
}
