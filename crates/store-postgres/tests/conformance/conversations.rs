//! Groups, membership, per-participant state and the inbox.

use postern_core::error::Thing;
use postern_core::model::{ConversationEvent, ConversationKind, InboxBox};
use postern_core::{ConversationId, Error, ObjectId, UserId};
use postern_store::{
    Fanout, HistoryDirection, HistoryQuery, InboxQuery, NewGroup, ParticipantPatch,
};

use crate::harness::{Harness, Must, conformance};

conformance!(
    groups_and_membership,
    inbox_orders_pins_and_archives,
    the_inbox_shows_the_newest_event_each_member_may_see,
);

async fn groups_and_membership(h: &Harness) {
    let (alice, bob, carol, dave) = (
        h.user("alice").await,
        h.user("bob").await,
        h.user("carol").await,
        h.user("dave").await,
    );
    let id = ConversationId::group(ObjectId(h.ids.next_id()));
    let group = NewGroup {
        id: id.clone(),
        creator: alice,
        name: Some("team".to_owned()),
        members: vec![(bob, InboxBox::Primary), (carol, InboxBox::Requests)],
    };
    let (record, _) = h
        .store
        .create_group(group.clone(), Fanout::default())
        .await
        .must("create");
    assert_eq!(
        (record.kind, record.member_count),
        (ConversationKind::Group, 3)
    );
    assert_eq!(record.name.as_deref(), Some("team"));
    let again = h.store.create_group(group, Fanout::default()).await;
    assert!(matches!(again, Err(Error::Conflict(_))), "{again:?}");
    let before = h
        .send(h.say(&id, bob, "before dave", vec![alice, bob, carol]))
        .await
        .message
        .id;

    let (join, deliveries) = h
        .store
        .add_participants(
            &id,
            alice,
            vec![(dave, InboxBox::Primary)],
            vec![alice, bob, carol, dave],
            Fanout::default(),
        )
        .await
        .must("add");
    let ConversationEvent::ParticipantsJoin(change) = &join else {
        panic!("not a join: {join:?}");
    };
    assert_eq!(change.user_ids, [dave]);
    assert!(join.id() > before);
    let positions: Vec<(UserId, &str)> = deliveries
        .iter()
        .map(|d| (d.user_id, d.body.kind.as_str()))
        .collect();
    assert_eq!(positions.len(), 4);
    assert!(
        positions
            .iter()
            .all(|(_, kind)| *kind == "participants.joined")
    );
    let daves = h
        .store
        .participant(&id, dave)
        .await
        .must("dave")
        .must("member");
    assert_eq!(
        daves.visible_after.map(|e| e.0),
        Some(join.id().0 - 1),
        "sees from the join"
    );
    let record = h.store.conversation(&id).await.must("record").must("found");
    assert_eq!(
        (record.member_count, record.last_event_id),
        (4, Some(join.id()))
    );
    let missing = h
        .store
        .add_participants(
            &ConversationId::group(ObjectId(1)),
            alice,
            vec![],
            vec![],
            Fanout::default(),
        )
        .await;
    assert!(
        matches!(missing, Err(Error::NotFound(Thing::Conversation))),
        "{missing:?}"
    );

    let (leave, _) = h.store.leave(&id, carol, vec![alice]).await.must("leave");
    let members = h.store.participants(&id).await.must("participants");
    let order: Vec<(UserId, bool)> = members.iter().map(|p| (p.user_id, p.active)).collect();
    assert_eq!(
        order,
        [(alice, true), (bob, true), (carol, false), (dave, true)],
        "join order"
    );
    let carols = members.get(2).must("carol");
    assert_eq!(carols.left_at_event, Some(leave.id()));
    let twice = h.store.leave(&id, carol, vec![]).await;
    assert!(
        matches!(twice, Err(Error::NotFound(Thing::Participant))),
        "{twice:?}"
    );
    let nowhere = h
        .store
        .leave(&ConversationId::group(ObjectId(1)), carol, vec![])
        .await;
    assert!(
        matches!(nowhere, Err(Error::NotFound(Thing::Participant))),
        "{nowhere:?}"
    );

    h.store
        .rename(&id, None, Fanout::default())
        .await
        .must("rename");
    let record = h.store.conversation(&id).await.must("record").must("found");
    assert_eq!((record.name, record.member_count), (None, 3));
    let history = h
        .store
        .history(HistoryQuery {
            conversation_id: id.clone(),
            viewer: alice,
            direction: HistoryDirection::Before(None),
            limit: 10,
            visible_after: None,
            visible_until: None,
        })
        .await
        .must("history");
    let kinds: Vec<&str> = history
        .iter()
        .map(|e| match e {
            ConversationEvent::Message(_) => "message",
            ConversationEvent::ParticipantsJoin(_) => "join",
            ConversationEvent::ParticipantsLeave(_) => "leave",
        })
        .collect();
    assert_eq!(kinds, ["leave", "join", "message", "join"]);

    let stranger = h.user("stranger").await;
    let patch = ParticipantPatch {
        muted: Some(true),
        ..Default::default()
    };
    let not_member = h
        .store
        .update_participant(&id, stranger, patch, Fanout::default())
        .await;
    assert!(
        matches!(not_member, Err(Error::NotFound(Thing::Conversation))),
        "{not_member:?}"
    );
}

async fn inbox_orders_pins_and_archives(h: &Harness) {
    let me = h.user("me").await;
    let mut friends = Vec::new();
    for i in 0..4 {
        let friend = h.user(&format!("friend{i}")).await;
        h.send(h.dm(friend, me, "hi", None)).await;
        friends.push(friend);
    }
    let [f0, f1, f2, f3] = <[UserId; 4]>::try_from(friends).must("four friends");
    let with = |f: UserId| ConversationId::one_to_one(f, me);
    let primary = |cursor: Option<String>, limit: usize| InboxQuery {
        user: me,
        inbox: Some(InboxBox::Primary),
        cursor,
        limit,
    };
    let listed = |page: &postern_store::Page<postern_store::InboxEntry>| -> Vec<ConversationId> {
        page.items
            .iter()
            .map(|e| e.conversation.id.clone())
            .collect()
    };

    let page = h.store.inbox(primary(None, 3)).await.must("inbox");
    assert_eq!(
        listed(&page),
        [with(f3), with(f2), with(f1)],
        "newest activity first"
    );
    let cursor = page.next_cursor.clone().must("more");
    let entry = page.items.get(2).must("third");
    assert_eq!(cursor, format!("{}_{}", entry.me_activity(), with(f1)));
    let page = h.store.inbox(primary(Some(cursor), 3)).await.must("page 2");
    assert_eq!(
        (listed(&page), page.next_cursor.clone()),
        (vec![with(f0)], None)
    );

    // Pinning puts a conversation first on the first page; archiving moves it out.
    let pin = ParticipantPatch {
        pinned: Some(true),
        ..Default::default()
    };
    h.store
        .update_participant(&with(f0), me, pin, Fanout::default())
        .await
        .must("pin");
    assert_eq!(h.store.pinned_count(me).await.must("pinned"), 1);
    let archive = ParticipantPatch {
        archived: Some(true),
        ..Default::default()
    };
    h.store
        .update_participant(&with(f2), me, archive, Fanout::default())
        .await
        .must("archive");
    let page = h.store.inbox(primary(None, 10)).await.must("inbox");
    assert_eq!(listed(&page), [with(f0), with(f3), with(f1)]);
    let archived = InboxQuery {
        user: me,
        inbox: None,
        cursor: None,
        limit: 10,
    };
    assert_eq!(
        listed(&h.store.inbox(archived).await.must("archive")),
        [with(f2)]
    );
    let entry = h
        .store
        .inbox_entry(&with(f3), me)
        .await
        .must("entry")
        .must("found");
    assert_eq!(entry.member_ids.len(), 2);
    assert_eq!(entry.me.unread_count, 1);
    assert!(
        entry.read_marks.iter().any(|(u, _)| *u == f3),
        "the sender has read their own"
    );

    // Deleting the history hides the conversation until something new happens.
    let delete = ParticipantPatch {
        delete_history: true,
        ..Default::default()
    };
    let (mine, _) = h
        .store
        .update_participant(&with(f0), me, delete, Fanout::default())
        .await
        .must("delete history");
    assert!(!mine.pinned && mine.unread_count == 0 && mine.visible_after.is_some());
    assert_eq!(h.store.pinned_count(me).await.must("pinned"), 0);
    let page = h.store.inbox(primary(None, 10)).await.must("inbox");
    assert_eq!(listed(&page), [with(f3), with(f1)]);
    h.send(h.dm(f0, me, "back", None)).await;
    let page = h.store.inbox(primary(None, 10)).await.must("inbox");
    assert_eq!(listed(&page), [with(f0), with(f3), with(f1)]);

    let bad = h.store.inbox(primary(Some("nope".to_owned()), 3)).await;
    assert!(
        matches!(&bad, Err(Error::Invalid(i)) if i.field == "cursor"),
        "{bad:?}"
    );
    assert!(
        h.store
            .inbox_entry(&with(f0), f1)
            .await
            .must("entry")
            .is_none()
    );
}

trait Activity {
    fn me_activity(&self) -> i64;
}

impl Activity for postern_store::InboxEntry {
    /// The inbox position: the conversation's last event (every member's activity follows it).
    fn me_activity(&self) -> i64 {
        self.conversation.last_event_id.map_or(0, |e| e.0)
    }
}

/// What an inbox entry shows last: `text` for a message, the event's type otherwise.
fn last_shown(entry: &postern_store::InboxEntry) -> String {
    match &entry.last_event {
        Some(ConversationEvent::Message(m)) => m.text.clone(),
        Some(ConversationEvent::ParticipantsLeave(_)) => "(left)".to_owned(),
        Some(ConversationEvent::ParticipantsJoin(_)) => "(joined)".to_owned(),
        None => "(nothing)".to_owned(),
    }
}

async fn the_inbox_shows_the_newest_event_each_member_may_see(h: &Harness) {
    let (alice, bob, carol) = (
        h.user("alice").await,
        h.user("bob").await,
        h.user("carol").await,
    );
    // Bob hides the newest message of one conversation, for himself only.
    h.send(h.dm(alice, bob, "one", None)).await;
    let two = h.send(h.dm(alice, bob, "two", None)).await;
    h.send(h.dm(carol, bob, "from carol", None)).await;
    let with_alice = ConversationId::one_to_one(alice, bob);
    h.store
        .delete_for_me(&with_alice, two.message.id, bob, Fanout::default())
        .await
        .must("hide");
    let inbox = |user| InboxQuery {
        user,
        inbox: Some(InboxBox::Primary),
        cursor: None,
        limit: 10,
    };
    let bobs = h.store.inbox(inbox(bob)).await.must("bob's inbox");
    let shown: Vec<String> = bobs.items.iter().map(last_shown).collect();
    assert_eq!(shown, ["from carol", "one"], "the page, each row its own");
    let entry = |id, user| async move {
        h.store
            .inbox_entry(&id, user)
            .await
            .must("entry")
            .must("found")
    };
    assert_eq!(last_shown(&entry(with_alice.clone(), bob).await), "one");
    assert_eq!(last_shown(&entry(with_alice.clone(), alice).await), "two");
    let alices = h.store.inbox(inbox(alice)).await.must("alice's inbox");
    assert_eq!(
        alices.items.iter().map(last_shown).collect::<Vec<_>>(),
        ["two"]
    );

    // Someone who left sees the group as it was when they left.
    let id = ConversationId::group(ObjectId(h.ids.next_id()));
    let group = NewGroup {
        id: id.clone(),
        creator: alice,
        name: None,
        members: vec![(bob, InboxBox::Primary), (carol, InboxBox::Primary)],
    };
    h.store
        .create_group(group, Fanout::default())
        .await
        .must("group");
    h.store
        .leave(&id, carol, vec![alice, bob])
        .await
        .must("leave");
    h.send(h.say(&id, alice, "after carol left", vec![alice, bob]))
        .await;
    assert_eq!(last_shown(&entry(id.clone(), carol).await), "(left)");
    assert_eq!(last_shown(&entry(id, bob).await), "after carol left");
}
