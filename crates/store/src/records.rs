//! Values that cross the storage boundary: what the service asks the store to persist and
//! what the store hands back, in domain terms.

use chrono::{DateTime, Utc};
use postern_core::media::{Media, MediaCategory, MediaType, MediaUpload, UploadPart, UploadState};
use postern_core::model::{
    AllowDmsFrom, ConversationEvent, ConversationKind, InboxBox, Message, User,
};
use postern_core::parts::Parts;
use postern_core::stream::{Delivery, StreamEvent};
use postern_core::{ConversationId, EventId, MediaId, ObjectId, UserId, entities::Entities};

#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: UserId,
    pub screen_name: String,
    pub name: String,
    pub password_hash: String,
    pub verified: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct ProfilePatch {
    pub name: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct SettingsPatch {
    pub allow_dms_from: Option<AllowDmsFrom>,
    pub read_receipts: Option<bool>,
    pub quality_filter: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A browser session (cookie), paired with a CSRF token.
    Session,
    /// A personal access token for API clients (bearer).
    Personal,
}

#[derive(Debug, Clone)]
pub struct TokenRecord {
    pub id: ObjectId,
    pub user_id: UserId,
    pub kind: TokenKind,
    /// SHA-256 of the secret; the secret itself is never stored.
    pub hash: Vec<u8>,
    pub name: Option<String>,
    pub csrf: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// One page of a list, with the cursor for the next page when there is one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// What the admission rules need to know about sender A writing to recipient B.
#[derive(Debug, Clone, Default)]
pub struct AdmissionInputs {
    pub either_blocks: bool,
    pub recipient_follows_sender: bool,
    pub recipient_accepted_sender: bool,
    pub recipient_allows: AllowDmsFrom,
    pub recipient_quality_filter: bool,
    /// The recipient runs a support account (their messages from anyone reach Primary).
    pub recipient_support: bool,
    /// The sender runs a support account (its conversations have a controller: hand-over).
    pub sender_support: bool,
    pub sender_verified: bool,
    pub sender_created_at: Option<DateTime<Utc>>,
    pub sender_reports_against: u32,
}

#[derive(Debug, Clone)]
pub struct ConversationRecord {
    pub id: ConversationId,
    pub kind: ConversationKind,
    pub name: Option<String>,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub last_event_id: Option<EventId>,
    pub member_count: usize,
}

/// One person's membership of a conversation and their private state in it.
#[derive(Debug, Clone)]
pub struct ParticipantRecord {
    pub conversation_id: ConversationId,
    pub user_id: UserId,
    pub active: bool,
    pub inbox: InboxBox,
    /// They see events after this one (their join, or where they deleted history).
    pub visible_after: Option<EventId>,
    /// Set when they left: they see nothing after it.
    pub left_at_event: Option<EventId>,
    pub last_read_event_id: Option<EventId>,
    pub unread_count: u64,
    pub muted: bool,
    pub pinned: bool,
    pub archived: bool,
    /// They have written in, or accepted, this conversation (SPEC §3.3 rule 3).
    pub accepted: bool,
    /// They reported the conversation: hidden, and its messages stop until they write.
    pub reported: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ParticipantPatch {
    pub inbox: Option<InboxBox>,
    pub muted: Option<bool>,
    pub pinned: Option<bool>,
    pub archived: Option<bool>,
    pub accepted: Option<bool>,
    pub reported: Option<bool>,
    /// Delete for me: hide everything up to the latest event.
    pub delete_history: bool,
}

/// Stored stream events to record in the same transaction as a write.
#[derive(Debug, Clone, Default)]
pub struct Fanout(pub Vec<(Vec<UserId>, StreamEvent)>);

/// Whether a write changed anything, and the stream events it recorded if it did.
pub type Changed = (bool, Vec<postern_core::stream::Delivery>);

impl Fanout {
    pub fn to(mut self, users: Vec<UserId>, event: StreamEvent) -> Self {
        self.0.push((users, event));
        self
    }
}

/// The first message between two people creates their conversation.
#[derive(Debug, Clone)]
pub struct OneToOneSetup {
    pub recipient: UserId,
    pub recipient_box: InboxBox,
}

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub conversation_id: ConversationId,
    pub sender_id: UserId,
    pub text: String,
    pub entities: Entities,
    pub reply_to_id: Option<EventId>,
    /// Media to attach, as the message will carry it. The store claims it in the same
    /// transaction: it must be the sender's, ready, unexpired, and shared or never attached
    /// (else `Invalid` on `media_id`, and nothing is stored).
    pub media: Option<Media>,
    pub client_key: Option<String>,
    /// Keys older than this no longer deduplicate.
    pub idempotent_since: DateTime<Utc>,
    /// Present when the one-to-one conversation may not exist yet.
    pub setup: Option<OneToOneSetup>,
    /// Who receives `message.created` (the sender's own devices included).
    pub notify: Vec<UserId>,
    /// Further events recorded with the message (a request accepted by replying).
    pub also: Fanout,
    /// Quick replies, buttons and the like, as stored (empty for most messages).
    pub parts: Parts,
}

impl NewMessage {
    /// The message as stored with event id `id` at `at`: the one shape both backends answer
    /// a send with.
    pub fn message(&self, id: EventId, at: DateTime<Utc>) -> Message {
        Message {
            id,
            conversation_id: self.conversation_id.clone(),
            sender_id: self.sender_id,
            text: self.text.clone(),
            entities: self.entities.clone(),
            created_at: at,
            reply_to_id: self.reply_to_id,
            media: self.media.clone().map(Box::new),
            client_message_id: self.client_key.clone(),
            reactions: Vec::new(),
            edit_count: 0,
            edited_at: None,
            edit_history: Vec::new(),
            deleted: false,
            parts: {
                let mut shown = self.parts.shown(&self.conversation_id, id);
                // A prompt is open when it is sent.
                if let Some(q) = &mut shown.quick_reply {
                    q.open = true;
                }
                shown
            },
        }
    }
}

#[derive(Debug, Clone)]
pub struct Appended {
    pub message: Message,
    /// True when the idempotency key matched an earlier send: nothing new was stored.
    pub duplicate: bool,
    pub deliveries: Vec<Delivery>,
}

#[derive(Debug, Clone)]
pub struct NewGroup {
    pub id: ConversationId,
    pub creator: UserId,
    pub name: Option<String>,
    /// Every member but the creator, with the box the conversation lands in for them.
    pub members: Vec<(UserId, InboxBox)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryDirection {
    /// Events older than the anchor, newest first.
    Before(Option<EventId>),
    /// Events newer than the anchor, oldest first.
    After(EventId),
}

/// A page of history for one viewer, restricted to what they may see.
#[derive(Debug, Clone)]
pub struct HistoryQuery {
    pub conversation_id: ConversationId,
    pub viewer: UserId,
    pub direction: HistoryDirection,
    pub limit: usize,
    pub visible_after: Option<EventId>,
    pub visible_until: Option<EventId>,
}

#[derive(Debug, Clone)]
pub struct InboxQuery {
    pub user: UserId,
    /// `None` lists archived conversations of every box.
    pub inbox: Option<InboxBox>,
    pub cursor: Option<String>,
    pub limit: usize,
}

#[derive(Debug, Clone)]
pub struct InboxEntry {
    pub conversation: ConversationRecord,
    pub me: ParticipantRecord,
    pub member_ids: Vec<UserId>,
    pub last_event: Option<ConversationEvent>,
    /// Other participants' read positions (before any receipt rule is applied).
    pub read_marks: Vec<(UserId, EventId)>,
}

#[derive(Debug, Clone)]
pub struct NewReport {
    pub id: ObjectId,
    pub reporter: UserId,
    pub target: postern_core::model::ReportTarget,
    pub target_id: String,
    pub reason: String,
}

/// A stored stream event as a user replays it.
#[derive(Debug, Clone)]
pub struct Replayed {
    pub position: i64,
    pub body: std::sync::Arc<postern_core::stream::EventBody>,
    /// When it was stored (Unix milliseconds): what happened when, however late it is read.
    pub at_ms: i64,
}

#[derive(Debug, Clone)]
pub struct UserWithSettings {
    pub user: User,
    pub settings: postern_core::model::Settings,
}

/// A media item as stored: an upload in progress, or ready to attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRecord {
    pub id: MediaId,
    pub owner_id: UserId,
    pub category: MediaCategory,
    pub media_type: MediaType,
    pub shared: bool,
    pub state: UploadState,
    pub total_bytes: u64,
    /// What the checks found; zero until ready.
    pub size: u64,
    pub width: u32,
    pub height: u32,
    pub duration_ms: Option<u64>,
    pub has_thumbnail: bool,
    /// Ever attached to a message: unshared media attaches once.
    pub attached: bool,
    pub created_at: DateTime<Utc>,
    /// Removed (with its bytes) after this unless attached; `None` once attached.
    pub expires_at: Option<DateTime<Utc>>,
}

/// What a new upload declares; everything else about it is found later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewUpload {
    pub id: MediaId,
    pub owner_id: UserId,
    pub category: MediaCategory,
    pub media_type: MediaType,
    pub shared: bool,
    pub total_bytes: u64,
}

impl MediaRecord {
    /// An upload just begun: nothing measured yet, removed after `expires_after` unless
    /// attached.
    pub fn uploading(new: NewUpload, expires_after: chrono::Duration) -> MediaRecord {
        // Stored times have millisecond precision; so does what the client is told now.
        let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 3);
        MediaRecord {
            id: new.id,
            owner_id: new.owner_id,
            category: new.category,
            media_type: new.media_type,
            shared: new.shared,
            state: UploadState::Uploading,
            total_bytes: new.total_bytes,
            size: 0,
            width: 0,
            height: 0,
            duration_ms: None,
            has_thumbnail: false,
            attached: false,
            created_at: now,
            expires_at: now.checked_add_signed(expires_after),
        }
    }

    /// The media as messages carry it, once ready.
    pub fn media(&self) -> Option<Media> {
        (self.state == UploadState::Ready).then(|| Media {
            id: self.id,
            media_type: self.media_type,
            category: self.category,
            size: self.size,
            width: self.width,
            height: self.height,
            duration_ms: self.duration_ms,
            url: Media::url(self.id),
            thumbnail_url: self.has_thumbnail.then(|| Media::thumbnail_url(self.id)),
        })
    }

    /// The upload as its owner sees it, with the parts received so far.
    pub fn upload(&self, parts: Vec<UploadPart>) -> MediaUpload {
        MediaUpload {
            id: self.id,
            state: self.state,
            media_type: self.media_type,
            category: self.category,
            shared: self.shared,
            total_bytes: self.total_bytes,
            parts,
            created_at: self.created_at,
            expires_at: self.expires_at,
            media: self.media(),
        }
    }
}

/// What checking an upload's content found, to record as it becomes ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadyMedia {
    pub size: u64,
    pub width: u32,
    pub height: u32,
    pub duration_ms: Option<u64>,
    pub has_thumbnail: bool,
}
