//! DM cards (SPEC §4.5): a card on a post (a photo or video, a headline, one to four
//! buttons), each button opening a conversation with the card's owner on its own welcome
//! message. Counts impressions (a person seeing it, once a day), clicks per button and the
//! conversations it started.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::ObjectId;
use crate::media::Media;

pub const CARD_NAME_MAX: usize = 100;
pub const CARD_HEADLINE_MAX: usize = 70;
pub const CARD_BUTTONS_MAX: usize = 4;
pub const CARD_LABEL_MAX: usize = 24;

/// A button as set: its label and the welcome message it greets with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardButton {
    pub label: String,
    pub welcome_message_id: ObjectId,
}

/// A button as shown: with its counting link, which opens the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShownCardButton {
    pub label: String,
    pub welcome_message_id: ObjectId,
    /// Counts the click, then opens the DM deep link.
    pub url: String,
}

/// What a card measured, for its owner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CardStats {
    /// People who saw it, each once a day.
    pub impressions: u64,
    /// People whose first message came from one of its buttons.
    pub conversations: u64,
    /// Clicks on each button, in order.
    pub clicks: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DmCard {
    pub id: ObjectId,
    /// For the owner: people see the headline.
    pub name: String,
    pub headline: String,
    pub media: Option<Media>,
    pub buttons: Vec<ShownCardButton>,
    pub created_at: DateTime<Utc>,
    /// To its owner only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<CardStats>,
}

/// A card button's counting link: `/l/c{card}.{position}`. (Message buttons' links start with
/// a conversation id, a digit.)
pub fn card_link(card: ObjectId, position: usize) -> String {
    format!("/l/c{card}.{position}")
}

/// The card and button a counting link names.
pub fn parse_card_link(link: &str) -> Option<(ObjectId, usize)> {
    let (card, position) = link.strip_prefix('c')?.split_once('.')?;
    if !card.bytes().all(|b| b.is_ascii_digit()) || card.len() > 19 {
        return None;
    }
    Some((ObjectId(card.parse().ok()?), position.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_links_read_back() {
        let link = card_link(ObjectId(42), 3);
        assert_eq!(link, "/l/c42.3");
        assert_eq!(
            parse_card_link(link.trim_start_matches("/l/")),
            Some((ObjectId(42), 3))
        );
        for bad in [
            "c.1",
            "c42",
            "c4x.1",
            "42.1",
            "c42.-1",
            "c99999999999999999999.1",
        ] {
            assert_eq!(parse_card_link(bad), None, "{bad}");
        }
    }
}
