//! A message's interactive parts (SPEC §4.2, §4.3): checking what a send carries, the
//! quick-reply prompt a conversation has open and answering it, and buttons' counting links
//! and click counts.

use chrono::Utc;
use postern_core::error::Thing;
use postern_core::feedback::SurveyPart;
use postern_core::ids::UserId;
use postern_core::model::{ConversationEvent, Message};
use postern_core::parts::{
    BUTTONS_MAX, Cta, InitiatedVia, Parts, QuickReply, QuickReplyResponse, StoredCta, is_web_url,
    parse_button_link,
};
use postern_core::welcome::WelcomeMessage;
use postern_core::{ConversationId, Error, EventId, Invalid, Result};
use postern_store::cold::{Cell, Statement, int, text};
use rand::RngCore;

use crate::Services;
use crate::actor::{Actor, Agent};

/// What a send asks for besides its text and media.
#[derive(Debug, Clone, Default)]
pub struct Interactive {
    pub quick_reply: Option<QuickReply>,
    pub quick_reply_response: Option<QuickReplyResponse>,
    pub ctas: Vec<Cta>,
    pub initiated_via: Option<InitiatedVia>,
    /// A feedback survey the message carries (made by `Services::send_feedback_request`).
    pub survey: Option<SurveyPart>,
}

impl Interactive {
    /// Whether the send answers a prompt, which only one send may do.
    pub(crate) fn claims_a_prompt(&self) -> bool {
        self.quick_reply_response.is_some()
    }
}

/// A send's interactive parts, checked.
pub(crate) struct Checked {
    /// As they will be stored, each button with its secret.
    pub parts: Parts,
    /// The welcome message the send was started from, to record just before it.
    pub welcome: Option<Box<WelcomeMessage>>,
    /// The label of the option a quick-reply response answers: the message's text when it
    /// has none of its own.
    pub answer_label: Option<String>,
}

/// An answerable prompt: the message that asked, and who sent it.
struct OpenPrompt {
    event: EventId,
    sender: UserId,
}

/// Where a click goes, once counted.
pub enum ClickTarget {
    /// A path on this server (a follow intent, a DM deep link).
    Local(String),
    /// A web page, re-checked as http or https.
    Web(String),
}

impl Services {
    /// Checks the interactive parts of a send by `actor` (and the custom profile it speaks
    /// as, which must be the account's) in conversation `id` (one-to-one with
    /// `partner`, or a group). A quick-reply response is checked against the open prompt, or
    /// the welcome message the send was started from, here, and claimed by the caller just
    /// before the message is stored.
    pub(crate) async fn check_parts(
        &self,
        actor: &Actor,
        id: &ConversationId,
        partner: Option<UserId>,
        asked: Interactive,
    ) -> Result<Checked> {
        let me = actor.account;
        // The request is well formed; the conversation is the wrong kind.
        let one_to_one_only = |field: &str| {
            Error::State(Invalid {
                field: field.into(),
                message: "is for one-to-one conversations only".into(),
            })
        };
        let quick_reply = match asked.quick_reply {
            Some(_) if partner.is_none() => return Err(one_to_one_only("quick_reply")),
            Some(q) => Some(q.checked("quick_reply")?),
            None => None,
        };
        if asked.ctas.len() > BUTTONS_MAX {
            return Err(Error::invalid(
                "ctas",
                format!("at most {BUTTONS_MAX} buttons, got {}", asked.ctas.len()),
            ));
        }
        let mut ctas = Vec::with_capacity(asked.ctas.len());
        for (i, cta) in asked.ctas.into_iter().enumerate() {
            let cta = cta.checked("ctas", i)?;
            self.check_button_target(&cta, &format!("ctas[{i}]"))
                .await?;
            ctas.push(cta);
        }
        let initiated_via = asked
            .initiated_via
            .filter(|via| *via != InitiatedVia::default());
        if let Some(card) = initiated_via.as_ref().and_then(|via| via.card_id) {
            let Some(partner) = partner else {
                return Err(one_to_one_only("initiated_via"));
            };
            self.check_initiating_card(partner, card).await?;
        }
        if let Some(post) = initiated_via.as_ref().and_then(|via| via.post_id) {
            let Some(partner) = partner else {
                return Err(one_to_one_only("initiated_via"));
            };
            self.switchable_post(me, partner, post).await?;
        }
        let chosen = initiated_via
            .as_ref()
            .and_then(|via| via.welcome_message_id);
        let welcome = match (chosen, partner) {
            (None, _) => None,
            (Some(_), None) => return Err(one_to_one_only("initiated_via")),
            (Some(chosen), Some(account)) => Some(Box::new(
                self.welcome(account, chosen).await.map_err(|_| {
                    Error::Unknown(Invalid {
                        field: "initiated_via.welcome_message_id".into(),
                        message: "is not a welcome message of this account".into(),
                    })
                })?,
            )),
        };
        let answer_label = match &asked.quick_reply_response {
            Some(r) if r.kind != "options" => {
                return Err(Error::invalid(
                    "quick_reply_response.type",
                    "must be options",
                ));
            }
            // The welcome message's prompt opens when it is recorded, just before this.
            Some(r) => Some(match &welcome {
                Some(w) => welcome_option(w, &r.metadata)?,
                None => self.answerable(me, id, &r.metadata).await?.1,
            }),
            None => None,
        };
        Ok(Checked {
            parts: Parts {
                quick_reply,
                quick_reply_response: asked.quick_reply_response,
                ctas: with_secrets(ctas),
                initiated_via,
                custom_profile: match actor.profile {
                    Some(profile) => Some(self.own_profile_stamp(me, profile).await?),
                    None => None,
                },
                feedback_request: asked.survey,
                // A flow's answers are the account's bot, not a person replying.
                automatic: matches!(actor.agent, Agent::Flow(_)),
                source_app: match actor.agent {
                    Agent::App(app) => Some(app),
                    Agent::Session | Agent::Token | Agent::Flow(_) => None,
                },
            },
            welcome,
            answer_label,
        })
    }

    /// A `follow` or `message` button must name someone who exists.
    /// `at` names the button (`ctas[0]`, `away_message.ctas[1]`).
    pub(crate) async fn check_button_target(&self, cta: &Cta, at: &str) -> Result<()> {
        let unknown = |field: &str| {
            Error::Unknown(Invalid {
                field: format!("{at}.{field}"),
                message: "names no account".into(),
            })
        };
        match cta {
            Cta::Follow { screen_name, .. } => {
                if self.store.user_by_screen_name(screen_name).await?.is_none() {
                    return Err(unknown("screen_name"));
                }
            }
            Cta::Message {
                recipient_id,
                welcome_message_id,
                ..
            } => {
                if self.store.user(*recipient_id).await?.is_none() {
                    return Err(unknown("recipient_id"));
                }
                if let Some(w) = welcome_message_id
                    && self.welcome(*recipient_id, *w).await.is_err()
                {
                    return Err(Error::Unknown(Invalid {
                        field: format!("{at}.welcome_message_id"),
                        message: "is not a welcome message of that account".into(),
                    }));
                }
            }
            Cta::Url { .. } | Cta::Post { .. } => {}
        }
        Ok(())
    }

    /// The message `me` already sent with idempotency key `key`, while the key is fresh.
    pub(crate) async fn earlier_send(&self, me: UserId, key: &str) -> Result<Option<Message>> {
        let since = Utc::now() - chrono::Duration::hours(self.config.limits.idempotency_hours);
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT e.conversation_id, e.id FROM idempotency i JOIN events e ON e.id = i.event_id
                 WHERE i.sender_id = ?1 AND i.client_key = ?2 AND i.created_at >= ?3",
                vec![int(me.0), text(key), int(since.timestamp_millis())],
            ))
            .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let id = ConversationId::from_stored(row.text(0)?);
        match self.store.event(&id, EventId(row.int(1)?)).await? {
            Some(ConversationEvent::Message(m)) => Ok(Some(m)),
            _ => Ok(None),
        }
    }

    /// The prompt `me` may answer in `id` with `metadata`, and that option's label: the
    /// conversation's open prompt, from someone else, not closed by its sender writing again,
    /// with that option.
    async fn answerable(
        &self,
        me: UserId,
        id: &ConversationId,
        metadata: &str,
    ) -> Result<(Message, String)> {
        let not_open = |why: &str| {
            Error::QuickReplyNotOpen(Invalid {
                field: "quick_reply_response.metadata".into(),
                message: why.to_owned(),
            })
        };
        let Some(open) = self.open_prompt(id).await? else {
            return Err(not_open("answers no open quick reply in this conversation"));
        };
        if open.sender == me {
            return Err(not_open("answers your own quick reply"));
        }
        let prompt = match self.store.event(id, open.event).await? {
            Some(ConversationEvent::Message(m)) if !m.deleted => m,
            _ => return Err(not_open("answers no open quick reply in this conversation")),
        };
        let label = prompt
            .parts
            .quick_reply
            .as_ref()
            .and_then(|q| q.option(metadata))
            .map(|o| o.label.clone());
        match label {
            Some(label) => Ok((prompt, label)),
            None => Err(not_open("matches none of the open quick reply's options")),
        }
    }

    /// The conversation's latest prompt, unless its sender has written since (which closes
    /// it: seen here, so plain sends never touch prompts).
    async fn open_prompt(&self, id: &ConversationId) -> Result<Option<OpenPrompt>> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT p.event_id, p.sender_id FROM open_prompts p
                 WHERE p.conversation_id = ?1 AND NOT EXISTS (
                    SELECT 1 FROM events e WHERE e.conversation_id = p.conversation_id
                      AND e.sender_id = p.sender_id AND e.id > p.event_id AND e.kind = 0)",
                vec![text(id.as_str())],
            ))
            .await?;
        rows.first()
            .map(|r| {
                Ok(OpenPrompt {
                    event: EventId(r.int(0)?),
                    sender: UserId(r.int(1)?),
                })
            })
            .transpose()
    }

    /// Claims the open prompt for an answer: exactly one answer closes it. Called with the
    /// response's send, just before it is stored.
    pub(crate) async fn claim_prompt(
        &self,
        me: UserId,
        id: &ConversationId,
        metadata: &str,
    ) -> Result<()> {
        let (prompt, _) = self.answerable(me, id, metadata).await?;
        let claimed = self
            .store
            .cold()
            .run(vec![Statement::new(
                "DELETE FROM open_prompts WHERE conversation_id = ?1 AND event_id = ?2 RETURNING event_id",
                vec![text(id.as_str()), int(prompt.id.0)],
            )])
            .await?;
        if claimed.first().is_none_or(Vec::is_empty) {
            return Err(Error::QuickReplyNotOpen(Invalid {
                field: "quick_reply_response.metadata".into(),
                message: "answers a quick reply that was just answered".into(),
            }));
        }
        Ok(())
    }

    /// After a message with a prompt is stored: it is the conversation's open prompt now.
    pub(crate) async fn open_new_prompt(&self, message: &Message) -> Result<()> {
        self.store
            .cold()
            .run(vec![Statement::new(
                "INSERT INTO open_prompts (conversation_id, event_id, sender_id) VALUES (?1, ?2, ?3)
                 ON CONFLICT (conversation_id) DO UPDATE
                    SET event_id = excluded.event_id, sender_id = excluded.sender_id",
                vec![
                    text(message.conversation_id.as_str()),
                    int(message.id.0),
                    int(message.sender_id.0),
                ],
            )])
            .await?;
        Ok(())
    }

    /// Marks which prompts among `events` are open, and gives `viewer` the click counts of
    /// the buttons on their own messages.
    pub(crate) async fn show_parts(
        &self,
        viewer: UserId,
        id: &ConversationId,
        events: &mut [ConversationEvent],
    ) -> Result<()> {
        self.show_surveys(events).await?;
        if messages(events).any(|m| m.parts.quick_reply.is_some()) {
            let open = self.open_prompt(id).await?.map(|p| p.event);
            for m in messages(events) {
                if let Some(q) = &mut m.parts.quick_reply {
                    q.open = Some(m.id) == open;
                }
            }
        }
        let own: Vec<i64> = messages(events)
            .filter(|m| m.sender_id == viewer && !m.parts.ctas.is_empty())
            .map(|m| m.id.0)
            .collect();
        if own.is_empty() {
            return Ok(());
        }
        let clicks = self.clicks(id, &own).await?;
        for m in messages(events).filter(|m| m.sender_id == viewer) {
            for (i, b) in m.parts.ctas.iter_mut().enumerate() {
                b.clicks = Some(clicks.get(&(m.id.0, i)).copied().unwrap_or(0));
            }
        }
        Ok(())
    }

    async fn clicks(
        &self,
        id: &ConversationId,
        events: &[i64],
    ) -> Result<std::collections::HashMap<(i64, usize), u64>> {
        let placeholders: Vec<String> = (0..events.len()).map(|i| format!("?{}", i + 2)).collect();
        let sql = format!(
            "SELECT event_id, position, clicks FROM button_clicks
             WHERE conversation_id = ?1 AND event_id IN ({})",
            placeholders.join(", ")
        );
        let mut params: Vec<Cell> = vec![text(id.as_str())];
        params.extend(events.iter().map(|e| int(*e)));
        let rows = self
            .store
            .cold()
            .select(Statement::owned(sql, params))
            .await?;
        rows.iter()
            .map(|r| {
                let position = usize::try_from(r.int(1)?).unwrap_or(usize::MAX);
                let clicks = u64::try_from(r.int(2)?).unwrap_or(0);
                Ok(((r.int(0)?, position), clicks))
            })
            .collect()
    }

    /// `GET /l/{link}`: counts a click on a button and says where it goes. A link that is
    /// not one of a message's buttons (or whose message was deleted) is not found.
    pub async fn click(&self, link: &str) -> Result<ClickTarget> {
        if let Some((card, position)) = postern_core::cards::parse_card_link(link) {
            return self.card_click(card, position).await;
        }
        let (id, message, position, token) =
            parse_button_link(link).ok_or(Error::NotFound(Thing::Link))?;
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT parts, sender_id FROM events WHERE conversation_id = ?1 AND id = ?2 AND NOT deleted",
                vec![text(id.as_str()), int(message.0)],
            ))
            .await?;
        let row = rows.first().ok_or(Error::NotFound(Thing::Link))?;
        let owner = UserId(row.int(1)?);
        let parts: Parts = row
            .opt_text(0)
            .ok()
            .flatten()
            .and_then(|j| serde_json::from_str(&j).ok())
            .ok_or(Error::NotFound(Thing::Link))?;
        let button = parts
            .ctas
            .get(position)
            .filter(|b| b.token == token)
            .ok_or(Error::NotFound(Thing::Link))?;
        let target = match &button.cta {
            // Re-checked on the way out, whatever was stored.
            Cta::Url { url, .. } if is_web_url(url) => ClickTarget::Web(url.clone()),
            Cta::Url { .. } => return Err(Error::NotFound(Thing::Link)),
            other => ClickTarget::Local(other.target()),
        };
        let mut counts = vec![Statement::new(
            "INSERT INTO button_clicks (conversation_id, event_id, position, clicks)
                     VALUES (?1, ?2, ?3, 1)
                     ON CONFLICT (conversation_id, event_id, position)
                        DO UPDATE SET clicks = button_clicks.clicks + 1",
            vec![
                text(id.as_str()),
                int(message.0),
                int(i64::try_from(position).unwrap_or(i64::MAX)),
            ],
        )];
        // Insights count one-to-one conversations' buttons.
        if !id.is_group() {
            counts.push(postern_store::tally::click(
                owner,
                Utc::now().timestamp_millis(),
            ));
        }
        self.store.cold().run(counts).await?;
        Ok(target)
    }
}

/// The label of the option `metadata` names among a welcome message's quick replies.
fn welcome_option(welcome: &WelcomeMessage, metadata: &str) -> Result<String> {
    welcome
        .message_data
        .quick_reply
        .as_ref()
        .and_then(|q| q.option(metadata))
        .map(|o| o.label.clone())
        .ok_or_else(|| {
            Error::QuickReplyNotOpen(Invalid {
                field: "quick_reply_response.metadata".into(),
                message: "matches none of the welcome message's quick reply options".into(),
            })
        })
}

/// Buttons as stored: each with the secret its counting link carries.
pub(crate) fn with_secrets(ctas: Vec<Cta>) -> Vec<StoredCta> {
    ctas.into_iter()
        .map(|cta| StoredCta {
            cta,
            token: secret(),
        })
        .collect()
}

/// The messages among `events` (history also holds joins and leaves).
pub(crate) fn messages(events: &mut [ConversationEvent]) -> impl Iterator<Item = &mut Message> {
    events.iter_mut().filter_map(|e| match e {
        ConversationEvent::Message(m) => Some(m),
        _ => None,
    })
}

/// A button's secret: 128 random bits as hex.
fn secret() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
