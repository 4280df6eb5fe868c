//! Browser sessions with CSRF protection, logout, and personal access tokens.

#![expect(
    clippy::indexing_slicing,
    reason = "indexing a serde_json::Value by key yields Null; it does not panic"
)]

mod common;

use common::{TestServer, s};
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

async fn cookie_sessions_need_the_csrf_token_to_change_anything() {
    let srv = TestServer::start().await;
    srv.user("alice").await;
    let login = json!({"screen_name": "alice", "password": "correct horse", "session": true});
    let (status, headers, body) = srv
        .call_full("POST", "/api/v1/sessions", None, Some(login), &[])
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.get("token").is_none(),
        "browsers get a cookie, not a bearer token"
    );
    let cookie = session_cookie(&headers);
    let csrf = s(&body["csrf_token"]);

    let (status, me, _) = {
        let (st, _, b) = srv
            .call_full("GET", "/api/v1/me", None, None, &[("cookie", &cookie)])
            .await;
        (st, b, ())
    };
    assert_eq!((status, me["screen_name"].clone()), (200, json!("alice")));
    let change = json!({"read_receipts": false});
    let (status, _, body) = srv
        .call_full(
            "PATCH",
            "/api/v1/me/settings",
            None,
            Some(change.clone()),
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (403, json!("forbidden")),
        "no CSRF header"
    );
    let (status, _, _) = srv
        .call_full(
            "PATCH",
            "/api/v1/me/settings",
            None,
            Some(change.clone()),
            &[("cookie", &cookie), ("x-csrf-token", "wrong")],
        )
        .await;
    assert_eq!(status, 403, "wrong CSRF header");
    let (status, _, body) = srv
        .call_full(
            "PATCH",
            "/api/v1/me/settings",
            None,
            Some(change),
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        )
        .await;
    assert_eq!((status, body["read_receipts"].clone()), (200, json!(false)));

    let (status, _, _) = srv
        .call_full(
            "DELETE",
            "/api/v1/sessions/current",
            None,
            None,
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        )
        .await;
    assert_eq!(status, 204);
    let (status, _, _) = srv
        .call_full("GET", "/api/v1/me", None, None, &[("cookie", &cookie)])
        .await;
    assert_eq!(status, 401, "the session is gone after logout");
}

async fn personal_tokens_can_be_listed_and_revoked() {
    let srv = TestServer::start().await;
    let (_, first) = srv.user("alice").await;
    let (status, created) = srv
        .call(
            "POST",
            "/api/v1/me/tokens",
            Some(&first),
            Some(json!({"name": "bot"})),
        )
        .await;
    assert_eq!(status, 201);
    let bot = s(&created["token"]);
    let (status, _) = srv.call("GET", "/api/v1/me", Some(&bot), None).await;
    assert_eq!(status, 200);
    let (_, list) = srv
        .call("GET", "/api/v1/me/tokens", Some(&first), None)
        .await;
    assert!(
        list["tokens"]
            .as_array()
            .is_some_and(|t| t.iter().all(|t| t.get("token").is_none())),
        "secrets are shown once"
    );
    let (status, _) = srv
        .call(
            "DELETE",
            &format!("/api/v1/me/tokens/{}", s(&created["id"])),
            Some(&first),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = srv.call("GET", "/api/v1/me", Some(&bot), None).await;
    assert_eq!(status, 401, "a revoked token stops working at once");
    let (status, _) = srv
        .call("DELETE", "/api/v1/sessions/current", Some(&first), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = srv.call("GET", "/api/v1/me", Some(&first), None).await;
    assert_eq!(status, 401, "logout revokes the bearer token used");
}

/// Registers `name` as a browser would: the cookie pair and the CSRF token.
async fn browser_signup(srv: &TestServer, name: &str) -> (String, String, serde_json::Value) {
    let (cookie, csrf, body, _) = browser_signup_with(srv, name, &[]).await;
    (cookie, csrf, body)
}

/// [`browser_signup`] with more request headers; also the whole `Set-Cookie`.
async fn browser_signup_with(
    srv: &TestServer,
    name: &str,
    extra: &[(&str, &str)],
) -> (String, String, serde_json::Value, String) {
    let body = json!({"screen_name": name, "password": "correct horse", "session": true});
    let (status, headers, body) = srv
        .call_full("POST", "/api/v1/accounts", None, Some(body), extra)
        .await;
    // The session cookie's own header (its hint beside it has the same attributes).
    let set_cookie = headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("postern_session="))
        .unwrap_or_default()
        .to_owned();
    assert_eq!(status, 201, "{body}");
    assert!(
        body.get("token").is_none(),
        "a browser gets no bearer token"
    );
    (
        session_cookie(&headers),
        s(&body["csrf_token"]),
        body,
        set_cookie,
    )
}

/// The `name=value` of the HttpOnly session cookie a response sets. Beside it is a cookie
/// with no secret that the page can read, saying only that a session was started (so a
/// signed-out page load asks no one who is signed in).
fn session_cookie(headers: &reqwest::header::HeaderMap) -> String {
    let cookies: Vec<&str> = headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("postern_session="))
        .unwrap_or_else(|| panic!("a browser session sets a cookie: {cookies:?}"));
    assert!(session.contains("HttpOnly"), "{session}");
    let hint = cookies
        .iter()
        .find(|c| c.starts_with("postern_signed_in="))
        .unwrap_or_else(|| panic!("and the signed-in hint: {cookies:?}"));
    assert!(
        hint.starts_with("postern_signed_in=1;") && !hint.contains("HttpOnly"),
        "{hint}"
    );
    session.split(';').next().unwrap_or_default().to_owned()
}

async fn a_browser_signs_up_into_a_session_and_finds_it_after_a_reload() {
    let srv = TestServer::start().await;
    let (cookie, csrf, body) = browser_signup(&srv, "carol").await;
    assert!(!csrf.is_empty(), "{body}");
    // A reloaded page has only the cookie: the session tells it the CSRF token again.
    let (status, _, current) = srv
        .call_full(
            "GET",
            "/api/v1/sessions/current",
            None,
            None,
            &[("cookie", &cookie)],
        )
        .await;
    assert_eq!(status, 200, "{current}");
    assert_eq!(current["user"]["screen_name"], json!("carol"));
    assert_eq!(s(&current["csrf_token"]), csrf);
    let (status, _, _) = srv
        .call_full(
            "PATCH",
            "/api/v1/me/settings",
            None,
            Some(json!({"read_receipts": false})),
            &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        )
        .await;
    assert_eq!(status, 200);
    // Bearer callers get their user and no CSRF token; nobody signed in gets 401.
    let (_, token) = srv.user("dave").await;
    let (status, current) = srv
        .call("GET", "/api/v1/sessions/current", Some(&token), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(current["user"]["screen_name"], json!("dave"));
    assert!(current.get("csrf_token").is_none(), "{current}");
    let (status, _) = srv
        .call("GET", "/api/v1/sessions/current", None, None)
        .await;
    assert_eq!(status, 401);
}

async fn cookie_requests_from_another_origin_are_refused() {
    let srv = TestServer::start().await;
    let (cookie, csrf, _) = browser_signup(&srv, "erin").await;
    let host = srv.base.trim_start_matches("http://").to_owned();
    let same = format!("http://{host}");
    for (origin, expected) in [
        (same.as_str(), 200),
        ("http://127.0.0.1:1", 403),
        ("https://evil.example", 403),
        ("null", 403),
    ] {
        let (status, _, body) = srv
            .call_full(
                "GET",
                "/api/v1/me",
                None,
                None,
                &[("cookie", &cookie), ("origin", origin)],
            )
            .await;
        assert_eq!(status, expected, "Origin {origin}: {body}");
    }
    // The same check covers changes (even with the right CSRF token) ...
    let (status, _, _) = srv
        .call_full(
            "PATCH",
            "/api/v1/me/settings",
            None,
            Some(json!({"read_receipts": false})),
            &[
                ("cookie", &cookie),
                ("x-csrf-token", &csrf),
                ("origin", "https://evil.example"),
            ],
        )
        .await;
    assert_eq!(status, 403);
    // ... and WebSocket handshakes, which browsers send cross-site without CORS.
    let ws = |origin: &str| {
        let mut req = format!("{}/api/v1/stream", srv.base.replace("http://", "ws://"))
            .into_client_request()
            .unwrap_or_else(|e| panic!("ws request: {e}"));
        for (k, v) in [("cookie", cookie.as_str()), ("origin", origin)] {
            req.headers_mut()
                .insert(k, v.parse().unwrap_or_else(|e| panic!("header {k}: {e}")));
        }
        tokio_tungstenite::connect_async(req)
    };
    match ws("https://evil.example").await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!(
            "a cross-origin stream must be refused, got {:?}",
            other.map(|_| ())
        ),
    }
    assert!(ws(&same).await.is_ok(), "the app's own origin may stream");
    // Bearer tokens are not sent by browsers on their own, so Origin does not matter.
    let (_, token) = srv.user("frank").await;
    let (status, _, _) = srv
        .call_full(
            "GET",
            "/api/v1/me",
            Some(&token),
            None,
            &[("origin", "https://evil.example")],
        )
        .await;
    assert_eq!(status, 200);
}

/// The site's origin includes its scheme (an `https://` Origin passed on a plain-HTTP site),
/// `X-Forwarded-*` are believed only from `server.trusted_proxies` (anyone could name any
/// host), and the session cookie is `Secure` when the site is served over HTTPS.
async fn the_site_is_its_scheme_and_only_trusted_proxies_move_it() {
    let srv = TestServer::start().await;
    let (cookie, _, _, set_cookie) = browser_signup_with(&srv, "gina", &[]).await;
    assert!(!set_cookie.contains("Secure"), "plain HTTP: {set_cookie}");
    let host = srv.base.trim_start_matches("http://").to_owned();
    let https_here = format!("https://{host}");
    for (origin, forwarded_host) in [
        (https_here.as_str(), None),
        ("http://evil.example", Some("evil.example")),
    ] {
        let mut headers = vec![("cookie", cookie.as_str()), ("origin", origin)];
        headers.extend(forwarded_host.map(|h| ("x-forwarded-host", h)));
        let (status, _, body) = srv
            .call_full("GET", "/api/v1/me", None, None, &headers)
            .await;
        assert_eq!(
            status, 403,
            "Origin {origin}, X-Forwarded-Host {forwarded_host:?}: {body}"
        );
    }

    let proxied =
        TestServer::with(|c| c.server.trusted_proxies = vec!["127.0.0.1/32".into()]).await;
    let through_proxy = [
        ("x-forwarded-host", "dm.example.com"),
        ("x-forwarded-proto", "https"),
    ];
    let (cookie, _, _, set_cookie) = browser_signup_with(&proxied, "hank", &through_proxy).await;
    assert!(
        set_cookie.contains("Secure"),
        "over HTTPS at the proxy: {set_cookie}"
    );
    let mut headers = through_proxy.to_vec();
    headers.extend([
        ("cookie", cookie.as_str()),
        ("origin", "https://dm.example.com"),
    ]);
    let (status, _, body) = proxied
        .call_full("GET", "/api/v1/me", None, None, &headers)
        .await;
    assert_eq!(status, 200, "{body}");

    let public = TestServer::with(|c| c.server.public_url = "https://dm.example.com".into()).await;
    let (cookie, _, _, set_cookie) = browser_signup_with(&public, "ivy", &[]).await;
    assert!(set_cookie.contains("Secure"), "{set_cookie}");
    let plain_here = format!("http://{}", public.base.trim_start_matches("http://"));
    for (origin, expected) in [("https://dm.example.com", 200), (plain_here.as_str(), 403)] {
        let (status, _, body) = public
            .call_full(
                "GET",
                "/api/v1/me",
                None,
                None,
                &[("cookie", &cookie), ("origin", origin)],
            )
            .await;
        assert_eq!(status, expected, "Origin {origin}: {body}");
    }
}

async fn page_names_cannot_be_screen_names() {
    let srv = TestServer::start().await;
    for name in ["messages", "Settings", "login", "api", "assets"] {
        let body = json!({"screen_name": name, "password": "correct horse"});
        let (status, body) = srv.call("POST", "/api/v1/accounts", None, Some(body)).await;
        assert_eq!(status, 400, "{name}: {body}");
        assert_eq!(body["error"]["field"], json!("screen_name"), "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("reserved"),
            "{body}"
        );
    }
}

crate::on_every_backend!(
    cookie_sessions_need_the_csrf_token_to_change_anything,
    personal_tokens_can_be_listed_and_revoked,
    a_browser_signs_up_into_a_session_and_finds_it_after_a_reload,
    cookie_requests_from_another_origin_are_refused,
    the_site_is_its_scheme_and_only_trusted_proxies_move_it,
    page_names_cannot_be_screen_names,
);
