//! Stored rows as plain column values, and the one mapping from them to domain values.
//!
//! Both backends store the same columns with the same meaning; only how a column is read
//! (rusqlite's `Row::get`, sqlx's `PgRow::try_get`) and the SQL differ. Each backend reads
//! its columns into these structs and calls `into_*`, so a rule such as "a missing entity
//! list reads as none" or "membership events carry their users as JSON" is written once.

use std::collections::HashMap;

use chrono::{DateTime, TimeZone, Utc};
use postern_core::avatar::Avatar;
use postern_core::media::{Media, MediaCategory, MediaType, UploadState};
use postern_core::model::{
    ConversationEvent, ConversationKind, EditRecord, InboxBox, MembershipChange, Message,
    ReactionGroup, User,
};
use postern_core::parts::{Parts, Shown};
use postern_core::stream::StreamEvent;
use postern_core::support::{SupportSettings, SupportStatus};
use postern_core::{ConversationId, EventId, MediaId, UserId};

use crate::{ConversationRecord, InboxEntry, MediaRecord, ParticipantRecord};

/// `events.kind`: what a history row is.
pub const KIND_MESSAGE: i64 = 0;
pub const KIND_JOIN: i64 = 1;
pub const KIND_LEAVE: i64 = 2;

/// Times are stored as Unix milliseconds.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// A stored time read back; one outside chrono's range reads as the epoch.
pub fn to_time(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// A stored count read back; negative values cannot be stored and read as zero.
fn count<T: TryFrom<i64> + Default>(n: i64) -> T {
    T::try_from(n).unwrap_or_default()
}

/// Stored JSON read back; a missing or unreadable value reads as the empty default.
fn json<T: serde::de::DeserializeOwned + Default>(j: Option<String>) -> T {
    j.and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default()
}

/// `users` columns, in `USER_COLS` order.
pub struct UserColumns {
    pub id: i64,
    pub screen_name: String,
    pub name: String,
    pub description: String,
    pub avatar_key: Option<String>,
    pub verified: bool,
    pub created_at: i64,
    /// Support settings as JSON; `NULL` until set.
    pub support: Option<String>,
}

/// Whether stored support settings (`users.support`) have support on.
pub fn support_enabled(json: Option<&str>) -> bool {
    json.and_then(|j| serde_json::from_str::<SupportSettings>(j).ok())
        .is_some_and(|s| s.enabled)
}

/// How many columns a backend's `USER_COLS` selects (what follows them starts here).
pub const USER_COL_COUNT: usize = 8;

impl UserColumns {
    pub fn into_user(self) -> User {
        // Unreadable settings (none are written so) read as none rather than failing the row.
        let support: Option<SupportSettings> = self
            .support
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok());
        User {
            id: UserId(self.id),
            screen_name: self.screen_name,
            name: self.name,
            description: self.description,
            // A key that is not one (there are none; the column is only written with keys)
            // reads as no avatar rather than failing the whole row.
            avatar: self.avatar_key.as_deref().and_then(Avatar::parse),
            verified: self.verified,
            created_at: to_time(self.created_at),
            // The service computes whether they are open now, at its clock.
            support: SupportStatus {
                enabled: support.as_ref().is_some_and(|s| s.enabled),
                ..SupportStatus::default()
            },
            support_settings: support,
        }
    }
}

/// `conversations` columns, in `CONVERSATION_COLS` order.
pub struct ConversationColumns {
    pub id: String,
    pub kind: String,
    pub name: Option<String>,
    pub created_by: i64,
    pub created_at: i64,
    pub last_event_id: Option<i64>,
    pub member_count: i64,
}

impl ConversationColumns {
    pub fn into_record(self) -> ConversationRecord {
        ConversationRecord {
            id: ConversationId::from_stored(self.id),
            kind: if self.kind == "group" {
                ConversationKind::Group
            } else {
                ConversationKind::OneToOne
            },
            name: self.name,
            created_by: UserId(self.created_by),
            created_at: to_time(self.created_at),
            last_event_id: self.last_event_id.map(EventId),
            member_count: count(self.member_count),
        }
    }
}

/// `participants` columns, in `PARTICIPANT_COLS` order.
pub struct ParticipantColumns {
    pub conversation_id: String,
    pub user_id: i64,
    pub active: bool,
    pub inbox: String,
    pub visible_after: Option<i64>,
    pub left_at_event: Option<i64>,
    pub last_read_event_id: Option<i64>,
    pub unread_count: i64,
    pub muted: bool,
    pub pinned_at: Option<i64>,
    pub archived: bool,
    pub accepted: bool,
    pub reported: bool,
}

impl ParticipantColumns {
    pub fn into_record(self) -> ParticipantRecord {
        ParticipantRecord {
            conversation_id: ConversationId::from_stored(self.conversation_id),
            user_id: UserId(self.user_id),
            active: self.active,
            inbox: InboxBox::parse(&self.inbox).unwrap_or_default(),
            visible_after: self.visible_after.map(EventId),
            left_at_event: self.left_at_event.map(EventId),
            last_read_event_id: self.last_read_event_id.map(EventId),
            unread_count: count(self.unread_count),
            muted: self.muted,
            pinned: self.pinned_at.is_some(),
            archived: self.archived,
            accepted: self.accepted,
            reported: self.reported,
        }
    }
}

/// `events` columns, in `EVENT_COLS` order. `edit_count` is already narrowed, as each
/// backend's driver reads an unsigned column its own way.
pub struct EventColumns {
    pub id: i64,
    pub conversation_id: String,
    pub kind: i64,
    pub sender_id: i64,
    pub text: String,
    pub entities: Option<String>,
    pub reply_to_id: Option<i64>,
    pub client_key: Option<String>,
    pub edit_count: u32,
    pub edited_at: Option<i64>,
    pub deleted: bool,
    pub user_ids: Option<String>,
    pub created_at: i64,
    /// The attached media as JSON.
    pub attachment: Option<String>,
    /// Interactive parts as JSON (`Parts`); `NULL` for most messages.
    pub parts: Option<String>,
}

impl EventColumns {
    /// The event without reactions or edit history; [`attach_decorations`] adds those.
    pub fn into_event(self) -> ConversationEvent {
        let conversation = ConversationId::from_stored(self.conversation_id);
        let sender = UserId(self.sender_id);
        if self.kind != KIND_MESSAGE {
            let users = json(self.user_ids);
            return membership_event(
                self.kind,
                self.id,
                &conversation,
                sender,
                users,
                self.created_at,
            );
        }
        // A tombstone keeps no buttons or options.
        let parts = match self.parts.filter(|_| !self.deleted) {
            Some(j) => serde_json::from_str::<Parts>(&j)
                .map(|p| p.shown(&conversation, EventId(self.id)))
                .unwrap_or_default(),
            None => Shown::default(),
        };
        ConversationEvent::Message(Message {
            id: EventId(self.id),
            conversation_id: conversation,
            sender_id: sender,
            text: self.text,
            entities: json(self.entities),
            created_at: to_time(self.created_at),
            reply_to_id: self.reply_to_id.map(EventId),
            media: self.attachment.and_then(|j| serde_json::from_str(&j).ok()),
            client_message_id: self.client_key,
            reactions: Vec::new(),
            edit_count: self.edit_count,
            edited_at: self.edited_at.map(to_time),
            edit_history: Vec::new(),
            deleted: self.deleted,
            parts,
        })
    }
}

/// `media` columns, in `MEDIA_COLS` order; the enums as stored text.
pub struct MediaColumns {
    pub id: i64,
    pub owner_id: i64,
    pub category: String,
    pub media_type: String,
    pub shared: bool,
    pub state: String,
    pub total_bytes: i64,
    pub size: i64,
    pub width: i64,
    pub height: i64,
    pub duration_ms: Option<i64>,
    pub has_thumbnail: bool,
    pub attached: bool,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

/// The `media` columns both backends select, in [`MediaColumns`] order.
pub const MEDIA_COLS: &str = "id, owner_id, category, media_type, shared, state, total_bytes, size, \
     width, height, duration_ms, has_thumbnail, attached, created_at, expires_at";

impl MediaColumns {
    /// Fails only on a value no version of Postern writes.
    pub fn into_record(self) -> postern_core::Result<MediaRecord> {
        let corrupt = |what: &str, v: &str| {
            postern_core::Error::internal(format!("media {}: stored {what} `{v}`", self.id))
        };
        let state = match self.state.as_str() {
            "ready" => UploadState::Ready,
            "uploading" => UploadState::Uploading,
            other => return Err(corrupt("state", other)),
        };
        Ok(MediaRecord {
            id: MediaId(self.id),
            owner_id: UserId(self.owner_id),
            category: MediaCategory::parse("category", &self.category)
                .map_err(|_| corrupt("category", &self.category))?,
            media_type: MediaType::parse("media_type", &self.media_type)
                .map_err(|_| corrupt("media_type", &self.media_type))?,
            shared: self.shared,
            state,
            total_bytes: count(self.total_bytes),
            size: count(self.size),
            width: count(self.width),
            height: count(self.height),
            duration_ms: self.duration_ms.map(count),
            has_thumbnail: self.has_thumbnail,
            attached: self.attached,
            created_at: to_time(self.created_at),
            expires_at: self.expires_at.map(to_time),
        })
    }
}

/// A message's attachment as the `events.attachment` column stores it.
pub fn attachment_json(media: Option<&Media>) -> postern_core::Result<Option<String>> {
    media
        .map(serde_json::to_string)
        .transpose()
        .map_err(postern_core::Error::internal)
}

/// A join (`KIND_JOIN`) or leave (any other non-message kind) as history shows it.
pub fn membership_event(
    kind: i64,
    id: i64,
    conversation: &ConversationId,
    sender: UserId,
    users: Vec<UserId>,
    at: i64,
) -> ConversationEvent {
    let change = MembershipChange {
        id: EventId(id),
        conversation_id: conversation.clone(),
        sender_id: sender,
        user_ids: users,
        created_at: to_time(at),
    };
    if kind == KIND_JOIN {
        ConversationEvent::ParticipantsJoin(change)
    } else {
        ConversationEvent::ParticipantsLeave(change)
    }
}

/// What a membership event tells the stream; `None` for a message, which has its own path.
pub fn membership_stream_event(event: &ConversationEvent) -> Option<StreamEvent> {
    match event {
        ConversationEvent::ParticipantsJoin(m) => Some(StreamEvent::ParticipantsJoined(m.clone())),
        ConversationEvent::ParticipantsLeave(m) => Some(StreamEvent::ParticipantsLeft(m.clone())),
        ConversationEvent::Message(_) => None,
    }
}

/// A history event about to be inserted.
pub struct EventRow<'a> {
    pub conversation: &'a ConversationId,
    pub kind: i64,
    pub sender: UserId,
    pub text: &'a str,
    pub entities: Option<String>,
    pub reply_to: Option<i64>,
    pub client_key: Option<&'a str>,
    pub user_ids: Option<String>,
    pub created_at: i64,
    /// The attached media as JSON ([`attachment_json`]).
    pub attachment: Option<String>,
    /// Interactive parts as JSON ([`parts_json`]).
    pub parts: Option<String>,
}

/// A message's stored parts as JSON; `None` (stored `NULL`) when it has none.
pub fn parts_json(parts: &Parts) -> postern_core::Result<Option<String>> {
    if parts.is_empty() {
        return Ok(None);
    }
    serde_json::to_string(parts)
        .map(Some)
        .map_err(postern_core::Error::internal)
}

impl<'a> EventRow<'a> {
    /// A join or leave: no text, the users as JSON.
    pub fn membership(
        conversation: &'a ConversationId,
        kind: i64,
        sender: UserId,
        users: &[UserId],
        created_at: i64,
    ) -> Self {
        EventRow {
            conversation,
            kind,
            sender,
            text: "",
            entities: None,
            reply_to: None,
            client_key: None,
            user_ids: serde_json::to_string(users).ok(),
            created_at,
            attachment: None,
            parts: None,
        }
    }
}

/// The messages among `events` that carry reactions (and, `edited_only`, edit history):
/// deleted messages keep neither.
pub fn decorated_messages(
    events: &[ConversationEvent],
    edited_only: bool,
) -> impl Iterator<Item = &Message> {
    events.iter().filter_map(move |e| match e {
        ConversationEvent::Message(m) if !m.deleted && (!edited_only || m.edit_count > 0) => {
            Some(m)
        }
        _ => None,
    })
}

/// Attaches reactions, as `(message_id, emoji, user_id)` rows in reaction order, and edit
/// history, as `(message_id, text, edited_at)` rows in edit order, to the messages among
/// `events`. Reactions group by emoji in the order each emoji first appeared.
pub fn attach_decorations(
    events: &mut [ConversationEvent],
    reactions: Vec<(i64, String, i64)>,
    edits: Vec<(i64, String, i64)>,
) {
    let mut grouped: HashMap<i64, Vec<ReactionGroup>> = HashMap::new();
    for (mid, emoji, uid) in reactions {
        let groups = grouped.entry(mid).or_default();
        match groups.iter_mut().find(|g| g.emoji == emoji) {
            Some(g) => {
                g.count += 1;
                g.user_ids.push(UserId(uid));
            }
            None => groups.push(ReactionGroup {
                emoji,
                count: 1,
                user_ids: vec![UserId(uid)],
            }),
        }
    }
    let mut history: HashMap<i64, Vec<EditRecord>> = HashMap::new();
    for (mid, text, at) in edits {
        history.entry(mid).or_default().push(EditRecord {
            text,
            edited_at: to_time(at),
        });
    }
    for e in events.iter_mut() {
        if let ConversationEvent::Message(m) = e {
            m.reactions = grouped.remove(&m.id.0).unwrap_or_default();
            m.edit_history = history.remove(&m.id.0).unwrap_or_default();
        }
    }
}

/// The event ids a member can see in a conversation, as an open range `(lower, upper)`
/// where `upper` is inclusive: after they last deleted it, up to when they left.
pub fn visible_range(me: &ParticipantRecord) -> (i64, i64) {
    let upper = me.left_at_event.map_or(i64::MAX, |e| e.0);
    let lower = me.visible_after.map_or(i64::MIN, |e| e.0);
    (lower, upper)
}

/// One inbox entry from the member's row, every member's row and the last event they see.
/// Read marks show only other members who accepted the conversation.
pub fn inbox_entry(
    conversation: ConversationRecord,
    me: ParticipantRecord,
    members: &[ParticipantRecord],
    last_event: Option<ConversationEvent>,
) -> InboxEntry {
    InboxEntry {
        member_ids: members
            .iter()
            .filter(|p| p.active)
            .map(|p| p.user_id)
            .collect(),
        read_marks: members
            .iter()
            .filter(|p| p.active && p.accepted && p.user_id != me.user_id)
            .filter_map(|p| p.last_read_event_id.map(|e| (p.user_id, e)))
            .collect(),
        conversation,
        me,
        last_event,
    }
}

/// The message if it can still be edited or reacted to: a deleted one is a tombstone.
pub fn live_message(m: Message) -> postern_core::Result<Message> {
    if m.deleted {
        return Err(postern_core::Error::Conflict("the message was deleted"));
    }
    Ok(m)
}

/// Only the messages among `events`, for lists (search) that show nothing else.
pub fn messages_only(events: Vec<ConversationEvent>) -> Vec<Message> {
    events
        .into_iter()
        .filter_map(|e| match e {
            ConversationEvent::Message(m) => Some(m),
            _ => None,
        })
        .collect()
}
