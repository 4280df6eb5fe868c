//! Domain types as clients see them on the native API.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::avatar::Avatar;
use crate::entities::Entities;
use crate::ids::{ConversationId, EventId, UserId};
use crate::media::Media;
use crate::parts::Shown;
use crate::support::{SupportSettings, SupportStatus};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AllowDmsFrom {
    #[default]
    Following,
    Verified,
    Everyone,
}

impl AllowDmsFrom {
    pub fn as_str(self) -> &'static str {
        match self {
            AllowDmsFrom::Following => "following",
            AllowDmsFrom::Verified => "verified",
            AllowDmsFrom::Everyone => "everyone",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            AllowDmsFrom::Following,
            AllowDmsFrom::Verified,
            AllowDmsFrom::Everyone,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// Which part of a person's inbox a conversation sits in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InboxBox {
    #[default]
    Primary,
    Requests,
    Filtered,
}

impl InboxBox {
    pub fn as_str(self) -> &'static str {
        match self {
            InboxBox::Primary => "primary",
            InboxBox::Requests => "requests",
            InboxBox::Filtered => "filtered",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [InboxBox::Primary, InboxBox::Requests, InboxBox::Filtered]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct User {
    pub id: UserId,
    pub screen_name: String,
    pub name: String,
    pub description: String,
    /// The picture at its largest side; `?size=` (48, 96, 200 or 400) asks for another.
    /// `null` when the person has none (clients draw initials).
    #[serde(rename = "avatar_url")]
    #[schema(value_type = Option<String>)]
    pub avatar: Option<Avatar>,
    pub verified: bool,
    pub created_at: DateTime<Utc>,
    /// Whether this is a support account, and whether it is open now (as of the response).
    pub support: SupportStatus,
    /// The account's support settings, from which the service computes `support` at its
    /// clock; not shown (the account itself reads them at `GET /me/support`).
    #[serde(skip)]
    #[schema(ignore)]
    pub support_settings: Option<SupportSettings>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Settings {
    pub allow_dms_from: AllowDmsFrom,
    /// Reciprocal: off means you neither send nor see read receipts.
    pub read_receipts: bool,
    /// Requests from accounts that look like spam go to the `filtered` box.
    pub quality_filter: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            allow_dms_from: AllowDmsFrom::Following,
            read_receipts: true,
            quality_filter: true,
        }
    }
}

/// How the viewer and another user relate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Relationship {
    pub following: bool,
    pub followed_by: bool,
    pub blocking: bool,
    /// Whether the other user blocks the viewer; Postern never reveals this to the viewer
    /// (the blocked party is not told), so it stays internal.
    #[serde(skip)]
    pub blocked_by: bool,
    pub muting: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReactionGroup {
    pub emoji: String,
    pub count: usize,
    pub user_ids: Vec<UserId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EditRecord {
    pub text: String,
    pub edited_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Message {
    pub id: EventId,
    pub conversation_id: ConversationId,
    pub sender_id: UserId,
    /// Empty once deleted for everyone.
    pub text: String,
    pub entities: Entities,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to_id: Option<EventId>,
    /// The one attachment; removed with the text when deleted for everyone. (Boxed: most
    /// messages have none.)
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<Box<Media>>,
    /// The sender's idempotency key, echoed so a sender's devices can match their drafts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_message_id: Option<String>,
    pub reactions: Vec<ReactionGroup>,
    pub edit_count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<DateTime<Utc>>,
    /// Earlier versions, oldest first, kept when a message is edited.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub edit_history: Vec<EditRecord>,
    /// A tombstone: the sender deleted this message for everyone.
    pub deleted: bool,
    /// Quick replies, the response to one, buttons, and what started the conversation.
    #[serde(flatten)]
    pub parts: Shown,
}

/// An entry in a conversation's history.
// Nearly every event is a message, so boxing it would add an allocation per event and save
// no memory.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ConversationEvent {
    Message(Message),
    ParticipantsJoin(MembershipChange),
    ParticipantsLeave(MembershipChange),
}

impl ConversationEvent {
    pub fn id(&self) -> EventId {
        match self {
            ConversationEvent::Message(m) => m.id,
            ConversationEvent::ParticipantsJoin(c) | ConversationEvent::ParticipantsLeave(c) => {
                c.id
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MembershipChange {
    pub id: EventId,
    pub conversation_id: ConversationId,
    /// Who made the change: the adder for joins, the leaver for leaves.
    pub sender_id: UserId,
    pub user_ids: Vec<UserId>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    OneToOne,
    Group,
}

/// A conversation as one participant sees it in their inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Conversation {
    pub id: ConversationId,
    #[serde(rename = "type")]
    pub kind: ConversationKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The members; only the viewer once they left a group.
    pub participants: Vec<User>,
    /// The viewer left this group: they keep its history up to their leaving, and see
    /// neither its name, members nor read positions since.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub left: bool,
    pub created_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_message: Option<ConversationEvent>,
    pub unread_count: u64,
    #[serde(rename = "box")]
    pub inbox: InboxBox,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_read_event_id: Option<EventId>,
    /// The other participants' read positions the viewer may see (reciprocal receipts).
    pub read_by: Vec<ReadMark>,
    pub muted: bool,
    pub pinned: bool,
    pub archived: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReadMark {
    pub user_id: UserId,
    pub last_read_event_id: EventId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportTarget {
    User,
    Message,
    Conversation,
}
