//! The outward client against real sockets: inward addresses refused before and after DNS and
//! on redirects, unless allowed; what a delivery sends; how much of an answer it keeps.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use postern_outbound::{Failure, Limits, Outbound, Policy};
use reqwest::header::HeaderMap;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

/// A one-request-at-a-time HTTP server at `host`: answers every request with `answer` and
/// reports each request's head.
async fn server(host: &str, answer: String) -> (SocketAddr, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind((host, 0))
        .await
        .unwrap_or_else(|e| panic!("bind {host}: {e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = vec![0u8; 16 * 1024];
            let n = socket.read(&mut buf).await.unwrap_or(0);
            let _ = tx.send(String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).into_owned());
            let _ = socket.write_all(answer.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    (addr, rx)
}

fn client(allow: &[&str]) -> Outbound {
    let policy = Policy::allowing(&allow.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
        .unwrap_or_else(|e| panic!("{e}"));
    let limits = Limits {
        connect: Duration::from_secs(2),
        total: Duration::from_secs(3),
        body_bytes: 1000,
    };
    Outbound::new(policy, limits).unwrap_or_else(|e| panic!("{e}"))
}

fn ok(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[postern_testkit::test]
async fn inward_urls_are_refused_unless_allowed() {
    let (addr, _) = server("127.0.0.1", ok("hi")).await;
    let guarded = client(&[]);
    for url in [
        format!("http://127.0.0.1:{}/hook", addr.port()),
        format!("http://localhost:{}/hook", addr.port()),
        "http://10.0.0.1/hook".into(),
        "http://169.254.169.254/latest/meta-data/".into(),
        "http://[::1]/hook".into(),
        "http://[::ffff:127.0.0.1]/hook".into(),
    ] {
        let refused = guarded
            .post_json(&url, HeaderMap::new(), Bytes::from_static(b"{}"))
            .await;
        assert!(
            matches!(refused, Err(Failure::Refused(_))),
            "{url}: {refused:?}"
        );
        assert!(
            matches!(guarded.check(&url).await, Err(Failure::Refused(_))),
            "{url}"
        );
    }
    for url in ["ftp://example.com/", "not a url", "file:///etc/passwd"] {
        assert!(
            matches!(guarded.check(url).await, Err(Failure::BadUrl(_))),
            "{url}"
        );
    }
    let allowed = client(&["127.0.0.1"]);
    let answer = allowed
        .post_json(
            &format!("http://localhost:{}/hook", addr.port()),
            HeaderMap::new(),
            Bytes::from_static(b"{}"),
        )
        .await
        .unwrap_or_else(|e| panic!("allowed: {e}"));
    assert_eq!((answer.status, answer.body.as_ref()), (200, b"hi".as_ref()));
}

#[postern_testkit::test]
async fn a_redirect_inward_is_refused() {
    let (inner, mut reached) = server("127.0.0.1", ok("secret")).await;
    for target in [
        format!("http://127.0.0.1:{}/", inner.port()),
        format!("http://localhost:{}/", inner.port()),
    ] {
        // The first hop is allowed (127.0.0.2 stands for a public host); where it sends the
        // call is not.
        let (outer, _) = server(
            "127.0.0.2",
            format!("HTTP/1.1 302 Found\r\nlocation: {target}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"),
        )
        .await;
        let refused = client(&["127.0.0.2"])
            .post_json(
                &format!("http://127.0.0.2:{}/", outer.port()),
                HeaderMap::new(),
                Bytes::from_static(b"{}"),
            )
            .await;
        assert!(
            matches!(refused, Err(Failure::Refused(_))),
            "{target}: {refused:?}"
        );
    }
    assert!(reached.try_recv().is_err(), "the inner server was reached");
}

#[postern_testkit::test]
async fn a_delivery_is_exactly_json_and_a_long_answer_is_cut() {
    let (addr, mut requests) = server("127.0.0.1", ok(&"x".repeat(5000))).await;
    let answer = client(&["127.0.0.1"])
        .post_json(
            &format!("http://127.0.0.1:{}/hook", addr.port()),
            HeaderMap::new(),
            Bytes::from_static(b"{\"a\":1}"),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answer.body.len(), 1000);
    assert!(answer.truncated);
    let head = requests
        .recv()
        .await
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        head.contains("\r\ncontent-type: application/json\r\n"),
        "{head}"
    );
    assert!(head.ends_with("{\"a\":1}"), "{head}");
}

#[postern_testkit::test]
async fn a_silent_receiver_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket); // never answers
        }
    });
    let started = std::time::Instant::now();
    let result = client(&["127.0.0.1"])
        .get(
            &format!("http://127.0.0.1:{}/", addr.port()),
            HeaderMap::new(),
        )
        .await;
    assert!(matches!(result, Err(Failure::Timeout)), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(6));
}
