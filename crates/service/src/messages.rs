//! Messages (SPEC §3.5): sending with admission, limits and idempotency; history; edits,
//! deletes, reactions; read receipts and typing; search.

use postern_core::error::Thing;
use std::sync::Arc;

use chrono::Utc;
use postern_core::entities::{self, Entities};
use postern_core::model::{ConversationEvent, Message};
use postern_core::stream::{Delivery, EventBody, ReactionChange, StreamEvent};
use postern_core::{
    ConversationId, Error, EventId, Invalid, MediaId, Result, UserId, limits, text,
};
use postern_store::{Fanout, HistoryDirection, HistoryQuery, NewMessage, OneToOneSetup, Page};

use crate::Services;
use crate::actor::{Actor, Agent};
use crate::interactive::Interactive;

/// What a client asks to send.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub text: String,
    pub reply_to_id: Option<EventId>,
    /// An upload of the sender's to attach (SPEC §3.6); the text may then be empty.
    pub media_id: Option<MediaId>,
    /// `Idempotency-Key` or `client_message_id`: a retry with the same key returns the
    /// original message for 24 hours.
    pub client_key: Option<String>,
    /// Quick replies, a response to one, buttons, what started the conversation.
    pub interactive: Interactive,
}

/// Who a send reaches: the other person of a one-to-one conversation (admission applies),
/// or a group's active members.
enum Audience {
    OneToOne(UserId),
    Group(Vec<UserId>),
}

/// A change to the caller's reaction on a message.
#[derive(Debug, Clone)]
pub enum ReactionEdit {
    Set(String),
    Remove(String),
}

/// The outcome of a send: `created` is false when an idempotency key matched.
pub struct Sent {
    pub message: Message,
    pub created: bool,
}

/// A page of history and the cursor that continues it in the same direction.
pub struct History {
    pub events: Vec<ConversationEvent>,
    pub next_cursor: Option<String>,
}

/// The longest client message id (or `Idempotency-Key`) a send takes.
pub const CLIENT_KEY_MAX: usize = 128;

/// An idempotency key's rule; `field` names where the client put it (the body's
/// `client_message_id`, or a surface's header).
pub fn check_client_key(field: &str, key: &str) -> Result<()> {
    if key.is_empty() || key.len() > CLIENT_KEY_MAX || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::invalid(
            field,
            format!("must be 1 to {CLIENT_KEY_MAX} printable ASCII characters"),
        ));
    }
    Ok(())
}

impl Services {
    /// Normalizes text and extracts entities, resolving mentions to accounts here.
    /// Text may be empty only when `attachment` says the message carries something else.
    pub(crate) async fn compose(&self, raw: &str, attachment: bool) -> Result<(String, Entities)> {
        let text = text::message_text("text", raw, self.config.limits.dm_text)?;
        if text.trim().is_empty() && !attachment {
            return Err(Error::invalid(
                "text",
                "must not be empty unless the message has media",
            ));
        }
        let entities = self.entities_of(&text).await?;
        Ok((text, entities))
    }

    /// The entities of `text`, its mentions resolved to accounts here (messages and posts).
    pub(crate) async fn entities_of(&self, text: &str) -> Result<Entities> {
        let mut entities = entities::extract(text);
        for mention in &mut entities.mentions {
            mention.user_id = self
                .store
                .user_by_screen_name(&mention.screen_name)
                .await?
                .map(|u| u.id);
        }
        Ok(entities)
    }

    /// `POST /messages/with/{user_id}`: the one-to-one conversation is created on first contact.
    pub async fn send_to_user(
        &self,
        actor: &Actor,
        recipient: UserId,
        draft: Draft,
    ) -> Result<Sent> {
        let me = actor.account;
        if me == recipient {
            return Err(Error::own_account("recipient_id"));
        }
        let id = ConversationId::one_to_one(me, recipient);
        self.send(actor, id, Audience::OneToOne(recipient), draft)
            .await
    }

    /// `POST /conversations/{id}/messages`.
    pub async fn send_to_conversation(
        &self,
        actor: &Actor,
        id: &ConversationId,
        draft: Draft,
    ) -> Result<Sent> {
        let me = actor.account;
        let audience = match (id.partner_of(me), id.is_group()) {
            (Some(other), _) => Audience::OneToOne(other),
            (None, false) => return Err(Error::NotFound(Thing::Conversation)),
            (None, true) => Audience::Group(self.audience_as_member(me, id).await?),
        };
        self.send(actor, id.clone(), audience, draft).await
    }

    async fn send(
        &self,
        actor: &Actor,
        id: ConversationId,
        audience: Audience,
        draft: Draft,
    ) -> Result<Sent> {
        let me = actor.account;
        if let Some(key) = &draft.client_key {
            check_client_key("client_message_id", key)?;
            // A retried answer finds its prompt claimed by its first try: answered here, as
            // the first try was, before anything is checked against the prompt.
            if draft.interactive.claims_a_prompt()
                && let Some(first) = self.earlier_send(me, key).await?
            {
                return self.sent(me, first, false).await;
            }
        }
        let partner = match audience {
            Audience::OneToOne(other) => Some(other),
            Audience::Group(_) => None,
        };
        let response = draft.interactive.quick_reply_response.clone();
        let checked = self
            .check_parts(actor, &id, partner, draft.interactive)
            .await?;
        // An answer sent without words says the option's label.
        let written = match checked.answer_label {
            Some(label) if draft.text.trim().is_empty() && draft.media_id.is_none() => label,
            _ => draft.text,
        };
        let (text, entities) = self.compose(&written, draft.media_id.is_some()).await?;
        let mut to_support = None;
        let mut from_support = false;
        let (setup, notify, first_contact_limited) = match audience {
            Audience::OneToOne(recipient) => {
                let admission = self.admit(me, recipient).await?;
                if admission.inputs.recipient_support {
                    to_support = Some(recipient);
                }
                // A support account's bots do not talk over the person handling this.
                from_support = admission.inputs.sender_support;
                if from_support {
                    self.check_bot_may_speak(actor, &id).await?;
                }
                let setup = OneToOneSetup {
                    recipient,
                    recipient_box: admission.decision.inbox.unwrap_or_default(),
                };
                let inputs = &admission.inputs;
                let limited = self.config.rate_limits
                    && self.is_young(inputs.sender_created_at)
                    && !inputs.recipient_follows_sender;
                (Some(setup), vec![me, recipient], limited)
            }
            Audience::Group(members) => (None, members, false),
        };
        if let Some(reply_to) = draft.reply_to_id {
            match self.visible_event(me, &id, reply_to).await {
                Ok(ConversationEvent::Message(m)) if !m.deleted => {}
                _ => {
                    return Err(Error::Unknown(Invalid {
                        field: "reply_to_id".into(),
                        message: "must be a message in this conversation".into(),
                    }));
                }
            }
        }
        let media = match draft.media_id {
            Some(id) => Some(self.attachable(me, id, draft.client_key.is_some()).await?),
            None => None,
        };
        self.check_send_limit(me).await?;
        // Young accounts may open only a few new conversations with non-followers a day.
        if first_contact_limited && self.store.conversation(&id).await?.is_none() {
            self.rate.check_young_new_conversation(me)?;
        }
        // The welcome message the person started from goes just before their message.
        if let (Some(welcome), Some(account)) = (&checked.welcome, partner) {
            self.record_welcome(me, account, &id, welcome, draft.client_key.as_deref())
                .await?;
        }
        // Exactly one answer closes a prompt: claimed just before the answer is stored.
        if let Some(r) = &response {
            self.claim_prompt(me, &id, &r.metadata).await?;
        }
        let new = NewMessage {
            conversation_id: id.clone(),
            sender_id: me,
            text,
            entities,
            reply_to_id: draft.reply_to_id,
            media,
            client_key: draft.client_key,
            idempotent_since: Utc::now()
                - chrono::Duration::hours(self.config.limits.idempotency_hours),
            setup,
            notify,
            also: Fanout::default(),
            parts: checked.parts,
        };
        let appended = self.store.append_message(new).await?;
        if !appended.duplicate {
            // Recorded before anyone hears of the message, so whoever looks next sees them.
            self.what_the_message_records(me, &appended.message).await?;
        }
        self.publish(appended.deliveries).await;
        metrics_sent(appended.duplicate);
        if from_support && !appended.duplicate {
            // The message stands whatever happens to the hand-over.
            if let Err(e) = self.human_spoke(actor, &id).await {
                tracing::warn!(error = %e, "recording who holds a conversation failed");
            }
        }
        if let Some(account) = to_support.filter(|_| !appended.duplicate) {
            // The person's message stands whatever happens to the away message.
            if let Err(e) = self
                .away_message(account, me, &appended.message.conversation_id)
                .await
            {
                tracing::warn!(error = %e, "sending an away message failed");
            }
            // The account's bot answers, unless a flow sent this (two bots never loop).
            if !matches!(actor.agent, Agent::Flow(_))
                && let Err(e) =
                    Box::pin(self.answer_with_flows(account, me, &appended.message)).await
            {
                tracing::warn!(error = %e, "running the account's flows failed");
            }
        }
        self.sent(me, appended.message, !appended.duplicate).await
    }

    /// What a message just stored opens or answers beside itself: its quick replies become
    /// the open prompt; a reply that is just a number answers an open survey; a first message
    /// from a DM card counts a conversation for the card. (The message stands whatever
    /// happens to the last two.)
    async fn what_the_message_records(&self, me: UserId, message: &Message) -> Result<()> {
        if message.parts.quick_reply.is_some() {
            self.open_new_prompt(message).await?;
        }
        if let Err(e) = self
            .plain_answer(me, &message.conversation_id, &message.text)
            .await
        {
            tracing::warn!(error = %e, "recording a plain-number survey answer failed");
        }
        let via = message.parts.initiated_via.as_ref();
        if let Some(card) = via.and_then(|v| v.card_id) {
            let welcome = via.and_then(|v| v.welcome_message_id);
            if let Err(e) = self.count_card_conversation(card, me, welcome).await {
                tracing::warn!(error = %e, "counting a card's conversation failed");
            }
        }
        Ok(())
    }

    /// A send's answer: the message as its sender sees it.
    async fn sent(&self, me: UserId, message: Message, created: bool) -> Result<Sent> {
        let id = message.conversation_id.clone();
        let mut shown = [ConversationEvent::Message(message)];
        self.show_parts(me, &id, &mut shown).await?;
        let [ConversationEvent::Message(message)] = shown else {
            return Err(Error::internal("a sent message came back as another event"));
        };
        Ok(Sent { message, created })
    }

    /// A page of history. `before`/default pages run newest first; `after` pages run oldest
    /// first; the cursor continues in the same direction.
    pub async fn history(
        &self,
        me: UserId,
        id: &ConversationId,
        direction: HistoryDirection,
        limit: usize,
    ) -> Result<History> {
        let p = self.member(me, id).await?;
        let events = self
            .store
            .history(HistoryQuery {
                conversation_id: id.clone(),
                viewer: me,
                direction,
                limit: limit + 1,
                visible_after: p.visible_after,
                visible_until: p.left_at_event,
            })
            .await?;
        let mut events = events;
        self.show_parts(me, id, &mut events).await?;
        let next_cursor = if events.len() > limit {
            events.truncate(limit);
            events.last().map(|e| match direction {
                HistoryDirection::Before(_) => format!("b{}", e.id()),
                HistoryDirection::After(_) => format!("a{}", e.id()),
            })
        } else {
            None
        };
        Ok(History {
            events,
            next_cursor,
        })
    }

    /// The sender's own, not deleted message, for edits and deletes.
    async fn own_message(
        &self,
        me: UserId,
        id: &ConversationId,
        message: EventId,
    ) -> Result<Message> {
        match self.visible_event(me, id, message).await? {
            ConversationEvent::Message(m) if m.deleted => {
                Err(Error::Conflict("the message was deleted"))
            }
            ConversationEvent::Message(m) if m.sender_id == me => Ok(m),
            ConversationEvent::Message(_) => {
                Err(Error::Forbidden("only the sender can change a message"))
            }
            _ => Err(Error::NotFound(Thing::Message)),
        }
    }

    pub async fn edit(
        &self,
        actor: &Actor,
        id: &ConversationId,
        message: EventId,
        raw: &str,
    ) -> Result<Message> {
        let me = actor.account;
        self.active_member(me, id).await?;
        self.no_block_between(me, id).await?;
        let before = self.own_message(me, id, message).await?;
        let max = self.config.limits.edits_per_message;
        if before.edit_count >= max {
            return Err(Error::EditLimit(max));
        }
        let (text, entities) = self.compose(raw, before.media.is_some()).await?;
        let notify = self.active_ids(id).await?;
        let (after, deliveries) = self
            .store
            .edit_message(id, message, text, entities, max, notify)
            .await?;
        self.publish(deliveries).await;
        Ok(after)
    }

    /// Deletes for everyone (the sender only; a tombstone remains) or just for the caller.
    pub async fn delete_message(
        &self,
        actor: &Actor,
        id: &ConversationId,
        message: EventId,
        for_everyone: bool,
    ) -> Result<()> {
        let me = actor.account;
        let event = StreamEvent::MessageDeleted {
            conversation_id: id.clone(),
            message_id: message,
            for_everyone,
        };
        let deliveries = if for_everyone {
            self.own_message(me, id, message).await?;
            let fanout = Fanout::default().to(self.active_ids(id).await?, event);
            self.store.delete_for_everyone(id, message, fanout).await?
        } else {
            self.visible_event(me, id, message).await?;
            self.store
                .delete_for_me(id, message, me, Fanout::default().to(vec![me], event))
                .await?
        };
        self.publish(deliveries).await;
        Ok(())
    }

    /// Sets the caller's reaction (one per user per message; a new emoji replaces the old),
    /// or removes it. Removing names the emoji: a removal of one the caller has not put
    /// there changes nothing (so a retried or stale removal cannot take away a newer one).
    pub async fn react(
        &self,
        actor: &Actor,
        id: &ConversationId,
        message: EventId,
        edit: ReactionEdit,
    ) -> Result<()> {
        let me = actor.account;
        let (ReactionEdit::Set(e) | ReactionEdit::Remove(e)) = &edit;
        text::reaction_emoji(e)?;
        self.active_member(me, id).await?;
        self.no_block_between(me, id).await?;
        let previous = match self.visible_event(me, id, message).await? {
            ConversationEvent::Message(m) if !m.deleted => m
                .reactions
                .into_iter()
                .find(|g| g.user_ids.contains(&me))
                .map(|g| g.emoji),
            ConversationEvent::Message(_) => {
                return Err(Error::Conflict("the message was deleted"));
            }
            _ => return Err(Error::NotFound(Thing::Message)),
        };
        let emoji = match edit {
            ReactionEdit::Set(e) => Some(e),
            ReactionEdit::Remove(e) if previous.as_ref() == Some(&e) => None,
            ReactionEdit::Remove(_) => return Ok(()),
        };
        let change = |emoji: String| ReactionChange {
            conversation_id: id.clone(),
            message_id: message,
            user_id: me,
            emoji,
        };
        let notify = self.active_ids(id).await?;
        let mut fanout = Fanout::default();
        if let Some(old) = previous.filter(|old| emoji.as_ref() != Some(old)) {
            fanout = fanout.to(notify.clone(), StreamEvent::ReactionRemoved(change(old)));
        }
        if let Some(new) = &emoji {
            fanout = fanout.to(notify, StreamEvent::ReactionAdded(change(new.clone())));
        }
        let (_, deliveries) = self
            .store
            .set_reaction(id, message, me, emoji, fanout)
            .await?;
        self.publish(deliveries).await;
        Ok(())
    }

    /// Marks the conversation read up to `up_to` (default: its latest event). Receipts reach
    /// others only when both sides have read receipts on and the reader has accepted the
    /// conversation; the reader's own devices always hear.
    pub async fn mark_read(
        &self,
        actor: &Actor,
        id: &ConversationId,
        up_to: Option<EventId>,
    ) -> Result<()> {
        let me = actor.account;
        let p = self.active_member(me, id).await?;
        let up_to = match up_to {
            Some(e) => {
                self.visible_event(me, id, e).await?;
                e
            }
            None => match self
                .store
                .conversation(id)
                .await?
                .and_then(|c| c.last_event_id)
            {
                Some(e) => e,
                None => return Ok(()),
            },
        };
        let others: Vec<UserId> = self
            .active_ids(id)
            .await?
            .into_iter()
            .filter(|u| *u != me)
            .collect();
        let mut notify = vec![me];
        // The reader's own devices hear; across a block, nobody else does.
        if p.accepted && !self.blocked_between(me, id).await? {
            let on = self
                .store
                .with_read_receipts(&others.iter().copied().chain([me]).collect::<Vec<_>>())
                .await?;
            if on.contains(&me) {
                notify.extend(others.into_iter().filter(|u| on.contains(u)));
            }
        }
        let event = StreamEvent::ConversationRead {
            conversation_id: id.clone(),
            user_id: me,
            last_read_event_id: up_to,
        };
        let (_, deliveries) = self
            .store
            .mark_read(id, me, up_to, Fanout::default().to(notify, event))
            .await?;
        self.publish(deliveries).await;
        Ok(())
    }

    /// Typing is ephemeral: published to the other accepted participants, never stored.
    pub async fn typing(&self, actor: &Actor, id: &ConversationId) -> Result<()> {
        let me = actor.account;
        let p = self.active_member(me, id).await?;
        self.no_block_between(me, id).await?;
        if !p.accepted {
            return Ok(());
        }
        // A bot's indicator would show over the person handling the conversation.
        self.check_bot_may_speak(actor, id).await?;
        let body = Arc::new(EventBody::render(&StreamEvent::Typing {
            conversation_id: id.clone(),
            user_id: me,
        }));
        let deliveries = self
            .store
            .participants(id)
            .await?
            .into_iter()
            .filter(|o| o.active && o.accepted && !o.reported && o.user_id != me)
            .map(|o| Delivery {
                user_id: o.user_id,
                position: None,
                body: body.clone(),
            })
            .collect();
        self.publish(deliveries).await;
        // Account Activity carries one-to-one typing to the other person's webhooks.
        if let Some(to) = id.partner_of(me) {
            self.typing_for_webhooks(crate::webhook_typing::Typed { typer: me, to });
        }
        Ok(())
    }

    pub async fn search_messages(
        &self,
        me: UserId,
        q: &str,
        cursor: Option<String>,
        limit: usize,
    ) -> Result<Page<Message>> {
        let q = text::search_query("q", q, limits::SEARCH_QUERY_MAX)?;
        self.store.search_messages(me, &q, cursor, limit).await
    }
}

fn metrics_sent(duplicate: bool) {
    let outcome = if duplicate { "duplicate" } else { "created" };
    metrics::counter!("postern_messages_sent_total", "outcome" => outcome).increment(1);
}
