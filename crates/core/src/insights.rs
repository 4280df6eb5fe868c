//! Business insights (issue 16, item 6): what an account's DMs did over a period.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::parts::Parts;
use crate::{ConversationId, UserId};

/// Where a conversation a person started came from, as their first message says
/// (`initiated_via`): a DM card's button, a post's "Send a private message" button, a DM link
/// (one that says so: the link builder's do), a welcome message that greeted them, or none of
/// these (they wrote directly). Conversations the account started from a post are
/// `switch_to_dm`.
pub const SOURCES: [&str; 6] = [
    "direct",
    "deep_link",
    "welcome_message",
    "post_button",
    "card",
    "switch_to_dm",
];

/// How a client says the conversation was opened, where `initiated_via`'s ids do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntrySource {
    /// A DM link (`/messages/compose?…&source=deep_link`).
    DeepLink,
    /// A post's "Send a private message" button.
    PostButton,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Insights {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub conversations_started: Started,
    pub messages: MessageCounts,
    pub first_response: FirstResponse,
    pub buttons: ButtonCounts,
    pub cards: CardCounts,
    /// CSAT % and NPS over the period's surveys (null without answers).
    pub csat: Option<f64>,
    pub nps: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Started {
    pub total: u64,
    /// Per source (every source named, zero included).
    pub by_source: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MessageCounts {
    /// From people to the account.
    pub received: u64,
    /// From the account (automatic away messages not counted).
    pub sent: u64,
}

/// How long people waited for the account's first answer (not an automatic one) in the
/// conversations they started.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FirstResponse {
    pub answered: u64,
    pub unanswered: u64,
    pub median_seconds: Option<f64>,
    pub p90_seconds: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ButtonCounts {
    /// Buttons on the account's messages sent in the period.
    pub buttons: u64,
    /// Their clicks.
    pub clicks: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CardCounts {
    pub impressions: u64,
    pub clicks: u64,
    pub conversations: u64,
    /// Clicks per impression, in percent (null without impressions).
    pub click_through: Option<f64>,
}

/// Insights count messages by the hour: a period's counts add up its hours.
pub const HOUR_MS: i64 = 3_600_000;

/// What one message in a one-to-one conversation adds to its two members' insights, worked
/// out here once. Each store records it in the send's own transaction (tables `dm_hours`
/// and `dm_starts`), so a period's insights read its hours and its conversations' starts
/// instead of every message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub sender: UserId,
    pub recipient: UserId,
    /// Written by someone, not sent automatically (an away or welcome message): counts as
    /// sent, may start the conversation, and may answer it.
    pub by_hand: bool,
    /// Buttons on the message.
    pub buttons: i64,
    /// Where the conversation came from, if this message starts it (one of [`SOURCES`]
    /// but `switch_to_dm`).
    pub source: &'static str,
    /// The message moves a public post to DMs: a conversation it starts is the sender's
    /// `switch_to_dm`.
    pub from_post: bool,
}

impl Tally {
    /// The tally of `sender`'s message with `parts` in `conversation`; `None` in a group (or
    /// a conversation with oneself), which insights do not count.
    pub fn of(conversation: &ConversationId, sender: UserId, parts: &Parts) -> Option<Tally> {
        let recipient = conversation.partner_of(sender)?;
        if recipient == sender {
            return None;
        }
        Some(Tally {
            sender,
            recipient,
            by_hand: !parts.automatic,
            buttons: i64::try_from(parts.ctas.len()).unwrap_or(i64::MAX),
            source: source(parts),
            from_post: parts
                .initiated_via
                .as_ref()
                .is_some_and(|v| v.post_id.is_some()),
        })
    }
}

/// Where a message that starts a conversation says it came from.
fn source(parts: &Parts) -> &'static str {
    let Some(via) = &parts.initiated_via else {
        return "direct";
    };
    if via.card_id.is_some() {
        return "card";
    }
    match via.source {
        Some(EntrySource::PostButton) => "post_button",
        Some(EntrySource::DeepLink) => "deep_link",
        None if via.welcome_message_id.is_some() => "welcome_message",
        None => "direct",
    }
}
