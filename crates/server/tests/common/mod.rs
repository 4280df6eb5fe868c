//! A real server on an ephemeral port with a throwaway data directory, and a small client.
//!
//! Tests listed in [`on_every_backend!`] run twice: on the embedded default (SQLite, in-process
//! bus, media in a local directory) and on the scale-out stack (a fresh PostgreSQL database per
//! server and NATS with a subject prefix of its own; media in an S3 bucket of its own for the
//! suites that ask for it). The scale-out run needs those services: without them the harness
//! shows it as ignored with the reason, or fails it under `CI=true`.

#![allow(dead_code)]

pub mod process;
pub mod receiver;

use std::time::Duration;

use futures::StreamExt;
use postern::{Config, Running};
use postern_testkit::postgres::TestDatabase;
use postern_testkit::services::{nats_url, s3_endpoint};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

pub struct TestServer {
    pub running: Option<Running>,
    _dir: tempfile::TempDir,
    /// Dropped after `running` (fields drop in order), taking the database with it.
    _database: Option<TestDatabase>,
    client: Client,
}

/// Which stack a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    /// PostgreSQL and NATS, media in a local directory.
    ScaleOut,
    /// PostgreSQL and NATS, media in S3: only the suites about media need the S3 server.
    ScaleOutWithS3,
}

tokio::task_local! {
    static BACKEND: Backend;
}

/// Runs a test on `backend`; every [`TestServer`] it starts uses that backend.
pub async fn run_on(backend: Backend, test: impl Future<Output = ()>) {
    BACKEND.scope(backend, test).await;
}

/// Declares each listed test (an `async fn()` in the file) once per backend:
/// `sqlite::NAME` and `scale_out::NAME`, the second needing PostgreSQL and NATS. Starting
/// the list with `media in S3:` keeps the scale-out run's media in S3, and needs that too.
#[macro_export]
macro_rules! on_every_backend {
    (media in S3: $($test:ident),* $(,)?) => {
        $crate::on_every_backend!(@ ScaleOutWithS3 (Postgres, Nats, S3) $($test),*);
    };
    (@ $scale_out:ident $needs:tt $($test:ident),*) => {
        mod sqlite {
            $(
                #[::postern_testkit::test]
                async fn $test() {
                    $crate::common::run_on($crate::common::Backend::Sqlite, super::$test()).await
                }
            )*
        }
        mod scale_out {
            $(
                #[::postern_testkit::test(needs $needs)]
                async fn $test() {
                    $crate::common::run_on($crate::common::Backend::$scale_out, super::$test())
                        .await
                }
            )*
        }
    };
    ($($test:ident),* $(,)?) => {
        $crate::on_every_backend!(@ ScaleOut (Postgres, Nats) $($test),*);
    };
}

/// Speaks HTTP and WebSocket to a server at `base`, in-process or not.
pub struct Client {
    pub base: String,
    http: reqwest::Client,
}

impl std::ops::Deref for TestServer {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

pub fn test_config(dir: &std::path::Path) -> Config {
    let mut config = Config::default();
    config.server.listen = "127.0.0.1:0".parse().unwrap_or(config.server.listen);
    config.storage.data_dir = dir.to_path_buf();
    // Cheap hashing keeps registration fast in tests; production uses the defaults.
    config.auth.argon2_memory_kib = 64;
    config.auth.argon2_iterations = 1;
    config
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::with(|_| {}).await
    }

    pub async fn with(tweak: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let mut config = test_config(dir.path());
        let backend = BACKEND.try_with(|b| *b).unwrap_or(Backend::Sqlite);
        let database = match backend {
            Backend::Sqlite => None,
            Backend::ScaleOut | Backend::ScaleOutWithS3 => {
                let db = TestDatabase::create().await;
                config.database.url = db.url.clone();
                config.bus.url = nats_url();
                config.bus.subject_prefix = db.name.clone();
                if backend == Backend::ScaleOutWithS3 {
                    config.media = postern_media::StorageConfig {
                        url: format!("s3://{}/media", create_bucket(&db.name).await),
                        s3_endpoint: s3_endpoint(),
                        s3_region: "us-east-1".into(),
                        s3_access_key_id: "test".into(),
                        s3_secret_access_key: "test".into(),
                        s3_allow_http: true,
                    };
                }
                Some(db)
            }
        };
        tweak(&mut config);
        let running = postern::start(&config, None)
            .await
            .unwrap_or_else(|e| panic!("start: {e:#}"));
        TestServer {
            client: Client::new(&format!("http://{}", running.addr)),
            running: Some(running),
            _dir: dir,
            _database: database,
        }
    }
}

impl TestServer {
    /// Stands the server's clock (support hours, away messages) at `at`, an RFC 3339 instant.
    pub fn stand_at(&self, at: &str) {
        let at = at.parse().unwrap_or_else(|e| panic!("instant {at}: {e}"));
        if let Some(running) = &self.running {
            running.services.config().clock.stand_at(at);
        }
    }
}

/// A new bucket on the S3-compatible server, named after the test's database.
async fn create_bucket(name: &str) -> String {
    let bucket = name.to_ascii_lowercase().replace('_', "-");
    let created = reqwest::Client::new()
        .put(format!("{}/{bucket}", s3_endpoint()))
        .send()
        .await
        .unwrap_or_else(|e| panic!("create bucket {bucket}: {e}"));
    assert!(
        created.status().is_success(),
        "create bucket {bucket}: {}",
        created.status()
    );
    bucket
}

impl Client {
    pub fn new(base: &str) -> Client {
        Self::with_http(base, reqwest::Client::new())
    }

    /// A client of its own making (one that trusts a test's certificate, say).
    pub fn with_http(base: &str, http: reqwest::Client) -> Client {
        Client {
            base: base.to_owned(),
            http,
        }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let (status, _, value) = self.call_full(method, path, token, body, &[]).await;
        (status, value)
    }

    pub async fn call_full(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        self.try_call(method, path, token, body, headers)
            .await
            .unwrap_or_else(|e| panic!("request failed: {e}"))
    }

    /// Like [`Client::call_full`], but a connection failure is returned, not a panic.
    pub async fn try_call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> reqwest::Result<(u16, reqwest::header::HeaderMap, Value)> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await?;
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok((status, headers, value))
    }

    /// A `multipart/form-data` upload to `POST /api/v1/media`: text `fields` first, then
    /// `file` in the part `media` with the type `mime`.
    pub async fn upload(
        &self,
        token: &str,
        fields: &[(&str, &str)],
        file: Vec<u8>,
        mime: &str,
    ) -> (u16, Value) {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        let part = reqwest::multipart::Part::bytes(file)
            .file_name("upload")
            .mime_str(mime)
            .unwrap_or_else(|e| panic!("mime {mime}: {e}"));
        let resp = self
            .http
            .post(format!("{}/api/v1/media", self.base))
            .bearer_auth(token)
            .multipart(form.part("media", part))
            .send()
            .await
            .unwrap_or_else(|e| panic!("upload: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Any request with a raw body, answered with raw bytes (media, parts).
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<reqwest::Body>,
        headers: &[(&str, &str)],
    ) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap_or_default().to_vec();
        (status, headers, bytes)
    }

    /// A request whose body may fail on the way (an interrupted upload): the outcome, whatever
    /// it is, is the caller's to judge.
    pub async fn try_raw(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: reqwest::Body,
    ) -> reqwest::Result<u16> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let resp = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token)
            .body(body)
            .send()
            .await?;
        Ok(resp.status().as_u16())
    }

    /// Every message in a conversation as (text, id), read page by page, newest first.
    pub async fn messages(&self, token: &str, conversation: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/conversations/{conversation}/events?limit=100");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let (status, page) = self.call("GET", &path, Some(token), None).await;
            assert_eq!(status, 200, "history: {page}");
            for event in page["events"].as_array().into_iter().flatten() {
                if event["type"] == "message" {
                    out.push((s(&event["text"]), s(&event["id"])));
                }
            }
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return out,
            }
        }
    }

    /// Registers a user; returns (id, token).
    pub async fn user(&self, name: &str) -> (String, String) {
        let (status, body) = self
            .call(
                "POST",
                "/api/v1/accounts",
                None,
                Some(json!({"screen_name": name, "password": "correct horse"})),
            )
            .await;
        assert_eq!(status, 201, "register {name}: {body}");
        (s(&body["user"]["id"]), s(&body["token"]))
    }

    /// Two users who follow each other: (alice_id, alice, bob_id, bob).
    pub async fn friends(&self) -> (String, String, String, String) {
        let (alice_id, alice) = self.user("alice").await;
        let (bob_id, bob) = self.user("bob").await;
        self.follow(&bob, &alice_id).await;
        self.follow(&alice, &bob_id).await;
        (alice_id, alice, bob_id, bob)
    }

    pub async fn follow(&self, token: &str, user: &str) {
        let (status, body) = self
            .call(
                "PUT",
                &format!("/api/v1/me/following/{user}"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(status, 204, "follow: {body}");
    }

    pub async fn open_to_everyone(&self, token: &str) {
        let (status, body) = self
            .call(
                "PATCH",
                "/api/v1/me/settings",
                Some(token),
                Some(json!({"allow_dms_from": "everyone"})),
            )
            .await;
        assert_eq!(status, 200, "settings: {body}");
    }

    /// Sends a DM to a user, asserting success; returns the message.
    pub async fn dm(&self, token: &str, to: &str, text: &str) -> Value {
        let (status, body) = self
            .call(
                "POST",
                &format!("/api/v1/messages/with/{to}"),
                Some(token),
                Some(json!({"text": text})),
            )
            .await;
        assert_eq!(status, 201, "send: {body}");
        body
    }

    /// A webhook's delivery log once it holds at least `n` attempts (within 10 s). A batch
    /// of deliveries is logged when the batch ends, after its receiver has heard it, so a
    /// test that has just heard an event waits here for its row.
    pub async fn deliveries(&self, token: &str, webhook: &str, n: usize) -> Vec<Value> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let (status, log) = self
                .call(
                    "GET",
                    &format!("/api/v1/webhooks/{webhook}/deliveries"),
                    Some(token),
                    None,
                )
                .await;
            assert_eq!(status, 200, "delivery log: {log}");
            let rows = log["deliveries"].as_array().cloned().unwrap_or_default();
            if rows.len() >= n || std::time::Instant::now() > deadline {
                return rows;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn ws(&self, token: &str, since: Option<&str>) -> Ws {
        let query = since.map(|s| format!("?since={s}")).unwrap_or_default();
        let url = format!(
            "{}/api/v1/stream{query}",
            self.base.replace("http://", "ws://")
        );
        let mut req = url
            .into_client_request()
            .unwrap_or_else(|e| panic!("ws request: {e}"));
        let auth = format!("Bearer {token}")
            .parse()
            .unwrap_or_else(|e| panic!("header: {e}"));
        req.headers_mut().insert("authorization", auth);
        let (socket, _) = tokio_tungstenite::connect_async(req)
            .await
            .unwrap_or_else(|e| panic!("ws connect: {e}"));
        Ws { socket }
    }
}

pub struct Ws {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Ws {
    /// The next JSON frame, or panics after a few seconds.
    pub async fn next(&mut self) -> Value {
        self.next_or_closed()
            .await
            .unwrap_or_else(|| panic!("stream closed"))
    }

    /// The next JSON frame, or `None` once the connection is closed or broken (a server that
    /// died); panics if nothing happens for a few seconds.
    pub async fn next_or_closed(&mut self) -> Option<Value> {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(5), self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("no frame within 5 s"));
            match msg {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => {
                    return Some(
                        serde_json::from_str(&t).unwrap_or_else(|e| panic!("bad frame {t}: {e}")),
                    );
                }
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_)))
                | Some(Err(_))
                | None => {
                    return None;
                }
                Some(Ok(_)) => {}
            }
        }
    }

    /// Reads until the server closes the connection (within `ms`): the close frame's code,
    /// or `None` if it closed without one (or not in time).
    pub async fn close_code_within(&mut self, ms: u64) -> Option<u16> {
        let wait = async {
            loop {
                match self.socket.next().await {
                    Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame))) => {
                        return frame.map(|f| u16::from(f.code));
                    }
                    Some(Err(_)) | None => return None,
                    Some(Ok(_)) => {}
                }
            }
        };
        tokio::time::timeout(Duration::from_millis(ms), wait)
            .await
            .ok()
            .flatten()
    }

    /// The next frame of the given type, skipping others.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let f = self.next().await;
            if f["type"] == kind {
                return f;
            }
        }
    }

    /// The next JSON frame if one arrives within `ms`.
    pub async fn frame_within(&mut self, ms: u64) -> Option<Value> {
        tokio::time::timeout(Duration::from_millis(ms), self.next_or_closed())
            .await
            .ok()
            .flatten()
    }

    /// Whether a frame arrives within `ms`.
    pub async fn quiet_for(&mut self, ms: u64) -> bool {
        tokio::time::timeout(Duration::from_millis(ms), self.socket.next())
            .await
            .is_err()
    }
}

pub fn s(v: &Value) -> String {
    v.as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

/// Runs an outside tool to its end and fails the test with everything it printed unless it
/// succeeded; `what` says what its failure means.
pub async fn run_tool(command: &mut tokio::process::Command, what: &str) {
    let output = command
        .kill_on_drop(true)
        .output()
        .await
        .unwrap_or_else(|e| panic!("run {:?}: {e}", command.as_std().get_program()));
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{what}:\n{report}");
}
