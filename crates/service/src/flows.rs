//! The bot builder (issue 18): a support account's flows, kept and run.
//!
//! After a customer's message to a support account is stored, [`Services::answer_with_flows`]
//! looks for what the account's bot should do: the flow waiting for this answer, or else the
//! first enabled flow (in order) whose trigger matches. Its steps run as the account through
//! [`Agent::Flow`], speaking as the flow's custom profile, one after another until one waits
//! for an answer, hands over, or the message's [`STEP_BUDGET`] is spent. Flows stay silent
//! while a person holds the conversation (hand-over), and a flow's own messages never trigger
//! a flow, so two bots cannot answer each other forever.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use postern_core::error::Thing;
use postern_core::feedback::Display;
use postern_core::flows::{FLOWS_MAX, FlowDraft, STEP_BUDGET, Step, fill};
use postern_core::model::Message;
use postern_core::{ConversationId, Error, ObjectId, Result, UserId};
use postern_store::cold::{ColdRow, Statement, int, opt_int, opt_text, text};
use serde::Serialize;
use utoipa::ToSchema;

use crate::Services;
use crate::actor::{Actor, Agent};
use crate::control::ControlAction;
use crate::feedback::SurveyDraft;
use crate::interactive::Interactive;
use crate::messages::Draft;

/// A flow as its account sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Flow {
    pub id: ObjectId,
    #[serde(flatten)]
    pub draft: FlowDraft,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const FLOW_COLUMNS: &str = "id, definition, created_at, updated_at";

fn flow(r: &ColdRow) -> Result<Flow> {
    let time = |ms: i64| {
        DateTime::from_timestamp_millis(ms)
            .ok_or_else(|| Error::internal("a stored time out of range"))
    };
    Ok(Flow {
        id: ObjectId(r.int(0)?),
        draft: serde_json::from_str(&r.text(1)?).map_err(Error::internal)?,
        created_at: time(r.int(2)?)?,
        updated_at: time(r.int(3)?)?,
    })
}

/// Where a conversation is in the account's flows.
#[derive(Debug, Default)]
struct Session {
    /// Whether the flows have met this customer before (first contact fires once).
    met: bool,
    /// A flow waiting for an answer: which, the step after the question, and the answer's name.
    waiting: Option<(ObjectId, usize, String)>,
    answers: BTreeMap<String, String>,
}

impl Services {
    /// `GET /flows`: the account's flows, in the order they are tried.
    pub async fn flows(&self, me: UserId) -> Result<Vec<Flow>> {
        let rows = self
            .store
            .cold()
            .select(Statement::owned(
                format!(
                    "SELECT {FLOW_COLUMNS} FROM bot_flows WHERE account_id = ?1
                     ORDER BY position, id"
                ),
                vec![int(me.0)],
            ))
            .await?;
        rows.iter().map(flow).collect()
    }

    pub async fn flow(&self, me: UserId, id: ObjectId) -> Result<Flow> {
        let rows = self
            .store
            .cold()
            .select(Statement::owned(
                format!("SELECT {FLOW_COLUMNS} FROM bot_flows WHERE account_id = ?1 AND id = ?2"),
                vec![int(me.0), int(id.0)],
            ))
            .await?;
        rows.first()
            .map(flow)
            .transpose()?
            .ok_or(Error::NotFound(Thing::Flow))
    }

    /// `POST /flows`: a new flow, tried after the others.
    pub async fn create_flow(&self, me: UserId, draft: FlowDraft) -> Result<Flow> {
        let draft = self.checked_flow(me, draft).await?;
        let existing = self.flows(me).await?;
        if existing.len() >= FLOWS_MAX {
            return Err(Error::State(postern_core::Invalid {
                field: "flows".into(),
                message: format!("an account has at most {FLOWS_MAX} flows: delete one first"),
            }));
        }
        let id = ObjectId(self.ids.next_id());
        let now = self.config.clock.now().timestamp_millis();
        let position = i64::try_from(existing.len()).unwrap_or(i64::MAX);
        self.store
            .cold()
            .run(vec![Statement::new(
                "INSERT INTO bot_flows (id, account_id, position, name, enabled, definition,
                     created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                vec![
                    int(id.0),
                    int(me.0),
                    int(position),
                    text(draft.name.clone()),
                    int(i64::from(draft.enabled)),
                    text(serde_json::to_string(&draft).map_err(Error::internal)?),
                    int(now),
                ],
            )])
            .await?;
        self.flow(me, id).await
    }

    /// `PUT /flows/{id}`: the flow rewritten whole (the editor saves what it shows).
    pub async fn replace_flow(&self, me: UserId, id: ObjectId, draft: FlowDraft) -> Result<Flow> {
        let draft = self.checked_flow(me, draft).await?;
        let rows = self
            .store
            .cold()
            .run(vec![Statement::new(
                "UPDATE bot_flows SET name = ?3, enabled = ?4, definition = ?5, updated_at = ?6
                 WHERE account_id = ?1 AND id = ?2 RETURNING id",
                vec![
                    int(me.0),
                    int(id.0),
                    text(draft.name.clone()),
                    int(i64::from(draft.enabled)),
                    text(serde_json::to_string(&draft).map_err(Error::internal)?),
                    int(self.config.clock.now().timestamp_millis()),
                ],
            )])
            .await?;
        if rows.first().is_none_or(Vec::is_empty) {
            return Err(Error::NotFound(Thing::Flow));
        }
        self.flow(me, id).await
    }

    /// `DELETE /flows/{id}`. Conversations waiting in it wait no more.
    pub async fn delete_flow(&self, me: UserId, id: ObjectId) -> Result<()> {
        let rows = self
            .store
            .cold()
            .run(vec![
                Statement::new(
                    "UPDATE bot_sessions SET waiting_flow = NULL, next_step = NULL, save_as = NULL
                     WHERE account_id = ?1 AND waiting_flow = ?2",
                    vec![int(me.0), int(id.0)],
                ),
                Statement::new(
                    "DELETE FROM bot_flows WHERE account_id = ?1 AND id = ?2 RETURNING id",
                    vec![int(me.0), int(id.0)],
                ),
            ])
            .await?;
        if rows.get(1).is_none_or(Vec::is_empty) {
            return Err(Error::NotFound(Thing::Flow));
        }
        Ok(())
    }

    /// A flow's rules, and that its custom profile is the account's own.
    async fn checked_flow(&self, me: UserId, draft: FlowDraft) -> Result<FlowDraft> {
        let draft = draft.checked()?;
        if let Some(profile) = draft.custom_profile_id {
            self.custom_profile(me, profile).await.map_err(|_| {
                Error::Unknown(postern_core::Invalid {
                    field: "custom_profile_id".into(),
                    message: "must be one of your custom profiles".into(),
                })
            })?;
        }
        Ok(draft)
    }

    /// What the account's bot does about a customer's message just stored (see the module).
    /// Errors are the caller's to log: the customer's message stands whatever happens here.
    pub(crate) async fn answer_with_flows(
        &self,
        account: UserId,
        customer: UserId,
        message: &Message,
    ) -> Result<()> {
        let id = &message.conversation_id;
        // Most support accounts have no flows: one read, and nothing else, for them.
        let flows: Vec<Flow> = self
            .flows(account)
            .await?
            .into_iter()
            .filter(|f| f.draft.enabled)
            .collect();
        if flows.is_empty() {
            return Ok(());
        }
        // Silent while a person holds the conversation.
        match self.check_bot_may_speak(&Actor::token(account), id).await {
            Err(Error::HumanInControl) => return Ok(()),
            checked => checked?,
        }
        let mut session = self.bot_session(account, id).await?;
        let answered = message
            .parts
            .quick_reply_response
            .as_ref()
            .map(|r| r.metadata.as_str());
        let start = match session.waiting.take() {
            Some((flow_id, next, save_as)) if flows.iter().any(|f| f.id == flow_id) => {
                session.answers.insert(save_as, message.text.clone());
                flows.iter().find(|f| f.id == flow_id).map(|f| (f, next))
            }
            _ => flows
                .iter()
                .find(|f| {
                    f.draft
                        .trigger
                        .matches(&message.text, answered, !session.met)
                })
                .map(|f| (f, 0)),
        };
        session.met = true;
        if let Some((flow, from)) = start {
            self.run_flow(account, customer, id, flow, from, &mut session)
                .await?;
        }
        self.save_bot_session(account, id, &session).await
    }

    /// Runs `flow` from step `from`, within the step budget.
    async fn run_flow(
        &self,
        account: UserId,
        customer: UserId,
        id: &ConversationId,
        flow: &Flow,
        from: usize,
        session: &mut Session,
    ) -> Result<()> {
        let actor = Actor {
            account,
            agent: Agent::Flow(flow.id),
            profile: flow.draft.custom_profile_id,
        };
        for (at, step) in flow
            .draft
            .steps
            .iter()
            .enumerate()
            .skip(from)
            .take(STEP_BUDGET)
        {
            match step {
                Step::Reply {
                    text,
                    quick_reply,
                    ctas,
                } => {
                    let interactive = Interactive {
                        quick_reply: quick_reply.clone(),
                        ctas: ctas.clone(),
                        ..Interactive::default()
                    };
                    self.flow_says(&actor, id, fill(text, &session.answers), interactive)
                        .await?;
                }
                Step::Ask {
                    text,
                    save_as,
                    quick_reply,
                } => {
                    let interactive = Interactive {
                        quick_reply: quick_reply.clone(),
                        ..Interactive::default()
                    };
                    self.flow_says(&actor, id, fill(text, &session.answers), interactive)
                        .await?;
                    session.waiting = Some((flow.id, at + 1, save_as.clone()));
                    return Ok(());
                }
                Step::Survey {
                    kind,
                    privacy_url,
                    question,
                } => {
                    let draft = SurveyDraft {
                        kind: *kind,
                        recipient: customer,
                        question: question.clone(),
                        display: Display::Stars,
                        privacy_url: privacy_url.clone(),
                        external_id: None,
                        intro: None,
                        display_name: None,
                    };
                    // One survey a day per person: a second is skipped, not an error.
                    if let Err(e) = self.send_feedback_request(&actor, draft).await
                        && !matches!(e, Error::FeedbackTooSoon { .. })
                    {
                        return Err(e);
                    }
                }
                Step::Handover { text, note } => {
                    if let Some(text) = text {
                        self.flow_says(
                            &actor,
                            id,
                            fill(text, &session.answers),
                            Interactive::default(),
                        )
                        .await?;
                    }
                    let note = handover_note(note.as_deref(), &session.answers);
                    self.change_control(&actor, id, ControlAction::Pass, note)
                        .await?;
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    async fn flow_says(
        &self,
        actor: &Actor,
        id: &ConversationId,
        text: String,
        interactive: Interactive,
    ) -> Result<()> {
        let draft = Draft {
            text,
            interactive,
            ..Draft::default()
        };
        self.send_to_conversation(actor, id, draft).await?;
        Ok(())
    }

    async fn bot_session(&self, account: UserId, id: &ConversationId) -> Result<Session> {
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT waiting_flow, next_step, save_as, answers FROM bot_sessions
                 WHERE account_id = ?1 AND conversation_id = ?2",
                vec![int(account.0), text(id.as_str())],
            ))
            .await?;
        let Some(r) = rows.first() else {
            return Ok(Session::default());
        };
        let waiting = match (r.opt_int(0)?, r.opt_int(1)?, r.opt_text(2)?) {
            (Some(flow), Some(next), Some(save_as)) => Some((
                ObjectId(flow),
                usize::try_from(next).unwrap_or(usize::MAX),
                save_as,
            )),
            _ => None,
        };
        Ok(Session {
            met: true,
            waiting,
            answers: serde_json::from_str(&r.text(3)?).unwrap_or_default(),
        })
    }

    async fn save_bot_session(
        &self,
        account: UserId,
        id: &ConversationId,
        s: &Session,
    ) -> Result<()> {
        let (flow, next, save_as) = match &s.waiting {
            Some((flow, next, save_as)) => (
                Some(flow.0),
                Some(i64::try_from(*next).unwrap_or(i64::MAX)),
                Some(save_as.clone()),
            ),
            None => (None, None, None),
        };
        self.store
            .cold()
            .run(vec![Statement::new(
                "INSERT INTO bot_sessions (account_id, conversation_id, waiting_flow, next_step,
                     save_as, answers, updated_at)
                 VALUES (?1, ?2, CAST(?3 AS BIGINT), CAST(?4 AS BIGINT), ?5, ?6, ?7)
                 ON CONFLICT (account_id, conversation_id) DO UPDATE SET
                     waiting_flow = excluded.waiting_flow, next_step = excluded.next_step,
                     save_as = excluded.save_as, answers = excluded.answers,
                     updated_at = excluded.updated_at",
                vec![
                    int(account.0),
                    text(id.as_str()),
                    opt_int(flow),
                    opt_int(next),
                    opt_text(save_as),
                    text(serde_json::to_string(&s.answers).map_err(Error::internal)?),
                    int(self.config.clock.now().timestamp_millis()),
                ],
            )])
            .await?;
        Ok(())
    }
}

/// What the person taking over reads: the flow's note, then each answer kept.
fn handover_note(note: Option<&str>, answers: &BTreeMap<String, String>) -> Option<String> {
    let mut lines: Vec<String> = note.map(str::to_owned).into_iter().collect();
    lines.extend(answers.iter().map(|(k, v)| format!("{k}: {v}")));
    let joined = lines.join("\n");
    // The note's own cap: long answers are cut, never refused.
    let capped: String = joined
        .chars()
        .take(crate::control::CONTROL_NOTE_MAX)
        .collect();
    (!capped.is_empty()).then_some(capped)
}
