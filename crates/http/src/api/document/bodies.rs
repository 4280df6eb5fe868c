//! The schemas of request bodies: each field's rule as its service checks it, and the rules
//! that tie fields together (a message needs text or media; an upload's size is capped by
//! its category). Limits are this server's, as configured.

use postern_core::limits::{
    DESCRIPTION_MAX, Limits, NAME_MAX, PASSWORD_MAX, PASSWORD_MIN, REPORT_REASON_MAX,
    TOKEN_NAME_MAX,
};
use postern_core::media::{MediaCategory, MediaType};
use postern_core::{patterns, support};
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
            "text",
            json!({
                "type": "string",
                "maxLength": support::AWAY_TEXT_MAX,
                "pattern": patterns::required_text(),
            }),
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
            ]}),
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
