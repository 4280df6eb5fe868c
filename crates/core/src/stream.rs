//! Real-time events. Stored events carry a per-user position so a client can resume from the
//! last one it saw; typing is ephemeral and carries none.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{ConversationId, EventId, UserId};
use crate::model::{InboxBox, MembershipChange, Message};
use crate::posts::Post;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", content = "data")]
pub enum StreamEvent {
    #[serde(rename = "message.created")]
    MessageCreated(Message),
    #[serde(rename = "message.edited")]
    MessageEdited(Message),
    #[serde(rename = "message.deleted")]
    MessageDeleted {
        conversation_id: ConversationId,
        message_id: EventId,
        for_everyone: bool,
    },
    #[serde(rename = "reaction.added")]
    ReactionAdded(ReactionChange),
    #[serde(rename = "reaction.removed")]
    ReactionRemoved(ReactionChange),
    #[serde(rename = "conversation.read")]
    ConversationRead {
        conversation_id: ConversationId,
        user_id: UserId,
        last_read_event_id: EventId,
    },
    #[serde(rename = "typing")]
    Typing {
        conversation_id: ConversationId,
        user_id: UserId,
    },
    /// The conversation appeared in the receiver's inbox (a new conversation or request).
    #[serde(rename = "conversation.created")]
    ConversationCreated {
        conversation_id: ConversationId,
        #[serde(rename = "box")]
        inbox: InboxBox,
    },
    /// Name or per-participant state changed; clients refetch the conversation.
    #[serde(rename = "conversation.updated")]
    ConversationUpdated { conversation_id: ConversationId },
    /// Deleted for the receiver (their own action on another device).
    #[serde(rename = "conversation.deleted")]
    ConversationDeleted { conversation_id: ConversationId },
    #[serde(rename = "participants.joined")]
    ParticipantsJoined(MembershipChange),
    #[serde(rename = "participants.left")]
    ParticipantsLeft(MembershipChange),
    #[serde(rename = "request.accepted")]
    RequestAccepted {
        conversation_id: ConversationId,
        user_id: UserId,
    },
    /// How the receiver and `user_id` (the other person) relate changed: `source_id` did
    /// `action` to `target_id`. A follow or unfollow reaches both; a block, mute or their undoing
    /// only the one who did it. Clients refetch the user. Stored, so webhooks deliver it.
    #[serde(rename = "relationship.changed")]
    RelationshipChanged(RelationshipChange),
    /// A post mentions the receiver or answers one of theirs.
    #[serde(rename = "post.mentioned")]
    PostMentioned(Box<Post>),
    /// Who speaks for the receiver (a business account) in a conversation changed, or the
    /// side not holding it asked for it. Told to the account only, never to the customer.
    #[serde(rename = "control_changed")]
    ControlChanged(ControlState),
}

/// Who speaks for a business account in one of its conversations (hand-over).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Controller {
    /// Its bots: apps, tokens, the bot builder's flows.
    Bot,
    /// Its people, in the web app.
    Human,
}

impl Controller {
    pub fn as_str(self) -> &'static str {
        match self {
            Controller::Bot => "bot",
            Controller::Human => "human",
        }
    }

    pub fn parse(s: &str) -> Option<Controller> {
        match s {
            "bot" => Some(Controller::Bot),
            "human" => Some(Controller::Human),
            _ => None,
        }
    }

    /// The side that does not hold it.
    #[must_use]
    pub fn other(self) -> Controller {
        match self {
            Controller::Bot => Controller::Human,
            Controller::Human => Controller::Bot,
        }
    }
}

impl std::fmt::Display for Controller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A conversation's control as its account sees it (`GET …/control`, `control_changed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ControlState {
    pub conversation_id: ConversationId,
    pub controller: Controller,
    /// The app a bot took or was passed control for, if one was named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<crate::ObjectId>,
    /// Since when it has held it.
    pub since: chrono::DateTime<chrono::Utc>,
    /// A standing request for control from the side not holding it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<Controller>,
    /// What whoever passed or asked said (≤ 1,000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// While a person holds it: when it returns to the bots if no person speaks before then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returns_to_bot_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RelationshipChange {
    /// The other person: the receiver's relationship with them changed.
    pub user_id: UserId,
    pub action: RelationshipAction,
    /// Who acted.
    pub source_id: UserId,
    /// Whom they acted on.
    pub target_id: UserId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RelationshipAction {
    Follow,
    Unfollow,
    Block,
    Unblock,
    Mute,
    Unmute,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReactionChange {
    pub conversation_id: ConversationId,
    pub message_id: EventId,
    pub user_id: UserId,
    pub emoji: String,
}

/// A stream event rendered once, shared by every receiver: the `type` and the `data` JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventBody {
    pub kind: String,
    pub data: String,
}

impl EventBody {
    pub fn render(event: &StreamEvent) -> Self {
        // Adjacently tagged: {"type": ..., "data": ...}. Serializing our own types to a
        // `Value` cannot fail (no non-string map keys), but fall back rather than panic.
        let value = serde_json::to_value(event).unwrap_or_default();
        let kind = value
            .get("type")
            .and_then(|t| t.as_str())
            .unwrap_or_default()
            .to_owned();
        let data = value
            .get("data")
            .map(|d| d.to_string())
            .unwrap_or_else(|| "{}".to_owned());
        EventBody { kind, data }
    }

    /// The wire frame: `{"type":…,"position":"…","data":…}`, built without re-parsing `data`.
    pub fn frame(&self, position: Option<i64>) -> String {
        let mut out = String::with_capacity(self.data.len() + self.kind.len() + 48);
        out.push_str("{\"type\":\"");
        out.push_str(&self.kind);
        out.push('"');
        if let Some(p) = position {
            out.push_str(",\"position\":\"");
            out.push_str(&p.to_string());
            out.push('"');
        }
        out.push_str(",\"data\":");
        out.push_str(&self.data);
        out.push('}');
        out
    }
}

/// One event addressed to one user. `position` is the user's stream position for stored
/// events (dense: 1, 2, 3 … per user) and `None` for ephemeral ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub user_id: UserId,
    pub position: Option<i64>,
    pub body: Arc<EventBody>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[expect(clippy::indexing_slicing, reason = "Value indexing by key yields Null")]
    fn frames_carry_type_position_and_data() -> Result<(), serde_json::Error> {
        let ev = StreamEvent::Typing {
            conversation_id: ConversationId::one_to_one(UserId(1), UserId(2)),
            user_id: UserId(1),
        };
        let body = EventBody::render(&ev);
        let v: serde_json::Value = serde_json::from_str(&body.frame(Some(7)))?;
        assert_eq!(v["type"], "typing");
        assert_eq!(v["position"], "7");
        assert_eq!(v["data"]["conversation_id"], "1-2");
        let v: serde_json::Value = serde_json::from_str(&body.frame(None))?;
        assert!(v.get("position").is_none());
        Ok(())
    }
}
