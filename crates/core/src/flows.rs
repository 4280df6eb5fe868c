//! Bot builder flows (issue 18): what a support account's built-in bot does, made of a
//! trigger and steps, edited in the web app without code.
//!
//! A flow runs when a customer's message matches its trigger, as the account (speaking as a
//! custom profile, "Bot"), only while the bots hold the conversation. Only customers' messages
//! trigger flows, never a flow's own, and one message runs at most [`STEP_BUDGET`] steps, so
//! loops and runaways cannot happen.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::feedback::SurveyType;
use crate::parts::{BUTTONS_MAX, Cta, QuickReply};
use crate::{Error, ObjectId, Result, text};

/// Flows one account may have.
pub const FLOWS_MAX: usize = 50;
/// Steps in one flow, at most.
pub const STEPS_MAX: usize = 20;
/// Steps one incoming message may run, across flows: a runaway flow stops here.
pub const STEP_BUDGET: usize = 10;
/// A flow's name, at most.
pub const FLOW_NAME_MAX: usize = 100;
/// Keywords one trigger may list, and each one's length.
pub const KEYWORDS_MAX: usize = 20;
pub const KEYWORD_MAX: usize = 50;
/// A pattern's length, at most (it compiles under a size limit too).
pub const PATTERN_MAX: usize = 200;
/// A step's text, at most (a message's).
pub const STEP_TEXT_MAX: usize = 10_000;
/// The name an answer is kept under: 1–32 of `[a-z0-9_]`.
pub const ANSWER_NAME_MAX: usize = 32;
/// A hand-over note, at most.
pub const NOTE_MAX: usize = 1_000;
/// How big a compiled pattern may grow.
const PATTERN_SIZE_LIMIT: usize = 1 << 16;

/// When a flow runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    /// A customer's first message to the account since its flows began.
    FirstContact,
    /// A quick reply (a welcome message's, or a flow's) answered with this metadata.
    QuickReply { metadata: String },
    /// A message containing one of these words (case and accents as typed, whole words).
    Keyword { keywords: Vec<String> },
    /// A message matching this regular expression (case-insensitive).
    Pattern { pattern: String },
    /// Any message no earlier flow matched.
    AnyMessage,
}

/// One thing a flow does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Sends a message: text (with `{{name}}` standing for a kept answer), quick replies,
    /// buttons.
    Reply {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        quick_reply: Option<QuickReply>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        ctas: Vec<Cta>,
    },
    /// Asks a question and waits: the customer's next message is kept as `save_as`.
    Ask {
        text: String,
        save_as: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        quick_reply: Option<QuickReply>,
    },
    /// Sends a feedback survey (at most one per person per day, as always).
    Survey {
        kind: SurveyType,
        privacy_url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        question: Option<String>,
    },
    /// Hands the conversation to a person, with a note for them (the kept answers are added);
    /// `text` tells the customer first. The flow ends here.
    Handover {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
}

/// A flow as written: what an account stores and edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowDraft {
    pub name: String,
    #[serde(default = "enabled")]
    pub enabled: bool,
    pub trigger: Trigger,
    pub steps: Vec<Step>,
    /// The custom profile the bot speaks as ("Bot"); the account itself without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_profile_id: Option<ObjectId>,
}

fn enabled() -> bool {
    true
}

impl FlowDraft {
    /// Checks every rule, naming the field of the first broken one.
    pub fn checked(mut self) -> Result<FlowDraft> {
        self.name = text::single_line("name", &self.name, FLOW_NAME_MAX)?;
        if self.name.trim().is_empty() {
            return Err(Error::invalid("name", "must not be empty"));
        }
        self.trigger = self.trigger.checked()?;
        if self.steps.is_empty() || self.steps.len() > STEPS_MAX {
            return Err(Error::invalid(
                "steps",
                format!("must hold 1 to {STEPS_MAX} steps, got {}", self.steps.len()),
            ));
        }
        self.steps = std::mem::take(&mut self.steps)
            .into_iter()
            .enumerate()
            .map(|(i, step)| step.checked(&format!("steps[{i}]")))
            .collect::<Result<_>>()?;
        Ok(self)
    }
}

impl Trigger {
    fn checked(self) -> Result<Trigger> {
        Ok(match self {
            Trigger::QuickReply { metadata } => {
                let metadata = text::free_text(
                    "trigger.metadata",
                    &metadata,
                    crate::parts::OPTION_METADATA_MAX,
                )?;
                if metadata.is_empty() {
                    return Err(Error::invalid("trigger.metadata", "must not be empty"));
                }
                Trigger::QuickReply { metadata }
            }
            Trigger::Keyword { keywords } => {
                if keywords.is_empty() || keywords.len() > KEYWORDS_MAX {
                    return Err(Error::invalid(
                        "trigger.keywords",
                        format!(
                            "must hold 1 to {KEYWORDS_MAX} words, got {}",
                            keywords.len()
                        ),
                    ));
                }
                let keywords = keywords
                    .iter()
                    .enumerate()
                    .map(|(i, k)| {
                        let field = format!("trigger.keywords[{i}]");
                        let k = text::single_line(&field, k, KEYWORD_MAX)?;
                        if k.trim().is_empty() {
                            return Err(Error::invalid(field, "must not be empty"));
                        }
                        Ok(k.trim().to_lowercase())
                    })
                    .collect::<Result<_>>()?;
                Trigger::Keyword { keywords }
            }
            Trigger::Pattern { pattern } => {
                if pattern.chars().count() > PATTERN_MAX || pattern.is_empty() {
                    return Err(Error::invalid(
                        "trigger.pattern",
                        format!("must be 1 to {PATTERN_MAX} characters"),
                    ));
                }
                compile(&pattern).map_err(|e| {
                    Error::invalid("trigger.pattern", format!("is not a pattern: {e}"))
                })?;
                Trigger::Pattern { pattern }
            }
            other @ (Trigger::FirstContact | Trigger::AnyMessage) => other,
        })
    }

    /// Whether a customer's message matches: its text, the metadata of the quick reply it
    /// answers, and whether it is their first.
    pub fn matches(&self, text: &str, answered: Option<&str>, first: bool) -> bool {
        match self {
            Trigger::FirstContact => first,
            Trigger::QuickReply { metadata } => answered == Some(metadata.as_str()),
            Trigger::Keyword { keywords } => {
                let lowered = text.to_lowercase();
                let words: Vec<&str> = lowered
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .collect();
                keywords.iter().any(|k| {
                    let wanted: Vec<&str> = k
                        .split(|c: char| !c.is_alphanumeric())
                        .filter(|w| !w.is_empty())
                        .collect();
                    !wanted.is_empty()
                        && words.windows(wanted.len()).any(|w| w == wanted.as_slice())
                })
            }
            Trigger::Pattern { pattern } => compile(pattern).is_ok_and(|re| re.is_match(text)),
            Trigger::AnyMessage => true,
        }
    }
}

fn compile(pattern: &str) -> std::result::Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(PATTERN_SIZE_LIMIT)
        .dfa_size_limit(PATTERN_SIZE_LIMIT)
        .build()
}

impl Step {
    fn checked(self, field: &str) -> Result<Step> {
        let words = |name: &str, t: &str| -> Result<String> {
            let t = text::free_text(&format!("{field}.{name}"), t, STEP_TEXT_MAX)?;
            if t.is_empty() {
                return Err(Error::invalid(
                    format!("{field}.{name}"),
                    "must not be empty",
                ));
            }
            Ok(t)
        };
        Ok(match self {
            Step::Reply {
                text,
                quick_reply,
                ctas,
            } => {
                if ctas.len() > BUTTONS_MAX {
                    return Err(Error::invalid(
                        format!("{field}.ctas"),
                        format!("at most {BUTTONS_MAX} buttons, got {}", ctas.len()),
                    ));
                }
                Step::Reply {
                    text: words("text", &text)?,
                    quick_reply: quick_reply
                        .map(|q| q.checked(&format!("{field}.quick_reply")))
                        .transpose()?,
                    ctas: ctas
                        .into_iter()
                        .enumerate()
                        .map(|(i, c)| c.checked(&format!("{field}.ctas"), i))
                        .collect::<Result<_>>()?,
                }
            }
            Step::Ask {
                text,
                save_as,
                quick_reply,
            } => {
                let named = !save_as.is_empty()
                    && save_as.len() <= ANSWER_NAME_MAX
                    && save_as
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                if !named {
                    return Err(Error::invalid(
                        format!("{field}.save_as"),
                        format!("must be 1 to {ANSWER_NAME_MAX} of a-z, 0-9 and _"),
                    ));
                }
                Step::Ask {
                    text: words("text", &text)?,
                    save_as,
                    quick_reply: quick_reply
                        .map(|q| q.checked(&format!("{field}.quick_reply")))
                        .transpose()?,
                }
            }
            Step::Survey {
                kind,
                privacy_url,
                question,
            } => {
                if !crate::parts::is_web_url(&privacy_url) {
                    return Err(Error::invalid(
                        format!("{field}.privacy_url"),
                        "must be an http or https URL",
                    ));
                }
                Step::Survey {
                    kind,
                    privacy_url,
                    question: question.map(|q| words("question", &q)).transpose()?,
                }
            }
            Step::Handover { text, note } => Step::Handover {
                text: text.map(|t| words("text", &t)).transpose()?,
                note: note
                    .map(|n| text::free_text(&format!("{field}.note"), &n, NOTE_MAX))
                    .transpose()?,
            },
        })
    }
}

/// `text` with each `{{name}}` replaced by the answer kept under it (or left out).
pub fn fill(text: &str, answers: &std::collections::BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim();
                out.push_str(answers.get(name).map_or("", String::as_str));
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_match_whole_words_in_any_case() {
        let t = Trigger::Keyword {
            keywords: vec!["refund".into(), "order status".into()],
        };
        assert!(t.matches("I want a REFUND please", None, false));
        assert!(t.matches("what's my order status?", None, false));
        assert!(!t.matches("refunded already", None, false));
        assert!(!t.matches("status of my order", None, false));
    }

    #[test]
    fn answers_fill_their_places() {
        let mut answers = std::collections::BTreeMap::new();
        answers.insert("order".to_owned(), "A-17".to_owned());
        assert_eq!(
            fill("Order {{ order }} found", &answers),
            "Order A-17 found"
        );
        assert_eq!(fill("{{missing}}!", &answers), "!");
        assert_eq!(
            fill("open {{ never closed", &answers),
            "open {{ never closed"
        );
    }

    #[test]
    fn a_pattern_too_big_or_broken_is_refused() {
        let broken = Trigger::Pattern {
            pattern: "(".into(),
        };
        assert!(broken.checked().is_err());
        let huge = Trigger::Pattern {
            pattern: "\\w{500}\\w{500}".into(),
        };
        assert!(huge.checked().is_err());
    }
}
