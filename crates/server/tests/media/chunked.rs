//! Chunked uploads: parts in any order, resumed after an interruption, and their refusals.

use serde_json::json;

use crate::common::{TestServer, s};
use crate::support::*;

crate::on_every_backend!(
    media in S3:
    chunked_upload_resumes_after_an_interruption,
    chunked_refusals_say_why_and_leave_nothing_behind,
);

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
    assert_eq!(
        (status, &body["error"]["code"]),
        (409, &json!("upload_incomplete")),
        "{body}"
    );
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

    // The joined file is the original, byte for byte but for its blanked metadata.
    let (status, message) = send_media(&server, &alice, &bob_id, &id).await;
    assert_eq!(status, 201, "{message}");
    let (_, _, body) = fetch(&server, &bob, &s(&done["media"]["url"])).await;
    assert_blanked_copy(&body, MP4);
    assert_eq!(
        leftovers(&server).await,
        (1, 0),
        "the parts are gone once joined"
    );
}

async fn chunked_refusals_say_why_and_leave_nothing_behind() {
    let server = &TestServer::start().await;
    let (_, alice, ..) = people(server).await;
    let token = alice.as_str();
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
    let (status, body) = put_part(server, token, &id, "0", Vec::new()).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (400, &json!("part")),
        "an empty part: {body}"
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
    assert_eq!(leftovers(server).await, (0, 0));
}
