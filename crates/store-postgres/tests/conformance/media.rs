//! Media records: an upload becomes ready once, unshared media attaches to exactly one
//! message however many sends race for it, a refused claim stores no message, a message
//! deleted for everyone lets go of its media, and expiry takes only unattached media, once.

use std::sync::Arc;

use chrono::{Duration, Utc};
use postern_core::media::{Media, MediaCategory, MediaType, UploadState};
use postern_core::{Error, MediaId, UserId};
use postern_store::{Fanout, MediaRecord, NewUpload, ReadyMedia};

use crate::harness::{Harness, Must, conformance};

conformance!(
    an_upload_becomes_ready_once,
    racing_sends_attach_unshared_media_once,
    shared_media_attaches_to_many_messages_of_its_owner,
    deleting_for_everyone_lets_go_of_the_media,
    expiry_takes_unattached_media_once,
    uploads_in_progress_are_counted_per_owner,
);

fn upload(h: &Harness, owner: UserId, shared: bool) -> MediaRecord {
    MediaRecord::uploading(
        NewUpload {
            id: MediaId(h.ids.next_id()),
            owner_id: owner,
            category: MediaCategory::DmImage,
            media_type: MediaType::Png,
            shared,
            total_bytes: 100,
        },
        Duration::hours(24),
    )
}

const READY: ReadyMedia = ReadyMedia {
    size: 90,
    width: 8,
    height: 6,
    duration_ms: None,
    has_thumbnail: true,
};

/// A ready upload of `owner`'s, as a message carries it.
async fn ready(h: &Harness, owner: UserId, shared: bool) -> Media {
    let record = upload(h, owner, shared);
    h.store.insert_media(record.clone()).await.must("insert");
    assert!(
        h.store
            .complete_media(record.id, READY)
            .await
            .must("complete")
    );
    let stored = h.store.media(record.id).await.must("read").must("stored");
    stored.media().must("ready")
}

async fn an_upload_becomes_ready_once(h: &Harness) {
    let alice = h.user("alice").await;
    let record = upload(h, alice, false);
    h.store.insert_media(record.clone()).await.must("insert");
    let stored = h.store.media(record.id).await.must("read").must("stored");
    assert_eq!(stored, record, "read back as written");
    assert!(stored.media().is_none(), "not ready: nothing to attach");
    assert!(
        h.store
            .complete_media(record.id, READY)
            .await
            .must("complete")
    );
    assert!(!h.store.complete_media(record.id, READY).await.must("again"));
    let done = h.store.media(record.id).await.must("read").must("stored");
    assert_eq!(done.state, UploadState::Ready);
    assert_eq!((done.size, done.width, done.height), (90, 8, 6));
    let media = done.media().must("ready");
    assert_eq!(
        media.thumbnail_url,
        Some(format!("/api/v1/media/{}/thumbnail", record.id))
    );
    // Unattached, it can be removed; it is then gone.
    assert!(
        h.store
            .delete_unattached_media(record.id)
            .await
            .must("delete")
    );
    assert!(h.store.media(record.id).await.must("read").is_none());
}

async fn racing_sends_attach_unshared_media_once(h: &Harness) {
    let (alice, bob) = (h.user("alice").await, h.user("bob").await);
    h.send(h.dm(alice, bob, "first", None)).await;
    let media = ready(h, alice, false).await;
    let store: Arc<_> = h.store.clone();
    let sends = (0..8).map(|i| {
        let mut new = h.dm(alice, bob, &format!("photo {i}"), None);
        new.media = Some(media.clone());
        let store = store.clone();
        tokio::spawn(async move { store.append_message(new).await })
    });
    let mut stored = 0;
    for send in futures::future::join_all(sends).await {
        match send.must("join") {
            Ok(appended) => {
                stored += 1;
                assert_eq!(appended.message.media.as_deref(), Some(&media));
            }
            Err(Error::State(i)) => assert_eq!(i.field, "media_id"),
            Err(other) => panic!("unexpected: {other}"),
        }
    }
    assert_eq!(stored, 1, "exactly one send attached it");
    let conversation = postern_core::ConversationId::one_to_one(alice, bob);
    let carriers = h
        .store
        .media_attachments(media.id)
        .await
        .must("attachments");
    assert_eq!(
        carriers.iter().map(|(c, _)| c).collect::<Vec<_>>(),
        [&conversation]
    );
    // The refused sends stored nothing: two messages in all.
    let history = h
        .store
        .history(postern_store::HistoryQuery {
            conversation_id: conversation,
            viewer: alice,
            direction: postern_store::HistoryDirection::Before(None),
            limit: 50,
            visible_after: None,
            visible_until: None,
        })
        .await
        .must("history");
    assert_eq!(history.len(), 2);
    let record = h.store.media(media.id).await.must("read").must("stored");
    assert!(
        record.attached && record.expires_at.is_none(),
        "attached media never expires"
    );
}

async fn shared_media_attaches_to_many_messages_of_its_owner(h: &Harness) {
    let (alice, bob, carol) = (
        h.user("alice").await,
        h.user("bob").await,
        h.user("carol").await,
    );
    let media = ready(h, alice, true).await;
    for to in [bob, carol, bob] {
        let mut new = h.dm(alice, to, "", None);
        new.media = Some(media.clone());
        h.send(new).await;
    }
    assert_eq!(
        h.store
            .media_attachments(media.id)
            .await
            .must("attachments")
            .len(),
        3
    );
    // Only its owner may attach it.
    let mut theirs = h.dm(bob, alice, "", None);
    theirs.media = Some(media.clone());
    let refused = h.store.append_message(theirs).await;
    assert!(
        matches!(refused, Err(Error::State(ref i)) if i.field == "media_id"),
        "{refused:?}"
    );
}

async fn deleting_for_everyone_lets_go_of_the_media(h: &Harness) {
    let (alice, bob) = (h.user("alice").await, h.user("bob").await);
    let media = ready(h, alice, false).await;
    let mut new = h.dm(alice, bob, "", None);
    new.media = Some(media.clone());
    let sent = h.send(new).await.message;
    let conversation = sent.conversation_id.clone();
    let stored = h
        .store
        .event(&conversation, sent.id)
        .await
        .must("read")
        .must("event");
    assert!(
        matches!(stored, postern_core::model::ConversationEvent::Message(ref m) if m.media.as_deref() == Some(&media))
    );

    h.store
        .delete_for_everyone(&conversation, sent.id, Fanout::default())
        .await
        .must("delete");
    assert!(
        h.store
            .media_attachments(media.id)
            .await
            .must("attachments")
            .is_empty()
    );
    let tombstone = h
        .store
        .event(&conversation, sent.id)
        .await
        .must("read")
        .must("event");
    assert!(
        matches!(tombstone, postern_core::model::ConversationEvent::Message(ref m) if m.media.is_none())
    );
    // Unshared, it has no use left: it expires now and the sweep takes it.
    let later = Utc::now() + Duration::seconds(1);
    assert_eq!(
        h.store.take_expired_media(later, 10).await.must("take"),
        vec![media.id]
    );
}

async fn expiry_takes_unattached_media_once(h: &Harness) {
    let (alice, bob) = (h.user("alice").await, h.user("bob").await);
    let idle: Vec<MediaId> = {
        let mut ids = Vec::new();
        for _ in 0..5 {
            ids.push(ready(h, alice, false).await.id);
        }
        ids
    };
    let used = ready(h, alice, false).await;
    let mut new = h.dm(alice, bob, "", None);
    new.media = Some(used.clone());
    h.send(new).await;

    assert!(
        h.store
            .take_expired_media(Utc::now(), 10)
            .await
            .must("now")
            .is_empty()
    );
    let later = Utc::now() + Duration::hours(25);
    // Two sweeps racing (two nodes) share the work: each id is taken once.
    let (a, b) = tokio::join!(
        h.store.take_expired_media(later, 3),
        h.store.take_expired_media(later, 3)
    );
    let mut taken = [a.must("first"), b.must("second")].concat();
    taken.extend(h.store.take_expired_media(later, 10).await.must("rest"));
    taken.sort();
    let mut expected = idle.clone();
    expected.sort();
    assert_eq!(
        taken, expected,
        "every idle upload once, the attached one never"
    );
    assert!(h.store.media(used.id).await.must("read").is_some());
}

/// What an owner has still uploading: the count and the bytes declared, not ready uploads,
/// not someone else's.
async fn uploads_in_progress_are_counted_per_owner(h: &Harness) {
    let alice = h.user("alice").await;
    let bob = h.user("bob").await;
    assert_eq!(
        h.store.uploads_in_progress(alice).await.must("none"),
        (0, 0)
    );
    for owner in [alice, alice, bob] {
        h.store
            .insert_media(upload(h, owner, false))
            .await
            .must("insert");
    }
    ready(h, alice, false).await;
    assert_eq!(
        h.store.uploads_in_progress(alice).await.must("alice"),
        (2, 200)
    );
    assert_eq!(h.store.uploads_in_progress(bob).await.must("bob"), (1, 100));
}
