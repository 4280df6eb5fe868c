//! The OpenAPI contract gate: schemathesis (pinned, installed by `cargo xtask test`) reads
//! `/openapi.json` and sends thousands of requests the document allows and does not allow,
//! and every answer must agree with the document: no 5xx, a 4xx for what it does not allow,
//! no refusal of what it allows, responses in the documented shapes and types. Bad input
//! that slipped through (a second spelling of an id, a NUL in a search) was found this way;
//! this keeps the class out as the surfaces grow. What the document cannot say is listed,
//! with the reason, in `fixtures/schemathesis.toml`.
//!
//! Runs on the embedded store: the rules it checks are the service's and the surface's, the
//! same on both backends (the store suites hold the backends to each other).

#![expect(
    clippy::indexing_slicing,
    reason = "indexing a serde_json::Value by key yields Null; it does not panic"
)]

mod common;

use std::fmt::Write;

use common::{TestServer, s};
use postern_testkit::services;
use serde_json::json;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

const TEMPLATE: &str = include_str!("fixtures/schemathesis.toml");
const PASSWORD: &str = "contract-password";
const PHOTO: &[u8] = include_bytes!("fixtures/gps.jpg");

/// Real ids for schemathesis to use in half of what it sends (the other half it makes up),
/// so requests reach the rules behind "not found".
#[derive(Default)]
struct Fixtures {
    users: Vec<String>,
    conversations: Vec<String>,
    groups: Vec<String>,
    messages: Vec<String>,
    media: Vec<String>,
}

/// Alice (who the run acts as), friends with Bob and Carol, in a one-to-one with Bob with a
/// few messages, in a group with both, with a photo uploaded.
async fn fixtures(srv: &TestServer) -> Fixtures {
    let (status, alice) = srv
        .call(
            "POST",
            "/api/v1/accounts",
            None,
            Some(json!({"screen_name": "alice", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, 201, "{alice}");
    let (alice_id, alice) = (s(&alice["user"]["id"]), s(&alice["token"]));
    let mut f = Fixtures::default();
    f.users.push(alice_id.clone());
    for name in ["bob", "carol"] {
        let (id, token) = srv.user(name).await;
        srv.follow(&token, &alice_id).await;
        srv.follow(&alice, &id).await;
        f.users.push(id);
    }
    for text in ["hello", "how are you?", "see you at 5"] {
        let sent = srv.dm(&alice, &f.users[1], text).await;
        f.messages.push(s(&sent["id"]));
        f.conversations.push(s(&sent["conversation_id"]));
    }
    let (status, group) = srv
        .call(
            "POST",
            "/api/v1/conversations",
            Some(&alice),
            Some(json!({"participant_ids": [f.users[1], f.users[2]], "name": "crew"})),
        )
        .await;
    assert_eq!(status, 201, "{group}");
    f.groups.push(s(&group["id"]));
    f.conversations.push(s(&group["id"]));
    let (status, photo) = srv
        .upload(&alice, &[("shared", "true")], PHOTO.to_vec(), "image/jpeg")
        .await;
    assert_eq!(status, 201, "{photo}");
    f.media.push(s(&photo["id"]));
    f
}

/// The template, with the run's sign-in and its ids as dictionaries bound to the
/// parameters that take them.
fn config(f: &Fixtures) -> String {
    let mut out = TEMPLATE.to_owned();
    let _ = write!(
        out,
        "\n[auth.dynamic.openapi.bearer]\npath = \"/sessions\"\n\
         payload = {{ screen_name = \"alice\", password = \"{PASSWORD}\" }}\n\
         extract_selector = \"/token\"\nretry_on = [401]\n"
    );
    let dictionaries = [
        ("users", &f.users),
        ("conversations", &f.conversations),
        ("groups", &f.groups),
        ("messages", &f.messages),
        ("media", &f.media),
    ];
    for (name, values) in dictionaries {
        let _ = write!(out, "\n[dictionaries.{name}]\nvalues = {values:?}\n");
    }
    // Each operation in one group at most, as the path regexes below do not overlap.
    let bindings: [(&str, &[(&str, &str)]); 6] = [
        (
            "^/conversations/\\\\{id\\\\}/participants/",
            &[("path.id", "groups"), ("path.user_id", "users")],
        ),
        (
            "^/conversations/\\\\{id\\\\}/messages/\\\\{message_id\\\\}",
            &[
                ("path.id", "conversations"),
                ("path.message_id", "messages"),
            ],
        ),
        (
            "^/conversations/\\\\{id\\\\}(/(messages|events|read|typing|accept))?$",
            &[("path.id", "conversations")],
        ),
        (
            "^/(me/(blocks|following|mutes)|messages/with)/\\\\{user_id\\\\}$",
            &[("path.user_id", "users")],
        ),
        ("^/users/\\\\{id\\\\}", &[("path.id", "users")]),
        ("^/media/\\\\{id\\\\}", &[("path.id", "media")]),
    ];
    for (paths, parameters) in bindings {
        let parameters: Vec<String> = parameters
            .iter()
            .map(|(parameter, dictionary)| {
                format!("\"{parameter}\" = {{ dictionary = \"{dictionary}\", probability = 0.5 }}")
            })
            .collect();
        let _ = write!(
            out,
            "\n[[operations]]\ninclude-path-regex = \"{paths}\"\nparameters = {{ {} }}\n",
            parameters.join(", ")
        );
    }
    out
}

#[postern_testkit::test(needs(Schemathesis), multi_thread)]
async fn the_server_keeps_to_its_openapi_document() {
    let srv = TestServer::with(|c| {
        // Schemathesis signs in again whenever a token is revoked, and guesses passwords
        // on its own; none of it is an attack to slow down.
        c.auth.login_free_failures_per_account = u32::MAX;
        c.auth.login_free_failures_per_address = u32::MAX;
        c.server.rate_limits = false;
    })
    .await;
    let fixtures = fixtures(&srv).await;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let config_file = dir.path().join("schemathesis.toml");
    std::fs::write(&config_file, config(&fixtures)).unwrap_or_else(|e| panic!("write: {e}"));
    let mut st = tokio::process::Command::new(services::schemathesis());
    st.arg("--config-file")
        .arg(&config_file)
        .arg("run")
        .arg(format!("{}/openapi.json", srv.base))
        .arg("--url")
        .arg(format!("{}/api/v1", srv.base))
        .args(["--checks", "all", "--no-color"])
        .current_dir(dir.path());
    common::run_tool(&mut st, "the server and its OpenAPI document disagree").await;
}
