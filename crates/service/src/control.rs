//! Conversation control (issue 18, hand-over): in a support account's one-to-one
//! conversations, either its bots speak for it or one of its people does, never both.
//!
//! Bots are apps, tokens and the bot builder's flows; people act in the web app. A
//! conversation starts with the bots. A person who sends a message takes control, and the
//! bots' sends (and typing) are refused while they hold it. Control goes back when the person
//! passes it (resolving), or when no person has spoken for the account's
//! `handover_idle_minutes`. The side not in control may ask for it (`request`), with a note;
//! Messenger's hand-over protocol has the same three moves: take, pass, request.
//!
//! Every change is a stored `control_changed` event to the account (its devices and its
//! webhooks), never to the customer. Accounts without support have no controller, so a
//! personal send never reads this table.

use chrono::{DateTime, Utc};
use postern_core::error::Thing;
use postern_core::stream::{ControlState, Controller, StreamEvent};
use postern_core::{ConversationId, Error, ObjectId, Result, UserId, text};
use postern_store::Fanout;
use postern_store::cold::{ColdRow, Statement, int, opt_int, opt_text, text as text_cell};

use crate::Services;
use crate::actor::{Actor, Agent};

/// A note passed with a change of control, at most.
pub const CONTROL_NOTE_MAX: usize = 1_000;
/// How often a person's speaking is written down for the idle time (it counts in minutes).
const SPOKE_WRITTEN_EVERY_MS: i64 = 60_000;

/// What an account's side does with a conversation's control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlAction {
    /// Takes it: a person always may; a bot only from the bots' own side.
    Take,
    /// Hands it to the other side: only who holds it may.
    Pass,
    /// Asks the side holding it for it.
    Request,
}

/// Which side an actor speaks for.
pub fn side(actor: &Actor) -> Controller {
    match actor.agent {
        Agent::Session => Controller::Human,
        Agent::Token | Agent::App(_) | Agent::Flow(_) => Controller::Bot,
    }
}

/// A conversation's control as stored.
#[derive(Debug, Clone)]
struct Stored {
    controller: Controller,
    app_id: Option<ObjectId>,
    requested_by: Option<Controller>,
    note: Option<String>,
    since: DateTime<Utc>,
    last_human_at: Option<DateTime<Utc>>,
}

fn time(ms: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| Error::internal("a stored time out of range"))
}

fn stored(r: &ColdRow) -> Result<Stored> {
    let controller = |s: String| {
        Controller::parse(&s).ok_or_else(|| Error::internal("a stored controller is unknown"))
    };
    Ok(Stored {
        controller: controller(r.text(0)?)?,
        app_id: r.opt_int(1)?.map(ObjectId),
        requested_by: r.opt_text(2)?.map(controller).transpose()?,
        note: r.opt_text(3)?,
        since: time(r.int(4)?)?,
        last_human_at: r.opt_int(5)?.map(time).transpose()?,
    })
}

impl Services {
    /// `GET /conversations/{id}/control`.
    pub async fn control(&self, actor: &Actor, id: &ConversationId) -> Result<ControlState> {
        let idle = self.controlled(actor.account, id).await?;
        let now = self.config.clock.now();
        let current = self.current_control(actor.account, id, idle, now).await?;
        Ok(shown(id, &current, idle))
    }

    /// `PUT /conversations/{id}/control`: take, pass or request control, with a note.
    pub async fn change_control(
        &self,
        actor: &Actor,
        id: &ConversationId,
        action: ControlAction,
        note: Option<String>,
    ) -> Result<ControlState> {
        let note = note
            .map(|n| text::free_text("note", &n, CONTROL_NOTE_MAX))
            .transpose()?
            .filter(|n| !n.trim().is_empty());
        let idle = self.controlled(actor.account, id).await?;
        let now = self.config.clock.now();
        let current = self.current_control(actor.account, id, idle, now).await?;
        let me = side(actor);
        // The app taking control for the bots, when one does.
        let app = match actor.agent {
            Agent::App(app) => Some(app),
            Agent::Session | Agent::Token | Agent::Flow(_) => None,
        };
        let next = match action {
            ControlAction::Take if current.controller == me => {
                return Ok(shown(id, &current, idle));
            }
            ControlAction::Take if me == Controller::Bot => return Err(Error::HumanInControl),
            ControlAction::Take => holding(me, app, note, now),
            ControlAction::Pass if current.controller != me => {
                return Err(Error::NotInControl(current.controller));
            }
            ControlAction::Pass => holding(me.other(), None, note, now),
            ControlAction::Request if current.controller == me => {
                return Ok(shown(id, &current, idle));
            }
            ControlAction::Request => Stored {
                requested_by: Some(me),
                note,
                ..current
            },
        };
        self.write_control(actor.account, id, &next).await?;
        let state = shown(id, &next, idle);
        self.tell_control(actor.account, &state).await?;
        Ok(state)
    }

    /// Before a support account's message or typing in a one-to-one conversation: a bot is
    /// refused while a person holds it (unless their idle time has passed, which hands it
    /// back now).
    pub(crate) async fn check_bot_may_speak(
        &self,
        actor: &Actor,
        id: &ConversationId,
    ) -> Result<()> {
        if side(actor) != Controller::Bot || id.is_group() {
            return Ok(());
        }
        let settings = self.support_settings(actor.account).await?;
        if !settings.enabled {
            return Ok(());
        }
        let idle = settings.handover_idle_minutes;
        let current = self
            .current_control(actor.account, id, idle, self.config.clock.now())
            .await?;
        if current.controller == Controller::Human {
            return Err(Error::HumanInControl);
        }
        Ok(())
    }

    /// After a person sent a support account's message: they hold the conversation now (taken
    /// from the bots, with a `control_changed`), and their idle time starts again.
    pub(crate) async fn human_spoke(&self, actor: &Actor, id: &ConversationId) -> Result<()> {
        if side(actor) != Controller::Human || id.is_group() {
            return Ok(());
        }
        let now = self.config.clock.now();
        let idle = self.handover_idle(actor.account).await?;
        let current = self.current_control(actor.account, id, idle, now).await?;
        if current.controller == Controller::Bot {
            let taken = holding(Controller::Human, None, None, now);
            self.write_control(actor.account, id, &taken).await?;
            return self
                .tell_control(actor.account, &shown(id, &taken, idle))
                .await;
        }
        // Written at most once a minute: the idle time counts in minutes.
        self.store
            .cold()
            .run(vec![Statement::new(
                "UPDATE conversation_control SET last_human_at = ?3
                 WHERE account_id = ?1 AND conversation_id = ?2 AND last_human_at < ?4",
                vec![
                    int(actor.account.0),
                    text_cell(id.as_str()),
                    int(now.timestamp_millis()),
                    int(now.timestamp_millis() - SPOKE_WRITTEN_EVERY_MS),
                ],
            )])
            .await?;
        Ok(())
    }

    /// The account's idle time, checking that it may have a controller here: a support
    /// account, a member of this one-to-one conversation.
    async fn controlled(&self, account: UserId, id: &ConversationId) -> Result<u32> {
        if id.partner_of(account).is_none() {
            return Err(Error::NotFound(Thing::Conversation));
        }
        self.member(account, id).await?;
        let settings = self.support_settings(account).await?;
        if !settings.enabled {
            return Err(Error::Forbidden(
                "conversation control is for support accounts: turn support on first",
            ));
        }
        Ok(settings.handover_idle_minutes)
    }

    async fn handover_idle(&self, account: UserId) -> Result<u32> {
        Ok(self.support_settings(account).await?.handover_idle_minutes)
    }

    /// Control now: stored, or the bots' when nothing is; a person's idle time that has
    /// passed hands it back to the bots here (written, and told).
    async fn current_control(
        &self,
        account: UserId,
        id: &ConversationId,
        idle: u32,
        now: DateTime<Utc>,
    ) -> Result<Stored> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT controller, app_id, requested_by, note, since, last_human_at
                 FROM conversation_control WHERE account_id = ?1 AND conversation_id = ?2",
                vec![int(account.0), text_cell(id.as_str())],
            ))
            .await?;
        let Some(current) = rows.first().map(stored).transpose()? else {
            let since = match self.store.conversation(id).await? {
                Some(c) => c.created_at,
                None => now,
            };
            return Ok(holding(Controller::Bot, None, None, since));
        };
        let idle_ends = returns_at(&current, idle);
        if idle_ends.is_some_and(|at| at <= now) {
            let returned = holding(Controller::Bot, None, None, now);
            self.write_control(account, id, &returned).await?;
            self.tell_control(account, &shown(id, &returned, idle))
                .await?;
            return Ok(returned);
        }
        Ok(current)
    }

    async fn write_control(&self, account: UserId, id: &ConversationId, s: &Stored) -> Result<()> {
        self.store
            .cold()
            .run(vec![Statement::new(
                "INSERT INTO conversation_control (account_id, conversation_id, controller, app_id,
                     requested_by, note, since, last_human_at)
                 VALUES (?1, ?2, ?3, CAST(?4 AS BIGINT), ?5, ?6, ?7, CAST(?8 AS BIGINT))
                 ON CONFLICT (account_id, conversation_id) DO UPDATE SET
                     controller = excluded.controller, app_id = excluded.app_id,
                     requested_by = excluded.requested_by, note = excluded.note,
                     since = excluded.since, last_human_at = excluded.last_human_at",
                vec![
                    int(account.0),
                    text_cell(id.as_str()),
                    text_cell(s.controller.as_str()),
                    opt_int(s.app_id.map(|a| a.0)),
                    opt_text(s.requested_by.map(Controller::as_str)),
                    opt_text(s.note.clone()),
                    int(s.since.timestamp_millis()),
                    opt_int(s.last_human_at.map(|t| t.timestamp_millis())),
                ],
            )])
            .await?;
        Ok(())
    }

    /// A stored `control_changed` to the account alone.
    async fn tell_control(&self, account: UserId, state: &ControlState) -> Result<()> {
        let fanout =
            Fanout::default().to(vec![account], StreamEvent::ControlChanged(state.clone()));
        let deliveries = self.store.record_events(fanout).await?;
        self.publish(deliveries).await;
        Ok(())
    }
}

/// `controller` holding from `now`, with no standing request; a person's idle time starts.
fn holding(
    controller: Controller,
    app_id: Option<ObjectId>,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Stored {
    Stored {
        controller,
        app_id,
        requested_by: None,
        note,
        since: now,
        last_human_at: (controller == Controller::Human).then_some(now),
    }
}

/// When a person's hold returns to the bots: `idle` minutes after they last spoke (never with
/// 0, or while the bots hold it).
fn returns_at(s: &Stored, idle: u32) -> Option<DateTime<Utc>> {
    if s.controller != Controller::Human || idle == 0 {
        return None;
    }
    let from = s.last_human_at.unwrap_or(s.since);
    Some(from + chrono::Duration::minutes(i64::from(idle)))
}

fn shown(id: &ConversationId, s: &Stored, idle: u32) -> ControlState {
    ControlState {
        conversation_id: id.clone(),
        controller: s.controller,
        app_id: s.app_id,
        since: s.since,
        requested_by: s.requested_by,
        note: s.note.clone(),
        returns_to_bot_at: returns_at(s, idle),
    }
}
