//! Requests built to exhaust the server: each is refused early, having read little of it.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::TestServer;

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

crate::on_every_backend!(an_oversized_form_field_is_refused_before_it_is_read);
