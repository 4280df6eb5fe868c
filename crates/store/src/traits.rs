//! The storage traits. They speak the domain ("append a message to a conversation,
//! idempotent on the client key"), never SQL; every backend implements all of them and
//! must behave identically, so one test suite can prove any of them.
//!
//! Writes that clients watch in real time take the stream events to record with them, so
//! the write and its events commit together and every event gets the next position in each
//! receiver's stream.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use postern_core::avatar::Avatar;
use postern_core::model::{ConversationEvent, Relationship, Settings, User};
use postern_core::stream::Delivery;
use postern_core::{ConversationId, EventId, MediaId, ObjectId, Result, UserId};

use crate::records::*;

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Fails with `Conflict` when the screen name is taken (case-insensitively).
    async fn create_user(&self, new: NewUser) -> Result<User>;
    async fn user(&self, id: UserId) -> Result<Option<UserWithSettings>>;
    async fn users(&self, ids: &[UserId]) -> Result<Vec<User>>;
    async fn user_by_screen_name(&self, screen_name: &str) -> Result<Option<User>>;
    /// The id and password hash for a screen name, for login.
    async fn credentials(&self, screen_name: &str) -> Result<Option<(UserId, String)>>;
    async fn search_users(&self, prefix: &str, limit: usize) -> Result<Vec<User>>;
    async fn update_profile(&self, id: UserId, patch: ProfilePatch) -> Result<User>;
    /// Sets (or with `None` removes) the user's avatar; returns the user and the avatar it
    /// replaced, read in the same transaction, so exactly one caller cleans each one up.
    async fn replace_avatar(
        &self,
        id: UserId,
        avatar: Option<Avatar>,
    ) -> Result<(User, Option<Avatar>)>;
    async fn update_settings(&self, id: UserId, patch: SettingsPatch) -> Result<Settings>;
    async fn set_verified(&self, id: UserId, verified: bool) -> Result<()>;
    /// Those of `ids` who have read receipts turned on.
    async fn with_read_receipts(&self, ids: &[UserId]) -> Result<Vec<UserId>>;

    async fn insert_token(&self, token: TokenRecord) -> Result<()>;
    async fn token_by_hash(&self, hash: &[u8]) -> Result<Option<TokenRecord>>;
    async fn tokens(&self, user: UserId, kind: TokenKind) -> Result<Vec<TokenRecord>>;
    /// Returns whether a token was removed.
    async fn delete_token(&self, user: UserId, id: ObjectId) -> Result<bool>;
    /// Removes tokens that expired before `now` (sessions and logins' bearer tokens, which
    /// would otherwise pile up with every sign-in); returns how many.
    async fn delete_expired_tokens(&self, now: DateTime<Utc>) -> Result<u64>;
}

#[async_trait]
pub trait GraphStore: Send + Sync {
    /// Each returns whether anything changed and, when it did, records `fanout` in the same
    /// transaction and returns what to deliver.
    async fn follow(&self, follower: UserId, followee: UserId, fanout: Fanout) -> Result<Changed>;
    async fn unfollow(&self, follower: UserId, followee: UserId, fanout: Fanout)
    -> Result<Changed>;
    /// Blocking removes follows both ways in the same transaction.
    async fn block(&self, blocker: UserId, blocked: UserId, fanout: Fanout) -> Result<Changed>;
    async fn unblock(&self, blocker: UserId, blocked: UserId, fanout: Fanout) -> Result<Changed>;
    async fn mute(&self, muter: UserId, muted: UserId, fanout: Fanout) -> Result<Changed>;
    async fn unmute(&self, muter: UserId, muted: UserId, fanout: Fanout) -> Result<Changed>;
    /// How `viewer` relates to each of `others`, in the same order.
    async fn relationships(&self, viewer: UserId, others: &[UserId]) -> Result<Vec<Relationship>>;
    async fn followers(
        &self,
        user: UserId,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<User>>;
    async fn following(
        &self,
        user: UserId,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<User>>;
    async fn blocked(
        &self,
        user: UserId,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<User>>;
    async fn muted(&self, user: UserId, cursor: Option<String>, limit: usize)
    -> Result<Page<User>>;
    async fn insert_report(&self, report: NewReport) -> Result<()>;
    /// Everything SPEC §3.3 needs for `sender` writing to `recipient`, but the count below.
    async fn admission_inputs(&self, sender: UserId, recipient: UserId) -> Result<AdmissionInputs>;
    /// Requests `sender` started that their recipients have not answered (at most 1,000).
    /// Apart from the other inputs, because it reads every conversation the sender started
    /// (on a distributed PostgreSQL, every shard) and decides only a few sends.
    async fn unanswered_requests(&self, sender: UserId) -> Result<u32>;
}

#[async_trait]
pub trait ConversationStore: Send + Sync {
    async fn conversation(&self, id: &ConversationId) -> Result<Option<ConversationRecord>>;
    /// Current and former members, in join order.
    async fn participants(&self, id: &ConversationId) -> Result<Vec<ParticipantRecord>>;
    async fn participant(
        &self,
        id: &ConversationId,
        user: UserId,
    ) -> Result<Option<ParticipantRecord>>;
    async fn create_group(
        &self,
        group: NewGroup,
        fanout: Fanout,
    ) -> Result<(ConversationRecord, Vec<Delivery>)>;
    /// Adds members (re-activating former ones) and records a `participants_join` event;
    /// `notify` receives `participants.joined` after the event id is known.
    async fn add_participants(
        &self,
        id: &ConversationId,
        by: UserId,
        members: Vec<(UserId, postern_core::model::InboxBox)>,
        notify: Vec<UserId>,
        fanout: Fanout,
    ) -> Result<(ConversationEvent, Vec<Delivery>)>;
    /// Records a `participants_leave` event and ends the membership.
    async fn leave(
        &self,
        id: &ConversationId,
        user: UserId,
        notify: Vec<UserId>,
    ) -> Result<(ConversationEvent, Vec<Delivery>)>;
    async fn rename(
        &self,
        id: &ConversationId,
        name: Option<String>,
        fanout: Fanout,
    ) -> Result<Vec<Delivery>>;
    async fn update_participant(
        &self,
        id: &ConversationId,
        user: UserId,
        patch: ParticipantPatch,
        fanout: Fanout,
    ) -> Result<(ParticipantRecord, Vec<Delivery>)>;
    async fn pinned_count(&self, user: UserId) -> Result<usize>;
    async fn inbox(&self, query: InboxQuery) -> Result<Page<InboxEntry>>;
    async fn inbox_entry(&self, id: &ConversationId, user: UserId) -> Result<Option<InboxEntry>>;
}

#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Appends a message, creating a one-to-one conversation on first contact; idempotent on
    /// `(sender, client_key)` within the idempotency window.
    async fn append_message(&self, new: NewMessage) -> Result<Appended>;
    /// Forgets at most `batch` idempotency keys claimed before `older_than` (keys past their
    /// window, which no longer deduplicate) and returns how many went. Bounded so one call
    /// never holds a writer or many locks for long; call again until it returns less than
    /// `batch`. Safe to run from several nodes at once: a key is forgotten once, and a key a
    /// send re-claims meanwhile is kept.
    async fn sweep_idempotency(&self, older_than: DateTime<Utc>, batch: usize) -> Result<usize>;
    async fn event(
        &self,
        conversation: &ConversationId,
        id: EventId,
    ) -> Result<Option<ConversationEvent>>;
    async fn history(&self, query: HistoryQuery) -> Result<Vec<ConversationEvent>>;
    /// Replaces the text, keeping the old version; refuses past `max_edits` edits.
    async fn edit_message(
        &self,
        conversation: &ConversationId,
        id: EventId,
        text: String,
        entities: postern_core::entities::Entities,
        max_edits: u32,
        notify: Vec<UserId>,
    ) -> Result<(postern_core::model::Message, Vec<Delivery>)>;
    /// Leaves a tombstone: text, entities and reactions are removed.
    async fn delete_for_everyone(
        &self,
        conversation: &ConversationId,
        id: EventId,
        fanout: Fanout,
    ) -> Result<Vec<Delivery>>;
    async fn delete_for_me(
        &self,
        conversation: &ConversationId,
        id: EventId,
        user: UserId,
        fanout: Fanout,
    ) -> Result<Vec<Delivery>>;
    /// Sets `user`'s one reaction on a message (replacing another emoji); `None` removes it.
    /// Returns whether anything changed.
    async fn set_reaction(
        &self,
        conversation: &ConversationId,
        id: EventId,
        user: UserId,
        emoji: Option<String>,
        fanout: Fanout,
    ) -> Result<(bool, Vec<Delivery>)>;
    /// Moves the read mark forward (never back) and recounts unread messages.
    async fn mark_read(
        &self,
        conversation: &ConversationId,
        user: UserId,
        up_to: EventId,
        fanout: Fanout,
    ) -> Result<(bool, Vec<Delivery>)>;
    /// Full-text search over the messages `user` can see, newest first.
    async fn search_messages(
        &self,
        user: UserId,
        query: &str,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<postern_core::model::Message>>;
}

#[async_trait]
pub trait MediaStore: Send + Sync {
    async fn insert_media(&self, media: MediaRecord) -> Result<()>;
    async fn media(&self, id: MediaId) -> Result<Option<MediaRecord>>;
    /// The owner's uploads still uploading: how many, and the bytes they declared.
    async fn uploads_in_progress(&self, owner: UserId) -> Result<(u64, u64)>;
    /// Marks an upload ready with what its checks found. Returns false when it was not
    /// uploading (a concurrent completion won, or it expired and was swept).
    async fn complete_media(&self, id: MediaId, ready: ReadyMedia) -> Result<bool>;
    /// Removes an upload that was never attached (its content was refused). Returns whether
    /// it was removed.
    async fn delete_unattached_media(&self, id: MediaId) -> Result<bool>;
    /// The messages carrying the media, as `(conversation, message)` pairs.
    async fn media_attachments(&self, id: MediaId) -> Result<Vec<(ConversationId, EventId)>>;
    /// Removes at most `batch` media whose expiry passed before `now` and that no message
    /// carries, and returns their ids so the caller removes their bytes. Safe to run from
    /// several nodes at once: each is returned once.
    async fn take_expired_media(&self, now: DateTime<Utc>, batch: usize) -> Result<Vec<MediaId>>;
}

#[async_trait]
pub trait StreamStore: Send + Sync {
    /// Records events that go with no other write (a post's mentions), in one transaction.
    async fn record_events(&self, fanout: Fanout) -> Result<Vec<Delivery>>;
    /// Stored events after `after`, in position order.
    async fn stream_since(&self, user: UserId, after: i64, limit: usize) -> Result<Vec<Replayed>>;
    /// The position of the user's latest stored event (0 before the first).
    async fn stream_position(&self, user: UserId) -> Result<i64>;
}

/// The whole store, as the service holds it.
#[async_trait]
pub trait Store:
    AccountStore + GraphStore + ConversationStore + MessageStore + MediaStore + StreamStore
{
    fn backend_name(&self) -> &'static str;
    /// The cold tables' portable SQL (docs/storage.md).
    fn cold(&self) -> &dyn crate::cold::ColdSql;
    /// Readiness: whether the store answers a trivial query now.
    async fn ping(&self) -> Result<()>;
    /// Remembers an OAuth 1.0a `nonce` of `consumer_key` until `expires_at`, on every node
    /// of the installation; `false` if it already was (a replay). Called once per signed
    /// request, so it costs no flush of its own: the embedded store (one node) holds nonces
    /// in memory, PostgreSQL commits them without waiting for the disk.
    async fn claim_nonce(
        &self,
        consumer_key: &str,
        nonce: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<bool>;
    /// Forgets nonces whose window has passed; how many.
    async fn forget_nonces(&self, now: DateTime<Utc>) -> Result<usize>;
}
