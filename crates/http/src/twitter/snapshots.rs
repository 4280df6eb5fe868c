//! Wire output pinned (issue 17, item 6): one message with every part and one user, as each
//! surface writes them (native, v1.1, v2), and every refusal's status and code on each. A
//! change to any shape shows here as a snapshot to review (`cargo insta review`).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use postern_core::auth::{AuthFailure, Scope};
use postern_core::error::Thing;
use postern_core::media::{Media, MediaCategory, MediaType};
use postern_core::model::{AllowDmsFrom, ConversationEvent, Message, User};
use postern_core::parts::{
    Cta, InitiatedVia, Parts, ProfileStamp, QuickReply, QuickReplyOption, StoredCta,
};
use postern_core::support::SupportStatus;
use postern_core::{ConversationId, Error, EventId, Invalid, MediaId, ObjectId, UserId, entities};
use serde_json::{Value, json};

const ORIGIN: &str = "https://dm.example.com";

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn message() -> Message {
    let conversation = ConversationId::one_to_one(UserId(111), UserId(222));
    let id = EventId(900_000_000_000_001);
    let text = "Hi @carol, see #returns at https://example.com/r $ACME".to_owned();
    let parts = Parts {
        quick_reply: Some(QuickReply {
            kind: "options".into(),
            options: vec![
                QuickReplyOption {
                    label: "Order status".into(),
                    description: Some("Where is my order".into()),
                    metadata: Some("order".into()),
                },
                QuickReplyOption {
                    label: "A person".into(),
                    description: Some("Talk to someone".into()),
                    metadata: Some("human".into()),
                },
            ],
            open: false,
        }),
        ctas: vec![
            StoredCta {
                cta: Cta::Url {
                    label: "Help centre".into(),
                    url: "https://help.example.com/start".into(),
                },
                token: "k1".into(),
            },
            StoredCta {
                cta: Cta::Follow {
                    label: "Follow us".into(),
                    screen_name: "acme".into(),
                },
                token: "k2".into(),
            },
        ],
        initiated_via: Some(InitiatedVia {
            welcome_message_id: Some(ObjectId(5)),
            post_id: Some(ObjectId(6)),
            ..InitiatedVia::default()
        }),
        custom_profile: Some(ProfileStamp {
            id: ObjectId(77),
            name: "Maria from Support".into(),
            avatar_key: None,
        }),
        ..Parts::default()
    };
    Message {
        id,
        sender_id: UserId(111),
        entities: entities::extract(&text),
        text,
        created_at: at(1_765_000_000_123),
        reply_to_id: None,
        media: Some(Box::new(Media {
            id: MediaId(4242),
            media_type: MediaType::Jpeg,
            category: MediaCategory::DmImage,
            size: 12_345,
            width: 1200,
            height: 800,
            duration_ms: None,
            url: Media::url(MediaId(4242)),
            thumbnail_url: Some(Media::thumbnail_url(MediaId(4242))),
        })),
        client_message_id: None,
        reactions: Vec::new(),
        edit_count: 0,
        edited_at: None,
        edit_history: Vec::new(),
        deleted: false,
        parts: parts.shown(&conversation, id),
        conversation_id: conversation,
    }
}

fn user() -> User {
    User {
        id: UserId(111),
        screen_name: "acme".into(),
        name: "ACME Support".into(),
        description: "We answer every day, 9 to 5.".into(),
        avatar: None,
        verified: true,
        created_at: at(1_700_000_000_000),
        support: SupportStatus {
            enabled: true,
            open_now: true,
            next_change_at: None,
        },
        support_settings: None,
    }
}

#[test]
fn a_message_on_each_surface() {
    let m = message();
    insta::assert_json_snapshot!("native_message", m);
    insta::assert_json_snapshot!("v1_event", super::v1::render::event(&m, ORIGIN));
    let all: BTreeSet<&str> = super::v2::render::DM_EVENT_FIELDS.iter().copied().collect();
    insta::assert_json_snapshot!(
        "v2_dm_event",
        super::v2::render::dm_event(&ConversationEvent::Message(m.clone()), &all)
    );
    insta::assert_json_snapshot!(
        "v2_dm_event_default_fields",
        super::v2::render::dm_event(&ConversationEvent::Message(m), &BTreeSet::new())
    );
}

#[test]
fn a_user_on_each_surface() {
    let u = user();
    insta::assert_json_snapshot!("native_user", u);
    insta::assert_json_snapshot!("v1_user", super::v1::render::user(&u, ORIGIN));
    let all: BTreeSet<&str> = super::v2::render::USER_FIELDS.iter().copied().collect();
    insta::assert_json_snapshot!("v2_user", super::v2::render::user(&u, &all, ORIGIN));
}

/// One refusal of every kind the service gives.
fn refusals() -> Vec<(&'static str, Error)> {
    let field = |f: &str| Invalid {
        field: f.into(),
        message: "what is wrong".into(),
    };
    vec![
        ("invalid", Error::Invalid(field("text"))),
        ("too long text", Error::TooLong(field("text"))),
        ("too long name", Error::TooLong(field("name"))),
        ("unauthenticated", Error::Unauthenticated),
        ("bad credentials", Error::BadCredentials),
        (
            "malformed header",
            Error::Unauthorized(AuthFailure::Malformed("Authorization: …")),
        ),
        (
            "unknown consumer",
            Error::Unauthorized(AuthFailure::UnknownConsumer),
        ),
        (
            "bad signature",
            Error::Unauthorized(AuthFailure::BadSignature),
        ),
        (
            "stale timestamp",
            Error::Unauthorized(AuthFailure::StaleTimestamp),
        ),
        (
            "replayed nonce",
            Error::Unauthorized(AuthFailure::ReplayedNonce),
        ),
        (
            "unknown token",
            Error::Unauthorized(AuthFailure::UnknownToken),
        ),
        (
            "app only",
            Error::Unauthorized(AuthFailure::NeedsUserContext),
        ),
        ("oauth2 on v1.1", Error::Unauthorized(AuthFailure::V2Only)),
        ("missing scope", Error::MissingScope(Scope::DmWrite)),
        ("forbidden", Error::Forbidden("not a participant")),
        ("user not found", Error::NotFound(Thing::User)),
        ("message not found", Error::NotFound(Thing::Message)),
        ("media not found", Error::NotFound(Thing::Media)),
        ("conflict", Error::Conflict("already done")),
        ("unknown media", Error::Unknown(field("media_id"))),
        (
            "unknown profile",
            Error::Unknown(field("custom_profile_id")),
        ),
        ("own account", Error::OwnAccount(field("recipient_id"))),
        ("state of media", Error::State(field("media_id"))),
        ("state", Error::State(field("participant_ids"))),
        (
            "upload incomplete",
            Error::UploadIncomplete(field("media_id")),
        ),
        (
            "quick reply not open",
            Error::QuickReplyNotOpen(field("quick_reply_response")),
        ),
        ("welcome needs open DMs", Error::WelcomeRequiresOpenDms),
        ("webhook refused", Error::WebhookRefused(field("url"))),
        ("edit limit", Error::EditLimit(5)),
        ("not a group", Error::NotAGroup(field("name"))),
        ("blocked", Error::CannotMessageUser),
        ("cannot reply", Error::CannotReply),
        (
            "not accepting",
            Error::RecipientNotAccepting(AllowDmsFrom::Following),
        ),
        ("unsupported media", Error::UnsupportedMedia(field("media"))),
        ("media mismatch", Error::MediaMismatch(field("media"))),
        ("invalid media", Error::InvalidMedia(field("media"))),
        ("too large", Error::TooLarge(field("media"))),
        (
            "feedback too soon",
            Error::FeedbackTooSoon { next_at: at(0) },
        ),
        (
            "rate limited",
            Error::RateLimited {
                what: "sends",
                retry_after: std::time::Duration::from_secs(1),
            },
        ),
        ("internal", Error::Internal("disk on fire".into())),
    ]
}

#[test]
fn every_refusal_on_each_surface() {
    let table: Vec<Value> = refusals()
        .iter()
        .map(|(name, e)| {
            let (native_status, native_code) = crate::error::status_and_code(e);
            let (v1_status, v1_code, v1_message) = super::v1::status_code_message(e);
            let (v2_status, v2) = super::v2::problem(e);
            let member = |name: &str| {
                v2.get(name)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            json!({
                "refusal": name,
                "native": format!("{} {native_code}", native_status.as_u16()),
                "v1.1": format!("{} {v1_code} {v1_message}", v1_status.as_u16()),
                "v2": format!("{} {} {}", v2_status.as_u16(), member("type"), member("title")),
            })
        })
        .collect();
    insta::assert_json_snapshot!("refusals", table);
}
