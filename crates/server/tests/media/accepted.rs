//! Every accepted type from upload to a participant (and only a participant), and what
//! re-encoding removes.

use std::io::Cursor;

use image::ImageFormat;

use crate::common::{TestServer, s};
use crate::support::*;

crate::on_every_backend!(
    media in S3:
    every_accepted_type_goes_from_upload_to_participants_only,
    gps_and_other_metadata_are_gone_and_the_picture_is_upright,
    a_videos_location_and_other_metadata_are_blanked,
);

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
            assert_blanked_copy(&body, &file);
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

async fn a_videos_location_and_other_metadata_are_blanked() {
    // Positions as phones record them: QuickTime's `©xyz` (the MOV) and Apple's
    // `com.apple.quicktime.location.ISO6709` key (the MP4, whose movie box comes first).
    let server = TestServer::start().await;
    let (_, alice, ..) = people(&server).await;
    for (file, mime) in [(GPS_MP4, "video/mp4"), (GPS_MOV, "video/quicktime")] {
        assert!(contains(file, b"+52.5200+013.4050"), "{mime}: a position");
        assert!(contains(file, b"Lavf"), "{mime}: the encoder's name");
        let up = uploaded(&server, &alice, file.to_vec(), mime).await;
        let media = &up["media"];
        assert_eq!(
            (
                media["width"].as_u64(),
                media["height"].as_u64(),
                media["duration_ms"].as_u64()
            ),
            (Some(64), Some(48), Some(1000)),
            "{up}"
        );
        let (status, _, stored) = fetch(&server, &alice, &s(&media["url"])).await;
        assert_eq!(status, 200);
        assert!(!contains(&stored, b"52.52"), "{mime}: the position is gone");
        assert!(!contains(&stored, b"Lavf"), "{mime}: so is the encoder");
        assert_blanked_copy(&stored, file);
    }
}
