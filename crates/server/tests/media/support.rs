//! Files to upload and calls the media tests share.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgba, RgbaImage};
use serde_json::{Value, json};

use crate::common::TestServer;

/// An upload that must pass: the file, its type, its category, its (width, height).
pub type Accepted = (Vec<u8>, &'static str, &'static str, (u64, u64));
/// An upload that must fail: what it is, the file, its type, form fields, and the expected
/// status, error code and field.
pub type Refusal = (
    &'static str,
    Vec<u8>,
    &'static str,
    &'static [(&'static str, &'static str)],
    u16,
    &'static str,
    &'static str,
);

pub const MP4: &[u8] = include_bytes!("../fixtures/clip.mp4");
pub const MOV: &[u8] = include_bytes!("../fixtures/clip.mov");
pub const GPS_JPEG: &[u8] = include_bytes!("../fixtures/gps.jpg");
pub const GPS_MP4: &[u8] = include_bytes!("../fixtures/gps.mp4");
pub const GPS_MOV: &[u8] = include_bytes!("../fixtures/gps.mov");

/// Whether `needle` occurs in `bytes`.
pub fn contains(bytes: &[u8], needle: &[u8]) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle)
}

/// Checks that `stored` is the video `original` with only its metadata blanked: the same
/// length, and the same bytes except inside the original's user data box (`udta`, where each
/// fixture keeps all its metadata), which is now a `free` box of zeros.
pub fn assert_blanked_copy(stored: &[u8], original: &[u8]) {
    assert_eq!(stored.len(), original.len(), "the same length");
    let found = original.windows(4).position(|w| w == b"udta");
    assert!(found.is_some(), "the fixture has user data");
    let at = found.unwrap() - 4;
    let size = u32::from_be_bytes(original[at..at + 4].try_into().unwrap()) as usize;
    assert_eq!(&stored[at + 4..at + 8], b"free");
    assert!(
        stored[at + 8..at + size].iter().all(|b| *b == 0),
        "the user data is zeroed"
    );
    assert_eq!(stored[..at + 4], original[..at + 4], "before the user data");
    assert_eq!(
        stored[at + size..],
        original[at + size..],
        "after the user data, the media data among it"
    );
}

/// A two-colour test picture, so re-encoding has something to keep.
pub fn picture(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgba8(RgbaImage::from_fn(w, h, |x, _| {
        if x < w / 2 {
            Rgba([200, 30, 30, 255])
        } else {
            Rgba([30, 30, 200, 255])
        }
    }))
}

pub fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let image = match format {
        ImageFormat::Jpeg => DynamicImage::ImageRgb8(image.to_rgb8()),
        _ => image.clone(),
    };
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// An animated GIF of `frames` frames.
pub fn animated_gif(w: u16, h: u16, frames: usize) -> Vec<u8> {
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
pub async fn people(server: &TestServer) -> (String, String, String, String, String) {
    let (alice_id, alice, bob_id, bob) = server.friends().await;
    let (_, carol) = server.user("carol").await;
    (alice_id, alice, bob_id, bob, carol)
}

/// Uploads and expects success; returns the upload.
pub async fn uploaded(server: &TestServer, token: &str, file: Vec<u8>, mime: &str) -> Value {
    let (status, body) = server.upload(token, &[], file, mime).await;
    assert_eq!(status, 201, "upload {mime}: {body}");
    assert_eq!(body["state"], "ready", "{body}");
    body
}

/// Sends `media` to a user; returns (status, message).
pub async fn send_media(server: &TestServer, token: &str, to: &str, media: &str) -> (u16, Value) {
    server
        .call(
            "POST",
            &format!("/api/v1/messages/with/{to}"),
            Some(token),
            Some(json!({"text": "", "media_id": media})),
        )
        .await
}

pub async fn fetch(
    server: &TestServer,
    token: &str,
    path: &str,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    server.raw("GET", path, Some(token), None, &[]).await
}

/// Objects in media storage and files being staged.
pub async fn leftovers(server: &TestServer) -> (usize, usize) {
    let running = server.running.as_ref().unwrap();
    running
        .services
        .media_storage()
        .object_count()
        .await
        .unwrap()
}

pub async fn start_chunked(server: &TestServer, token: &str, body: Value) -> (u16, Value) {
    server
        .call("POST", "/api/v1/media/uploads", Some(token), Some(body))
        .await
}

pub async fn put_part(
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
