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

/// A 405 names the methods the route takes, as HTTP requires (it had no `Allow`).
async fn a_wrong_method_is_told_the_right_ones() {
    let srv = TestServer::start().await;
    let (_, token) = srv.user("alice").await;
    let (status, headers, body) = srv
        .call_full(
            "OPTIONS",
            "/api/v1/conversations/1-2/messages",
            Some(&token),
            None,
            &[],
        )
        .await;
    assert_eq!(status, 405, "{body}");
    assert_eq!(body["error"]["code"], "method_not_allowed");
    let allow = headers
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(allow.contains("POST"), "Allow: {allow:?}");
}

crate::on_every_backend!(
    api_responses_are_not_cached_or_sniffed,
    a_wrong_method_is_told_the_right_ones,
    the_openapi_document_states_auth_errors_and_bounds,
);

/// The OpenAPI document said nothing of authentication or errors, and left out the streams:
/// every operation but
/// sign-up, login and the limits now asks for the bearer token, and each lists the error
/// statuses it may answer, in the error shape; `limit` and `q` carry their bounds.
async fn the_openapi_document_states_auth_errors_and_bounds() {
    let srv = TestServer::start().await;
    let (status, doc) = srv.call("GET", "/openapi.json", None, None).await;
    assert_eq!(status, 200);
    assert!(
        doc["components"]["securitySchemes"]["bearer"].is_object(),
        "{doc}"
    );
    let public = [
        ("post", "/accounts"),
        ("post", "/sessions"),
        ("get", "/limits"),
        ("get", "/avatars/{key}"),
    ];
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            operations += 1;
            let responses = &op["responses"];
            assert!(responses["400"].is_object(), "{method} {path}");
            if public.contains(&(method.as_str(), path.as_str())) {
                assert!(op.get("security").is_none(), "{method} {path}");
                continue;
            }
            assert_eq!(
                op["security"],
                serde_json::json!([{"bearer": []}]),
                "{method} {path}"
            );
            for status in ["401", "403", "404"] {
                assert_eq!(
                    responses[status]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
            }
            for parameter in op["parameters"].as_array().into_iter().flatten() {
                match parameter["name"].as_str() {
                    Some("limit") => assert_eq!(
                        (
                            parameter["schema"]["minimum"].as_f64(),
                            parameter["schema"]["maximum"].as_f64()
                        ),
                        (Some(1.0), Some(100.0)),
                        "{method} {path}"
                    ),
                    // Something besides whitespace, within the query limit.
                    Some("q") if path != "/users/search" => assert!(
                        parameter["schema"]["pattern"].is_string()
                            && parameter["schema"]["maxLength"] == 500,
                        "{method} {path}: {parameter}"
                    ),
                    _ => {}
                }
            }
        }
    }
    assert!(operations > 40, "{operations} operations");
    for stream in ["/stream", "/stream/sse"] {
        assert!(
            doc["paths"][stream]["get"].is_object(),
            "{stream} is documented"
        );
    }
}
