//! Business insights (issue 16, item 6): what an account's DMs did over a period.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
