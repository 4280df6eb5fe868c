//! Who may attach what, how often, and what happens to media nobody attached in time.

use chrono::Utc;
use image::ImageFormat;
use serde_json::json;

use crate::common::{TestServer, s};
use crate::support::*;

crate::on_every_backend!(
    media in S3:
    attaching_follows_the_ownership_and_sharing_rules,
    unattached_media_expires_and_the_sweep_removes_its_bytes,
);

async fn attaching_follows_the_ownership_and_sharing_rules() {
    let server = TestServer::start().await;
    let (alice_id, alice, bob_id, bob, carol) = people(&server).await;
    let png = encoded(&picture(8, 8), ImageFormat::Png);

    // Only the uploader may attach; to anyone else, the upload is not there.
    let once = s(&uploaded(&server, &alice, png.clone(), "image/png").await["id"]);
    let (status, body) = send_media(&server, &bob, &alice_id, &once).await;
    assert_eq!(
        (status, &body["error"]["code"], &body["error"]["field"]),
        (404, &json!("not_found"), &json!("media_id")),
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
    // The store's claim refuses it as the service's check would: 409, naming the field.
    assert!(
        status == 409 && body["error"]["field"] == "media_id",
        "{body}"
    );
    // Used up is a state the upload is in: 409, naming the field.
    let (status, body) = send_media(&server, &alice, &bob_id, &once).await;
    assert_eq!(status, 409, "{body}");
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
    // Shared is not everyone's: to Bob, Alice's upload is not there.
    assert_eq!(send_media(&server, &bob, &alice_id, &shared).await.0, 404);
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
        status == 409 && s(&body["error"]["message"]).contains("still uploading"),
        "{body}"
    );
    assert_eq!(send_media(&server, &alice, &bob_id, "12345").await.0, 404);

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
    // Expired media can no longer be attached: the sweep removed it.
    let (status, body) = send_media(&server, &alice, &bob_id, &s(&idle["id"])).await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (404, &json!("media_id")),
        "{body}"
    );
}
