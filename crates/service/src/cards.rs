//! DM cards (SPEC §4.5): made from one of the owner's shared photos or videos, a headline
//! and one to four buttons on the owner's welcome messages; attached to the owner's posts.
//! A person seeing a post with a card counts one impression a day; a click on a button is
//! counted on its way to the DM deep link; a first message sent from it counts a conversation.

use chrono::{DateTime, Utc};
use postern_core::cards::{
    CARD_BUTTONS_MAX, CARD_HEADLINE_MAX, CARD_LABEL_MAX, CARD_NAME_MAX, CardButton, CardStats,
    DmCard, ShownCardButton, card_link,
};
use postern_core::error::Thing;
use postern_core::parts::Cta;
use postern_core::{Error, Invalid, MediaId, ObjectId, Result, UserId, text};
use postern_store::cold::{ColdRow, Statement, int, text as text_cell};

use crate::Services;
use crate::actor::Actor;
use crate::interactive::ClickTarget;

/// What a client asks for in a new card.
#[derive(Debug, Clone)]
pub struct CardDraft {
    pub name: String,
    pub media_id: MediaId,
    pub headline: String,
    pub buttons: Vec<CardButton>,
}

/// A card as stored.
struct CardRow {
    id: ObjectId,
    owner: UserId,
    name: String,
    media_id: MediaId,
    headline: String,
    buttons: Vec<CardButton>,
    created_at: DateTime<Utc>,
}

const CARD_COLS: &str = "id, owner_id, name, media_id, headline, buttons, created_at";

/// A day, as impressions count them (UTC days since 1970).
const DAY_MS: i64 = 86_400_000;

impl Services {
    /// `POST /dm_cards`.
    pub async fn create_card(&self, actor: &Actor, draft: CardDraft) -> Result<DmCard> {
        let me = actor.account;
        let name = text::single_line("name", &draft.name, CARD_NAME_MAX)?;
        if name.trim().is_empty() {
            return Err(Error::invalid("name", "must not be empty"));
        }
        let headline = text::single_line("headline", &draft.headline, CARD_HEADLINE_MAX)?;
        if headline.trim().is_empty() {
            return Err(Error::invalid("headline", "must not be empty"));
        }
        if draft.buttons.is_empty() || draft.buttons.len() > CARD_BUTTONS_MAX {
            return Err(Error::invalid(
                "buttons",
                format!(
                    "must be 1 to {CARD_BUTTONS_MAX} buttons, got {}",
                    draft.buttons.len()
                ),
            ));
        }
        let mut buttons = Vec::with_capacity(draft.buttons.len());
        for (i, b) in draft.buttons.into_iter().enumerate() {
            let label =
                text::single_line(&format!("buttons[{i}].label"), &b.label, CARD_LABEL_MAX)?;
            if label.trim().is_empty() {
                return Err(Error::invalid(
                    format!("buttons[{i}].label"),
                    "must not be empty",
                ));
            }
            if self.welcome(me, b.welcome_message_id).await.is_err() {
                return Err(Error::Unknown(Invalid {
                    field: format!("buttons[{i}].welcome_message_id"),
                    message: "is not one of your welcome messages".into(),
                }));
            }
            buttons.push(CardButton {
                label,
                welcome_message_id: b.welcome_message_id,
            });
        }
        self.shared_upload(me, draft.media_id, "media_id").await?;
        let id = ObjectId(self.ids.next_id());
        self.store
            .cold()
            .run(vec![
                Statement::new(
                    "INSERT INTO dm_cards (id, owner_id, name, media_id, headline, buttons, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    vec![
                        int(id.0),
                        int(me.0),
                        text_cell(name),
                        int(draft.media_id.0),
                        text_cell(headline),
                        text_cell(serde_json::to_string(&buttons).map_err(Error::internal)?),
                        int(Utc::now().timestamp_millis()),
                    ],
                ),
                // Shown for as long as the card lives.
                Statement::new(
                    "UPDATE media SET expires_at = NULL WHERE id = ?1",
                    vec![int(draft.media_id.0)],
                ),
            ])
            .await?;
        self.own_card(me, id).await
    }

    /// `GET /dm_cards`: the account's cards, with what each measured.
    pub async fn cards(&self, me: UserId) -> Result<Vec<DmCard>> {
        let rows = self
            .store
            .cold()
            .select(Statement::owned(
                format!(
                    "SELECT {CARD_COLS} FROM dm_cards WHERE owner_id = ?1 AND deleted_at IS NULL ORDER BY id"
                ),
                vec![int(me.0)],
            ))
            .await?;
        let mut cards = Vec::with_capacity(rows.len());
        for row in &rows {
            let card = card_row(row)?;
            let stats = self.card_stats(&card).await?;
            cards.push(self.shown_card(card, Some(stats)).await?);
        }
        Ok(cards)
    }

    /// `GET /dm_cards/{id}`: one of the account's cards, with its stats; anyone else's is
    /// not found (people see cards on posts).
    pub async fn own_card(&self, me: UserId, id: ObjectId) -> Result<DmCard> {
        let card = self
            .live_card(id)
            .await?
            .filter(|c| c.owner == me)
            .ok_or(Error::NotFound(Thing::Card))?;
        let stats = self.card_stats(&card).await?;
        self.shown_card(card, Some(stats)).await
    }

    /// `DELETE /dm_cards/{id}`: posts that carry it show no card from then on.
    pub async fn delete_card(&self, actor: &Actor, id: ObjectId) -> Result<()> {
        let done = self
            .store
            .cold()
            .run(vec![Statement::new(
                "UPDATE dm_cards SET deleted_at = ?3
                 WHERE id = ?1 AND owner_id = ?2 AND deleted_at IS NULL RETURNING id",
                vec![
                    int(id.0),
                    int(actor.account.0),
                    int(Utc::now().timestamp_millis()),
                ],
            )])
            .await?;
        if done.first().is_none_or(Vec::is_empty) {
            return Err(Error::NotFound(Thing::Card));
        }
        Ok(())
    }

    /// A post may carry one of its author's live cards.
    pub(crate) async fn check_post_card(&self, me: UserId, id: ObjectId) -> Result<()> {
        match self.live_card(id).await? {
            Some(card) if card.owner == me => Ok(()),
            _ => Err(Error::Unknown(Invalid {
                field: "card_id".into(),
                message: "is not one of your DM cards".into(),
            })),
        }
    }

    /// The card on a post, as `viewer` sees it, counting `viewer`'s impression for the day
    /// (never the owner's own). A deleted card shows nothing.
    pub(crate) async fn card_on_post(
        &self,
        viewer: UserId,
        id: ObjectId,
    ) -> Result<Option<DmCard>> {
        let Some(card) = self.live_card(id).await? else {
            return Ok(None);
        };
        if card.owner != viewer {
            let day = Utc::now().timestamp_millis().div_euclid(DAY_MS);
            self.store
                .cold()
                .run(vec![Statement::new(
                    "INSERT INTO card_impressions (card_id, viewer_id, day) VALUES (?1, ?2, ?3)
                     ON CONFLICT (card_id, viewer_id, day) DO NOTHING",
                    vec![int(card.id.0), int(viewer.0), int(day)],
                )])
                .await?;
        }
        let stats = if card.owner == viewer {
            Some(self.card_stats(&card).await?)
        } else {
            None
        };
        self.shown_card(card, stats).await.map(Some)
    }

    /// `GET /l/c{card}.{position}`: counts a click on a card's button and opens the
    /// conversation with its owner, on the button's welcome message, from the card.
    pub(crate) async fn card_click(&self, id: ObjectId, position: usize) -> Result<ClickTarget> {
        let card = self
            .live_card(id)
            .await?
            .ok_or(Error::NotFound(Thing::Link))?;
        let button = card
            .buttons
            .get(position)
            .ok_or(Error::NotFound(Thing::Link))?;
        self.store
            .cold()
            .run(vec![Statement::new(
                "INSERT INTO card_clicks (card_id, position, clicks) VALUES (?1, ?2, 1)
                 ON CONFLICT (card_id, position) DO UPDATE SET clicks = card_clicks.clicks + 1",
                vec![int(id.0), int(i64::try_from(position).unwrap_or(i64::MAX))],
            )])
            .await?;
        let link = Cta::Message {
            label: String::new(),
            recipient_id: card.owner,
            welcome_message_id: Some(button.welcome_message_id),
            text: None,
        }
        .target();
        Ok(ClickTarget::Local(format!("{link}&card_id={id}")))
    }

    /// A send started from card `id` of `partner`'s (its `initiated_via.card_id`): the card
    /// must be theirs and live.
    pub(crate) async fn check_initiating_card(&self, partner: UserId, id: ObjectId) -> Result<()> {
        match self.live_card(id).await? {
            Some(card) if card.owner == partner => Ok(()),
            _ => Err(Error::Unknown(Invalid {
                field: "initiated_via.card_id".into(),
                message: "is not a DM card of this account".into(),
            })),
        }
    }

    /// After `person`'s message from card `id` is stored: one conversation started, counted
    /// once per person.
    pub(crate) async fn count_card_conversation(
        &self,
        id: ObjectId,
        person: UserId,
        welcome: Option<ObjectId>,
    ) -> Result<()> {
        let position = match (self.live_card(id).await?, welcome) {
            (Some(card), Some(w)) => card
                .buttons
                .iter()
                .position(|b| b.welcome_message_id == w)
                .unwrap_or(0),
            _ => 0,
        };
        self.store
            .cold()
            .run(vec![Statement::new(
                "INSERT INTO card_conversations (card_id, person_id, position, started_at)
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (card_id, person_id) DO NOTHING",
                vec![
                    int(id.0),
                    int(person.0),
                    int(i64::try_from(position).unwrap_or(0)),
                    int(Utc::now().timestamp_millis()),
                ],
            )])
            .await?;
        Ok(())
    }

    async fn live_card(&self, id: ObjectId) -> Result<Option<CardRow>> {
        let rows = self
            .store
            .cold()
            .select(Statement::owned(
                format!("SELECT {CARD_COLS} FROM dm_cards WHERE id = ?1 AND deleted_at IS NULL"),
                vec![int(id.0)],
            ))
            .await?;
        rows.first().map(card_row).transpose()
    }

    async fn card_stats(&self, card: &CardRow) -> Result<CardStats> {
        let counts = self
            .store
            .cold()
            .run(vec![
                Statement::new(
                    "SELECT count(*) FROM card_impressions WHERE card_id = ?1",
                    vec![int(card.id.0)],
                ),
                Statement::new(
                    "SELECT count(*) FROM card_conversations WHERE card_id = ?1",
                    vec![int(card.id.0)],
                ),
                Statement::new(
                    "SELECT position, clicks FROM card_clicks WHERE card_id = ?1",
                    vec![int(card.id.0)],
                ),
            ])
            .await?;
        let count = |i: usize| -> Result<u64> {
            let n = counts
                .get(i)
                .and_then(|rows| rows.first())
                .map(|r| r.int(0))
                .transpose()?
                .unwrap_or(0);
            Ok(u64::try_from(n).unwrap_or(0))
        };
        let mut clicks = vec![0; card.buttons.len()];
        for row in counts.get(2).into_iter().flatten() {
            let position = usize::try_from(row.int(0)?).unwrap_or(usize::MAX);
            if let Some(n) = clicks.get_mut(position) {
                *n = u64::try_from(row.int(1)?).unwrap_or(0);
            }
        }
        Ok(CardStats {
            impressions: count(0)?,
            conversations: count(1)?,
            clicks,
        })
    }

    async fn shown_card(&self, card: CardRow, stats: Option<CardStats>) -> Result<DmCard> {
        let media = self
            .store
            .media(card.media_id)
            .await?
            .and_then(|r| r.media());
        Ok(DmCard {
            id: card.id,
            name: card.name,
            headline: card.headline,
            media,
            buttons: card
                .buttons
                .into_iter()
                .enumerate()
                .map(|(i, b)| ShownCardButton {
                    url: card_link(card.id, i),
                    label: b.label,
                    welcome_message_id: b.welcome_message_id,
                })
                .collect(),
            created_at: card.created_at,
            stats,
        })
    }
}

fn card_row(r: &ColdRow) -> Result<CardRow> {
    Ok(CardRow {
        id: ObjectId(r.int(0)?),
        owner: UserId(r.int(1)?),
        name: r.text(2)?,
        media_id: MediaId(r.int(3)?),
        headline: r.text(4)?,
        buttons: serde_json::from_str(&r.text(5)?).map_err(Error::internal)?,
        created_at: DateTime::from_timestamp_millis(r.int(6)?).unwrap_or_default(),
    })
}
