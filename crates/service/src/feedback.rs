//! Feedback surveys (SPEC §4.7): an account asks a person, in their one-to-one conversation,
//! how it went (CSAT 1–5 or NPS 0–10), at most once a day per person; the answer is recorded
//! once and never changed, whether given on the survey card or as a plain number in reply;
//! results by period, agent (custom profile) and external id.

use postern_core::error::Thing;
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use postern_core::feedback::{
    Answer, COMMENT_MAX, Display, EXTERNAL_ID_MAX, FEEDBACK_EVERY_HOURS, FeedbackRequest,
    QUESTION_MAX, Results, Summary, SurveyPart, SurveyType,
};
use postern_core::model::ConversationEvent;
use postern_core::parts::is_web_url;
use postern_core::{ConversationId, Error, Invalid, ObjectId, Result, UserId, text};
use postern_store::cold::{Cell, ColdRow, Statement, int, opt_int, opt_text, text as text_cell};

use crate::Services;
use crate::actor::Actor;
use crate::interactive::{Interactive, messages};
use crate::messages::Draft;

/// What an account asks.
#[derive(Debug, Clone)]
pub struct SurveyDraft {
    pub kind: SurveyType,
    pub recipient: UserId,
    pub question: Option<String>,
    pub display: Display,
    pub privacy_url: String,
    pub external_id: Option<String>,
    /// Words before the question in the survey's message (Twitter's `message`).
    pub intro: Option<String>,
    /// The name the question gives the account, kept with the survey (Twitter's
    /// `display_name`).
    pub display_name: Option<String>,
}

/// Which surveys results count.
#[derive(Debug, Clone, Default)]
pub struct ResultsQuery {
    pub kind: Option<SurveyType>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// A custom profile's id: surveys sent as that agent.
    pub agent: Option<ObjectId>,
    pub external_id: Option<String>,
}

/// The words before a survey's question, at most (its message keeps to a DM's length).
pub const INTRO_MAX: usize = 1_000;

const REQUEST_COLS: &str = "id, message_id, conversation_id, kind, recipient_id, question, display,
    privacy_url, external_id, agent_id, created_at, score, comment, answered_at, account_id,
    display_name";

impl Services {
    /// `POST /feedback_requests`: sends the survey as a message in the one-to-one
    /// conversation (admission applies), at most once a day per person.
    pub async fn send_feedback_request(
        &self,
        actor: &Actor,
        draft: SurveyDraft,
    ) -> Result<FeedbackRequest> {
        let me = actor.account;
        let question = match &draft.question {
            Some(q) => text::single_line("question", q, QUESTION_MAX)?,
            None => draft.kind.default_question().to_owned(),
        };
        if question.trim().is_empty() {
            return Err(Error::invalid("question", "must not be empty"));
        }
        if draft.privacy_url.chars().count() > 2_000 || !is_web_url(&draft.privacy_url) {
            return Err(Error::invalid(
                "privacy_url",
                "must be an http or https URL of at most 2000 characters",
            ));
        }
        let external_id = draft
            .external_id
            .as_deref()
            .map(|e| text::single_line("external_id", e, EXTERNAL_ID_MAX))
            .transpose()?;
        let intro = match &draft.intro {
            Some(i) if !i.trim().is_empty() => {
                format!("{}\n\n", text::message_text("message", i, INTRO_MAX)?)
            }
            _ => String::new(),
        };
        self.user(draft.recipient).await?;
        if let Some(next_at) = self.next_survey_at(me, draft.recipient).await? {
            return Err(Error::FeedbackTooSoon { next_at });
        }
        let id = ObjectId(self.ids.next_id());
        let survey = SurveyPart {
            id,
            kind: draft.kind,
            question: question.clone(),
            display: draft.display,
            privacy_url: draft.privacy_url.clone(),
        };
        let scores = draft.kind.scores();
        let sent = self
            .send_to_user(
                actor,
                draft.recipient,
                Draft {
                    // What a client that cannot draw the survey shows: answered by a number.
                    text: format!(
                        "{intro}{question}\n\nReply with a number from {} to {}.",
                        scores.start(),
                        scores.end()
                    ),
                    interactive: Interactive {
                        survey: Some(survey),
                        ..Interactive::default()
                    },
                    ..Draft::default()
                },
            )
            .await?;
        let now = Utc::now().timestamp_millis();
        self.store
            .cold()
            .run(vec![Statement::new(
                "INSERT INTO feedback_requests (id, account_id, recipient_id, conversation_id, message_id,
                    kind, question, display, privacy_url, external_id, agent_id, created_at, display_name)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, CAST(?11 AS BIGINT), ?12, ?13)",
                vec![
                    int(id.0),
                    int(me.0),
                    int(draft.recipient.0),
                    text_cell(sent.message.conversation_id.as_str()),
                    int(sent.message.id.0),
                    text_cell(draft.kind.as_str()),
                    text_cell(question),
                    text_cell(draft.display.as_str()),
                    text_cell(draft.privacy_url),
                    opt_text(external_id),
                    opt_int(actor.profile.map(|p| p.0)),
                    int(now),
                    opt_text(draft.display_name),
                ],
            )])
            .await?;
        self.feedback_request(me, id).await
    }

    /// `GET /feedback_requests/{id}`: to the account that sent it, or the person asked.
    pub async fn feedback_request(&self, me: UserId, id: ObjectId) -> Result<FeedbackRequest> {
        let rows = self
            .store
            .cold()
            .select(Statement::owned(
                format!(
                    "SELECT {REQUEST_COLS} FROM feedback_requests
                     WHERE id = ?1 AND (account_id = ?2 OR recipient_id = ?2)"
                ),
                vec![int(id.0), int(me.0)],
            ))
            .await?;
        rows.first()
            .map(request_row)
            .transpose()?
            .ok_or(Error::NotFound(Thing::FeedbackRequest))
    }

    /// The account's surveys created or answered between `from` and `to` (Unix
    /// milliseconds, inclusive), in the order of the latest of the two, at most `limit`
    /// after the first `skip` (Twitter's `feedback/events`).
    pub async fn feedback_requests_between(
        &self,
        me: UserId,
        from: i64,
        to: i64,
        skip: usize,
        limit: usize,
    ) -> Result<Vec<FeedbackRequest>> {
        let rows = self
            .store
            .cold()
            .select(Statement::owned(
                format!(
                    "SELECT {REQUEST_COLS} FROM feedback_requests
                     WHERE account_id = ?1
                       AND ((created_at BETWEEN ?2 AND ?3) OR (answered_at BETWEEN ?2 AND ?3))
                     ORDER BY coalesce(answered_at, created_at), id LIMIT ?4 OFFSET ?5"
                ),
                vec![
                    int(me.0),
                    int(from),
                    int(to),
                    int(i64::try_from(limit).unwrap_or(i64::MAX)),
                    int(i64::try_from(skip).unwrap_or(i64::MAX)),
                ],
            ))
            .await?;
        rows.iter().map(request_row).collect()
    }

    /// `POST /feedback_requests/{id}/response`: the person asked answers, once.
    pub async fn answer_feedback(
        &self,
        me: UserId,
        id: ObjectId,
        score: i64,
        comment: Option<&str>,
    ) -> Result<FeedbackRequest> {
        let request = self.feedback_request(me, id).await?;
        if request.recipient_id != me {
            return Err(Error::NotFound(Thing::FeedbackRequest));
        }
        let scores = request.kind.scores();
        if !scores.contains(&score) {
            return Err(Error::invalid(
                "score",
                format!(
                    "must be {} to {} for {}, got {score}",
                    scores.start(),
                    scores.end(),
                    request.kind.as_str()
                ),
            ));
        }
        let comment = comment
            .map(|c| text::free_text("text", c, COMMENT_MAX))
            .transpose()?
            .filter(|c| !c.is_empty());
        self.record_answer(id, score, comment).await?;
        self.feedback_request(me, id).await
    }

    /// Records an answer unless there is one: answers are never changed.
    async fn record_answer(&self, id: ObjectId, score: i64, comment: Option<String>) -> Result<()> {
        let done = self
            .store
            .cold()
            .run(vec![Statement::new(
                "UPDATE feedback_requests SET score = ?2, comment = ?3, answered_at = ?4
                 WHERE id = ?1 AND answered_at IS NULL RETURNING id",
                vec![
                    int(id.0),
                    int(score),
                    opt_text(comment),
                    int(Utc::now().timestamp_millis()),
                ],
            )])
            .await?;
        if done.first().is_none_or(Vec::is_empty) {
            return Err(Error::State(Invalid {
                field: "score".into(),
                message: "was already given: a survey is answered once".into(),
            }));
        }
        Ok(())
    }

    /// After `me` wrote `text` in `id`: a message that is just a number answers the open
    /// survey there, for clients that cannot draw it. Most messages are not numbers and cost
    /// nothing more.
    pub(crate) async fn plain_answer(
        &self,
        me: UserId,
        id: &ConversationId,
        text: &str,
    ) -> Result<()> {
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.len() > 2 || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(());
        }
        let Ok(score) = trimmed.parse::<i64>() else {
            return Ok(());
        };
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT id, kind FROM feedback_requests
                 WHERE conversation_id = ?1 AND recipient_id = ?2 AND answered_at IS NULL
                 ORDER BY id DESC LIMIT 1",
                vec![text_cell(id.as_str()), int(me.0)],
            ))
            .await?;
        let Some(row) = rows.first() else {
            return Ok(());
        };
        let kind =
            SurveyType::parse(&row.text(1)?).ok_or_else(|| Error::internal("survey type"))?;
        if kind.scores().contains(&score) {
            // Answered on the card a moment before: that answer stands.
            let _ = self.record_answer(ObjectId(row.int(0)?), score, None).await;
        }
        Ok(())
    }

    /// Marks the surveys among `events` with their scores, once answered.
    pub(crate) async fn show_surveys(&self, events: &mut [ConversationEvent]) -> Result<()> {
        let surveys: Vec<i64> = messages(events)
            .filter_map(|m| m.parts.feedback_request.as_ref().map(|s| s.survey.id.0))
            .collect();
        if surveys.is_empty() {
            return Ok(());
        }
        let placeholders: Vec<String> = (1..=surveys.len()).map(|i| format!("?{i}")).collect();
        let rows = self
            .store
            .cold()
            .select(Statement::owned(
                format!(
                    "SELECT id, score FROM feedback_requests WHERE id IN ({}) AND answered_at IS NOT NULL",
                    placeholders.join(", ")
                ),
                surveys.iter().map(|id| int(*id)).collect(),
            ))
            .await?;
        let mut scores = BTreeMap::new();
        for r in &rows {
            scores.insert(r.int(0)?, r.opt_int(1)?);
        }
        for m in messages(events) {
            if let Some(s) = &mut m.parts.feedback_request {
                s.score = scores.get(&s.survey.id.0).copied().flatten();
            }
        }
        Ok(())
    }

    /// `GET /feedback/results`.
    pub async fn feedback_results(&self, me: UserId, q: ResultsQuery) -> Result<Results> {
        let kind = q
            .kind
            .ok_or_else(|| Error::invalid("type", "must be csat or nps"))?;
        let from = q
            .from
            .as_deref()
            .map(|f| instant("from", f, false))
            .transpose()?;
        let to =
            q.to.as_deref()
                .map(|t| instant("to", t, true))
                .transpose()?;
        let mut sql = String::from(
            "SELECT agent_id, created_at, score FROM feedback_requests WHERE account_id = ?1 AND kind = ?2",
        );
        let mut params = vec![int(me.0), text_cell(kind.as_str())];
        let mut and = |clause: &str, cell: Cell| {
            params.push(cell);
            sql.push_str(&format!(" AND {clause} ?{}", params.len()));
        };
        if let Some(f) = from {
            and("created_at >=", int(f.timestamp_millis()));
        }
        if let Some(t) = to {
            and("created_at <", int(t.timestamp_millis()));
        }
        if let Some(a) = q.agent {
            and("agent_id =", int(a.0));
        }
        if let Some(e) = q.external_id {
            and("external_id =", text_cell(e));
        }
        let rows = self
            .store
            .cold()
            .select(Statement::owned(sql, params))
            .await?;
        let mut all = Tally::default();
        let mut by_agent: BTreeMap<String, Tally> = BTreeMap::new();
        let mut by_day: BTreeMap<String, Tally> = BTreeMap::new();
        for r in &rows {
            let agent = r
                .opt_int(0)?
                .map_or("account".to_owned(), |a| a.to_string());
            let day = DateTime::from_timestamp_millis(r.int(1)?)
                .unwrap_or_default()
                .format("%Y-%m-%d")
                .to_string();
            let score = r.opt_int(2)?;
            for t in [
                &mut all,
                by_agent.entry(agent).or_default(),
                by_day.entry(day).or_default(),
            ] {
                t.add(score);
            }
        }
        let summary = |t: &Tally| Summary {
            requests: t.requests,
            responses: t.responses(),
            score: t.score(kind),
        };
        Ok(Results {
            kind,
            requests: all.requests,
            responses: all.responses(),
            response_rate: (all.requests > 0)
                .then(|| one_decimal(100.0 * all.responses() as f64 / all.requests as f64)),
            distribution: all
                .scores
                .iter()
                .map(|(score, n)| (score.to_string(), *n))
                .collect(),
            csat: (kind == SurveyType::Csat)
                .then(|| all.score(kind))
                .flatten(),
            nps: (kind == SurveyType::Nps).then(|| all.score(kind)).flatten(),
            by_agent: by_agent
                .iter()
                .map(|(k, t)| (k.clone(), summary(t)))
                .collect(),
            by_day: by_day
                .iter()
                .map(|(k, t)| (k.clone(), summary(t)))
                .collect(),
        })
    }

    /// When `me` may next ask `person`, if not now.
    async fn next_survey_at(&self, me: UserId, person: UserId) -> Result<Option<DateTime<Utc>>> {
        let since = Utc::now() - Duration::hours(FEEDBACK_EVERY_HOURS);
        let rows = self
            .store
            .cold()
            .select(Statement::new(
                "SELECT max(created_at) FROM feedback_requests
                 WHERE account_id = ?1 AND recipient_id = ?2 AND created_at > ?3",
                vec![int(me.0), int(person.0), int(since.timestamp_millis())],
            ))
            .await?;
        let last = rows.first().map(|r| r.opt_int(0)).transpose()?.flatten();
        Ok(last
            .and_then(DateTime::from_timestamp_millis)
            .map(|t| t + Duration::hours(FEEDBACK_EVERY_HOURS)))
    }
}

/// Counts of sent surveys and their answers' scores.
#[derive(Default)]
struct Tally {
    requests: u64,
    scores: BTreeMap<i64, u64>,
}

impl Tally {
    fn add(&mut self, score: Option<i64>) {
        self.requests += 1;
        if let Some(s) = score {
            *self.scores.entry(s).or_default() += 1;
        }
    }

    fn responses(&self) -> u64 {
        self.scores.values().sum()
    }

    fn share(&self, range: std::ops::RangeInclusive<i64>) -> f64 {
        let n: u64 = self
            .scores
            .iter()
            .filter(|(s, _)| range.contains(s))
            .map(|(_, n)| n)
            .sum();
        100.0 * n as f64 / self.responses() as f64
    }

    /// CSAT: % of 4–5; NPS: % of 9–10 less % of 0–6. None without answers.
    fn score(&self, kind: SurveyType) -> Option<f64> {
        if self.responses() == 0 {
            return None;
        }
        Some(one_decimal(match kind {
            SurveyType::Csat => self.share(4..=5),
            SurveyType::Nps => self.share(9..=10) - self.share(0..=6),
        }))
    }
}

fn one_decimal(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// A `from` or `to`: an RFC 3339 instant, or a day (`YYYY-MM-DD`, UTC), whose end `to` means.
pub(crate) fn instant(field: &str, raw: &str, end_of_day: bool) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| Error::invalid(field, "must be a date (YYYY-MM-DD) or an RFC 3339 time"))?;
    let day = if end_of_day {
        day.succ_opt().unwrap_or(day)
    } else {
        day
    };
    Ok(day.and_time(chrono::NaiveTime::MIN).and_utc())
}

fn request_row(r: &ColdRow) -> Result<FeedbackRequest> {
    let score = r.opt_int(11)?;
    let answered_at = r.opt_int(13)?;
    Ok(FeedbackRequest {
        id: ObjectId(r.int(0)?),
        account_id: UserId(r.int(14)?),
        display_name: r.opt_text(15)?,
        message_id: ObjectId(r.int(1)?),
        conversation_id: r.text(2)?,
        kind: SurveyType::parse(&r.text(3)?).ok_or_else(|| Error::internal("survey type"))?,
        recipient_id: UserId(r.int(4)?),
        question: r.text(5)?,
        display: Display::parse(&r.text(6)?).ok_or_else(|| Error::internal("survey display"))?,
        privacy_url: r.text(7)?,
        external_id: r.opt_text(8)?,
        custom_profile_id: r.opt_int(9)?.map(ObjectId),
        created_at: DateTime::from_timestamp_millis(r.int(10)?).unwrap_or_default(),
        response: match (score, answered_at) {
            (Some(score), Some(at)) => Some(Answer {
                score,
                text: r.opt_text(12)?,
                created_at: DateTime::from_timestamp_millis(at).unwrap_or_default(),
            }),
            _ => None,
        },
    })
}
