//! The domain error: every refusal Postern can give, independent of any surface. Each HTTP
//! surface maps every variant to its own status and code in one exhaustive `match`.

use std::time::Duration;

use crate::admission::Rule;
use crate::auth::{AuthFailure, Scope};
use crate::model::AllowDmsFrom;

/// A field-level validation failure: which field, and what is wrong with it, in words a
/// client developer can act on ("must be at most 10000 characters, got 10001").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {}", .0.field, .0.message)]
    Invalid(Invalid),
    /// Text over its length limit: invalid, told apart because surfaces name it (v1.1's
    /// 354 for a message's text).
    #[error("{}: {}", .0.field, .0.message)]
    TooLong(Invalid),
    #[error("authentication required")]
    Unauthenticated,
    #[error("invalid screen name or password")]
    BadCredentials,
    /// A credential presented to a Twitter-compatible API that authenticates no one, and
    /// why.
    #[error("could not authenticate you: {0}")]
    Unauthorized(AuthFailure),
    /// An app's grant lacks the scope the route needs.
    #[error("this token lacks the {} scope", .0.name())]
    MissingScope(Scope),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0} not found")]
    NotFound(Thing),
    #[error("{0}")]
    Conflict(&'static str),
    /// A field that refers to something (a message to reply to, an upload to attach) names
    /// nothing the caller can use: not found, with the field that named it.
    #[error("{}: {}", .0.field, .0.message)]
    Unknown(Invalid),
    /// An action on another account aimed at one's own (following, blocking or messaging
    /// yourself): the request is well-formed, the account cannot do it to itself.
    #[error("{}: {}", .0.field, .0.message)]
    OwnAccount(Invalid),
    /// Well formed, and refused for the state something is in now (a full group, an upload
    /// still in progress, expired or already used), naming the field: the same request may
    /// succeed later, or with something else.
    #[error("{}: {}", .0.field, .0.message)]
    State(Invalid),
    /// A chunked upload completed before all its parts arrived: the same request succeeds
    /// once they have.
    #[error("{}: {}", .0.field, .0.message)]
    UploadIncomplete(Invalid),
    /// A quick-reply response that answers no open prompt: none is open, it is the sender's
    /// own, it was already answered, or no open option has that metadata.
    #[error("{}: {}", .0.field, .0.message)]
    QuickReplyNotOpen(Invalid),
    /// A webhook's URL that failed the checks a webhook must pass (its CRC challenge, or
    /// where it resolves), naming the field (v1.1 code 214, as Twitter's Account Activity
    /// API answers).
    #[error("{}: {}", .0.field, .0.message)]
    WebhookRefused(Invalid),
    /// Welcome messages need an account open to messages from everyone (v1.1 code 214).
    #[error("welcome messages need allow_dms_from everyone: turn it on in your settings first")]
    WelcomeRequiresOpenDms,
    /// A message edited as many times as the configured cap allows (state, hence a
    /// conflict: the same edit was valid before the last one).
    #[error("a message can be edited at most {0} times")]
    EditLimit(u32),
    /// Something only a group has (a name), asked of a one-to-one conversation.
    #[error("{}: {}", .0.field, .0.message)]
    NotAGroup(Invalid),
    /// A bot (an app, a token, a flow) writing in a business conversation a person is
    /// handling (issue 18, hand-over): it may ask for control, not talk over them.
    #[error(
        "a person is handling this conversation: the account's bots may not send in it until it is passed back (or the idle time passes)"
    )]
    HumanInControl,
    /// Passing a conversation's control by someone who does not hold it: says who does.
    #[error("only who holds a conversation can pass it; the {0} holds it")]
    NotInControl(crate::stream::Controller),
    /// Admission refused: a block stands between the two users (v1.1 code 349).
    #[error("you cannot send messages to this user")]
    CannotMessageUser,
    /// A reply to a post whose author blocks the replier (SPEC §3.7: blocks apply to posts).
    #[error("reply_to_id: you cannot reply to this account's posts")]
    CannotReply,
    /// Admission refused: the recipient's setting (carried, so the refusal can name it) does
    /// not admit the sender (v1.1 150).
    #[error("{}", not_accepting(*.0))]
    RecipientNotAccepting(AllowDmsFrom),
    /// Media of a type Postern does not take (HTTP 415).
    #[error("{}: {}", .0.field, .0.message)]
    UnsupportedMedia(Invalid),
    /// Media whose content is not what it was declared to be.
    #[error("{}: {}", .0.field, .0.message)]
    MediaMismatch(Invalid),
    /// Media that cannot be read: corrupt, truncated, or not the container it claims.
    #[error("{}: {}", .0.field, .0.message)]
    InvalidMedia(Invalid),
    /// An upload over its cap, or an image that would decode beyond the pixel and memory
    /// limits (HTTP 413).
    #[error("{}: {}", .0.field, .0.message)]
    TooLarge(Invalid),
    /// A feedback survey to someone asked within the day (SPEC §4.7); says when the next
    /// may go.
    #[error(
        "recipient_id: one feedback survey per person every 24 hours; the next to them can be sent from {next_at}"
    )]
    FeedbackTooSoon {
        next_at: chrono::DateTime<chrono::Utc>,
    },
    #[error("rate limit exceeded: {what}")]
    RateLimited {
        what: &'static str,
        retry_after: Duration,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

/// What was not found: each surface names it its own way (v1.1 code 50 for a user, 34
/// otherwise; v2's `resource_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thing {
    User,
    Conversation,
    Message,
    Link,
    Media,
    Participant,
    WelcomeMessage,
    Post,
    FeedbackRequest,
    CustomProfile,
    Card,
    Avatar,
    App,
    Token,
    Thumbnail,
    AuthorizedApp,
    /// An OAuth request token or consent request, unknown, used or expired.
    Authorization,
    /// A bot builder flow.
    Flow,
    Webhook,
}

impl Thing {
    /// In words, for messages.
    pub fn noun(self) -> &'static str {
        match self {
            Thing::User => "user",
            Thing::Conversation => "conversation",
            Thing::Message => "message",
            Thing::Link => "link",
            Thing::Media => "media",
            Thing::Participant => "participant",
            Thing::WelcomeMessage => "welcome message",
            Thing::Post => "post",
            Thing::FeedbackRequest => "feedback request",
            Thing::CustomProfile => "custom profile",
            Thing::Card => "card",
            Thing::Avatar => "avatar",
            Thing::App => "app",
            Thing::Token => "token",
            Thing::Thumbnail => "thumbnail",
            Thing::AuthorizedApp => "authorized app",
            Thing::Authorization => "authorization request",
            Thing::Flow => "flow",
            Thing::Webhook => "webhook",
        }
    }
}

impl std::fmt::Display for Thing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.noun())
    }
}

/// Why a recipient's setting refused a sender, in the words of the setting.
fn not_accepting(setting: AllowDmsFrom) -> &'static str {
    match setting {
        AllowDmsFrom::Following => "this user accepts messages only from people they follow",
        AllowDmsFrom::Verified => {
            "this user accepts messages only from people they follow and from verified accounts"
        }
        AllowDmsFrom::Everyone => "this user does not accept messages from you",
    }
}

impl Error {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid(Invalid {
            field: field.into(),
            message: message.into(),
        })
    }

    /// An upload that cannot be attached as it is now, as the store finds when it claims it
    /// (the service's checks give each case its own words first).
    pub fn media_unavailable() -> Self {
        Error::State(Invalid {
            field: "media_id".into(),
            message: "is not available: it must be your own ready upload, unexpired, and not \
                      attached before (unless shared)"
                .into(),
        })
    }

    /// `field` names the other account, which is the caller's own.
    pub fn own_account(field: &str) -> Self {
        Error::OwnAccount(Invalid {
            field: field.into(),
            message: "must be another user, not yourself".into(),
        })
    }

    /// The field-level detail of any refusal that names a field.
    pub fn invalid_detail(&self) -> Option<&Invalid> {
        match self {
            Error::Invalid(i)
            | Error::TooLong(i)
            | Error::UnsupportedMedia(i)
            | Error::MediaMismatch(i)
            | Error::InvalidMedia(i)
            | Error::TooLarge(i)
            | Error::OwnAccount(i)
            | Error::Unknown(i)
            | Error::NotAGroup(i)
            | Error::UploadIncomplete(i)
            | Error::QuickReplyNotOpen(i)
            | Error::WebhookRefused(i)
            | Error::State(i) => Some(i),
            _ => None,
        }
    }

    /// The admission rule behind a refused direct message, as `dm_permission` names it.
    pub fn refused_by(&self) -> Option<Rule> {
        match self {
            Error::CannotMessageUser => Some(Rule::Blocked),
            Error::RecipientNotAccepting(_) => Some(Rule::NotAccepting),
            _ => None,
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        Error::Internal(e.to_string())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
