//! OAuth 1.0a and bearer tokens on the v1.1 API (issue 17, item 2).

use serde_json::json;

use crate::client::{Tweak, app_keys};
use crate::common::{TestServer, s};

crate::on_every_backend!(
    a_signed_request_passes_with_or_without_spaces_and_says_its_rate_limit,
    parameters_are_percent_encoded_and_repeated_ones_all_signed,
    a_request_signed_for_another_port_or_altered_is_refused,
    a_replayed_nonce_or_stale_timestamp_is_refused,
    requests_without_usable_credentials_are_refused_with_their_codes,
    form_bodies_are_signed_and_json_bodies_are_not,
    an_oauth2_token_acts_and_an_app_only_token_reads_users_only,
);

const ME: &str = "/1.1/account/verify_credentials.json";

async fn a_signed_request_passes_with_or_without_spaces_and_says_its_rate_limit() {
    let server = TestServer::start().await;
    let (_, owner) = server.user("builder").await;
    let keys = app_keys(&server, &owner).await;
    for compact in [false, true] {
        let tweak = Tweak {
            compact,
            ..Tweak::default()
        };
        let me = keys
            .call(&server.base, "GET", ME, &[], None, None, &tweak)
            .await;
        assert_eq!(me.status, 200, "compact {compact}: {}", me.body);
        assert_eq!(me.body["screen_name"], "builder");
        assert!(me.body["id_str"].is_string());
    }
    let me = keys.get(&server.base, ME, &[]).await;
    let header = |name: &str| -> u64 {
        me.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} in {:?}", me.headers))
    };
    assert_eq!(header("x-rate-limit-limit"), 900);
    assert_eq!(
        header("x-rate-limit-remaining"),
        900 - 3,
        "three calls so far"
    );
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
    assert!(header("x-rate-limit-reset") > now && header("x-rate-limit-reset") <= now + 900);
    // A refusal says where its caller stands too.
    let anonymous = reqwest::get(format!("{}{ME}", server.base))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(anonymous.headers().contains_key("x-rate-limit-remaining"));
}

async fn parameters_are_percent_encoded_and_repeated_ones_all_signed() {
    let server = TestServer::start().await;
    let (_, owner) = server.user("builder").await;
    let (bob_id, _) = server.user("bob_smith").await;
    let keys = app_keys(&server, &owner).await;
    // Reserved characters, a space, non-ASCII and a comma: each must be encoded exactly
    // as RFC 3986 says for the signature to match.
    let names = "bob_smith,nobody ü+/=&?";
    let found = keys
        .get(
            &server.base,
            "/1.1/users/lookup.json",
            &[("screen_name", names)],
        )
        .await;
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(found.body[0]["id_str"], bob_id.as_str());
    // The same key twice: both values are signed and sorted by value.
    let twice = keys
        .get(
            &server.base,
            "/1.1/users/show.json",
            &[("user_id", &bob_id), ("user_id", &bob_id)],
        )
        .await;
    assert_eq!(twice.status, 200, "{}", twice.body);
}

async fn a_request_signed_for_another_port_or_altered_is_refused() {
    let server = TestServer::start().await;
    let (_, owner) = server.user("builder").await;
    let (bob_id, _) = server.user("bob").await;
    let keys = app_keys(&server, &owner).await;
    let port = server
        .base
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_owned();
    let wrong_port = Tweak {
        signed_origin: Some(server.base.replace(&port, "8443")),
        ..Tweak::default()
    };
    let refused = keys
        .call(&server.base, "GET", ME, &[], None, None, &wrong_port)
        .await;
    assert_eq!(refused.code(401), 32);
    let https = Tweak {
        signed_origin: Some(server.base.replace("http://", "https://")),
        ..Tweak::default()
    };
    let refused = keys
        .call(&server.base, "GET", ME, &[], None, None, &https)
        .await;
    assert_eq!(refused.code(401), 32, "the scheme served is signed");
    let tampered = Tweak {
        tamper: Some(("user_id".into(), "1".into())),
        ..Tweak::default()
    };
    let refused = keys
        .call(
            &server.base,
            "GET",
            "/1.1/users/show.json",
            &[("user_id", &bob_id)],
            None,
            None,
            &tampered,
        )
        .await;
    assert_eq!(refused.code(401), 32);
    let wrong_secret = crate::client::Keys {
        token_secret: "not-the-secret".into(),
        ..keys.clone()
    };
    assert_eq!(wrong_secret.get(&server.base, ME, &[]).await.code(401), 32);
    // The host as the client sent it is what it signed: `localhost` is not `127.0.0.1`.
    let by_name = server.base.replace("127.0.0.1", "localhost");
    let signed_for_ip = Tweak {
        signed_origin: Some(server.base.clone()),
        ..Tweak::default()
    };
    let refused = keys
        .call(&by_name, "GET", ME, &[], None, None, &signed_for_ip)
        .await;
    assert_eq!(refused.code(401), 32);
    let fine = keys.get(&by_name, ME, &[]).await;
    assert_eq!(fine.status, 200, "{}", fine.body);
}

async fn a_replayed_nonce_or_stale_timestamp_is_refused() {
    let server = TestServer::start().await;
    let (_, owner) = server.user("builder").await;
    let keys = app_keys(&server, &owner).await;
    let once = Tweak {
        nonce: Some("the-same-nonce".into()),
        ..Tweak::default()
    };
    let first = keys
        .call(&server.base, "GET", ME, &[], None, None, &once)
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let replay = keys
        .call(&server.base, "GET", ME, &[], None, None, &once)
        .await;
    assert_eq!(replay.code(401), 32);
    assert!(
        s(&replay.body["errors"][0]["message"]).contains("nonce"),
        "{}",
        replay.body
    );
    let now = chrono::Utc::now().timestamp();
    for stale in [now - 6 * 60, now + 6 * 60] {
        let late = Tweak {
            timestamp: Some(stale),
            ..Tweak::default()
        };
        let refused = keys
            .call(&server.base, "GET", ME, &[], None, None, &late)
            .await;
        assert_eq!(refused.code(401), 135);
    }
    let slightly_off = Tweak {
        timestamp: Some(now - 4 * 60),
        ..Tweak::default()
    };
    let fine = keys
        .call(&server.base, "GET", ME, &[], None, None, &slightly_off)
        .await;
    assert_eq!(fine.status, 200, "within the window: {}", fine.body);
}

async fn requests_without_usable_credentials_are_refused_with_their_codes() {
    let server = TestServer::start().await;
    let (_, owner) = server.user("builder").await;
    let keys = app_keys(&server, &owner).await;
    let http = reqwest::Client::new();
    let url = format!("{}{ME}", server.base);
    let send = |header: Option<String>| {
        let mut r = http.get(&url);
        if let Some(h) = header {
            r = r.header("authorization", h);
        }
        async move {
            let response = r.send().await.unwrap_or_else(|e| panic!("{e}"));
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            (
                status,
                body["errors"][0]["code"].as_i64().unwrap_or_default(),
                body,
            )
        }
    };
    let (status, code, body) = send(None).await;
    assert_eq!((status, code), (400, 215), "{body}");
    let (status, code, body) = send(Some("OAuth oauth_consumer_key=\"x\"".into())).await;
    assert_eq!((status, code), (400, 215), "missing parameters: {body}");
    let (status, code, body) = send(Some("OAuth garbage".into())).await;
    assert_eq!((status, code), (400, 215), "{body}");
    let plaintext = keys
        .header("GET", &url, &[], &Tweak::default())
        .replace("HMAC-SHA1", "PLAINTEXT");
    let (status, code, body) = send(Some(plaintext)).await;
    assert_eq!((status, code), (400, 215), "{body}");
    assert!(
        s(&body["errors"][0]["message"]).contains("HMAC-SHA1"),
        "{body}"
    );
    let unknown_app = crate::client::Keys {
        consumer_key: "nobody".into(),
        ..keys.clone()
    };
    let (status, code, body) = send(Some(unknown_app.header(
        "GET",
        &url,
        &[],
        &Tweak::default(),
    )))
    .await;
    assert_eq!((status, code), (401, 32), "{body}");
    let unknown_token = crate::client::Keys {
        token: "1-nothing".into(),
        ..keys.clone()
    };
    let (status, code, body) = send(Some(unknown_token.header(
        "GET",
        &url,
        &[],
        &Tweak::default(),
    )))
    .await;
    assert_eq!((status, code), (401, 89), "{body}");
    let (status, code, body) = send(Some("Bearer pot_not-a-token".into())).await;
    assert_eq!((status, code), (401, 89), "{body}");
    // A token of one app signed with another app's key authenticates nothing.
    let other = app_keys(&server, &owner).await;
    let crossed = crate::client::Keys {
        token: other.token.clone(),
        token_secret: other.token_secret.clone(),
        ..keys.clone()
    };
    let (status, code, body) =
        send(Some(crossed.header("GET", &url, &[], &Tweak::default()))).await;
    assert_eq!((status, code), (401, 89), "{body}");
    // No body is read for someone unknown: a large one is refused for who sent it, not
    // for its size (a JSON body is not signed; a form is, but only a known app's is read).
    let large = "x".repeat(3 * 1024 * 1024);
    let unsigned_json = http
        .post(format!(
            "{}/1.1/direct_messages/events/new.json",
            server.base
        ))
        .header("content-type", "application/json")
        .body(large.clone())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let refused: serde_json::Value = unsigned_json.json().await.unwrap_or_default();
    assert_eq!(
        refused["errors"][0]["code"], 215,
        "who sent it, not its size: {refused}"
    );
    let form_url = format!("{}/1.1/direct_messages/mark_read.json", server.base);
    let unknown_form = http
        .post(&form_url)
        .header(
            "authorization",
            unknown_token.header("POST", &form_url, &[], &Tweak::default()),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("recipient_id={large}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(unknown_form.status().as_u16(), 401, "89, not 413");
    // Native tokens are for the native API.
    let (status, code, body) = send(Some(format!("Bearer {owner}"))).await;
    assert_eq!((status, code), (401, 89), "{body}");
}

async fn form_bodies_are_signed_and_json_bodies_are_not() {
    let server = TestServer::start().await;
    let (owner_id, owner) = server.user("builder").await;
    let (bob_id, bob) = server.user("bob").await;
    server.follow(&bob, &owner_id).await;
    let keys = app_keys(&server, &owner).await;
    // A JSON body is not part of the signature: the send passes.
    let sent = keys
        .post_json(
            &server.base,
            "/1.1/direct_messages/events/new.json",
            crate::client::dm_body(&bob_id, json!({"text": "hi"})),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    // Form parameters are: typing with a form body passes, and with an altered one fails.
    let form = [("recipient_id", bob_id.as_str())];
    let typed = keys
        .call(
            &server.base,
            "POST",
            "/1.1/direct_messages/indicate_typing.json",
            &[],
            Some(&form),
            None,
            &Tweak::default(),
        )
        .await;
    assert_eq!(typed.status, 204, "{}", typed.body);
    let header = keys.header(
        "POST",
        &format!("{}/1.1/direct_messages/indicate_typing.json", server.base),
        &form,
        &Tweak::default(),
    );
    let altered = reqwest::Client::new()
        .post(format!(
            "{}/1.1/direct_messages/indicate_typing.json",
            server.base
        ))
        .header("authorization", header)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("recipient_id=1")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(altered.status().as_u16(), 401);
}

async fn an_oauth2_token_acts_and_an_app_only_token_reads_users_only() {
    let server = TestServer::start().await;
    let (_, owner) = server.user("builder").await;
    let (bob_id, _) = server.user("bob").await;
    let (_, app) = server
        .call(
            "POST",
            "/api/v1/apps",
            Some(&owner),
            Some(json!({"name": "Reader"})),
        )
        .await;
    let (_, tokens) = server
        .call(
            "POST",
            &format!("/api/v1/apps/{}/access_tokens", s(&app["app"]["id"])),
            Some(&owner),
            None,
        )
        .await;
    let http = reqwest::Client::new();
    let get = |token: String, path: String| {
        let request = http
            .get(format!("{}{path}", server.base))
            .bearer_auth(token);
        async move {
            let r = request.send().await.unwrap_or_else(|e| panic!("{e}"));
            let status = r.status().as_u16();
            (
                status,
                r.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
    };
    // An OAuth 2.0 user token is v2's (on v1.1: 403, code 220, as on X).
    let (status, me) = get(s(&tokens["oauth2_access_token"]), "/2/users/me".into()).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["data"]["username"], "builder");
    let (status, v1) = get(s(&tokens["oauth2_access_token"]), ME.into()).await;
    assert_eq!(
        (status, v1["errors"][0]["code"].clone()),
        (403, json!(220)),
        "{v1}"
    );
    let bearer = s(&app["bearer_token"]);
    let (status, bob) = get(
        bearer.clone(),
        format!("/1.1/users/show.json?user_id={bob_id}"),
    )
    .await;
    assert_eq!(status, 200, "{bob}");
    assert_eq!(bob["screen_name"], "bob");
    let (status, refused) = get(
        bearer.clone(),
        "/1.1/direct_messages/events/list.json".into(),
    )
    .await;
    assert_eq!(
        (status, refused["errors"][0]["code"].clone()),
        (403, json!(220)),
        "{refused}"
    );
    let (status, refused) = get(bearer, ME.into()).await;
    assert_eq!(status, 403, "{refused}");
}
