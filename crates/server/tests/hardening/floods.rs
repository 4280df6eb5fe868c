//! Requests built to exhaust the server: each is refused early, having read little of it.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::TestServer;

/// A server whose connection limits are short enough to watch: 1 s for headers (and idle
/// keep-alive), bodies at 100 bytes a second after 1 s, three connections per address.
async fn strict() -> TestServer {
    TestServer::with(|c| {
        c.server.header_timeout_secs = 1;
        c.server.body_min_bytes_per_sec = 100;
        c.server.body_grace_secs = 1;
        c.server.max_connections_per_ip = 3;
    })
    .await
}

async fn connect(srv: &TestServer) -> TcpStream {
    TcpStream::connect(srv.base.trim_start_matches("http://"))
        .await
        .unwrap_or_else(|e| panic!("connect: {e}"))
}

/// Reads until the server closes the connection (or 5 s pass); returns what it sent and
/// how long that took.
async fn until_closed(socket: &mut TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut buffer = [0; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(5), socket.read(&mut buffer)).await {
            Err(_) => panic!(
                "still open after 5 s; it sent {:?}",
                String::from_utf8_lossy(&seen)
            ),
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(n)) => seen.extend_from_slice(buffer.get(..n).unwrap_or_default()),
        }
    }
    (
        String::from_utf8_lossy(&seen).into_owned(),
        started.elapsed(),
    )
}

/// Headers trickled a piece at a time, and a kept-alive connection left idle, are closed
/// after the header timeout: each held a file handle for as long as the client liked.
async fn slow_headers_and_idle_connections_are_closed() {
    let srv = strict().await;
    let mut slow = connect(&srv).await;
    let trickle = async {
        for piece in [
            "GET /healthz HTTP/1.1\r\n",
            "Host: x\r\n",
            "X-A: 1\r\n",
            "X-B: 2\r\n",
        ] {
            if slow.write_all(piece.as_bytes()).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(600)).await;
        }
    };
    trickle.await;
    let (sent, _) = until_closed(&mut slow).await;
    assert!(
        !sent.contains("200 OK"),
        "the request never completed: {sent}"
    );

    let mut idle = connect(&srv).await;
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap_or_else(|e| panic!("write: {e}"));
    let (sent, after) = until_closed(&mut idle).await;
    assert!(sent.starts_with("HTTP/1.1 200"), "{sent}");
    assert!(after < Duration::from_secs(4), "closed after {after:?}");
}

/// A body sent a byte at a time falls behind the minimum rate and is refused.
async fn a_trickled_body_is_cut_off() {
    let srv = strict().await;
    let mut socket = connect(&srv).await;
    socket
        .write_all(
            b"POST /api/v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
              Content-Length: 1000\r\n\r\n{",
        )
        .await
        .unwrap_or_else(|e| panic!("write: {e}"));
    let started = Instant::now();
    let mut answer = String::new();
    let mut buffer = [0; 4096];
    while started.elapsed() < Duration::from_secs(6) {
        let _ = socket.write_all(b" ").await;
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(300), socket.read(&mut buffer)).await
        {
            answer.push_str(&String::from_utf8_lossy(
                buffer.get(..n).unwrap_or_default(),
            ));
            if n == 0 || answer.contains("\r\n\r\n") {
                break;
            }
        }
    }
    assert!(
        answer.starts_with("HTTP/1.1 4"),
        "refused, not waited on: {answer:?}"
    );
    assert!(answer.contains("100 bytes a second"), "{answer}");
}

/// Connections beyond the per-address cap are answered 503 and closed, and the server keeps
/// answering: before, 1,100 idle sockets exhausted its file handles and /healthz went quiet.
async fn connections_beyond_the_cap_are_refused_and_the_server_keeps_answering() {
    let srv = strict().await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect(&srv).await);
    }
    let mut over = connect(&srv).await;
    let (sent, _) = until_closed(&mut over).await;
    assert!(sent.starts_with("HTTP/1.1 503"), "{sent:?}");
    drop(held.pop());
    // The freed place is given back once the server sees the close.
    let mut answered = false;
    for _ in 0..50 {
        if let Ok((200, _, _)) = srv.try_call("GET", "/healthz", None, None, &[]).await {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(answered, "/healthz answers again");
}

/// A form field of an upload was read into memory whole before it was looked at: a 300 MB
/// `media_category` took the server from 58 to 897 MiB. Now a setting is refused as soon as
/// it is longer than any real one. The client here sends 1 MiB of a field that declares
/// 300 MB and waits: the refusal must come while the field is still unfinished.
async fn an_oversized_form_field_is_refused_before_it_is_read() {
    let srv = TestServer::start().await;
    let (_, token) = srv.user("alice").await;
    let address = srv.base.trim_start_matches("http://").to_owned();
    let boundary = "postern-boundary";
    let preamble =
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"media_category\"\r\n\r\n");
    let declared = preamble.len() + 300 * 1024 * 1024;
    let mut socket = tokio::net::TcpStream::connect(&address)
        .await
        .unwrap_or_else(|e| panic!("connect: {e}"));
    let head = format!(
        "POST /api/v1/media HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {declared}\r\n\r\n{preamble}"
    );
    socket
        .write_all(head.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("write: {e}"));
    socket
        .write_all(&vec![b'a'; 1024 * 1024])
        .await
        .unwrap_or_else(|e| panic!("write: {e}"));
    let mut answer = vec![0; 4096];
    let read = tokio::time::timeout(Duration::from_secs(5), socket.read(&mut answer))
        .await
        .unwrap_or_else(|_| panic!("no answer while the field was unfinished: it is being read"))
        .unwrap_or_else(|e| panic!("read: {e}"));
    let answer = String::from_utf8_lossy(answer.get(..read).unwrap_or_default()).into_owned();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("media_category") && answer.contains("64 bytes"),
        "{answer}"
    );
}

/// One account ran 20 chunked uploads declaring 512 MB each. Uploads in progress are bounded
/// per account, in number and in declared bytes; a completed or expired one frees its place.
async fn an_account_has_a_bounded_number_of_uploads_in_progress() {
    let srv = TestServer::with(|c| {
        c.limits.media_uploads_in_progress = 2;
        c.limits.media_upload_bytes_in_progress = 3_000_000;
    })
    .await;
    let (_, token) = srv.user("alice").await;
    let start = |total: u64| {
        let srv = &srv;
        let token = &token;
        async move {
            srv.call(
                "POST",
                "/api/v1/media/uploads",
                Some(token),
                Some(serde_json::json!({"total_bytes": total, "media_type": "video/mp4"})),
            )
            .await
        }
    };
    assert_eq!(start(2_000_000).await.0, 201);
    let (status, body) = start(2_000_000).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (413, Some("total_bytes")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("3000000 bytes")),
        "{body}"
    );
    assert_eq!(start(1_000_000).await.0, 201);
    let (status, body) = start(1).await;
    assert_eq!(status, 429, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("uploads in progress")),
        "{body}"
    );
    // Someone else is not held back by Alice's uploads.
    let (_, bob) = srv.user("bob").await;
    let (status, _) = srv
        .call(
            "POST",
            "/api/v1/media/uploads",
            Some(&bob),
            Some(serde_json::json!({"total_bytes": 1, "media_type": "video/mp4"})),
        )
        .await;
    assert_eq!(status, 201);
}

/// The other refusals of an upload's setting fields, each naming the field: a setting given
/// twice (in the form, or in the query string and the form) and one that is not UTF-8.
async fn upload_settings_are_given_once_as_text() {
    let srv = TestServer::start().await;
    let (_, token) = srv.user("alice").await;
    let png = vec![0x89, b'P', b'N', b'G'];
    let (status, body) = srv
        .upload(
            &token,
            &[
                ("media_category", "dm_image"),
                ("media_category", "dm_image"),
            ],
            png.clone(),
            "image/png",
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("media_category")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("twice")),
        "{body}"
    );

    let form = reqwest::multipart::Form::new()
        .part("shared", reqwest::multipart::Part::bytes(vec![0xff, 0xfe]))
        .part(
            "media",
            reqwest::multipart::Part::bytes(png.clone()).file_name("upload"),
        );
    let answer = reqwest::Client::new()
        .post(format!("{}/api/v1/media?media_category=dm_image", srv.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap_or_else(|e| panic!("upload: {e}"));
    assert_eq!(answer.status(), 400);
    let body: serde_json::Value = answer.json().await.unwrap_or_default();
    assert_eq!(body["error"]["field"], "shared", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("UTF-8")),
        "{body}"
    );

    let form = reqwest::multipart::Form::new()
        .text("media_category", "dm_image")
        .part(
            "media",
            reqwest::multipart::Part::bytes(png).file_name("upload"),
        );
    let answer = reqwest::Client::new()
        .post(format!("{}/api/v1/media?media_category=dm_image", srv.base))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap_or_else(|e| panic!("upload: {e}"));
    assert_eq!(
        answer.status(),
        400,
        "the query string and the form both set it"
    );
}

crate::on_every_backend!(
    an_oversized_form_field_is_refused_before_it_is_read,
    upload_settings_are_given_once_as_text,
    an_account_has_a_bounded_number_of_uploads_in_progress,
    an_account_holds_a_bounded_number_of_streams,
    slow_headers_and_idle_connections_are_closed,
    a_trickled_body_is_cut_off,
    connections_beyond_the_cap_are_refused_and_the_server_keeps_answering,
);

/// The server raises its own open-file soft limit to the hard limit at start: the usual
/// 1,024 is far below the connections it is meant to hold.
#[postern_testkit::test]
async fn the_server_raises_its_open_file_limit() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let port = crate::common::process::free_port();
    let server = tokio::process::Command::new("sh")
        .args(["-c", "ulimit -Sn 256 && exec \"$@\"", "sh"])
        .arg(env!("CARGO_BIN_EXE_postern"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir.path())
        .env("POSTERN__LOG__FILTER", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start postern: {e}"));
    let api = crate::common::Client::new(&format!("http://127.0.0.1:{port}"));
    crate::common::process::wait_healthy(&api).await;
    let pid = server.id().unwrap_or_else(|| panic!("no pid"));
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits"))
        .unwrap_or_else(|e| panic!("limits: {e}"));
    let open_files: Vec<&str> = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .map(|l| l.split_whitespace().skip(3).take(2).collect())
        .unwrap_or_default();
    let [soft, hard] = open_files[..] else {
        panic!("no open-file limit in {limits}")
    };
    assert_eq!(soft, hard, "raised to the hard limit");
    assert_ne!(soft, "256", "{limits}");
}

/// One token opened 3,000 WebSockets, each a connection and a file handle. An account may
/// hold `limits.streams_per_user` streams (WebSocket or SSE) on a node; the next is 429
/// until one closes.
async fn an_account_holds_a_bounded_number_of_streams() {
    let srv = TestServer::with(|c| c.limits.streams_per_user = 3).await;
    let (_, token) = srv.user("alice").await;
    let mut open = Vec::new();
    for _ in 0..3 {
        let mut ws = srv.ws(&token, None).await;
        ws.next_of("ready").await;
        open.push(ws);
    }
    let (status, body) = srv
        .call("GET", "/api/v1/stream/sse", Some(&token), None)
        .await;
    assert_eq!(status, 429, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("open streams")),
        "{body}"
    );
    drop(open.pop());
    // The place comes back once the server sees the close; an SSE stream's headers say
    // whether it opened (its body never ends, so it is not read).
    let client = reqwest::Client::new();
    let mut reopened = None;
    for _ in 0..50 {
        let response = client
            .get(format!("{}/api/v1/stream/sse", srv.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("sse: {e}"));
        if response.status() == 200 {
            reopened = Some(response);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(reopened.is_some(), "a closed stream gives its place back");
}
