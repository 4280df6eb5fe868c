//! Completes the OpenAPI document with what every route shares, so that it says what the
//! server does without each handler repeating it: which operations need the bearer token,
//! the error statuses any of them may answer (all in the one error shape), and the bounds of
//! the parameters the extractors check (`limit`, `q`, numeric ids).

use utoipa::openapi::path::{Operation, Parameter};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, OpenApi, PathItem, Ref, RefOr};

use postern_core::limits::{PAGE_LIMIT_MAX, SEARCH_QUERY_MAX};

/// Operations anyone may call, without a token.
const PUBLIC: [(&str, &str); 3] = [
    ("post", "/accounts"),
    ("post", "/sessions"),
    ("get", "/limits"),
];

pub fn complete(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, operation) in operations(item) {
            let public = PUBLIC.contains(&(method, path.as_str()));
            complete_operation(operation, method, path, public);
        }
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
    for parameter in operation.parameters.iter_mut().flatten() {
        bound(parameter, path);
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

/// The bounds the extractors and services check, in the parameter's schema.
fn bound(parameter: &mut Parameter, path: &str) {
    let schema: Option<Schema> = match parameter.name.as_str() {
        "limit" => Some(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(PAGE_LIMIT_MAX as f64))
                .into(),
        ),
        // The people picker asks before anything is typed: an empty query finds no one.
        "q" if path == "/users/search" => Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(SEARCH_QUERY_MAX))
                .into(),
        ),
        "q" => Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(SEARCH_QUERY_MAX))
                .pattern(Some(r"\S"))
                .into(),
        ),
        "user_id" | "message_id" | "n" => Some(numeric_id()),
        "id" if path.starts_with("/conversations/") => Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some(
                    "a group's id, or the two people's ids, lower first, joined by '-'",
                ))
                .pattern(Some(
                    "^(0|[1-9][0-9]{0,18})-[1-9][0-9]{0,18}$|^[1-9][0-9]{0,18}$",
                ))
                .into(),
        ),
        "id" => Some(numeric_id()),
        _ => None,
    };
    if let Some(schema) = schema {
        parameter.schema = Some(RefOr::T(schema));
    }
}

fn numeric_id() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^[1-9][0-9]{0,18}$"))
        .into()
}
