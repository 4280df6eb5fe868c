//! HTTPS served directly (issue 17, item 3): Twitter's client libraries speak only https.

use crate::client::app_keys;
use crate::common::TestServer;

crate::on_every_backend!(https_is_served_and_signatures_name_its_scheme);

/// A self-signed certificate for 127.0.0.1, written to `dir`: (cert path, key path, PEM).
pub fn certificate(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let made =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap_or_else(|e| panic!("certificate: {e}"));
    let cert = made.cert.pem();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert_path, &cert).unwrap_or_else(|e| panic!("write cert: {e}"));
    std::fs::write(&key_path, made.signing_key.serialize_pem())
        .unwrap_or_else(|e| panic!("write key: {e}"));
    (cert_path, key_path, cert)
}

/// A server over TLS with a certificate made in `dir` (and `more` settings), and a client
/// that trusts it: (server, client, address).
pub async fn tls_server(
    dir: &std::path::Path,
    more: impl FnOnce(&mut postern::Config),
) -> (TestServer, crate::common::Client, std::net::SocketAddr) {
    let (cert, key, pem) = certificate(dir);
    let server = TestServer::with(|c| {
        c.server.tls_cert = Some(cert);
        c.server.tls_key = Some(key);
        more(c);
    })
    .await;
    let addr = server
        .running
        .as_ref()
        .map(|r| r.addr)
        .unwrap_or_else(|| panic!("running"));
    let root = reqwest::Certificate::from_pem(pem.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let http = reqwest::Client::builder()
        .add_root_certificate(root)
        .build()
        .unwrap_or_else(|e| panic!("client: {e}"));
    let api = crate::common::Client::with_http(&format!("https://{addr}"), http);
    (server, api, addr)
}

async fn https_is_served_and_signatures_name_its_scheme() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let (cert, key, pem) = certificate(dir.path());
    let server = TestServer::with(|c| {
        c.server.tls_cert = Some(cert.clone());
        c.server.tls_key = Some(key.clone());
    })
    .await;
    let addr = server
        .running
        .as_ref()
        .map(|r| r.addr)
        .unwrap_or_else(|| panic!("running"));
    let https_base = format!("https://{addr}");
    let root = reqwest::Certificate::from_pem(pem.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let http = reqwest::Client::builder()
        .add_root_certificate(root)
        .build()
        .unwrap_or_else(|e| panic!("client: {e}"));
    let health = http
        .get(format!("{https_base}/healthz"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("https: {e}"));
    assert_eq!(health.status().as_u16(), 200);
    // Plain HTTP to the TLS port gets no HTTP answer.
    let plain = reqwest::get(format!("http://{addr}/healthz")).await;
    assert!(
        plain.as_ref().map_or(true, |r| !r.status().is_success()),
        "plain HTTP answered: {plain:?}"
    );
    // Registration and app setup go over https too.
    let https = crate::common::Client::with_http(&https_base, http.clone());
    let (_, owner) = https.user("builder").await;
    let keys = app_keys(&https, &owner).await;
    let me = keys
        .call_with(
            &http,
            &https_base,
            "GET",
            "/1.1/account/verify_credentials.json",
            &[],
            None,
            None,
            &Default::default(),
        )
        .await;
    assert_eq!(me.status, 200, "signed for https://: {}", me.body);
    let as_http = crate::client::Tweak {
        signed_origin: Some(format!("http://{addr}")),
        ..Default::default()
    };
    let refused = keys
        .call_with(
            &http,
            &https_base,
            "GET",
            "/1.1/account/verify_credentials.json",
            &[],
            None,
            None,
            &as_http,
        )
        .await;
    assert_eq!(
        refused.code(401),
        32,
        "signed for http:// on an https server"
    );
}
