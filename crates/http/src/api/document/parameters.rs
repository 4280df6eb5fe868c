//! The schemas of path, query and header parameters: what each extractor takes, by name
//! and route. A parameter a route declares and this leaves alone keeps its derived schema.

use postern_core::avatar::{AVATAR_KEY_PATTERN, AVATAR_SIDES};
use postern_core::limits::{Limits, PAGE_LIMIT_MAX, SEARCH_QUERY_MAX};
use postern_core::{patterns, text};
use postern_service::authorize;
use serde_json::{Value, json};

/// Sets the schema of every parameter this module knows, on every operation.
pub fn constrain(doc: &mut Value, limits: &Limits) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for operation in item.values_mut() {
            let Some(parameters) = operation
                .get_mut("parameters")
                .and_then(Value::as_array_mut)
            else {
                continue;
            };
            for parameter in parameters {
                let name = parameter
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if let Some(schema) = schema(name, path, limits) {
                    super::set(parameter, "", "schema", schema);
                }
            }
        }
    }
}

fn schema(name: &str, path: &str, limits: &Limits) -> Option<Value> {
    let id = || json!({"type": "string", "pattern": patterns::id()});
    Some(match (name, path) {
        ("limit", _) => json!({"type": "integer", "minimum": 1, "maximum": PAGE_LIMIT_MAX}),
        // The people picker asks before anything is typed: an empty query finds no one.
        ("q", "/users/search") => json!({
            "type": "string",
            "maxLength": SEARCH_QUERY_MAX,
            "pattern": patterns::no_controls(),
        }),
        ("q", _) => json!({
            "type": "string",
            "maxLength": SEARCH_QUERY_MAX,
            "pattern": patterns::search_query(),
        }),
        ("cursor", "/conversations") => {
            json!({"type": "string", "pattern": patterns::inbox_cursor()})
        }
        ("cursor", "/conversations/{id}/events") => {
            json!({"type": "string", "pattern": patterns::history_cursor()})
        }
        ("cursor", _) => json!({"type": "string", "pattern": patterns::key()}),
        ("response_type", "/oauth2/authorization") => json!({"type": "string", "enum": ["code"]}),
        ("scope", "/oauth2/authorization") => {
            json!({"type": "string", "pattern": postern_core::auth::Scopes::pattern()})
        }
        ("state", "/oauth2/authorization") => {
            json!({"type": "string", "minLength": 1, "maxLength": authorize::STATE_MAX})
        }
        ("code_challenge", "/oauth2/authorization") => {
            json!({"type": "string", "pattern": authorize::CHALLENGE_PATTERN})
        }
        ("code_challenge_method", "/oauth2/authorization") => {
            json!({"type": "string", "enum": ["S256", "s256", "plain"]})
        }
        ("since" | "Last-Event-ID", _) => json!({"type": "string", "pattern": patterns::key()}),
        ("box", _) => {
            json!({"type": "string", "enum": ["primary", "requests", "filtered", "archived"]})
        }
        ("id", _) if path.starts_with("/conversations/") => json!({
            "type": "string",
            "description": "a group's id, or the two people's ids, lower first, joined by '-'",
            "pattern": patterns::conversation_id(),
        }),
        (
            "id" | "user_id" | "message_id" | "before" | "after" | "welcome_message_id" | "agent"
            | "replay_id" | "webhook_id",
            _,
        ) => id(),
        ("from" | "to", "/feedback/results" | "/insights") => json!({"anyOf": [
            {"type": "string", "format": "date"},
            {"type": "string", "format": "date-time"},
        ]}),
        ("external_id", "/feedback/results") => json!({
            "type": "string", "maxLength": postern_core::feedback::EXTERNAL_ID_MAX,
        }),
        ("n", _) => json!({
            "type": "integer",
            "minimum": 0,
            "maximum": limits.media_parts.saturating_sub(1),
        }),
        ("emoji", _) => {
            json!({"type": "string", "enum": text::reaction_emojis().collect::<Vec<_>>()})
        }
        ("key", "/avatars/{key}") => json!({"type": "string", "pattern": AVATAR_KEY_PATTERN}),
        ("size", "/avatars/{key}") => json!({"type": "integer", "enum": AVATAR_SIDES}),
        ("media_category", _) => super::media_categories(),
        ("media_type", _) => super::media_types(),
        _ => return None,
    })
}
