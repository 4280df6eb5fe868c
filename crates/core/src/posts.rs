//! Public posts (SPEC §3.7): the minimum the DM flows need. A post can be answered, mention
//! accounts, carry media, a "Send a private message" button (a DM deep link to its author) or
//! a DM card. No likes, reposts or ranking.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::cards::DmCard;
use crate::entities::Entities;
use crate::ids::{ObjectId, UserId};
use crate::media::Media;

/// A post's text, at most this many characters.
pub const POST_TEXT_MAX: usize = 280;
/// A DM button's pre-filled text, at most (as a message button's).
pub const DM_BUTTON_TEXT_MAX: usize = crate::parts::BUTTON_TEXT_MAX;

/// "Send a private message" under a post, as stored: which welcome message greets, and what
/// the composer is filled in with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DmButton {
    /// One of the author's welcome messages (else the author's default greets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub welcome_message_id: Option<ObjectId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// The button as shown: with the deep link it opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShownDmButton {
    #[serde(flatten)]
    pub button: DmButton,
    /// The DM deep link to the author (`/messages/compose?recipient_id=…`).
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Post {
    pub id: ObjectId,
    pub author_id: UserId,
    pub text: String,
    pub entities: Entities,
    pub created_at: DateTime<Utc>,
    /// The post this answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_to_id: Option<ObjectId>,
    /// The author of the post this answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_reply_to_user_id: Option<UserId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<Media>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dm_button: Option<ShownDmButton>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card_id: Option<ObjectId>,
    /// The DM card, as the viewer sees it (with its stats, to its owner).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<DmCard>,
}

impl DmButton {
    /// The deep link the button opens: a conversation with `author`, greeted as it says.
    pub fn link(&self, author: UserId) -> String {
        let link = crate::parts::Cta::Message {
            label: String::new(),
            recipient_id: author,
            welcome_message_id: self.welcome_message_id,
            text: self.text.clone(),
        }
        .target();
        // So the conversation it starts counts as from a post (business insights).
        format!("{link}&source=post_button")
    }
}
