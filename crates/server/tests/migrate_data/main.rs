//! `postern migrate-data` (docs/scale-out.md, "Moving an embedded installation to
//! PostgreSQL"): an embedded server is filled through the API, stopped and copied with the
//! real binary into an empty PostgreSQL database; a server on that database must then answer
//! every read exactly as the embedded one did, accept the old tokens and passwords, and carry
//! on from there. A second copy into the now-filled database is refused and changes nothing,
//! and bad flags are refused without touching anything.
//!
//! Needs the PostgreSQL of the other suites (without it the move is shown as ignored, and
//! fails under `CI=true`). NATS is not involved: the servers use the in-process bus.

#![expect(
    clippy::indexing_slicing,
    reason = "indexing a serde_json::Value by key yields Null; it does not panic"
)]

#[path = "../common/mod.rs"]
mod common;
mod observe;
mod world;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use common::{TestServer, s};
use observe::{assert_filled, assert_same, newest_event, observe};
use postern_testkit::postgres::TestDatabase;
use serde_json::{Value, json};
use world::{PASSWORD, fill};

fn main() -> std::process::ExitCode {
    postern_testkit::run()
}

async fn migrate_data(from: &str, to: &str, dir: &Path) -> (bool, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_postern"))
        .args(["migrate-data", "--from", from, "--to", to])
        // No postern.toml to pick up from the working directory.
        .current_dir(dir)
        .env("RUST_BACKTRACE", "0")
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run postern: {e}"));
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

/// The database and its write-ahead log, as bytes, once they stop changing.
async fn settled(db: &Path) -> Vec<Vec<u8>> {
    let wal = db.with_extension("db-wal");
    let read = || {
        [db, wal.as_path()]
            .iter()
            .map(|f| std::fs::read(f).unwrap_or_default())
            .collect::<Vec<_>>()
    };
    let mut last = read();
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = read();
        if now == last {
            return now;
        }
        last = now;
    }
    panic!("{} keeps changing after the server stopped", db.display());
}

/// What a stopped server leaves behind: the database and its write-ahead log, copied to
/// `to` so that nothing of the in-process server (whose last connection may close later and
/// checkpoint) can touch the files the command reads. Returns their bytes.
async fn left_behind(data: &Path, to: &Path) -> Vec<Vec<u8>> {
    let bytes = settled(&data.join("postern.db")).await;
    // The log is gone if the server's last connection checkpointed it on closing.
    let files = ["postern.db", "postern.db-wal"].iter().zip(&bytes);
    for (name, content) in files.filter(|(_, c)| !c.is_empty()) {
        std::fs::write(to.join(name), content).unwrap_or_else(|e| panic!("copy {name}: {e}"));
    }
    bytes
}

#[postern_testkit::test(needs(Postgres))]
async fn an_embedded_installation_moves_to_postgres_unchanged() {
    let target = TestDatabase::create().await;
    let data = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let data_url = format!("sqlite://{}", data.path().join("postern.db").display());
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("postern.db");
    let source = format!("sqlite://{}", path.display());

    // Media bytes are not the database's: both servers use one directory (a bucket, in a
    // real move), so what moves is who may see them.
    let media = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let media_url = format!("file://{}", media.path().display());
    let mut embedded = TestServer::with(|c| {
        c.database.url = data_url.clone();
        c.media.url = media_url.clone();
    })
    .await;
    let world = fill(&embedded).await;
    let before = observe(&embedded, &world).await;
    assert_filled(&before, &world);
    if let Some(running) = embedded.running.take() {
        running.stop(Duration::from_secs(5)).await;
    }
    drop(embedded);
    let untouched = left_behind(data.path(), dir.path()).await;
    assert!(untouched.first().is_some_and(|db| !db.is_empty()));

    let (success, stdout, stderr) = migrate_data(&source, &target.url, dir.path()).await;
    assert!(success, "migrate-data failed:\n{stdout}\n{stderr}");
    for table in [
        "users",
        "tokens",
        "events",
        "message_edits",
        "reactions",
        "user_stream",
    ] {
        assert!(
            stdout.lines().any(|l| l.starts_with(table)),
            "the summary lists {table}:\n{stdout}"
        );
    }
    assert!(stdout.contains("every count matches"), "{stdout}");
    assert!(!stdout.contains("DIFFERS"), "{stdout}");
    assert_eq!(
        settled(&path).await,
        untouched,
        "the source database and its log are unchanged"
    );

    let moved = TestServer::with(|c| {
        c.database.url = target.url.clone();
        c.media.url = media_url.clone();
    })
    .await;
    let after = observe(&moved, &world).await;
    assert_same(&before, &after, "after the move");
    // The photo's record and attachment moved: Alice may fetch it, Bob may not.
    for (name, status) in [("alice", 200), ("bob", 404)] {
        let token = world.person(name).token.as_str();
        let (got, _, _) = moved
            .raw("GET", &world.photo_url, Some(token), None, &[])
            .await;
        assert_eq!(got, status, "{name} fetching the photo after the move");
    }

    // Old passwords and tokens still work.
    for person in &world.people {
        let login = json!({"screen_name": person.name, "password": PASSWORD});
        let (status, body) = moved
            .call("POST", "/api/v1/sessions", None, Some(login))
            .await;
        assert_eq!(
            (status, s(&body["user"]["id"])),
            (200, person.id.clone()),
            "{body}"
        );
    }
    let wrong = json!({"screen_name": "alice", "password": "wrong horse"});
    assert_eq!(
        moved
            .call("POST", "/api/v1/sessions", None, Some(wrong))
            .await
            .0,
        401
    );
    let (status, me) = moved
        .call("GET", "/api/v1/me", Some(&world.personal_token), None)
        .await;
    assert_eq!((status, me["screen_name"].clone()), (200, json!("alice")));

    // A new message: a newer id than any before, in Bob's primary inbox, next on his stream.
    let (alice, bob) = (world.person("alice"), world.person("bob"));
    let ready = before
        .get("bob stream ?since=0")
        .and_then(|frames| frames.as_array()?.last().cloned())
        .unwrap_or_default();
    let position = s(&ready["position"]);
    let mut bob_ws = moved.ws(&bob.token, Some(&position)).await;
    assert_eq!(bob_ws.next().await, ready, "nothing new to replay");
    let unread = |seen: &BTreeMap<String, Value>| {
        let pages = seen.get("bob GET /api/v1/conversations?box=primary&limit=2")?;
        pages.as_array()?.iter().find_map(|page| {
            let conversations = page["body"]["conversations"].as_array()?;
            let with_alice = conversations
                .iter()
                .find(|c| c["id"] == world.alice_bob.as_str())?;
            with_alice["unread_count"].as_u64()
        })
    };
    let was_unread = unread(&before).unwrap_or_else(|| panic!("bob's inbox holds alice"));
    let new = moved.dm(&alice.token, &bob.id, "after the move").await;
    let new_id: i64 = s(&new["id"]).parse().unwrap_or_default();
    assert!(
        new_id > newest_event(&before),
        "{new_id} is newer than every old event"
    );
    let (_, inbox) = moved
        .call("GET", "/api/v1/conversations", Some(&bob.token), None)
        .await;
    assert_eq!(
        inbox["conversations"][0]["id"],
        world.alice_bob.as_str(),
        "{inbox}"
    );
    assert_eq!(inbox["conversations"][0]["last_message"]["id"], new["id"]);
    assert_eq!(inbox["conversations"][0]["unread_count"], was_unread + 1);
    let frame = bob_ws.next_of("message.created").await;
    assert_eq!(frame["data"]["id"], new["id"]);
    let next: i64 = position.parse().unwrap_or_default();
    assert_eq!(
        frame["position"],
        (next + 1).to_string(),
        "positions carry on"
    );
    drop(bob_ws);

    // Again, into the now-filled database: refused, and nothing changes.
    let before_refusal = observe(&moved, &world).await;
    let (success, stdout, stderr) = migrate_data(&source, &target.url, dir.path()).await;
    assert!(!success, "a second copy must be refused:\n{stdout}");
    assert!(
        stderr.contains("refusing to migrate: the target database already holds 6 account(s)"),
        "{stderr}"
    );
    assert!(!stdout.contains("every count matches"), "{stdout}");
    assert_same(
        &before_refusal,
        &observe(&moved, &world).await,
        "after a refused copy",
    );
    drop(moved);
    target.drop_database().await;
}

#[postern_testkit::test]
async fn bad_flags_are_refused_naming_the_flag_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let missing = dir.path().join("missing.db");
    let from = format!("sqlite://{}", missing.display());
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap_or_else(|e| panic!("write: {e}"));
    let not_postern = format!("sqlite://{}", empty.display());
    // Nothing listens on port 1: the sources are refused before any connection.
    let to = "postgres://postgres@127.0.0.1:1/none";
    let cases = [
        (from.as_str(), to, "--from: there is no SQLite database at"),
        (not_postern.as_str(), to, "is not a Postern database"),
        (
            to,
            to,
            "--from must name the embedded database (sqlite://PATH)",
        ),
        ("mysql://db", to, "--from scheme `mysql` is not supported"),
        (
            from.as_str(),
            "sqlite://x.db",
            "--to must name a PostgreSQL database",
        ),
        (from.as_str(), "x.db", "--to `x.db` has no scheme"),
        (
            from.as_str(),
            "postgres://",
            "--to `postgres://` names no server",
        ),
    ];
    for (from, to, says) in cases {
        let (success, stdout, stderr) = migrate_data(from, to, dir.path()).await;
        assert!(!success, "{from} → {to} must fail:\n{stdout}");
        assert!(
            stderr.contains(says),
            "{from} → {to}: expected `{says}` in:\n{stderr}"
        );
    }
    assert!(!missing.exists(), "a missing source is not created");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert_eq!(left, ["empty.db"], "nothing was created");
    assert!(
        std::fs::read(&empty).is_ok_and(|b| b.is_empty()),
        "nor written"
    );
}
