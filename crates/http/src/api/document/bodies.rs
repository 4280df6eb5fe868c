//! The schemas of request bodies: each field's rule as its service checks it, and the rules
//! that tie fields together (a message needs text or media; an upload's size is capped by
//! its category). Limits are this server's, as configured.

use postern_core::limits::{
    DESCRIPTION_MAX, Limits, NAME_MAX, PASSWORD_MAX, PASSWORD_MIN, REPORT_REASON_MAX,
    TOKEN_NAME_MAX,
};
use postern_core::media::{MediaCategory, MediaType};
use postern_core::{cards, feedback, flows, parts, patterns, posts, support, welcome};
use postern_service::{apps, authorize, webhooks};
use serde_json::{Value, json};

/// Replaces the schema of each field below, and adds the rules across fields.
pub fn constrain(doc: &mut Value, limits: &Limits) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (schema, field, rule) in fields(limits) {
        if let Some(property) = schemas
            .get_mut(schema)
            .and_then(|s| s.get_mut("properties"))
            .and_then(|p| p.get_mut(field))
        {
            // What the derive said about the field (its description) stays.
            let description = property.get("description").cloned();
            *property = rule;
            if let Some(description) = description {
                super::set(property, "", "description", description);
            }
        }
    }
    for (schema, rule) in across_fields(limits) {
        if let Some(Value::Object(s)) = schemas.get_mut(schema) {
            s.extend(rule.as_object().cloned().unwrap_or_default());
        }
    }
    for (schema, whole) in whole_components() {
        if let Some(s) = schemas.get_mut(schema) {
            *s = whole;
        }
    }
}

/// Interactive message parts, whose rules tie fields together (a button's type says which
/// fields it has; options are described all or none): written whole.
fn whole_components() -> Vec<(&'static str, Value)> {
    let text = |max: usize| json!({"type": "string", "maxLength": max, "pattern": patterns::message_text()});
    let option_label = json!({"allOf": [label(parts::OPTION_LABEL_MAX), {"not": {"pattern": parts::LINK_PATTERN}}]});
    let button_label = label(parts::BUTTON_LABEL_MAX);
    // Each kind of button; `shown` adds what a shown button carries.
    let kinds = |shown: &[&str]| -> Vec<Value> {
        let button = |kind: &str, required: &[&str], properties: Value| {
            let mut all =
                json!({"type": {"type": "string", "enum": [kind]}, "label": button_label.clone()});
            if let (Some(all), Some(more)) = (all.as_object_mut(), properties.as_object()) {
                all.extend(more.clone());
                if !shown.is_empty() {
                    all.insert("tco_url".into(), json!({"type": "string"}));
                    all.insert("clicks".into(), json!({"type": "integer", "minimum": 0}));
                }
            }
            let mut needed = vec!["type", "label"];
            needed.extend_from_slice(required);
            needed.extend_from_slice(shown);
            json!({"type": "object", "additionalProperties": false, "required": needed, "properties": all})
        };
        vec![
            button(
                "url",
                &["url"],
                json!({"url": {
                    "type": "string", "maxLength": parts::BUTTON_URL_MAX, "pattern": parts::WEB_URL_PATTERN,
                }}),
            ),
            button(
                "follow",
                &["screen_name"],
                json!({"screen_name": {"type": "string", "pattern": patterns::screen_name()}}),
            ),
            button(
                "post",
                &["text"],
                json!({
                    "text": {"type": "string", "maxLength": posts::POST_TEXT_MAX, "pattern": patterns::required_text()},
                    "url": or_null(json!({
                        "type": "string", "maxLength": parts::BUTTON_URL_MAX, "pattern": parts::WEB_URL_PATTERN,
                    })),
                }),
            ),
            button(
                "message",
                &["recipient_id"],
                json!({
                    "recipient_id": {"$ref": "#/components/schemas/UserId"},
                    "welcome_message_id": or_null(json!({"type": "string", "pattern": patterns::id()})),
                    "text": or_null(text(parts::BUTTON_TEXT_MAX)),
                }),
            ),
        ]
    };
    vec![
        (
            "QuickReplyOption",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["label"],
                "properties": {
                    "label": option_label,
                    "description": or_null(label(parts::OPTION_DESCRIPTION_MAX)),
                    "metadata": or_null(text(parts::OPTION_METADATA_MAX)),
                },
            }),
        ),
        (
            "QuickReply",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["type", "options"],
                "properties": {
                    "type": {"type": "string", "enum": ["options"]},
                    "options": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": parts::QUICK_REPLY_OPTIONS_MAX,
                        "items": {"$ref": "#/components/schemas/QuickReplyOption"},
                    },
                    "open": {"type": "boolean", "description": "whether it can still be answered (ignored on a send)"},
                },
                // Every option has a description, or none has.
                "anyOf": [
                    {"properties": {"options": {"items": {"required": ["description"], "properties": {"description": {"type": "string"}}}}}},
                    {"properties": {"options": {"items": {"properties": {"description": {"type": "null"}}}}}},
                ],
            }),
        ),
        (
            "QuickReplyResponse",
            json!({
                "type": "object",
                "additionalProperties": false,
                "required": ["type", "metadata"],
                "properties": {
                    "type": {"type": "string", "enum": ["options"]},
                    "metadata": {"type": "string"},
                },
            }),
        ),
        ("Cta", json!({"oneOf": kinds(&[])})),
        // As shown: each kind with its counting link, and to its sender its clicks.
        ("Button", json!({"oneOf": kinds(&["tco_url"])})),
        (
            "InitiatedVia",
            json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "welcome_message_id": or_null(json!({"type": "string", "pattern": patterns::id()})),
                    "post_id": or_null(json!({"type": "string", "pattern": patterns::id()})),
                    "card_id": or_null(json!({"type": "string", "pattern": patterns::id()})),
                    "source": or_null(json!({"type": "string", "enum": ["deep_link", "post_button"]})),
                },
            }),
        ),
    ]
}

/// A single-line label of up to `max` characters.
fn label(max: usize) -> Value {
    json!({"type": "string", "maxLength": max, "pattern": patterns::single_line()})
}

/// A label that may be left blank, which leaves it out.
fn blank_or_label(max: usize) -> Value {
    json!({"anyOf": [
        label(max),
        {"type": "string", "pattern": patterns::blank()},
    ]})
}

fn or_null(schema: Value) -> Value {
    json!({"oneOf": [{"type": "null"}, schema]})
}

fn fields(limits: &Limits) -> Vec<(&'static str, &'static str, Value)> {
    let password = json!({"type": "string", "minLength": PASSWORD_MIN, "maxLength": PASSWORD_MAX});
    let text = json!({
        "type": "string",
        "maxLength": limits.dm_text,
        "pattern": patterns::message_text(),
    });
    vec![
        (
            "RegisterRequest",
            "screen_name",
            json!({
                "type": "string",
                "pattern": patterns::screen_name(),
                "not": {"pattern": patterns::reserved_screen_names()},
            }),
        ),
        ("RegisterRequest", "password", password),
        ("RegisterRequest", "name", or_null(blank_or_label(NAME_MAX))),
        ("ProfileRequest", "name", or_null(label(NAME_MAX))),
        (
            "ProfileRequest",
            "description",
            or_null(json!({
                "type": "string",
                "maxLength": DESCRIPTION_MAX,
                "pattern": patterns::message_text(),
            })),
        ),
        (
            "TokenRequest",
            "name",
            or_null(blank_or_label(TOKEN_NAME_MAX)),
        ),
        (
            "CreateConversation",
            "name",
            or_null(label(limits.group_name)),
        ),
        (
            "UpdateConversation",
            "name",
            or_null(label(limits.group_name)),
        ),
        ("SendRequest", "text", text.clone()),
        (
            "SendRequest",
            "ctas",
            json!({"type": "array", "maxItems": parts::BUTTONS_MAX, "items": {"$ref": "#/components/schemas/Cta"}}),
        ),
        (
            "SendRequest",
            "client_message_id",
            or_null(json!({
                "type": "string",
                "pattern": format!("^[!-~]{{1,{}}}$", postern_service::messages::CLIENT_KEY_MAX),
            })),
        ),
        // Stricter than the server, which takes empty text for a message with media.
        ("EditRequest", "text", {
            let mut t = text;
            super::set(&mut t, "", "minLength", json!(1));
            t
        }),
        (
            "ReportRequest",
            "reason",
            json!({
                "type": "string",
                "maxLength": REPORT_REASON_MAX,
                "pattern": patterns::required_text(),
            }),
        ),
        ("FlowDraft", "name", label(flows::FLOW_NAME_MAX)),
        (
            "FlowDraft",
            "steps",
            json!({"type": "array", "minItems": 1, "maxItems": flows::STEPS_MAX,
                   "items": {"$ref": "#/components/schemas/Step"}}),
        ),
        (
            "ControlChange",
            "note",
            or_null(json!({
                "type": "string",
                "maxLength": postern_service::control::CONTROL_NOTE_MAX,
                "pattern": patterns::message_text(),
            })),
        ),
        (
            "SupportSettings",
            "handover_idle_minutes",
            json!({"type": "integer", "minimum": 0, "maximum": support::HANDOVER_IDLE_MAX}),
        ),
        ("CreateProfile", "name", label(parts::PROFILE_NAME_MAX)),
        ("CreateWelcome", "name", label(welcome::WELCOME_NAME_MAX)),
        (
            "UpdateWelcome",
            "name",
            or_null(label(welcome::WELCOME_NAME_MAX)),
        ),
        (
            "MessageData",
            "text",
            json!({"type": "string", "maxLength": welcome::WELCOME_TEXT_MAX, "pattern": patterns::message_text()}),
        ),
        (
            "MessageData",
            "ctas",
            json!({"type": "array", "maxItems": parts::BUTTONS_MAX, "items": {"$ref": "#/components/schemas/Cta"}}),
        ),
        (
            "Hours",
            "time_zone",
            json!({"type": "string", "enum": support::time_zones()}),
        ),
        (
            "Hours",
            "weekly",
            json!({"type": "array", "maxItems": support::OPENINGS_MAX, "items": {"$ref": "#/components/schemas/Opening"}}),
        ),
        (
            "Opening",
            "day",
            json!({"type": "string", "enum": support::DAY_NAMES}),
        ),
        (
            "Opening",
            "open",
            json!({"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}),
        ),
        (
            "Opening",
            "close",
            json!({"type": "string", "pattern": "^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"}),
        ),
        (
            "AwayMessage",
            "ctas",
            json!({"type": "array", "maxItems": parts::BUTTONS_MAX, "items": {"$ref": "#/components/schemas/Cta"}}),
        ),
        (
            "AwayMessage",
            "text",
            json!({
                "type": "string",
                "maxLength": support::AWAY_TEXT_MAX,
                "pattern": patterns::required_text(),
            }),
        ),
        (
            "CreatePost",
            "text",
            json!({"type": "string", "maxLength": posts::POST_TEXT_MAX, "pattern": patterns::message_text()}),
        ),
        (
            "DmButton",
            "text",
            or_null(
                json!({"type": "string", "maxLength": posts::DM_BUTTON_TEXT_MAX, "pattern": patterns::message_text()}),
            ),
        ),
        ("CreateCard", "name", label(cards::CARD_NAME_MAX)),
        ("CreateCard", "headline", label(cards::CARD_HEADLINE_MAX)),
        (
            "CreateCard",
            "buttons",
            json!({"type": "array", "minItems": 1, "maxItems": cards::CARD_BUTTONS_MAX,
                   "items": {"$ref": "#/components/schemas/CardButton"}}),
        ),
        ("CardButton", "label", label(cards::CARD_LABEL_MAX)),
        ("CreateApp", "name", label(apps::APP_NAME_MAX)),
        (
            "CreateWebhook",
            "url",
            json!({"type": "string", "maxLength": webhooks::URL_MAX, "pattern": parts::WEB_URL_PATTERN}),
        ),
        (
            "CreateWebhook",
            "events",
            json!({"type": "array", "items": {"type": "string", "enum": webhooks::EVENTS}}),
        ),
        (
            "UpdateWebhook",
            "url",
            or_null(
                json!({"type": "string", "maxLength": webhooks::URL_MAX, "pattern": parts::WEB_URL_PATTERN}),
            ),
        ),
        (
            "UpdateWebhook",
            "events",
            or_null(
                json!({"type": "array", "items": {"type": "string", "enum": webhooks::EVENTS}}),
            ),
        ),
        (
            "CodeAnswer",
            "response_type",
            json!({"type": "string", "enum": ["code"]}),
        ),
        (
            "CodeAnswer",
            "scope",
            json!({"type": "string", "pattern": postern_core::auth::Scopes::pattern()}),
        ),
        (
            "CodeAnswer",
            "state",
            json!({"type": "string", "minLength": 1, "maxLength": authorize::STATE_MAX}),
        ),
        (
            "CodeAnswer",
            "code_challenge",
            json!({"type": "string", "pattern": authorize::CHALLENGE_PATTERN}),
        ),
        (
            "CodeAnswer",
            "code_challenge_method",
            json!({"type": "string", "enum": ["S256", "s256", "plain"]}),
        ),
        (
            "CreateApp",
            "callback_urls",
            json!({"type": "array", "maxItems": apps::CALLBACKS_MAX, "items": {
                "type": "string",
                "maxLength": apps::URL_MAX,
                "pattern": apps::CALLBACK_URL_PATTERN,
            }}),
        ),
        (
            "CreateApp",
            "website_url",
            or_null(json!({"anyOf": [
                {"type": "string", "maxLength": apps::URL_MAX, "pattern": parts::WEB_URL_PATTERN},
                {"type": "string", "maxLength": 0},
            ]})),
        ),
        (
            "CreateFeedbackRequest",
            "question",
            or_null(label(feedback::QUESTION_MAX)),
        ),
        (
            "CreateFeedbackRequest",
            "privacy_url",
            json!({"type": "string", "maxLength": 2000, "pattern": parts::WEB_URL_PATTERN}),
        ),
        (
            "CreateFeedbackRequest",
            "external_id",
            or_null(label(feedback::EXTERNAL_ID_MAX)),
        ),
        (
            "FeedbackAnswer",
            "text",
            or_null(
                json!({"type": "string", "maxLength": feedback::COMMENT_MAX, "pattern": patterns::message_text()}),
            ),
        ),
        ("StartUpload", "media_type", super::media_types()),
        (
            "StartUpload",
            "media_category",
            or_null(super::media_categories()),
        ),
    ]
}

fn across_fields(limits: &Limits) -> Vec<(&'static str, Value)> {
    let id = json!({"$ref": "#/components/schemas/UserId"});
    let most_others = limits
        .group_create_max_others
        .min(limits.group_size.saturating_sub(1));
    vec![
        (
            "CreateConversation",
            // One other person and no name: their one-to-one conversation. Otherwise a group.
            json!({"anyOf": [
                {"properties": {
                    "participant_ids": {"type": "array", "items": id, "minItems": 1, "maxItems": 1},
                    "name": {"type": "null"},
                }},
                {"properties": {"participant_ids": {
                    "type": "array",
                    "items": id,
                    "minItems": limits.group_create_min_others.max(1),
                    "maxItems": most_others,
                    "uniqueItems": true,
                }}},
            ]}),
        ),
        (
            "SendRequest",
            json!({"anyOf": [
                {"required": ["text"], "properties": {"text": {"minLength": 1}}},
                {"required": ["media_id"], "properties": {"media_id": {"$ref": "#/components/schemas/MediaId"}}},
                // An answer to a quick reply says the option's label when it has no text.
                {"required": ["quick_reply_response"], "properties": {"quick_reply_response": {"type": "object"}}},
            ]}),
        ),
        (
            "MessageData",
            json!({"anyOf": [
                {"required": ["text"], "properties": {"text": {"minLength": 1}}},
                {"required": ["media_id"], "properties": {"media_id": {"$ref": "#/components/schemas/MediaId"}}},
            ]}),
        ),
        (
            "CreatePost",
            json!({"anyOf": [
                {"required": ["text"], "properties": {"text": {"minLength": 1}}},
                {"required": ["media_id"], "properties": {"media_id": {"$ref": "#/components/schemas/MediaId"}}},
            ]}),
        ),
        (
            "FeedbackAnswer",
            // The score's range depends on the survey's type: 0–10 covers both.
            json!({"properties": {"score": {"type": "integer", "minimum": 0, "maximum": 10}}}),
        ),
        ("ReportRequest", report_targets()),
        ("StartUpload", upload_sizes(limits)),
    ]
}

/// What `target_id` is, for each kind of report.
fn report_targets() -> Value {
    let id = patterns::id();
    let conversation = patterns::conversation_id();
    let message = format!(
        "^{}:{}$",
        conversation.trim_start_matches('^').trim_end_matches('$'),
        id.trim_start_matches('^').trim_end_matches('$'),
    );
    let target = |kind: &str, pattern: String| {
        json!({"properties": {
            "target_type": {"const": kind},
            "target_id": {"type": "string", "pattern": pattern},
        }})
    };
    json!({"oneOf": [
        target("user", id),
        target("conversation", conversation),
        target("message", message),
    ]})
}

/// Each category's types and size cap; with no category, the type's own.
fn upload_sizes(limits: &Limits) -> Value {
    let mut cases = Vec::new();
    for category in MediaCategory::ALL {
        let size = json!({"type": "integer", "minimum": 1, "maximum": category.max_bytes(limits)});
        let accepted: Vec<&str> = MediaType::ALL
            .into_iter()
            .filter(|t| category.accepts(*t))
            .map(MediaType::mime)
            .collect();
        cases.push(json!({
            "required": ["media_category"],
            "properties": {
                "media_category": {"const": category.as_str()},
                "media_type": {"enum": accepted},
                "total_bytes": size,
            },
        }));
        let own: Vec<&str> = MediaType::ALL
            .into_iter()
            .filter(|t| MediaCategory::for_type(*t) == category)
            .map(MediaType::mime)
            .collect();
        cases.push(json!({
            "properties": {
                "media_category": {"type": "null"},
                "media_type": {"enum": own},
                "total_bytes": size,
            },
        }));
    }
    json!({"anyOf": cases})
}
