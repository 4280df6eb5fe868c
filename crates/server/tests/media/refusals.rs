//! Uploads refused for their content, type, size or form: each says why and leaves nothing.

use image::{DynamicImage, ImageFormat, RgbaImage};

use serde_json::{Value, json};

use crate::common::{TestServer, s};
use crate::support::*;

crate::on_every_backend!(
    media in S3:
    refused_uploads_say_why_and_leave_nothing_behind,
    decompression_bombs_are_refused,
    malformed_forms_name_the_field,
);

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
    // The clip's movie box starts at 32 and its first box (mvhd) at 40.
    assert_eq!((&MP4[36..40], &MP4[44..48]), (&b"moov"[..], &b"mvhd"[..]));
    let with_bytes = |bytes: &[u8], at: usize, put: &[u8]| {
        let mut out = bytes.to_vec();
        out[at..at + put.len()].copy_from_slice(put);
        out
    };
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
            "an MP4 whose movie box holds a box shorter than its own header",
            with_bytes(MP4, 40, &4u32.to_be_bytes()),
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

/// A `multipart/form-data` body of text parts only.
fn text_form(parts: &[(&str, &str)]) -> String {
    let mut body = String::new();
    for (name, value) in parts {
        body.push_str(&format!(
            "--B\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body + "--B--\r\n"
}

async fn malformed_forms_name_the_field() {
    let server = TestServer::start().await;
    let (_, alice, ..) = people(&server).await;
    let form = [("Content-Type", "multipart/form-data; boundary=B")];
    for (parts, field, says) in [
        (&[("shared", "true")][..], "media", "is required"),
        (&[("caption", "hi")][..], "caption", "is not a field"),
        (&[("shared", "maybe")][..], "shared", "true or false"),
    ] {
        let body = reqwest::Body::from(text_form(parts));
        let (status, _, body) = server
            .raw("POST", "/api/v1/media", Some(&alice), Some(body), &form)
            .await;
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            (status, &body["error"]["field"]),
            (400, &json!(field)),
            "{body}"
        );
        assert!(s(&body["error"]["message"]).contains(says), "{body}");
    }
    // A file part that declares no type, and no media_type field to say it.
    let png = encoded(&picture(4, 4), ImageFormat::Png);
    let (status, body) = server
        .upload(&alice, &[], png, "application/octet-stream")
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (400, &json!("media_type")),
        "{body}"
    );
    assert_eq!(leftovers(&server).await, (0, 0));
}
