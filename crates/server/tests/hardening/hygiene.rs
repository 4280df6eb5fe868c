//! What every response and file should be, whatever the request.

use std::os::unix::fs::PermissionsExt;

use crate::common::process::{free_port, wait_healthy};
use crate::common::{Client, TestServer};

/// API responses are for one person: never cached, never sniffed (they lacked both).
async fn api_responses_are_not_cached_or_sniffed() {
    let srv = TestServer::start().await;
    let (_, token) = srv.user("alice").await;
    for (path, token) in [
        ("/api/v1/me", Some(token.as_str())),
        ("/api/v1/nothing", None),
    ] {
        let (_, headers, _) = srv.call_full("GET", path, token, None, &[]).await;
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
    }
}

/// The database and media were readable by every account on the machine.
#[postern_testkit::test]
async fn the_data_directory_is_private() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let data = dir.path().join("data");
    let srv = TestServer::with(|c| c.storage.data_dir = data.clone()).await;
    srv.user("alice").await;
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("media")), 0o700);
    assert_eq!(mode(&data.join("staging")), 0o700);
    for file in ["postern.db", "postern.db-wal"] {
        assert_eq!(
            mode(&data.join(file)) & 0o077,
            0,
            "{file} is the owner's only"
        );
    }
}

/// `/metrics` was public. With `server.metrics_token` it asks for the token (and without
/// one it answers loopback clients only, as this test's requests are).
#[postern_testkit::test]
async fn metrics_ask_for_their_token() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let port = free_port();
    let _server = crate::common::process::serve(
        port,
        ["--data-dir".to_owned(), dir.path().display().to_string()],
        &[("POSTERN__SERVER__METRICS_TOKEN", "scraper-secret")],
    );
    let api = Client::new(&format!("http://127.0.0.1:{port}"));
    wait_healthy(&api).await;
    let (status, _, _) = api.raw("GET", "/metrics", None, None, &[]).await;
    assert_eq!(status, 404, "no token");
    let (status, _, _) = api.raw("GET", "/metrics", Some("wrong"), None, &[]).await;
    assert_eq!(status, 404, "a wrong token");
    let (status, _, _) = api
        .raw("GET", "/metrics", Some("scraper-secret"), None, &[])
        .await;
    assert_eq!(status, 200);
}

crate::on_every_backend!(api_responses_are_not_cached_or_sniffed);
