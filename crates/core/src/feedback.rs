//! Feedback surveys (SPEC §4.7): a CSAT (1–5) or NPS (0–10) question sent in a DM with a
//! privacy link, answered once (a score, then optional words) and never changed; at most one
//! per person per day from an account; results by period, agent and external id.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{ObjectId, UserId};

/// Surveys from one account to one person: one per this many hours.
pub const FEEDBACK_EVERY_HOURS: i64 = 24;
pub const QUESTION_MAX: usize = 280;
pub const COMMENT_MAX: usize = 1_000;
pub const EXTERNAL_ID_MAX: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SurveyType {
    /// Customer satisfaction: 1 (very unsatisfied) to 5 (very satisfied).
    Csat,
    /// Net promoter score: 0 (not at all likely to recommend) to 10 (extremely likely).
    Nps,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Display {
    Stars,
    Numbers,
    Emoji,
}

impl SurveyType {
    pub fn as_str(self) -> &'static str {
        match self {
            SurveyType::Csat => "csat",
            SurveyType::Nps => "nps",
        }
    }

    pub fn parse(s: &str) -> Option<SurveyType> {
        match s {
            "csat" => Some(SurveyType::Csat),
            "nps" => Some(SurveyType::Nps),
            _ => None,
        }
    }

    /// The scores an answer may give.
    pub fn scores(self) -> std::ops::RangeInclusive<i64> {
        match self {
            SurveyType::Csat => 1..=5,
            SurveyType::Nps => 0..=10,
        }
    }

    /// Asked when the account writes no question of its own.
    pub fn default_question(self) -> &'static str {
        match self {
            SurveyType::Csat => "How satisfied are you with the help you got today?",
            SurveyType::Nps => "How likely are you to recommend us to a friend or colleague?",
        }
    }
}

impl Display {
    pub fn as_str(self) -> &'static str {
        match self {
            Display::Stars => "stars",
            Display::Numbers => "numbers",
            Display::Emoji => "emoji",
        }
    }

    pub fn parse(s: &str) -> Option<Display> {
        match s {
            "stars" => Some(Display::Stars),
            "numbers" => Some(Display::Numbers),
            "emoji" => Some(Display::Emoji),
            _ => None,
        }
    }
}

/// An answer: a score, and perhaps words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Answer {
    pub score: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FeedbackRequest {
    pub id: ObjectId,
    /// The account that asked (surfaces that name it, as Twitter's `from_user_id`).
    #[serde(skip)]
    #[schema(ignore)]
    pub account_id: UserId,
    /// The name the question gives the account, when it gave one (Twitter's
    /// `display_name`).
    #[serde(skip)]
    #[schema(ignore)]
    pub display_name: Option<String>,
    /// The survey message in the conversation.
    pub message_id: ObjectId,
    pub conversation_id: String,
    #[serde(rename = "type")]
    pub kind: SurveyType,
    pub recipient_id: UserId,
    pub question: String,
    pub display: Display,
    pub privacy_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// The custom profile that sent it (the agent), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_profile_id: Option<ObjectId>,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<Answer>,
}

/// A survey as its message shows it: what to draw, and whether it was answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SurveyPart {
    pub id: ObjectId,
    #[serde(rename = "type")]
    pub kind: SurveyType,
    pub question: String,
    pub display: Display,
    pub privacy_url: String,
}

/// What the surveys say.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Results {
    #[serde(rename = "type")]
    pub kind: SurveyType,
    /// Surveys sent.
    pub requests: u64,
    /// Surveys answered.
    pub responses: u64,
    /// Answered, as a percentage of sent (one decimal); null with none sent.
    pub response_rate: Option<f64>,
    /// How many gave each score.
    pub distribution: BTreeMap<String, u64>,
    /// CSAT: the percentage of answers of 4 or 5 (one decimal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csat: Option<f64>,
    /// NPS: promoters (9–10) less detractors (0–6), as percentages of answers (one decimal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nps: Option<f64>,
    /// The same per agent (custom profile id; `"account"` for surveys sent as the account).
    pub by_agent: BTreeMap<String, Summary>,
    /// The same per day (UTC, `YYYY-MM-DD`) the surveys were sent.
    pub by_day: BTreeMap<String, Summary>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct Summary {
    pub requests: u64,
    pub responses: u64,
    /// CSAT % or NPS, as above; null with no answers.
    pub score: Option<f64>,
}
