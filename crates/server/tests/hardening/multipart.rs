//! The upload form's parser, through the real server: any form a client can build, with
//! any names, part headers and values, gets an answer below 500.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::common::TestServer;

#[derive(Debug, Clone)]
struct Part {
    name: String,
    content_type: Option<String>,
    value: Vec<u8>,
}

fn part() -> impl Strategy<Value = Part> {
    let name = prop_oneof![
        Just("media".to_owned()),
        Just("media_category".to_owned()),
        Just("media_type".to_owned()),
        Just("shared".to_owned()),
        "[a-z_\"\\\\ ]{0,12}",
    ];
    let content_type = proptest::option::of(prop_oneof![
        Just("image/png".to_owned()),
        Just("video/mp4".to_owned()),
        Just("application/octet-stream".to_owned()),
        "[ -~]{0,30}",
    ]);
    let value = prop_oneof![
        Just(b"dm_image".to_vec()),
        Just(b"image/png".to_vec()),
        Just(b"true".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..200),
    ];
    (name, content_type, value).prop_map(|(name, content_type, value)| Part {
        name,
        content_type,
        value,
    })
}

fn form(parts: &[Part], boundary: &str, close: bool) -> Vec<u8> {
    let mut body = Vec::new();
    for p in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        body.extend_from_slice(
            format!("Content-Disposition: form-data; name=\"{}\"", p.name).as_bytes(),
        );
        if p.name == "media" {
            body.extend_from_slice(b"; filename=\"upload\"");
        }
        body.extend_from_slice(b"\r\n");
        if let Some(t) = &p.content_type {
            body.extend_from_slice(format!("Content-Type: {t}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(&p.value);
        body.extend_from_slice(b"\r\n");
    }
    if close {
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    }
    body
}

#[postern_testkit::test]
fn any_upload_form_is_answered_below_500() {
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("runtime: {e}"));
    let srv = runtime.block_on(TestServer::start());
    let (_, token) = runtime.block_on(srv.user("alice"));
    let client = reqwest::Client::new();
    let mut runner = TestRunner::new(Config::with_cases(64));
    let forms = (
        proptest::collection::vec(part(), 0..5),
        "[a-zA-Z0-9'()+_,./:=?-]{1,30}",
        any::<bool>(),
    );
    let outcome = runner.run(&forms, |(parts, boundary, close)| {
        let body = form(&parts, &boundary, close);
        let status = runtime.block_on(async {
            client
                .post(format!("{}/api/v1/media", srv.base))
                .bearer_auth(&token)
                .header(
                    "content-type",
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(body)
                .send()
                .await
                .map(|r| r.status().as_u16())
        });
        let status = status.unwrap_or_else(|e| panic!("request: {e}"));
        prop_assert!(status < 500, "{status} for {parts:?}");
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}
