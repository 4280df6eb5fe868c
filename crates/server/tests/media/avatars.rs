//! Avatars (issue 14): a person's image upload cut to its middle square in every side,
//! served to anyone by an unguessable key, replaced and removed without leaving files behind.

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use serde_json::{Value, json};

use crate::common::{TestServer, s};
use crate::support::*;

crate::on_every_backend!(
    media in S3:
    an_avatar_is_the_middle_square_of_the_picture_in_every_side,
    everyone_sees_the_avatar_where_they_see_the_person,
    replacing_or_removing_an_avatar_removes_its_files,
    an_avatar_is_refused_for_what_is_not_your_finished_image,
);

/// Three bands, red, green, blue, across a landscape picture or down a portrait one: the
/// middle square of either is the green band.
fn banded(w: u32, h: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| {
        let third = if w >= h { 3 * x / w } else { 3 * y / h };
        [Rgb([220, 0, 0]), Rgb([0, 200, 0]), Rgb([0, 0, 220])][third as usize]
    });
    encoded(&DynamicImage::ImageRgb8(img), ImageFormat::Png)
}

async fn set_avatar(server: &TestServer, token: &str, media: &str) -> (u16, Value) {
    server
        .call(
            "PUT",
            "/api/v1/me/avatar",
            Some(token),
            Some(json!({"media_id": media})),
        )
        .await
}

/// Uploads `file` and makes it the avatar; returns its URL.
async fn avatar_from(server: &TestServer, token: &str, file: Vec<u8>) -> String {
    let up = uploaded(server, token, file, "image/png").await;
    let (status, user) = set_avatar(server, token, &s(&up["id"])).await;
    assert_eq!(status, 200, "{user}");
    s(&user["avatar_url"])
}

fn assert_all_green(jpeg: &[u8], side: u32) {
    let img = image::load_from_memory_with_format(jpeg, ImageFormat::Jpeg)
        .unwrap()
        .to_rgb8();
    assert_eq!(img.dimensions(), (side, side));
    for (x, y) in [
        (1, 1),
        (side / 2, side / 2),
        (side - 2, side - 2),
        (1, side - 2),
    ] {
        let [r, g, b] = img.get_pixel(x, y).0;
        assert!(
            g > 150 && r < 70 && b < 70,
            "side {side} at {x},{y}: {r},{g},{b}"
        );
    }
}

async fn an_avatar_is_the_middle_square_of_the_picture_in_every_side() {
    let server = TestServer::start().await;
    let (_, alice) = server.user("alice").await;
    for (w, h) in [(900, 300), (300, 900)] {
        let url = avatar_from(&server, &alice, banded(w, h)).await;
        let key = url.strip_prefix("/api/v1/avatars/").unwrap();
        assert!(
            key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit()),
            "{url}"
        );
        // Anyone may fetch it, without a token; the default is the largest side.
        let (status, headers, body) = server.raw("GET", &url, None, None, &[]).await;
        assert_eq!(status, 200, "{w}×{h}");
        assert_eq!(headers["content-type"], "image/jpeg");
        assert_eq!(
            headers["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_all_green(&body, 400);
        for side in [48, 96, 200, 400] {
            let (status, _, body) = server
                .raw("GET", &format!("{url}?size={side}"), None, None, &[])
                .await;
            assert_eq!(status, 200);
            assert_all_green(&body, side);
        }
        // It never changes, so a cached copy is always current.
        let etag = headers["etag"].to_str().unwrap().to_owned();
        let (status, _, body) = server
            .raw("GET", &url, None, None, &[("If-None-Match", &etag)])
            .await;
        assert_eq!((status, body.len()), (304, 0));
    }
}

async fn everyone_sees_the_avatar_where_they_see_the_person() {
    let server = TestServer::start().await;
    let (alice_id, alice, bob_id, bob) = server.friends().await;
    let (_, me) = server.call("GET", "/api/v1/me", Some(&alice), None).await;
    assert_eq!(me["avatar_url"], Value::Null, "none until one is set");
    let url = avatar_from(&server, &alice, banded(600, 400)).await;
    server.dm(&alice, &bob_id, "hello").await;

    let (_, me) = server.call("GET", "/api/v1/me", Some(&alice), None).await;
    assert_eq!(s(&me["avatar_url"]), url);
    let (_, seen) = server
        .call(
            "GET",
            &format!("/api/v1/users/{alice_id}"),
            Some(&bob),
            None,
        )
        .await;
    assert_eq!(s(&seen["avatar_url"]), url, "{seen}");
    let (_, inbox) = server
        .call("GET", "/api/v1/conversations", Some(&bob), None)
        .await;
    let participants = inbox["conversations"][0]["participants"]
        .as_array()
        .unwrap();
    let alice_there = participants
        .iter()
        .find(|p| s(&p["id"]) == alice_id)
        .unwrap();
    assert_eq!(s(&alice_there["avatar_url"]), url, "{inbox}");
    let (_, found) = server
        .call("GET", "/api/v1/users/search?q=ali", Some(&bob), None)
        .await;
    assert_eq!(s(&found["users"][0]["avatar_url"]), url, "{found}");
}

async fn replacing_or_removing_an_avatar_removes_its_files() {
    let server = TestServer::start().await;
    let (_, alice) = server.user("alice").await;
    let first = avatar_from(&server, &alice, banded(500, 500)).await;
    let (with_one, _) = leftovers(&server).await;
    let second = avatar_from(&server, &alice, banded(800, 500)).await;
    assert_ne!(first, second, "a new picture is a new key");
    let (with_two_uploads, _) = leftovers(&server).await;
    // The second upload added its original and thumbnail; the first avatar's four sides
    // went as the second's four came.
    assert_eq!(with_two_uploads, with_one + 2);
    assert_eq!(server.raw("GET", &first, None, None, &[]).await.0, 404);
    assert_eq!(server.raw("GET", &second, None, None, &[]).await.0, 200);

    let (status, user) = server
        .call("DELETE", "/api/v1/me/avatar", Some(&alice), None)
        .await;
    assert_eq!((status, &user["avatar_url"]), (200, &Value::Null));
    assert_eq!(leftovers(&server).await.0, with_two_uploads - 4);
    assert_eq!(server.raw("GET", &second, None, None, &[]).await.0, 404);
    // Removing none is not an error.
    let (status, user) = server
        .call("DELETE", "/api/v1/me/avatar", Some(&alice), None)
        .await;
    assert_eq!((status, &user["avatar_url"]), (200, &Value::Null));
}

async fn an_avatar_is_refused_for_what_is_not_your_finished_image() {
    let server = TestServer::start().await;
    let (_, alice, _, bob) = server.friends().await;
    let current = avatar_from(&server, &alice, banded(300, 300)).await;
    let bobs = uploaded(&server, &bob, banded(300, 300), "image/png").await;
    let video = uploaded(&server, &alice, MP4.to_vec(), "video/mp4").await;
    let (_, started) = start_chunked(
        &server,
        &alice,
        json!({"media_type": "image/png", "total_bytes": 1000}),
    )
    .await;
    let refusals: [(&str, Value, u16, &str); 6] = [
        (
            "someone else's upload",
            json!({"media_id": s(&bobs["id"])}),
            404,
            "media_id",
        ),
        ("no upload", json!({"media_id": "12345"}), 404, "media_id"),
        (
            "a video",
            json!({"media_id": s(&video["id"])}),
            400,
            "media_id",
        ),
        (
            "an upload in progress",
            json!({"media_id": s(&started["id"])}),
            409,
            "media_id",
        ),
        ("no media_id", json!({}), 400, "media_id"),
        ("not an id", json!({"media_id": "abc"}), 400, "media_id"),
    ];
    for (what, body, status, field) in refusals {
        let (got, answer) = server
            .call("PUT", "/api/v1/me/avatar", Some(&alice), Some(body))
            .await;
        assert_eq!(got, status, "{what}: {answer}");
        assert_eq!(answer["error"]["field"], field, "{what}: {answer}");
    }
    assert_eq!(
        server
            .call(
                "PUT",
                "/api/v1/me/avatar",
                None,
                Some(json!({"media_id": "1"}))
            )
            .await
            .0,
        401
    );
    // Nothing was lost: the avatar is the one set before, and still served.
    let (_, me) = server.call("GET", "/api/v1/me", Some(&alice), None).await;
    assert_eq!(s(&me["avatar_url"]), current);
    assert_eq!(server.raw("GET", &current, None, None, &[]).await.0, 200);

    let (status, _, body) = server
        .raw("GET", &format!("{current}?size=50"), None, None, &[])
        .await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (status, &body["error"]["field"]),
        (400, &json!("size")),
        "{body}"
    );
    assert!(
        s(&body["error"]["message"]).contains("48, 96, 200, 400"),
        "{body}"
    );
    for bad in [
        "/api/v1/avatars/nothing",
        "/api/v1/avatars/00000000000000000000000000000000",
    ] {
        assert_eq!(
            server.raw("GET", bad, None, None, &[]).await.0,
            404,
            "{bad}"
        );
    }
}
