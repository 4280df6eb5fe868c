//! Welcome messages (SPEC §4.1): named messages a business greets people with when they open a
//! conversation with it, one of them its default.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{MediaId, ObjectId};
use crate::parts::{Cta, QuickReply};

/// A welcome message's name, at most this many characters.
pub const WELCOME_NAME_MAX: usize = 100;
/// Its text, at most (ten fewer than a message's, as Twitter has it).
pub const WELCOME_TEXT_MAX: usize = 9_990;
/// Welcome messages an account may have, at most.
pub const WELCOMES_MAX: usize = 200;
/// A conversation quiet this long shows the welcome message again.
pub const WELCOME_AGAIN_AFTER_DAYS: i64 = 7;

/// What a welcome message says: text (or a shared media item), quick replies, buttons.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageData {
    #[serde(default)]
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick_reply: Option<QuickReply>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ctas: Vec<Cta>,
    /// A media item uploaded with `shared=true`, so it can greet many people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<MediaId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WelcomeMessage {
    pub id: ObjectId,
    pub name: String,
    pub message_data: MessageData,
    /// Whether this is the account's default welcome message.
    pub default: bool,
    pub created_at: DateTime<Utc>,
}
