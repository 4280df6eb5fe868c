//! A node that cannot have the store or bus it was configured with refuses to start, with a
//! message naming the setting, instead of running on something else.

#![expect(
    clippy::indexing_slicing,
    reason = "the shared test client reads serde_json::Value by key, which yields null rather than panicking"
)]

mod common;

use std::time::Duration;

use tokio::process::Command;

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

/// Runs `postern serve` with `args` and returns its exit success and standard error.
async fn serve(args: &[&str]) -> (bool, String) {
    serve_with(args, &[]).await
}

/// [`serve`] with environment variables set.
async fn serve_with(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let port = common::process::free_port().to_string();
    let run = Command::new(env!("CARGO_BIN_EXE_postern"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir.path())
        .args(args)
        .env("POSTERN__LOG__FILTER", "error")
        .envs(env.iter().copied())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .unwrap_or_else(|_| panic!("postern serve {args:?} kept running"))
        .unwrap_or_else(|e| panic!("cannot run postern: {e}"));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[postern_testkit::test]
async fn unknown_and_incomplete_urls_are_refused() {
    for (args, says) in [
        (
            ["--database-url", "mysql://db/postern"],
            "scheme `mysql` is not supported",
        ),
        (["--database-url", "postern.db"], "has no scheme"),
        (["--database-url", "postgres://"], "names no server"),
        (["--bus-url", "redis://127.0.0.1:6379"], "bus.url"),
    ] {
        let (ok, stderr) = serve(&args).await;
        assert!(!ok, "{args:?} must not start");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    for (url, says) in [
        (
            "gs://bucket/media",
            "media.url `gs://bucket/media` is not supported",
        ),
        ("s3:///media", "names no bucket"),
    ] {
        let (ok, stderr) = serve_with(&[], &[("POSTERN__MEDIA__URL", url)]).await;
        assert!(!ok, "media.url {url} must not start");
        assert!(stderr.contains(says), "{url}: {stderr}");
    }
}

#[postern_testkit::test]
async fn unreachable_services_stop_the_start() {
    let (ok, stderr) = serve(&["--bus-url", "nats://127.0.0.1:1"]).await;
    assert!(!ok);
    assert!(
        stderr.contains("cannot use bus.url nats://127.0.0.1:1"),
        "{stderr}"
    );
    let (ok, stderr) = serve(&["--database-url", "postgres://postgres@127.0.0.1:1/postern"]).await;
    assert!(!ok);
    assert!(
        stderr.contains("cannot open database postgres://"),
        "{stderr}"
    );
    let nowhere = [
        ("POSTERN__MEDIA__URL", "s3://postern/media"),
        ("POSTERN__MEDIA__S3_ENDPOINT", "http://127.0.0.1:1"),
        ("POSTERN__MEDIA__S3_ALLOW_HTTP", "true"),
        ("POSTERN__MEDIA__S3_REGION", "us-east-1"),
    ];
    let (ok, stderr) = serve_with(&[], &nowhere).await;
    assert!(!ok);
    assert!(
        stderr.contains("cannot use media storage s3://postern/media"),
        "{stderr}"
    );
}

#[postern_testkit::test]
async fn tls_secret_key_outbound_and_webhook_settings_that_cannot_work_stop_the_start() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap_or_else(|e| panic!("{e}"));
    let empty = empty.to_string_lossy().into_owned();
    let missing = dir
        .path()
        .join("missing.pem")
        .to_string_lossy()
        .into_owned();
    for (args, says) in [
        (
            vec!["--tls-cert", empty.as_str()],
            "server.tls_cert is set without server.tls_key",
        ),
        (
            vec!["--tls-key", empty.as_str()],
            "server.tls_key is set without server.tls_cert",
        ),
        (
            vec!["--tls-cert", empty.as_str(), "--tls-key", empty.as_str()],
            "holds no certificate",
        ),
        (
            vec!["--tls-cert", missing.as_str(), "--tls-key", empty.as_str()],
            "server.tls_cert: cannot read",
        ),
    ] {
        let (ok, stderr) = serve(&args).await;
        assert!(!ok, "{args:?} must not start");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let (ok, stderr) = serve_with(&[], &[("POSTERN__AUTH__SECRET_KEY", "c2hvcnQ=")]).await;
    assert!(!ok, "a short secret key must not start");
    assert!(
        stderr.contains("auth.secret_key: must be 32 bytes"),
        "{stderr}"
    );
    let (ok, stderr) = serve_with(
        &[],
        &[(
            "POSTERN__OUTBOUND__ALLOW",
            "[\"10.0.0.0/8\", \"not-a-range\"]",
        )],
    )
    .await;
    assert!(
        !ok,
        "an outbound.allow range that does not parse must not start"
    );
    assert!(
        stderr.contains("outbound.allow: 'not-a-range' is not an address or CIDR range"),
        "{stderr}"
    );
    let (ok, stderr) = serve_with(&[], &[("POSTERN__WEBHOOKS__LEASE_SECS", "0")]).await;
    assert!(!ok, "a webhook lease of no time must not start");
    assert!(
        stderr.contains("webhooks.lease_secs must be 2 to 3600 seconds, got 0"),
        "{stderr}"
    );
}
