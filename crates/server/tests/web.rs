//! The web app: how the binary serves it, and the end-to-end suite in `web/e2e`, which drives
//! the app in headless Chromium (through playwright-core) against a fresh server.
//!
//! The browser suite needs Node.js, Chromium and `web/e2e/node_modules` (the test command,
//! `cargo xtask test`, installs the last two); without them it shows as ignored with the
//! reason, and fails under `CI=true`.

#![expect(
    clippy::indexing_slicing,
    reason = "indexing a serde_json::Value by key yields Null; it does not panic"
)]

mod common;

use std::path::PathBuf;

use common::TestServer;
use postern_testkit::services::{browser_suite, chromium, workspace};
use serde_json::json;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

#[postern_testkit::test]
async fn app_pages_are_one_shell_with_a_strict_content_security_policy() {
    let srv = TestServer::start().await;
    for path in [
        "/",
        "/login",
        "/signup",
        "/messages",
        "/messages/requests",
        "/messages/compose?recipient_id=1&text=hi",
        "/messages/1-2",
        "/settings",
        "/alice",
    ] {
        let (status, headers, body) = srv.raw("GET", path, None, None, &[]).await;
        assert_eq!(status, 200, "{path}");
        let header = |name: &str| header(&headers, name);
        assert!(header("content-type").starts_with("text/html"), "{path}");
        let csp = header("content-security-policy");
        assert!(
            csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(header("x-frame-options"), "DENY");
        let html = String::from_utf8_lossy(&body);
        assert!(html.contains("/assets/js/main.js"), "{path}: {html}");
        // No outside hosts: every URL in the page is a path on this server.
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "{html}"
        );
    }
}

#[postern_testkit::test]
async fn assets_are_served_with_their_type_and_revalidated_by_etag() {
    let srv = TestServer::start().await;
    for (path, mime) in [
        ("/assets/js/main.js", "text/javascript"),
        ("/assets/css/app.css", "text/css"),
        ("/assets/icon.svg", "image/svg+xml"),
        ("/favicon.ico", "image/svg+xml"),
    ] {
        let (status, headers, body) = srv.raw("GET", path, None, None, &[]).await;
        assert_eq!(status, 200, "{path}");
        let get = |name: &str| header(&headers, name);
        assert_eq!(get("content-type"), mime, "{path}");
        assert!(!body.is_empty());
        let etag = get("etag");
        assert!(etag.starts_with('"'), "{path}: {etag:?}");
        let (status, _, body) = srv
            .raw("GET", path, None, None, &[("if-none-match", &etag)])
            .await;
        assert_eq!((status, body.len()), (304, 0), "{path}");
        // A browser holding several versions lists them all.
        let listed = format!("\"stale\", {etag}");
        let (status, _, _) = srv
            .raw("GET", path, None, None, &[("if-none-match", &listed)])
            .await;
        assert_eq!(status, 304, "{path}: {listed}");
        let (status, _, _) = srv
            .raw("GET", path, None, None, &[("if-none-match", "\"stale\"")])
            .await;
        assert_eq!(status, 200, "{path}: a different version is sent whole");
    }
}

/// The app's pages are listed once, in `web/app/routes.json`: each is a page of the server,
/// and no account can take its name (nor the prefix new pages go under).
#[postern_testkit::test]
async fn the_route_table_is_the_pages_and_the_reserved_names() {
    let srv = TestServer::start().await;
    let table: serde_json::Value =
        serde_json::from_str(include_str!("../../../web/app/routes.json"))
            .unwrap_or_else(|e| panic!("routes.json: {e}"));
    let prefix = table["prefix"].as_str().unwrap_or_default().to_owned();
    let mut names: Vec<String> = table["pages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect();
    assert!(names.len() >= 4 && !prefix.is_empty(), "{table}");
    names.push(prefix.clone());
    for name in &names {
        for path in [format!("/{name}"), format!("/{name}/anything/below")] {
            let (status, headers, _) = srv.raw("GET", &path, None, None, &[]).await;
            assert_eq!(status, 200, "{path}");
            assert!(
                header(&headers, "content-type").starts_with("text/html"),
                "{path}"
            );
        }
        for spelling in [name.clone(), name.to_uppercase()] {
            let (status, body) = srv
                .call(
                    "POST",
                    "/api/v1/accounts",
                    None,
                    Some(json!({"screen_name": spelling, "password": "correct horse"})),
                )
                .await;
            assert_eq!(
                (status, &body["error"]["field"]),
                (400, &json!("screen_name")),
                "an account named {spelling}: {body}"
            );
        }
    }
}

#[postern_testkit::test]
async fn what_is_not_a_page_stays_an_api_error() {
    let srv = TestServer::start().await;
    for path in [
        "/assets/nope.js",
        "/assets/index.html",
        "/not-a-name!",
        "/a/b/c",
        "/api/v1/nope",
    ] {
        let (status, body) = srv.call("GET", path, None, None).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(body["error"]["code"], json!("not_found"), "{path}");
    }
    // Pages are for reading: the API's method rules still apply.
    let (status, _) = srv.call("POST", "/messages", None, None).await;
    assert_eq!(status, 405);
}

/// The end-to-end suite: two people in two browser contexts against one fresh server.
#[postern_testkit::test(needs(Browser), multi_thread)]
async fn the_web_app_works_end_to_end_in_chromium() {
    // Limits other than the defaults, so the suite can see the app use the server's: a longer
    // text limit, and upload parts of 4 KB, which the app's small video fixture exceeds.
    let srv = TestServer::with(|c| {
        c.limits.dm_text = 12_000;
        c.limits.media_part_bytes = 4_096;
        // The webhooks page's test receives on loopback.
        c.outbound.allow = vec!["127.0.0.1".into()];
    })
    .await;
    let shots = std::env::var("POSTERN_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| workspace().join("target/e2e-screenshots"));
    let mut node = tokio::process::Command::new("node");
    node.args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
        .arg(browser_suite().join("tests"))
        .current_dir(browser_suite())
        .env("POSTERN_URL", &srv.base)
        .env("CHROMIUM", chromium())
        .env("SCREENSHOTS", &shots);
    common::run_tool(&mut node, "the browser suite failed").await;
}

fn header(headers: &reqwest::header::HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
