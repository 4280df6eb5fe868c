//! Real Twitter client libraries against Postern (issue 17): each runs a bot's calls as it
//! would against Twitter, over TLS with a certificate made here, changing only the host.

use crate::client::app_keys;
use crate::common::{Client, TestServer};
use crate::tls::certificate;

#[postern_testkit::test(needs(TwitterClients))]
async fn tweepy_runs_a_bot_unchanged() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let (cert, key, pem) = certificate(dir.path());
    let server = TestServer::with(|c| {
        c.server.tls_cert = Some(cert.clone());
        c.server.tls_key = Some(key.clone());
    })
    .await;
    let addr = server
        .running
        .as_ref()
        .map(|r| r.addr)
        .unwrap_or_else(|| panic!("running"));
    let root = reqwest::Certificate::from_pem(pem.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let http = reqwest::Client::builder()
        .add_root_certificate(root)
        .build()
        .unwrap_or_else(|e| panic!("client: {e}"));
    let api = Client::with_http(&format!("https://{addr}"), http);
    let (bot_id, bot) = api.user("bot").await;
    let (friend_id, friend) = api.user("carol").await;
    let (blocker_id, blocker) = api.user("blocker").await;
    let (other_id, other) = api.user("dave").await;
    api.follow(&other, &bot_id).await;
    api.follow(&friend, &bot_id).await;
    api.follow(&bot, &friend_id).await;
    api.dm(&friend, &bot_id, "hi bot").await;
    let (status, _) = api
        .call(
            "PUT",
            &format!("/api/v1/me/blocks/{bot_id}"),
            Some(&blocker),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let keys = app_keys(&api, &bot).await;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/twitter/clients/tweepy_bot.py");
    let cert_file = dir.path().join("cert.pem");
    let photo = dir.path().join("photo.png");
    image::RgbImage::from_pixel(64, 48, image::Rgb([200, 80, 20]))
        .save(&photo)
        .unwrap_or_else(|e| panic!("photo: {e}"));
    let output = tokio::process::Command::new(postern_testkit::services::twitter_python())
        .arg(&script)
        .env("POSTERN_HOST", addr.to_string())
        .env("CONSUMER_KEY", &keys.consumer_key)
        .env("CONSUMER_SECRET", &keys.consumer_secret)
        .env("ACCESS_TOKEN", &keys.token)
        .env("ACCESS_TOKEN_SECRET", &keys.token_secret)
        .env("FRIEND_ID", &friend_id)
        .env("BLOCKER_ID", &blocker_id)
        .env("OTHER_ID", &other_id)
        .env("REQUESTS_CA_BUNDLE", &cert_file)
        .env("PHOTO", &photo)
        .env_remove("CURL_CA_BUNDLE")
        .output()
        .await
        .unwrap_or_else(|e| panic!("run tweepy: {e}"));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{said}");
    assert!(said.contains("every call behaved"), "{said}");
}
