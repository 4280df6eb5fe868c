//! Accounts, settings and tokens.

use chrono::Utc;
use postern_core::avatar::Avatar;
use postern_core::error::Thing;
use postern_core::model::AllowDmsFrom;
use postern_core::{Error, ObjectId, UserId};
use postern_store::{NewUser, ProfilePatch, SettingsPatch, TokenKind, TokenRecord};

use crate::harness::{Harness, Must, conformance};

conformance!(
    screen_names_are_unique_ignoring_case,
    profiles_and_settings,
    tokens,
    expired_tokens_are_swept,
);

async fn screen_names_are_unique_ignoring_case(h: &Harness) {
    let alice = h.user("Alice").await;
    let again = h
        .store
        .create_user(NewUser {
            id: UserId(h.ids.next_id()),
            screen_name: "aLICE".to_owned(),
            name: "Other".to_owned(),
            password_hash: "x".to_owned(),
            verified: false,
            created_at: Utc::now(),
        })
        .await;
    assert!(
        matches!(again, Err(Error::Conflict("screen_name is already taken"))),
        "{again:?}"
    );
    let found = h.store.user_by_screen_name("ALICE").await.must("by name");
    assert_eq!(
        found.map(|u| (u.id, u.screen_name)),
        Some((alice, "Alice".to_owned()))
    );
    let (id, hash) = h
        .store
        .credentials("alice")
        .await
        .must("credentials")
        .must("found");
    assert_eq!((id, hash.as_str()), (alice, "hash"));
    assert!(
        h.store
            .credentials("nobody")
            .await
            .must("credentials")
            .is_none()
    );

    h.user("alfred").await;
    h.user("bob").await;
    h.user("al_x").await;
    let names: Vec<String> = h
        .store
        .search_users("AL", 10)
        .await
        .must("search")
        .into_iter()
        .map(|u| u.screen_name)
        .collect();
    // Byte order of the lower-cased names: '_' (0x5F) sorts before letters.
    assert_eq!(names, ["al_x", "alfred", "Alice"]);
    assert_eq!(h.store.search_users("al", 1).await.must("search").len(), 1);
}

async fn profiles_and_settings(h: &Harness) {
    let alice = h.user("alice").await;
    let bob = h.user("bob").await;
    let user = h.store.user(alice).await.must("user").must("found");
    assert_eq!(user.settings.allow_dms_from, AllowDmsFrom::Following);
    assert!(user.settings.read_receipts && user.settings.quality_filter);
    assert!(!user.user.verified && user.user.description.is_empty());

    let patch = ProfilePatch {
        description: Some("hello".to_owned()),
        ..Default::default()
    };
    let updated = h.store.update_profile(alice, patch).await.must("profile");
    assert_eq!(updated.name, "alice");
    assert_eq!(updated.description, "hello");
    assert_eq!(updated.avatar, None);

    // Replacing an avatar hands back the one replaced, so exactly one caller removes it.
    let first = Avatar::from_random([1; 16]);
    let second = Avatar::from_random([2; 16]);
    let (user, replaced) = h
        .store
        .replace_avatar(alice, Some(first.clone()))
        .await
        .must("set");
    assert_eq!((user.avatar, replaced), (Some(first.clone()), None));
    let (user, replaced) = h
        .store
        .replace_avatar(alice, Some(second.clone()))
        .await
        .must("swap");
    assert_eq!(
        (user.avatar.as_ref(), replaced),
        (Some(&second), Some(first))
    );
    let read = h.store.user(alice).await.must("user").must("found");
    assert_eq!(read.user.avatar.as_ref(), Some(&second));
    let (user, replaced) = h.store.replace_avatar(alice, None).await.must("remove");
    assert_eq!(
        (user.avatar, replaced, user.description.as_str()),
        (None, Some(second), "hello")
    );
    assert!(matches!(
        h.store.replace_avatar(UserId(1), None).await,
        Err(Error::NotFound(_))
    ));
    let missing = h
        .store
        .update_profile(UserId(1), ProfilePatch::default())
        .await;
    assert!(
        matches!(missing, Err(Error::NotFound(Thing::User))),
        "{missing:?}"
    );

    let patch = SettingsPatch {
        allow_dms_from: Some(AllowDmsFrom::Everyone),
        read_receipts: Some(false),
        quality_filter: None,
    };
    let settings = h.store.update_settings(alice, patch).await.must("settings");
    assert_eq!(settings.allow_dms_from, AllowDmsFrom::Everyone);
    assert!(!settings.read_receipts && settings.quality_filter);
    let missing = h
        .store
        .update_settings(UserId(1), SettingsPatch::default())
        .await;
    assert!(
        matches!(missing, Err(Error::NotFound(Thing::User))),
        "{missing:?}"
    );

    h.store.set_verified(bob, true).await.must("verify");
    assert!(
        h.store
            .user(bob)
            .await
            .must("user")
            .must("found")
            .user
            .verified
    );
    let missing = h.store.set_verified(UserId(1), true).await;
    assert!(
        matches!(missing, Err(Error::NotFound(Thing::User))),
        "{missing:?}"
    );

    let with = h
        .store
        .with_read_receipts(&[alice, bob, UserId(1)])
        .await
        .must("receipts");
    assert_eq!(with, [bob]);
    assert!(
        h.store
            .with_read_receipts(&[])
            .await
            .must("receipts")
            .is_empty()
    );
    let users = h.store.users(&[bob, UserId(1), alice]).await.must("users");
    let order: Vec<UserId> = users.iter().map(|u| u.id).collect();
    assert_eq!(
        order,
        [bob, alice],
        "in the order asked, missing ones skipped"
    );
}

async fn tokens(h: &Harness) {
    let alice = h.user("alice").await;
    let token = |hash: u8, kind, expires_at| TokenRecord {
        id: ObjectId(h.ids.next_id()),
        user_id: alice,
        kind,
        hash: vec![hash; 32],
        name: Some(format!("t{hash}")),
        csrf: None,
        created_at: Utc::now(),
        expires_at,
    };
    let first = token(1, TokenKind::Personal, None);
    let second = token(2, TokenKind::Personal, None);
    let expired = token(
        3,
        TokenKind::Session,
        Some(Utc::now() - chrono::Duration::minutes(1)),
    );
    for t in [&first, &second, &expired] {
        h.store.insert_token(t.clone()).await.must("insert token");
    }
    let duplicate = h
        .store
        .insert_token(token(1, TokenKind::Session, None))
        .await;
    assert!(
        matches!(duplicate, Err(Error::Conflict(_))),
        "{duplicate:?}"
    );
    let orphan = TokenRecord {
        user_id: UserId(1),
        ..token(9, TokenKind::Session, None)
    };
    let orphan = h.store.insert_token(orphan).await;
    assert!(matches!(orphan, Err(Error::Conflict(_))), "{orphan:?}");

    let found = h
        .store
        .token_by_hash(&[1; 32])
        .await
        .must("by hash")
        .must("found");
    assert_eq!(
        (found.id, found.kind, found.name),
        (first.id, TokenKind::Personal, first.name)
    );
    assert!(
        h.store
            .token_by_hash(&[3; 32])
            .await
            .must("by hash")
            .is_none(),
        "expired"
    );

    let listed: Vec<ObjectId> = h
        .store
        .tokens(alice, TokenKind::Personal)
        .await
        .must("tokens")
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(listed, [second.id, first.id], "newest first");
    assert!(h.store.delete_token(alice, first.id).await.must("delete"));
    assert!(
        !h.store
            .delete_token(alice, first.id)
            .await
            .must("delete again")
    );
    assert!(
        h.store
            .token_by_hash(&[1; 32])
            .await
            .must("by hash")
            .is_none()
    );
}

/// Expired tokens are removed by the sweep; live ones and those that never expire stay.
async fn expired_tokens_are_swept(h: &Harness) {
    let alice = h.user("alice").await;
    let token = |hash: u8, expires_at| TokenRecord {
        id: ObjectId(h.ids.next_id()),
        user_id: alice,
        kind: TokenKind::Personal,
        hash: vec![hash; 32],
        name: None,
        csrf: None,
        created_at: Utc::now(),
        expires_at,
    };
    let now = Utc::now();
    for t in [
        token(1, Some(now - chrono::Duration::days(1))),
        token(2, Some(now - chrono::Duration::seconds(1))),
        token(3, Some(now + chrono::Duration::days(1))),
        token(4, None),
    ] {
        h.store.insert_token(t).await.must("insert token");
    }
    assert_eq!(h.store.delete_expired_tokens(now).await.must("sweep"), 2);
    assert_eq!(h.store.delete_expired_tokens(now).await.must("again"), 0);
    let left = h
        .store
        .tokens(alice, TokenKind::Personal)
        .await
        .must("tokens");
    assert_eq!(left.len(), 2, "{left:?}");
}
