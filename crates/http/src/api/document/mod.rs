//! Completes the OpenAPI document with what every route shares, so that it says what the
//! server does without each handler repeating it: which operations need the bearer token,
//! the error statuses any of them may answer (all in the one error shape), and the rules
//! the extractors and services check, as this server is configured: [`parameters`] for
//! paths, queries and headers, [`bodies`] for request bodies. The rules are said in the
//! patterns of [`postern_core::patterns`], made from the tables the checks use.
//!
//! The contract test (`crates/server/tests/contract.rs`) holds the server to the document:
//! schemathesis sends what it allows and what it does not, and every answer must agree.

mod bodies;
mod parameters;

use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, OpenApi, PathItem, Ref, RefOr};

use postern_core::limits::Limits;
use postern_core::media::{MediaCategory, MediaType};
use serde_json::{Value, json};

/// Operations anyone may call, without a token.
const PUBLIC: [(&str, &str); 4] = [
    ("post", "/accounts"),
    ("post", "/sessions"),
    ("get", "/limits"),
    ("get", "/avatars/{key}"),
];

/// The document as served: the routes' own description, completed.
pub fn complete(mut doc: OpenApi, limits: &Limits) -> Value {
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, operation) in operations(item) {
            let public = PUBLIC.contains(&(method, path.as_str()));
            complete_operation(operation, method, path, public);
        }
    }
    let mut doc = serde_json::to_value(doc).unwrap_or_default();
    parameters::constrain(&mut doc, limits);
    bodies::constrain(&mut doc, limits);
    describe_streams(&mut doc);
    doc
}

/// What the derive cannot say: each Server-Sent Event of `/stream/sse` (OpenAPI 3.1 reads a
/// `text/event-stream` schema as the schema of one event), the upload form's parts, and which
/// bodies may be left out.
fn describe_streams(doc: &mut Value) {
    let event = json!({
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "description": "a frame: {\"type\", \"position\"?, \"data\"}",
            },
            "id": {
                "type": "string",
                "pattern": postern_core::patterns::key(),
                "description": "the frame's position, to resume after with Last-Event-ID",
            },
            "event": {"type": "string"},
            "retry": {"type": "integer"},
        },
    });
    let form = json!({
        "type": "object",
        "required": ["media"],
        "properties": {
            "media": {
                "type": "string",
                "contentMediaType": "application/octet-stream",
                "description": "the file; its part's Content-Type declares its type",
            },
            "media_category": media_categories(),
            "media_type": media_types(),
            "shared": {"type": "boolean"},
        },
    });
    let sse = "/paths/~1stream~1sse/get/responses/200/content/text~1event-stream";
    set(doc, sse, "schema", event);
    // Without a body, everything is marked read.
    let read = "/paths/~1conversations~1{id}~1read/post/requestBody";
    set(doc, read, "required", false.into());
    // A part carries bytes: an empty one is refused.
    let part = "/paths/~1media~1uploads~1{id}~1parts~1{n}/put/requestBody";
    set(doc, part, "required", true.into());
    let part_schema = json!({"type": "string", "format": "binary", "minLength": 1});
    set(
        doc,
        &format!("{part}/content/application~1octet-stream"),
        "schema",
        part_schema,
    );
    let upload = "/paths/~1media/post/requestBody";
    set(doc, upload, "required", true.into());
    set(
        doc,
        &format!("{upload}/content/multipart~1form-data"),
        "schema",
        form,
    );
}

/// The upload categories Postern takes, as a schema.
pub(crate) fn media_categories() -> Value {
    json!({"type": "string", "enum": MediaCategory::ALL.map(MediaCategory::as_str)})
}

/// The media types Postern takes, as a schema.
pub(crate) fn media_types() -> Value {
    json!({"type": "string", "enum": MediaType::ALL.map(MediaType::mime)})
}

/// Sets `key` in the object at `pointer`, if the document has one there.
pub(crate) fn set(doc: &mut Value, pointer: &str, key: &str, value: Value) {
    if let Some(Value::Object(object)) = doc.pointer_mut(pointer) {
        object.insert(key.to_owned(), value);
    }
}

fn operations(item: &mut PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("put", item.put.as_mut()),
        ("post", item.post.as_mut()),
        ("delete", item.delete.as_mut()),
        ("patch", item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, op)| Some((method, op?)))
    .collect()
}

fn complete_operation(operation: &mut Operation, method: &str, path: &str, public: bool) {
    let mut errors: Vec<(&str, &str)> = vec![
        (
            "400",
            "the request is invalid: `error.field` names what, and the message why",
        ),
        (
            "429",
            "too many requests of this kind: wait `Retry-After` seconds",
        ),
    ];
    if !public {
        operation.security = Some(vec![SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
        errors.push(("401", "no valid token or session"));
        errors.push(("403", "not allowed: `error.code` and `error.rule` say why"));
    }
    if path.contains('{') || !public {
        errors.push(("404", "not found, or not visible to the caller"));
    }
    if method != "get" {
        errors.push(("409", "conflicts with the current state"));
    }
    if operation.request_body.is_some() {
        errors.push(("413", "the body, or a file, is larger than its limit"));
        errors.push(("415", "the body is not of a type this operation takes"));
    }
    for (status, description) in errors {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| error_response(description));
    }
}

fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build(),
    )
}
