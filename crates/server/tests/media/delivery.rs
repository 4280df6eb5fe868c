//! Serving media: ranges, caching, and headers that keep browsers from sniffing it.

use crate::common::{TestServer, s};
use crate::support::*;

crate::on_every_backend!(
    media in S3:
    delivery_supports_ranges_and_caching_and_is_never_sniffed,
    an_outsider_gets_one_answer_whatever_the_media,
);

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

/// Everyone who may not see media gets the same 404, whether it exists, has a thumbnail or
/// not: "thumbnail not found" for someone else's video told a stranger the video existed.
async fn an_outsider_gets_one_answer_whatever_the_media() {
    let server = TestServer::start().await;
    let (_, alice, bob_id, _, carol) = people(&server).await;
    let video = uploaded(&server, &alice, MP4.to_vec(), "video/mp4").await;
    assert_eq!(
        send_media(&server, &alice, &bob_id, &s(&video["id"]))
            .await
            .0,
        201
    );
    let unsent = uploaded(&server, &alice, MP4.to_vec(), "video/mp4").await;
    let answer = |path: String| {
        let server = &server;
        let carol = &carol;
        async move {
            let (status, _, body) = fetch(server, carol, &path).await;
            (path, status, String::from_utf8_lossy(&body).into_owned())
        }
    };
    let nothing = answer("/api/v1/media/424242424242/thumbnail".to_owned()).await;
    assert_eq!(nothing.1, 404, "{nothing:?}");
    for path in [
        format!("{}/thumbnail", s(&video["media"]["url"])),
        s(&video["media"]["url"]),
        format!("{}/thumbnail", s(&unsent["media"]["url"])),
        "/api/v1/media/424242424242".to_owned(),
    ] {
        let (path, status, body) = answer(path).await;
        assert_eq!((status, &body), (nothing.1, &nothing.2), "{path}");
    }
}
