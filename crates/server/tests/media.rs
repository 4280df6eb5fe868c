//! Media (SPEC §3.6, issue 4) through the real server: every accepted type from upload to a
//! participant's fetch, every refusal leaving nothing behind, chunked uploads resumed after
//! an interruption, attachment rules, expiry, and delivery (ranges, caching, nosniff).
//!
//! Runs on SQLite with media in a local directory, and on PostgreSQL + NATS with media in S3.

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a test should stop loudly at the first thing it did not expect"
)]

mod common;

use std::io::Cursor;

use chrono::Utc;
use common::{TestServer, s};
use image::{DynamicImage, ImageFormat, Rgba, RgbaImage};
use serde_json::{Value, json};

on_every_backend!(
    every_accepted_type_goes_from_upload_to_participants_only,
    gps_and_other_metadata_are_gone_and_the_picture_is_upright,
    refused_uploads_say_why_and_leave_nothing_behind,
    decompression_bombs_are_refused,
    chunked_upload_resumes_after_an_interruption,
    attaching_follows_the_ownership_and_sharing_rules,
    unattached_media_expires_and_the_sweep_removes_its_bytes,
    delivery_supports_ranges_and_caching_and_is_never_sniffed,
);

/// An upload that must pass: the file, its type, its category, its (width, height).
type Accepted = (Vec<u8>, &'static str, &'static str, (u64, u64));
/// An upload that must fail: what it is, the file, its type, form fields, and the expected
/// status, error code and field.
type Refusal = (
    &'static str,
    Vec<u8>,
    &'static str,
    &'static [(&'static str, &'static str)],
    u16,
    &'static str,
    &'static str,
);

const MP4: &[u8] = include_bytes!("fixtures/clip.mp4");
const MOV: &[u8] = include_bytes!("fixtures/clip.mov");
const GPS_JPEG: &[u8] = include_bytes!("fixtures/gps.jpg");

/// A two-colour test picture, so re-encoding has something to keep.
fn picture(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgba8(RgbaImage::from_fn(w, h, |x, _| {
        if x < w / 2 {
            Rgba([200, 30, 30, 255])
        } else {
            Rgba([30, 30, 200, 255])
        }
    }))
}

fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let image = match format {
        ImageFormat::Jpeg => DynamicImage::ImageRgb8(image.to_rgb8()),
        _ => image.clone(),
    };
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// An animated GIF of `frames` frames.
fn animated_gif(w: u16, h: u16, frames: usize) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let palette = [255, 0, 0, 0, 0, 255];
        let mut encoder = gif::Encoder::new(&mut out, w, h, &palette).unwrap();
        encoder.set_repeat(gif::Repeat::Infinite).unwrap();
        for i in 0..frames {
            let colour = u8::try_from(i % 2).unwrap();
            let frame = gif::Frame {
                width: w,
                height: h,
                delay: 10,
                buffer: vec![colour; usize::from(w) * usize::from(h)].into(),
                ..gif::Frame::default()
            };
            encoder.write_frame(&frame).unwrap();
        }
    }
    out
}

/// Two friends and a stranger: (alice_id, alice, bob_id, bob, carol).
async fn people(server: &TestServer) -> (String, String, String, String, String) {
    let (alice_id, alice, bob_id, bob) = server.friends().await;
    let (_, carol) = server.user("carol").await;
    (alice_id, alice, bob_id, bob, carol)
}

/// Uploads and expects success; returns the upload.
async fn uploaded(server: &TestServer, token: &str, file: Vec<u8>, mime: &str) -> Value {
    let (status, body) = server.upload(token, &[], file, mime).await;
    assert_eq!(status, 201, "upload {mime}: {body}");
    assert_eq!(body["state"], "ready", "{body}");
    body
}

/// Sends `media` to a user; returns (status, message).
async fn send_media(server: &TestServer, token: &str, to: &str, media: &str) -> (u16, Value) {
    server
        .call(
            "POST",
            &format!("/api/v1/messages/with/{to}"),
            Some(token),
            Some(json!({"text": "", "media_id": media})),
        )
        .await
}

async fn fetch(
    server: &TestServer,
    token: &str,
    path: &str,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    server.raw("GET", path, Some(token), None, &[]).await
}

/// Objects in media storage and files being staged.
async fn leftovers(server: &TestServer) -> (usize, usize) {
    let running = server.running.as_ref().unwrap();
    running
        .services
        .media_storage()
        .object_count()
        .await
        .unwrap()
}

async fn every_accepted_type_goes_from_upload_to_participants_only() {
    let server = TestServer::start().await;
    let (alice_id, alice, bob_id, bob, carol) = people(&server).await;
    let mut bob_ws = server.ws(&bob, None).await;
    let still = picture(40, 30);
    let cases: Vec<Accepted> = vec![
        (
            encoded(&still, ImageFormat::Jpeg),
            "image/jpeg",
            "dm_image",
            (40, 30),
        ),
        (
            encoded(&still, ImageFormat::Png),
            "image/png",
            "dm_image",
            (40, 30),
        ),
        (
            encoded(&still, ImageFormat::WebP),
            "image/webp",
            "dm_image",
            (40, 30),
        ),
        (animated_gif(24, 16, 3), "image/gif", "dm_gif", (24, 16)),
        (MP4.to_vec(), "video/mp4", "dm_video", (64, 48)),
        (MOV.to_vec(), "video/quicktime", "dm_video", (64, 48)),
    ];
    for (file, mime, category, (w, h)) in cases {
        let up = uploaded(&server, &alice, file.clone(), mime).await;
        let media = &up["media"];
        assert_eq!(media["media_type"], mime, "{up}");
        assert_eq!(media["category"], category, "{up}");
        assert_eq!(
            (media["width"].as_u64(), media["height"].as_u64()),
            (Some(w), Some(h)),
            "{up}"
        );
        let id = s(&up["id"]);
        let url = s(&media["url"]);
        assert_eq!(url, format!("/api/v1/media/{id}"));

        let (status, message) = send_media(&server, &alice, &bob_id, &id).await;
        assert_eq!(status, 201, "{mime}: {message}");
        assert_eq!(message["media"], *media, "the message carries the media");
        let frame = bob_ws.next_of("message.created").await;
        assert_eq!(
            frame["data"]["media"], *media,
            "the stream carries the media"
        );

        // The participant gets the stored file with its type and length.
        let (status, headers, body) = fetch(&server, &bob, &url).await;
        assert_eq!(status, 200, "{mime}");
        assert_eq!(headers["content-type"], mime);
        assert_eq!(headers["content-length"], body.len().to_string().as_str());
        assert_eq!(Some(body.len() as u64), media["size"].as_u64());
        if mime.starts_with("video/") {
            assert_eq!(body, file, "videos are stored as uploaded");
            assert!(
                media
                    .get("duration_ms")
                    .is_some_and(|d| d.as_u64() == Some(1000)),
                "{media}"
            );
            assert!(media.get("thumbnail_url").is_none());
        } else {
            let back = image::load_from_memory(&body).unwrap();
            assert_eq!((u64::from(back.width()), u64::from(back.height())), (w, h));
            let thumb = s(&media["thumbnail_url"]);
            let (status, headers, body) = fetch(&server, &bob, &thumb).await;
            assert_eq!(status, 200, "thumbnail of {mime}");
            assert_eq!(headers["content-type"], "image/jpeg");
            assert!(image::load_from_memory_with_format(&body, ImageFormat::Jpeg).is_ok());
        }
        // The uploader may fetch it too; nobody else may.
        assert_eq!(fetch(&server, &alice, &url).await.0, 200);
        let (status, _, body) = fetch(&server, &carol, &url).await;
        assert_eq!(
            status,
            404,
            "an outsider: {}",
            String::from_utf8_lossy(&body)
        );
        assert_eq!(server.raw("GET", &url, None, None, &[]).await.0, 401);
    }
    // History shows the media too.
    let conversation = format!(
        "{}-{}",
        alice_id
            .parse::<i64>()
            .unwrap()
            .min(bob_id.parse().unwrap()),
        alice_id
            .parse::<i64>()
            .unwrap()
            .max(bob_id.parse().unwrap())
    );
    let (_, page) = server
        .call(
            "GET",
            &format!("/api/v1/conversations/{conversation}/events"),
            Some(&bob),
            None,
        )
        .await;
    let with_media = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["media"]["id"].is_string())
        .count();
    assert_eq!(with_media, 6, "{page}");
}

async fn gps_and_other_metadata_are_gone_and_the_picture_is_upright() {
    // The fixture is a 64×48 JPEG whose EXIF says where it was taken, by which camera, and
    // that it must be turned a quarter clockwise to display.
    let exif = exif::Reader::new()
        .read_from_container(&mut Cursor::new(GPS_JPEG))
        .unwrap();
    assert!(
        exif.get_field(exif::Tag::GPSLatitude, exif::In::PRIMARY)
            .is_some()
    );
    assert!(GPS_JPEG.windows(17).any(|w| w == b"PosternTestCamera"));

    let server = TestServer::start().await;
    let (_, alice, ..) = people(&server).await;
    let up = uploaded(&server, &alice, GPS_JPEG.to_vec(), "image/jpeg").await;
    let (status, _, stored) = fetch(&server, &alice, &s(&up["media"]["url"])).await;
    assert_eq!(status, 200);
    assert!(
        exif::Reader::new()
            .read_from_container(&mut Cursor::new(&stored))
            .is_err(),
        "no EXIF block is left"
    );
    assert!(!stored.windows(17).any(|w| w == b"PosternTestCamera"));
    assert!(!stored.windows(4).any(|w| w == b"Exif"));
    // Turned as the EXIF said, so it displays the same without it.
    assert_eq!(
        (
            up["media"]["width"].as_u64(),
            up["media"]["height"].as_u64()
        ),
        (Some(48), Some(64))
    );
    let (_, _, thumb) = fetch(&server, &alice, &s(&up["media"]["thumbnail_url"])).await;
    assert!(!thumb.windows(4).any(|w| w == b"Exif"));
}

async fn refused_uploads_say_why_and_leave_nothing_behind() {
    let server = TestServer::with(|c| c.limits.media_image_bytes = 20_000).await;
    let (_, alice, ..) = people(&server).await;
    let png = encoded(&picture(40, 30), ImageFormat::Png);
    let jpeg = encoded(&picture(40, 30), ImageFormat::Jpeg);
    let noisy = encoded(
        &DynamicImage::ImageRgb8(image::RgbImage::from_fn(200, 200, |x, y| {
            image::Rgb([
                (x * 7 % 251) as u8,
                (y * 13 % 241) as u8,
                ((x * y) % 239) as u8,
            ])
        })),
        ImageFormat::Png,
    );
    assert!(noisy.len() > 20_000);
    let cut = |bytes: &[u8], keep: usize| bytes[..keep].to_vec();
    let cases: Vec<Refusal> = vec![
        (
            "a PNG declared as JPEG",
            png.clone(),
            "image/jpeg",
            &[],
            400,
            "media_type_mismatch",
            "media",
        ),
        (
            "a PDF declared as PNG",
            b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n".to_vec(),
            "image/png",
            &[],
            400,
            "media_type_mismatch",
            "media",
        ),
        (
            "a type not accepted",
            b"%PDF-1.7\n".to_vec(),
            "application/pdf",
            &[],
            415,
            "unsupported_media_type",
            "media_type",
        ),
        (
            "an image over the cap",
            noisy,
            "image/png",
            &[],
            413,
            "too_large",
            "media",
        ),
        (
            "a category that does not take the type",
            jpeg.clone(),
            "image/jpeg",
            &[("media_category", "dm_video")],
            400,
            "invalid_request",
            "media_category",
        ),
        (
            "a corrupt JPEG",
            [&jpeg[..20], &[0x55; 400][..], &[0xFF, 0xD9][..]].concat(),
            "image/jpeg",
            &[],
            400,
            "invalid_media",
            "media",
        ),
        (
            "a truncated JPEG",
            cut(&jpeg, jpeg.len() / 2),
            "image/jpeg",
            &[],
            400,
            "invalid_media",
            "media",
        ),
        (
            "a truncated PNG",
            cut(&png, png.len() / 2),
            "image/png",
            &[],
            400,
            "invalid_media",
            "media",
        ),
        (
            "a truncated GIF",
            cut(&animated_gif(24, 16, 3), 60),
            "image/gif",
            &[],
            400,
            "invalid_media",
            "media",
        ),
        (
            "a truncated MP4",
            cut(MP4, MP4.len() / 2),
            "video/mp4",
            &[],
            400,
            "invalid_media",
            "media",
        ),
        (
            "an MP4 declared as QuickTime",
            MP4.to_vec(),
            "video/quicktime",
            &[],
            400,
            "media_type_mismatch",
            "media",
        ),
        (
            "an empty file",
            Vec::new(),
            "image/png",
            &[],
            400,
            "invalid_media",
            "media",
        ),
        (
            "an unknown category",
            png.clone(),
            "image/png",
            &[("media_category", "tweet_image")],
            400,
            "invalid_request",
            "media_category",
        ),
    ];
    for (what, file, mime, fields, status, code, field) in cases {
        let (got, body) = server.upload(&alice, fields, file, mime).await;
        assert_eq!(got, status, "{what}: {body}");
        assert_eq!(body["error"]["code"], code, "{what}: {body}");
        assert_eq!(body["error"]["field"], field, "{what}: {body}");
        assert_eq!(
            leftovers(&server).await,
            (0, 0),
            "{what} left something behind"
        );
    }
    // Without the file there is nothing to store.
    let (status, body) = server
        .call("POST", "/api/v1/media", Some(&alice), None)
        .await;
    assert_eq!(status, 415, "{body}");
    // And what passes is kept: the same server takes a good upload.
    uploaded(&server, &alice, png, "image/png").await;
    assert_eq!(
        leftovers(&server).await,
        (2, 0),
        "the image and its thumbnail"
    );
}

async fn decompression_bombs_are_refused() {
    let server = TestServer::with(|c| c.limits.media_decode_bytes = 1 << 20).await;
    let (_, alice, ..) = people(&server).await;
    // A few kilobytes that decode to 16 MiB of pixels.
    let bomb = encoded(
        &DynamicImage::ImageRgba8(RgbaImage::new(2048, 2048)),
        ImageFormat::Png,
    );
    assert!(bomb.len() < 100_000);
    // Wider than any image may be (8192 pixels), whatever its memory.
    let wide = encoded(
        &DynamicImage::ImageLuma8(image::GrayImage::new(9000, 1)),
        ImageFormat::Png,
    );
    let gif_bomb = animated_gif(1100, 1000, 1);
    for (what, file, mime) in [
        ("PNG", bomb, "image/png"),
        ("wide PNG", wide, "image/png"),
        ("GIF", gif_bomb, "image/gif"),
    ] {
        let (status, body) = server.upload(&alice, &[], file, mime).await;
        assert_eq!(status, 413, "{what}: {body}");
        assert_eq!(body["error"]["code"], "too_large", "{what}: {body}");
        assert!(
            s(&body["error"]["message"]).contains("decodes beyond the limits"),
            "{body}"
        );
        assert_eq!(leftovers(&server).await, (0, 0), "{what}");
    }
}

async fn start_chunked(server: &TestServer, token: &str, body: Value) -> (u16, Value) {
    server
        .call("POST", "/api/v1/media/uploads", Some(token), Some(body))
        .await
}

async fn put_part(
    server: &TestServer,
    token: &str,
    id: &str,
    n: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    let (status, _, body) = server
        .raw(
            "PUT",
            &format!("/api/v1/media/uploads/{id}/parts/{n}"),
            Some(token),
            Some(reqwest::Body::from(bytes)),
            &[],
        )
        .await;
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn chunked_upload_resumes_after_an_interruption() {
    let server = TestServer::start().await;
    let (_, alice, bob_id, bob, carol) = people(&server).await;
    let (status, started) = start_chunked(
        &server,
        &alice,
        json!({"total_bytes": MP4.len(), "media_type": "video/mp4", "media_category": "dm_video"}),
    )
    .await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["state"], "uploading");
    let id = s(&started["id"]);
    let parts: Vec<Vec<u8>> = MP4.chunks(2_500).map(<[u8]>::to_vec).collect();
    assert_eq!(parts.len(), 3);

    // Parts in any order: the last one first.
    assert_eq!(
        put_part(&server, &alice, &id, "2", parts[2].clone())
            .await
            .0,
        200
    );
    // Part 1's connection drops halfway: the server keeps nothing of it.
    let half = parts[1][..1_000].to_vec();
    let broken = futures::stream::iter(vec![
        Ok::<_, std::io::Error>(bytes::Bytes::from(half)),
        Err(std::io::Error::other("connection lost")),
    ]);
    let _ = server
        .try_raw(
            "PUT",
            &format!("/api/v1/media/uploads/{id}/parts/1"),
            &alice,
            reqwest::Body::wrap_stream(broken),
        )
        .await;
    assert_eq!(
        put_part(&server, &alice, &id, "0", parts[0].clone())
            .await
            .0,
        200
    );

    // Completing now names what is missing.
    let complete = format!("/api/v1/media/uploads/{id}/complete");
    let (status, body) = server.call("POST", &complete, Some(&alice), None).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "parts");
    assert!(
        s(&body["error"]["message"]).contains("missing parts: 1"),
        "{body}"
    );

    // The client resumes from the status: parts 0 and 2 are there, 1 is not.
    let status_path = format!("/api/v1/media/uploads/{id}");
    let (_, status_body) = server.call("GET", &status_path, Some(&alice), None).await;
    let have: Vec<u64> = status_body["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["number"].as_u64().unwrap())
        .collect();
    assert_eq!(have, vec![0, 2], "{status_body}");
    // Nobody else sees the upload.
    assert_eq!(
        server.call("GET", &status_path, Some(&carol), None).await.0,
        404
    );
    assert_eq!(
        put_part(&server, &carol, &id, "1", parts[1].clone())
            .await
            .0,
        404
    );

    assert_eq!(
        put_part(&server, &alice, &id, "1", parts[1].clone())
            .await
            .0,
        200
    );
    let (status, done) = server.call("POST", &complete, Some(&alice), None).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["state"], "ready");
    assert_eq!(done["media"]["size"].as_u64(), Some(MP4.len() as u64));
    assert_eq!(done["media"]["width"].as_u64(), Some(64));
    // Completing again answers the same; parts can no longer be sent.
    let (status, again) = server.call("POST", &complete, Some(&alice), None).await;
    assert_eq!((status, &again["media"]), (200, &done["media"]));
    assert_eq!(
        put_part(&server, &alice, &id, "0", parts[0].clone())
            .await
            .0,
        409
    );

    // The joined file is the original, byte for byte.
    let (status, message) = send_media(&server, &alice, &bob_id, &id).await;
    assert_eq!(status, 201, "{message}");
    let (_, _, body) = fetch(&server, &bob, &s(&done["media"]["url"])).await;
    assert_eq!(body, MP4);
    assert_eq!(
        leftovers(&server).await,
        (1, 0),
        "the parts are gone once joined"
    );
}

async fn chunked_refusals(server: &TestServer, token: &str) {
    let declared = |total: usize, mime: &str| json!({"total_bytes": total, "media_type": mime});
    let (status, body) = start_chunked(server, token, declared(6_000_000, "image/jpeg")).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (413, &json!("too_large")),
        "{body}"
    );
    let (status, body) = start_chunked(server, token, declared(0, "video/mp4")).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (400, &json!("total_bytes")),
        "{body}"
    );
    let (status, body) = start_chunked(server, token, declared(10, "text/html")).await;
    assert_eq!(status, 415, "{body}");

    let (_, started) = start_chunked(server, token, declared(10, "video/mp4")).await;
    let id = s(&started["id"]);
    let (status, body) = put_part(server, token, &id, "1000", vec![0; 5]).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (400, &json!("part")),
        "{body}"
    );
    let (status, body) = put_part(server, token, &id, "0", vec![0; 11]).await;
    assert_eq!(status, 413, "parts beyond total_bytes: {body}");
    let (status, body) = put_part(server, token, &id, "0", vec![0; 6_000_000]).await;
    assert_eq!(status, 413, "a part over 5 MB: {body}");
    // Ten bytes that are no video: completing refuses them and removes the upload.
    assert_eq!(put_part(server, token, &id, "0", vec![0; 10]).await.0, 200);
    let (status, body) = server
        .call(
            "POST",
            &format!("/api/v1/media/uploads/{id}/complete"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("media_type_mismatch")),
        "{body}"
    );
    let (status, _) = server
        .call(
            "GET",
            &format!("/api/v1/media/uploads/{id}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(status, 404, "a refused upload is gone");
}

async fn attaching_follows_the_ownership_and_sharing_rules() {
    let server = TestServer::start().await;
    let (alice_id, alice, bob_id, bob, carol) = people(&server).await;
    chunked_refusals(&server, &alice).await;
    assert_eq!(leftovers(&server).await, (0, 0));
    let png = encoded(&picture(8, 8), ImageFormat::Png);

    // Only the uploader may attach.
    let once = s(&uploaded(&server, &alice, png.clone(), "image/png").await["id"]);
    let (status, body) = send_media(&server, &bob, &alice_id, &once).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (400, &json!("media_id")),
        "{body}"
    );
    // Unshared media attaches once; a retried send (same idempotency key) is answered with
    // the original message, not refused.
    let path = format!("/api/v1/messages/with/{bob_id}");
    let keyed = |key: &str| json!({"text": "", "media_id": once, "client_message_id": key});
    let (status, first) = server
        .call("POST", &path, Some(&alice), Some(keyed("p-1")))
        .await;
    assert_eq!(status, 201, "{first}");
    let (status, retried) = server
        .call("POST", &path, Some(&alice), Some(keyed("p-1")))
        .await;
    assert_eq!((status, &retried["id"]), (200, &first["id"]), "{retried}");
    let (status, body) = server
        .call("POST", &path, Some(&alice), Some(keyed("p-2")))
        .await;
    assert!(
        status == 400 && body["error"]["field"] == "media_id",
        "{body}"
    );
    let (status, body) = send_media(&server, &alice, &bob_id, &once).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        s(&body["error"]["message"]).contains("already attached"),
        "{body}"
    );

    // Shared media is reused by its owner, and only by them.
    let (status, shared) = server
        .upload(&alice, &[("shared", "true")], png.clone(), "image/png")
        .await;
    assert_eq!(status, 201, "{shared}");
    assert_eq!(shared["shared"], true);
    let shared = s(&shared["id"]);
    server.open_to_everyone(&carol).await;
    let carol_id = s(&server
        .call(
            "GET",
            "/api/v1/users/by/screen_name/carol",
            Some(&alice),
            None,
        )
        .await
        .1["id"]);
    assert_eq!(send_media(&server, &alice, &bob_id, &shared).await.0, 201);
    assert_eq!(send_media(&server, &alice, &carol_id, &shared).await.0, 201);
    assert_eq!(send_media(&server, &bob, &alice_id, &shared).await.0, 400);
    // Each conversation's participants may fetch it.
    let url = format!("/api/v1/media/{shared}");
    assert_eq!(fetch(&server, &carol, &url).await.0, 200);
    assert_eq!(fetch(&server, &bob, &url).await.0, 200);

    // An upload still in progress cannot be attached; an unknown id neither.
    let (_, started) = start_chunked(
        &server,
        &alice,
        json!({"total_bytes": 10, "media_type": "image/png"}),
    )
    .await;
    let (status, body) = send_media(&server, &alice, &bob_id, &s(&started["id"])).await;
    assert!(
        status == 400 && s(&body["error"]["message"]).contains("still uploading"),
        "{body}"
    );
    assert_eq!(send_media(&server, &alice, &bob_id, "12345").await.0, 400);

    // Text and media together; a caption may be edited, even to nothing.
    let with_text = s(&uploaded(&server, &alice, png, "image/png").await["id"]);
    let (status, message) = server
        .call(
            "POST",
            &format!("/api/v1/messages/with/{bob_id}"),
            Some(&alice),
            Some(json!({"text": "look", "media_id": with_text})),
        )
        .await;
    assert_eq!(
        (status, &message["text"]),
        (201, &json!("look")),
        "{message}"
    );
    let path = format!(
        "/api/v1/conversations/{}/messages/{}",
        s(&message["conversation_id"]),
        s(&message["id"])
    );
    let (status, edited) = server
        .call("PATCH", &path, Some(&alice), Some(json!({"text": ""})))
        .await;
    assert_eq!(
        (status, &edited["media"]["id"]),
        (200, &json!(with_text)),
        "{edited}"
    );

    // Deleted for everyone, the message lets go of its media: nobody but the uploader
    // fetches it, and the sweep removes it.
    let url = format!("/api/v1/media/{with_text}");
    assert_eq!(fetch(&server, &bob, &url).await.0, 200);
    let (status, _) = server
        .call(
            "DELETE",
            &format!("{path}?for_everyone=true"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(fetch(&server, &bob, &url).await.0, 404);
    let (_, page) = server
        .call(
            "GET",
            &format!(
                "/api/v1/conversations/{}/events",
                s(&message["conversation_id"])
            ),
            Some(&bob),
            None,
        )
        .await;
    let tombstone = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == message["id"])
        .cloned()
        .unwrap();
    assert!(tombstone.get("media").is_none(), "{tombstone}");
    let services = &server.running.as_ref().unwrap().services;
    assert_eq!(
        services
            .sweep_expired_media(Utc::now() + chrono::Duration::seconds(1))
            .await
            .unwrap(),
        1
    );
    assert_eq!(fetch(&server, &alice, &url).await.0, 404);
}

async fn unattached_media_expires_and_the_sweep_removes_its_bytes() {
    let server = TestServer::start().await;
    let (_, alice, bob_id, ..) = people(&server).await;
    let png = encoded(&picture(8, 8), ImageFormat::Png);
    let idle = uploaded(&server, &alice, png.clone(), "image/png").await;
    let used = s(&uploaded(&server, &alice, png.clone(), "image/png").await["id"]);
    assert_eq!(send_media(&server, &alice, &bob_id, &used).await.0, 201);
    let (_, started) = start_chunked(
        &server,
        &alice,
        json!({"total_bytes": 100, "media_type": "image/png"}),
    )
    .await;
    assert_eq!(
        put_part(&server, &alice, &s(&started["id"]), "0", vec![1; 50])
            .await
            .0,
        200
    );
    assert_eq!(
        leftovers(&server).await,
        (5, 0),
        "two images, two thumbnails, one part"
    );

    // Uploads expire a day after they were made.
    let expires = chrono::DateTime::parse_from_rfc3339(&s(&idle["expires_at"])).unwrap();
    let hours = (expires.with_timezone(&Utc) - Utc::now()).num_minutes() as f64 / 60.0;
    assert!((23.9..=24.0).contains(&hours), "{idle}");

    let services = &server.running.as_ref().unwrap().services;
    assert_eq!(
        services.sweep_expired_media(Utc::now()).await.unwrap(),
        0,
        "nothing is due yet"
    );
    let later = Utc::now() + chrono::Duration::hours(25);
    assert_eq!(
        services.sweep_expired_media(later).await.unwrap(),
        2,
        "the idle upload and the unfinished one"
    );
    assert_eq!(
        leftovers(&server).await,
        (2, 0),
        "only the attached image and its thumbnail"
    );
    let (status, _, _) = fetch(
        &server,
        &alice,
        &format!("/api/v1/media/{}", s(&idle["id"])),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        fetch(&server, &alice, &format!("/api/v1/media/{used}"))
            .await
            .0,
        200
    );
    // Expired media can no longer be attached.
    let (status, body) = send_media(&server, &alice, &bob_id, &s(&idle["id"])).await;
    assert_eq!(status, 400, "{body}");
}

async fn delivery_supports_ranges_and_caching_and_is_never_sniffed() {
    let server = TestServer::start().await;
    let (_, alice, bob_id, bob, carol) = people(&server).await;
    let up = uploaded(&server, &alice, MP4.to_vec(), "video/mp4").await;
    assert_eq!(
        send_media(&server, &alice, &bob_id, &s(&up["id"])).await.0,
        201
    );
    let url = s(&up["media"]["url"]);
    let size = MP4.len();

    let (status, headers, body) = server
        .raw("GET", &url, Some(&bob), None, &[("Range", "bytes=100-199")])
        .await;
    assert_eq!(status, 206);
    assert_eq!(body, MP4[100..200]);
    assert_eq!(
        headers["content-range"],
        format!("bytes 100-199/{size}").as_str()
    );
    assert_eq!(headers["content-length"], "100");
    let (status, _, body) = server
        .raw("GET", &url, Some(&bob), None, &[("Range", "bytes=-10")])
        .await;
    assert_eq!((status, body.as_slice()), (206, &MP4[size - 10..]));
    let (status, headers, _) = server
        .raw(
            "GET",
            &url,
            Some(&bob),
            None,
            &[("Range", &format!("bytes={size}-"))],
        )
        .await;
    assert_eq!(status, 416);
    assert_eq!(headers["content-range"], format!("bytes */{size}").as_str());
    // An outsider learns nothing from a range request either.
    assert_eq!(
        server
            .raw("GET", &url, Some(&carol), None, &[("Range", "bytes=0-1")])
            .await
            .0,
        404
    );

    let (status, headers, _) = fetch(&server, &bob, &url).await;
    assert_eq!(status, 200);
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["accept-ranges"], "bytes");
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("private")
    );
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let (status, _, body) = server
        .raw("GET", &url, Some(&bob), None, &[("If-None-Match", &etag)])
        .await;
    assert_eq!((status, body.len()), (304, 0));
    assert_eq!(
        server
            .raw("GET", &url, Some(&carol), None, &[("If-None-Match", &etag)])
            .await
            .0,
        404
    );
    // A video has no thumbnail.
    assert_eq!(
        fetch(&server, &bob, &format!("{url}/thumbnail")).await.0,
        404
    );
}
