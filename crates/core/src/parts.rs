//! A message's interactive parts (SPEC §3.5, §4.2, §4.3): quick-reply options a person can
//! tap, the response that answers them, buttons, and what started the conversation. Typed
//! data, stored with the message as it was sent; what depends on who looks and when (whether
//! a prompt is still open, a button's counting link and its clicks) is added when it is shown.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::avatar::Avatar;
use crate::error::{Error, Result};
use crate::feedback::SurveyPart;
use crate::ids::{ConversationId, EventId, ObjectId, UserId};
use crate::text;

pub const QUICK_REPLY_OPTIONS_MAX: usize = 20;
pub const OPTION_LABEL_MAX: usize = 36;
pub const OPTION_DESCRIPTION_MAX: usize = 72;
pub const OPTION_METADATA_MAX: usize = 1_000;
pub const BUTTONS_MAX: usize = 3;
pub const BUTTON_LABEL_MAX: usize = 36;
pub const BUTTON_URL_MAX: usize = 2_000;
/// A `message` button's pre-filled text, at most.
pub const BUTTON_TEXT_MAX: usize = 1_000;

/// What makes an option's label a link, which it may not be (SPEC §4.2): `http://`,
/// `https://` or `www.`, in any case. The rule as a JSON Schema pattern, and the check below.
pub const LINK_PATTERN: &str = "[hH][tT][tT][pP][sS]?://|[wW][wW][wW]\\.";

fn has_link(s: &str) -> bool {
    let lower = s.to_lowercase();
    ["http://", "https://", "www."]
        .iter()
        .any(|l| lower.contains(l))
}

/// An http or https URL as a JSON Schema pattern: what [`is_web_url`] takes. (U+FEFF is
/// named: ECMAScript's `\s` has it, Rust's does not.)
pub const WEB_URL_PATTERN: &str = "^[hH][tT][tT][pP][sS]?://[^/?#\\s\\u0000-\\u001f\\u007f-\\u009f\\ufeff]+[^\\s\\u0000-\\u001f\\u007f-\\u009f\\ufeff]*$";

/// Options a person can answer with one tap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuickReply {
    /// Always `options`.
    #[serde(rename = "type")]
    pub kind: String,
    pub options: Vec<QuickReplyOption>,
    /// Whether the prompt can still be answered: it closes when answered or when its sender
    /// writes again. (Set when shown; ignored on a send.)
    #[serde(default)]
    pub open: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuickReplyOption {
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
}

/// The option a message answers, by its metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuickReplyResponse {
    /// Always `options`.
    #[serde(rename = "type")]
    pub kind: String,
    pub metadata: String,
}

/// A button under a message: where it goes, typed, so the server can build and re-check it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Cta {
    /// A web page (http or https).
    Url { label: String, url: String },
    /// Follow an account: opens `/intent/follow?screen_name=`.
    Follow { label: String, screen_name: String },
    /// Share a pre-written post: opens the post composer (`/intent/post?text=&url=`).
    Post {
        label: String,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
    /// Start a conversation with an account: opens the DM deep link.
    Message {
        label: String,
        recipient_id: UserId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        welcome_message_id: Option<ObjectId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
    },
}

/// What directly preceded a person's first message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InitiatedVia {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub welcome_message_id: Option<ObjectId>,
    /// The public post this moves to DMs ("Switch to DM"): the other person's, or yours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_id: Option<ObjectId>,
    /// The DM card of the other person's whose button opened the conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_id: Option<ObjectId>,
    /// How the conversation was opened, where the ids above do not say (business insights).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<crate::insights::EntrySource>,
}

/// A message's interactive parts as clients see them (flattened into the message).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Shown {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick_reply: Option<QuickReply>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick_reply_response: Option<QuickReplyResponse>,
    /// Buttons, each served through its counting link.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ctas: Vec<Button>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiated_via: Option<InitiatedVia>,
    /// The name and picture the account sent this as ("Maria from Support").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_profile: Option<CustomProfile>,
    /// A feedback survey to answer (SPEC §4.7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback_request: Option<ShownSurvey>,
    /// The app it was sent through: only the v1.1 API shows it, and only to its sender.
    #[serde(skip)]
    pub source_app: Option<ObjectId>,
}

/// A survey on its message: what to draw, and (when shown) the score it was answered with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShownSurvey {
    #[serde(flatten)]
    pub survey: SurveyPart,
    /// The score given, once answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<i64>,
}

/// A name and picture an account's agents or bots send as (SPEC §4.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CustomProfile {
    pub id: ObjectId,
    pub name: String,
    /// The picture (`?size=` 48, 96, 200 or 400); `null` without one.
    #[serde(rename = "avatar_url")]
    #[schema(value_type = Option<String>)]
    pub avatar: Option<Avatar>,
}

/// A custom profile as a message stores it: as it was when the message was sent, holding the
/// picture's key, not its URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileStamp {
    pub id: ObjectId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_key: Option<String>,
}

/// A custom profile's name, at most this many characters.
pub const PROFILE_NAME_MAX: usize = 48;

/// A button as shown: what it is, the link that counts a click and goes there, and (to the
/// sender only) how many clicks it had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Button {
    #[serde(flatten)]
    pub cta: Cta,
    pub tco_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clicks: Option<u64>,
}

/// Everything interactive about one message, as stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Parts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick_reply: Option<QuickReply>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick_reply_response: Option<QuickReplyResponse>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ctas: Vec<StoredCta>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiated_via: Option<InitiatedVia>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_profile: Option<ProfileStamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback_request: Option<SurveyPart>,
    /// Sent by Postern for the account (an away message), not by a person: not an answer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub automatic: bool,
    /// The developer app it was sent through (Twitter's `source_app_id`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_app: Option<ObjectId>,
}

/// A button as stored: what it is, and the secret part of its counting link (so links
/// cannot be made up to inflate another button's clicks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCta {
    #[serde(flatten)]
    pub cta: Cta,
    pub token: String,
}

impl Parts {
    pub fn is_empty(&self) -> bool {
        *self == Parts::default()
    }

    /// The parts as shown on message `message` of `conversation`. A prompt shows closed
    /// until the service says otherwise (see `open`).
    pub fn shown(&self, conversation: &ConversationId, message: EventId) -> Shown {
        Shown {
            quick_reply: self.quick_reply.clone(),
            quick_reply_response: self.quick_reply_response.clone(),
            ctas: self
                .ctas
                .iter()
                .enumerate()
                .map(|(i, c)| Button {
                    cta: c.cta.clone(),
                    tco_url: button_link(conversation, message, i, &c.token),
                    clicks: None,
                })
                .collect(),
            initiated_via: self.initiated_via.clone(),
            custom_profile: self.custom_profile.as_ref().map(|p| CustomProfile {
                id: p.id,
                name: p.name.clone(),
                avatar: p.avatar_key.as_deref().and_then(Avatar::parse),
            }),
            feedback_request: self.feedback_request.clone().map(|survey| ShownSurvey {
                survey,
                score: None,
            }),
            source_app: self.source_app,
        }
    }
}

impl QuickReply {
    /// Checks a prompt as sent, naming the field of the first broken rule.
    pub fn checked(mut self, field: &str) -> Result<QuickReply> {
        if self.kind != "options" {
            return Err(Error::invalid(format!("{field}.type"), "must be options"));
        }
        let n = self.options.len();
        if n == 0 || n > QUICK_REPLY_OPTIONS_MAX {
            return Err(Error::invalid(
                format!("{field}.options"),
                format!("must hold 1 to {QUICK_REPLY_OPTIONS_MAX} options, got {n}"),
            ));
        }
        let described = self
            .options
            .iter()
            .filter(|o| o.description.is_some())
            .count();
        if described != 0 && described != n {
            return Err(Error::invalid(
                format!("{field}.options"),
                "must all have a description, or none",
            ));
        }
        for (i, o) in self.options.iter_mut().enumerate() {
            let at = |name: &str| format!("{field}.options[{i}].{name}");
            o.label = text::single_line(&at("label"), &o.label, OPTION_LABEL_MAX)?;
            if o.label.trim().is_empty() {
                return Err(Error::invalid(at("label"), "must not be empty"));
            }
            if has_link(&o.label) {
                return Err(Error::invalid(at("label"), "must not contain a URL"));
            }
            if let Some(d) = &o.description {
                let d = text::single_line(&at("description"), d, OPTION_DESCRIPTION_MAX)?;
                if d.trim().is_empty() {
                    return Err(Error::invalid(
                        at("description"),
                        "must say something, or be left out",
                    ));
                }
                o.description = Some(d);
            }
            if let Some(m) = &o.metadata {
                o.metadata = Some(text::free_text(&at("metadata"), m, OPTION_METADATA_MAX)?);
            }
        }
        self.open = false;
        Ok(self)
    }

    /// The option a response names by its metadata (an option without any is answered
    /// with empty metadata, as Twitter returns it).
    pub fn option(&self, metadata: &str) -> Option<&QuickReplyOption> {
        self.options
            .iter()
            .find(|o| o.metadata.as_deref().unwrap_or_default() == metadata)
    }
}

impl Cta {
    pub fn label(&self) -> &str {
        match self {
            Cta::Url { label, .. }
            | Cta::Follow { label, .. }
            | Cta::Post { label, .. }
            | Cta::Message { label, .. } => label,
        }
    }

    /// Checks a button as sent (its `i`th, in `field`), naming the first broken rule.
    pub fn checked(mut self, field: &str, i: usize) -> Result<Cta> {
        let at = |name: &str| format!("{field}[{i}].{name}");
        let label = match &mut self {
            Cta::Url { label, .. }
            | Cta::Follow { label, .. }
            | Cta::Post { label, .. }
            | Cta::Message { label, .. } => label,
        };
        *label = text::single_line(&at("label"), label, BUTTON_LABEL_MAX)?;
        if label.trim().is_empty() {
            return Err(Error::invalid(at("label"), "must not be empty"));
        }
        match &mut self {
            Cta::Url { url, .. } => {
                if url.chars().count() > BUTTON_URL_MAX || !is_web_url(url) {
                    return Err(Error::invalid(
                        at("url"),
                        format!(
                            "must be an http or https URL of at most {BUTTON_URL_MAX} characters"
                        ),
                    ));
                }
            }
            Cta::Follow { screen_name, .. } => {
                *screen_name = text::screen_name(screen_name).map_err(|_| {
                    Error::invalid(
                        at("screen_name"),
                        "must be a screen name: 1 to 15 letters, digits or _",
                    )
                })?;
            }
            Cta::Post { text: t, url, .. } => {
                *t = text::free_text(&at("text"), t, crate::posts::POST_TEXT_MAX)?;
                if t.is_empty() {
                    return Err(Error::invalid(at("text"), "must not be empty"));
                }
                if let Some(u) = url
                    && (u.chars().count() > BUTTON_URL_MAX || !is_web_url(u))
                {
                    return Err(Error::invalid(
                        at("url"),
                        format!(
                            "must be an http or https URL of at most {BUTTON_URL_MAX} characters"
                        ),
                    ));
                }
            }
            Cta::Message { text: Some(t), .. } => {
                *t = text::free_text(&at("text"), t, BUTTON_TEXT_MAX)?;
            }
            Cta::Message { .. } => {}
        }
        Ok(self)
    }

    /// Where the button goes, as a path on this server or the URL itself.
    pub fn target(&self) -> String {
        match self {
            Cta::Url { url, .. } => url.clone(),
            Cta::Follow { screen_name, .. } => format!("/intent/follow?screen_name={screen_name}"),
            Cta::Post { text, url, .. } => {
                let mut link = format!("/intent/post?text={}", percent_encode(text));
                if let Some(u) = url {
                    link.push_str("&url=");
                    link.push_str(&percent_encode(u));
                }
                link
            }
            Cta::Message {
                recipient_id,
                welcome_message_id,
                text,
                ..
            } => {
                let mut link = format!("/messages/compose?recipient_id={recipient_id}");
                if let Some(w) = welcome_message_id {
                    link.push_str(&format!("&welcome_message_id={w}"));
                }
                if let Some(t) = text {
                    link.push_str("&text=");
                    link.push_str(&percent_encode(t));
                }
                link
            }
        }
    }
}

/// Whether `url` is an absolute http or https URL with a host: what a button may open, and
/// what a click re-checks before redirecting.
pub fn is_web_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or_default();
        // What JSON Schema's `\s` and the control characters cover (`WEB_URL_PATTERN`).
        !host.is_empty()
            && !url
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '\u{feff}')
    })
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A button's counting link: the conversation and message it is on, which button, and its
/// secret. (Conversation ids hold digits and `-`, never `.`.)
pub fn button_link(
    conversation: &ConversationId,
    message: EventId,
    position: usize,
    token: &str,
) -> String {
    format!("/l/{conversation}.{message}.{position}.{token}")
}

/// The parts of a counting link's last segment, if it is one.
pub fn parse_button_link(segment: &str) -> Option<(ConversationId, EventId, usize, &str)> {
    let mut parts = segment.splitn(4, '.');
    let conversation = ConversationId::parse(parts.next()?)?;
    let message = EventId(crate::ids::canonical_id(parts.next()?).ok()?);
    let position = parts.next()?.parse().ok()?;
    let token = parts.next()?;
    (token.len() == 32 && token.bytes().all(|b| b.is_ascii_hexdigit())).then_some((
        conversation,
        message,
        position,
        token,
    ))
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test should stop loudly at the first thing it did not expect"
)]
mod tests {
    use proptest::prelude::*;
    use regex::Regex;

    use super::*;

    /// URLs and labels made mostly of what the rules are about.
    fn tricky() -> impl Strategy<Value = String> {
        let pieces = prop_oneof![
            Just("http://".to_owned()),
            Just("HTTPS://".to_owned()),
            Just("wWw.".to_owned()),
            Just("ftp://".to_owned()),
            Just("/".to_owned()),
            Just("?#".to_owned()),
            "[a-z.]{1,6}",
            prop::sample::select(vec![
                ' ', '\t', '\u{7f}', '\u{85}', '\u{a0}', '\u{feff}', '\u{2028}', 'é'
            ])
            .prop_map(String::from),
            any::<char>().prop_map(String::from),
        ];
        proptest::collection::vec(pieces, 0..8).prop_map(|p| p.concat())
    }

    proptest! {
        #[test]
        fn a_button_url_is_what_its_pattern_says(s in tricky()) {
            let pattern = Regex::new(WEB_URL_PATTERN).unwrap();
            prop_assert_eq!(is_web_url(&s), pattern.is_match(&s), "{:?}", s);
        }

        #[test]
        fn a_label_has_a_link_when_its_pattern_says(s in tricky()) {
            let pattern = Regex::new(LINK_PATTERN).unwrap();
            prop_assert_eq!(has_link(&s), pattern.is_match(&s), "{:?}", s);
        }
    }

    #[test]
    fn a_message_button_goes_to_the_deep_link_with_its_text_encoded() {
        let cta = Cta::Message {
            label: "Sales".into(),
            recipient_id: UserId(42),
            welcome_message_id: Some(ObjectId(7)),
            text: Some("Hi & bye/ü".into()),
        };
        assert_eq!(
            cta.target(),
            "/messages/compose?recipient_id=42&welcome_message_id=7&text=Hi%20%26%20bye%2F%C3%BC"
        );
    }

    #[test]
    fn a_link_reads_back_only_whole() {
        let c = ConversationId::one_to_one(UserId(1), UserId(2));
        let link = button_link(&c, EventId(9), 2, &"ab".repeat(16));
        let segment = link.strip_prefix("/l/").unwrap();
        let (conversation, message, position, token) = parse_button_link(segment).unwrap();
        assert_eq!(
            (conversation, message, position, token),
            (c, EventId(9), 2, "ab".repeat(16).as_str())
        );
        for bad in [
            "1-2.9.2",
            "1-2.9.x.abab",
            "2-1.9.0.abababababababababababababababab",
            "",
        ] {
            assert!(parse_button_link(bad).is_none(), "{bad}");
        }
    }
}
