//! Follows, blocks, mutes, reports and admission facts.

use postern_core::error::Thing;
use postern_core::model::{AllowDmsFrom, InboxBox, ReportTarget};
use postern_core::stream::{RelationshipAction, RelationshipChange, StreamEvent};
use postern_core::{ConversationId, Error, ObjectId, UserId};
use postern_store::{Fanout, NewReport, OneToOneSetup, SettingsPatch};

use crate::harness::{Harness, Must, conformance};

conformance!(
    follows_blocks_and_mutes,
    a_changed_edge_records_its_events,
    lists_page_newest_first,
    admission_facts
);

async fn follows_blocks_and_mutes(h: &Harness) {
    let (alice, bob) = (h.user("alice").await, h.user("bob").await);
    assert!(
        h.store
            .follow(alice, bob, Fanout::default())
            .await
            .must("follow")
            .0
    );
    assert!(
        !h.store
            .follow(alice, bob, Fanout::default())
            .await
            .must("follow again")
            .0,
        "nothing changed"
    );
    assert!(
        h.store
            .follow(bob, alice, Fanout::default())
            .await
            .must("follow back")
            .0
    );
    let missing = h.store.follow(alice, UserId(1), Fanout::default()).await;
    assert!(
        matches!(missing, Err(Error::NotFound(Thing::User))),
        "{missing:?}"
    );

    let rel = h
        .store
        .relationships(alice, &[bob, UserId(1)])
        .await
        .must("relationships");
    let bob_rel = rel.first().must("bob");
    assert!(bob_rel.following && bob_rel.followed_by && !bob_rel.blocking && !bob_rel.muting);
    let none = rel.get(1).must("unknown user");
    assert!(
        !none.following && !none.followed_by,
        "one answer per id, in order"
    );

    assert!(
        h.store
            .block(alice, bob, Fanout::default())
            .await
            .must("block")
            .0
    );
    assert!(
        !h.store
            .block(alice, bob, Fanout::default())
            .await
            .must("block again")
            .0
    );
    let rel = h
        .store
        .relationships(bob, &[alice])
        .await
        .must("relationships");
    let rel = rel.first().must("alice");
    assert!(
        !rel.following && !rel.followed_by,
        "a block removes follows both ways"
    );
    assert!(rel.blocked_by && !rel.blocking);
    assert!(
        h.store
            .unblock(alice, bob, Fanout::default())
            .await
            .must("unblock")
            .0
    );
    assert!(
        !h.store
            .unblock(alice, bob, Fanout::default())
            .await
            .must("unblock again")
            .0
    );
    assert!(
        !h.store
            .unfollow(alice, bob, Fanout::default())
            .await
            .must("unfollow nothing")
            .0
    );

    assert!(
        h.store
            .mute(alice, bob, Fanout::default())
            .await
            .must("mute")
            .0
    );
    let rel = h
        .store
        .relationships(alice, &[bob])
        .await
        .must("relationships");
    assert!(rel.first().must("bob").muting);
    assert!(
        h.store
            .unmute(alice, bob, Fanout::default())
            .await
            .must("unmute")
            .0
    );
    let missing = h.store.block(alice, UserId(1), Fanout::default()).await;
    assert!(
        matches!(missing, Err(Error::NotFound(Thing::User))),
        "{missing:?}"
    );
}

/// A graph change records its stream events in the same write, and an unchanged edge none.
async fn a_changed_edge_records_its_events(h: &Harness) {
    let (alice, bob) = (h.user("alice").await, h.user("bob").await);
    let told = |about: UserId, action: RelationshipAction| {
        Fanout::default().to(
            vec![alice, bob],
            StreamEvent::RelationshipChanged(RelationshipChange {
                user_id: about,
                action,
                source_id: alice,
                target_id: bob,
            }),
        )
    };
    let (changed, deliveries) = h
        .store
        .follow(alice, bob, told(bob, RelationshipAction::Follow))
        .await
        .must("follow");
    assert!(changed);
    let positions: Vec<_> = deliveries.iter().map(|d| (d.user_id, d.position)).collect();
    assert_eq!(positions, [(alice, Some(1)), (bob, Some(1))]);
    let (changed, deliveries) = h
        .store
        .follow(alice, bob, told(bob, RelationshipAction::Follow))
        .await
        .must("follow again");
    assert!(
        !changed && deliveries.is_empty(),
        "nothing changed, nothing told"
    );
    let replayed = h.store.stream_since(bob, 0, 10).await.must("bob's stream");
    assert_eq!(replayed.len(), 1);
    assert_eq!(
        replayed.first().must("event").body.kind,
        "relationship.changed"
    );

    let (_, deliveries) = h
        .store
        .block(alice, bob, told(bob, RelationshipAction::Block))
        .await
        .must("block");
    assert_eq!(deliveries.len(), 2);
    assert_eq!(h.store.stream_position(alice).await.must("position"), 2);

    let mentioned = h
        .store
        .record_events(Fanout::default().to(
            vec![bob],
            StreamEvent::ConversationDeleted {
                conversation_id: ConversationId::one_to_one(alice, bob),
            },
        ))
        .await
        .must("record");
    assert_eq!(mentioned.first().must("delivery").position, Some(3));
}

async fn lists_page_newest_first(h: &Harness) {
    let star = h.user("star").await;
    let mut fans = Vec::new();
    for i in 0..5 {
        let fan = h.user(&format!("fan{i}")).await;
        h.store
            .follow(fan, star, Fanout::default())
            .await
            .must("follow");
        fans.push(fan);
    }
    let [f0, f1, f2, f3, f4] = <[UserId; 5]>::try_from(fans).must("five fans");
    let page = h.store.followers(star, None, 2).await.must("page 1");
    let ids: Vec<UserId> = page.items.iter().map(|u| u.id).collect();
    assert_eq!(ids, [f4, f3]);
    let page = h
        .store
        .followers(star, page.next_cursor, 2)
        .await
        .must("page 2");
    let ids: Vec<UserId> = page.items.iter().map(|u| u.id).collect();
    assert_eq!(ids, [f2, f1]);
    let page = h
        .store
        .followers(star, page.next_cursor, 2)
        .await
        .must("page 3");
    let ids: Vec<UserId> = page.items.iter().map(|u| u.id).collect();
    assert_eq!((ids, page.next_cursor), (vec![f0], None));

    let following = h.store.following(f0, None, 10).await.must("following");
    assert_eq!(following.items.first().map(|u| u.id), Some(star));
    h.store
        .block(star, f0, Fanout::default())
        .await
        .must("block");
    h.store.mute(star, f1, Fanout::default()).await.must("mute");
    let blocked = h.store.blocked(star, None, 10).await.must("blocked");
    assert_eq!(blocked.items.iter().map(|u| u.id).collect::<Vec<_>>(), [f0]);
    let muted = h.store.muted(star, None, 10).await.must("muted");
    assert_eq!(muted.items.iter().map(|u| u.id).collect::<Vec<_>>(), [f1]);

    let bad = h.store.followers(star, Some("x".to_owned()), 2).await;
    assert!(
        matches!(&bad, Err(Error::Invalid(i)) if i.field == "cursor"),
        "{bad:?}"
    );
}

async fn admission_facts(h: &Harness) {
    let (alice, bob, carol) = (
        h.user("alice").await,
        h.user("bob").await,
        h.user("carol").await,
    );
    let facts = h.store.admission_inputs(alice, bob).await.must("facts");
    assert!(!facts.either_blocks && !facts.recipient_follows_sender);
    assert!(!facts.recipient_accepted_sender && facts.recipient_quality_filter);
    assert_eq!(facts.recipient_allows, AllowDmsFrom::Following);
    let unanswered = h.store.unanswered_requests(alice).await.must("unanswered");
    assert_eq!((unanswered, facts.sender_reports_against), (0, 0));

    h.store
        .follow(bob, alice, Fanout::default())
        .await
        .must("follow");
    h.store
        .block(carol, alice, Fanout::default())
        .await
        .must("block");
    let patch = SettingsPatch {
        allow_dms_from: Some(AllowDmsFrom::Everyone),
        ..Default::default()
    };
    h.store.update_settings(bob, patch).await.must("settings");
    // Alice writes to carol and bob; carol's is a request nobody answered.
    let mut to_carol = h.dm(alice, carol, "hi", None);
    to_carol.setup = Some(OneToOneSetup {
        recipient: carol,
        recipient_box: InboxBox::Requests,
    });
    h.send(to_carol).await;
    h.send(h.dm(alice, bob, "hi", None)).await;
    for (target, target_id) in [
        (ReportTarget::User, alice.to_string()),
        (
            ReportTarget::Conversation,
            ConversationId::one_to_one(alice, carol).to_string(),
        ),
    ] {
        let report = NewReport {
            id: ObjectId(h.ids.next_id()),
            reporter: carol,
            target,
            target_id,
            reason: "spam".to_owned(),
        };
        h.store.insert_report(report).await.must("report");
    }

    let facts = h.store.admission_inputs(alice, bob).await.must("facts");
    assert!(facts.recipient_follows_sender && facts.recipient_accepted_sender);
    assert_eq!(facts.recipient_allows, AllowDmsFrom::Everyone);
    let unanswered = h.store.unanswered_requests(alice).await.must("unanswered");
    assert_eq!((unanswered, facts.sender_reports_against), (1, 2));
    let facts = h.store.admission_inputs(alice, carol).await.must("facts");
    assert!(facts.either_blocks && !facts.recipient_accepted_sender);
    let missing = h.store.admission_inputs(alice, UserId(1)).await;
    assert!(
        matches!(missing, Err(Error::NotFound(Thing::User))),
        "{missing:?}"
    );
}
