//! Users on v2: `GET /2/users/me`, `/2/users/:id`, `/2/users/by/username/:username`,
//! `/2/users?ids=` and `/2/users/by?usernames=` (those found in `data`, the rest as partial
//! `errors`).

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use postern_core::auth::Scope;
use postern_core::model::User;
use postern_core::{Error, UserId};
use serde_json::{Value, json};

use super::V2Result;
use super::render::{self, USER_FIELDS};
use crate::AppState;
use crate::twitter::Origin;
use crate::twitter::signed::Signed;
use crate::twitter::v1::V1Error;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users/me", get(me))
        .route("/users", get(by_ids))
        .route("/users/by", get(by_usernames))
        .route("/users/by/username/{username}", get(by_username))
        .route("/users/{id}", get(by_id))
}

/// Users looked up at once, at most, as on X.
const LOOKUP_MAX: usize = 100;

fn one(u: &User, req: &Signed, origin: &str) -> Result<Response, Error> {
    let asked = render::fields("user.fields", req.param("user.fields"), USER_FIELDS)?;
    Ok(Json(json!({"data": render::user(u, &asked, origin)})).into_response())
}

/// `GET /2/users/me`.
async fn me(
    State(s): State<AppState>,
    origin: Origin,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    let me = req.user(Scope::UsersRead)?.user_id;
    Ok(one(&s.services.user(me).await?, &req, &origin.0)?)
}

/// `GET /2/users/:id`.
async fn by_id(
    State(s): State<AppState>,
    origin: Origin,
    Path(id): Path<String>,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    req.reader()?;
    let id: UserId = id
        .parse()
        .map_err(|_| Error::invalid("id", format!("'{id}' is not a user id")))?;
    Ok(one(&s.services.user(id).await?, &req, &origin.0)?)
}

/// `GET /2/users/by/username/:username`.
async fn by_username(
    State(s): State<AppState>,
    origin: Origin,
    Path(name): Path<String>,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    req.reader()?;
    Ok(one(
        &s.services.user_by_screen_name(&name).await?,
        &req,
        &origin.0,
    )?)
}

/// The values of a comma-separated list parameter, 1 to [`LOOKUP_MAX`].
fn list<'a>(req: &'a Signed, name: &str) -> Result<Vec<&'a str>, Error> {
    let values: Vec<&str> = req
        .required(name)?
        .split(',')
        .filter(|v| !v.is_empty())
        .collect();
    if values.is_empty() || values.len() > LOOKUP_MAX {
        return Err(Error::invalid(name, format!("must list 1 to {LOOKUP_MAX}")));
    }
    Ok(values)
}

/// `data` for those found, and an `errors` entry for each one not.
async fn lookup(
    s: &AppState,
    req: &Signed,
    origin: &str,
    parameter: &str,
    values: Vec<&str>,
    by_name: bool,
) -> Result<Response, Error> {
    let asked = render::fields("user.fields", req.param("user.fields"), USER_FIELDS)?;
    let mut data = Vec::new();
    let mut errors = Vec::new();
    for value in values {
        let found = if by_name {
            s.services.user_by_screen_name(value).await
        } else {
            match value.parse::<UserId>() {
                Ok(id) => s.services.user(id).await,
                Err(_) => Err(Error::invalid(
                    parameter,
                    format!("'{value}' is not a user id"),
                )),
            }
        };
        match found {
            Ok(u) => data.push(render::user(&u, &asked, origin)),
            Err(Error::NotFound(_) | Error::Invalid(_) | Error::TooLong(_)) => errors.push(json!({
                "value": value,
                "detail": format!("Could not find user with {parameter}: [{value}]."),
                "title": "Not Found Error",
                "resource_type": "user",
                "parameter": parameter,
                "resource_id": value,
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            })),
            Err(e) => return Err(e),
        }
    }
    let mut body = serde_json::Map::new();
    if !data.is_empty() {
        body.insert("data".into(), Value::Array(data));
    }
    if !errors.is_empty() {
        body.insert("errors".into(), Value::Array(errors));
    }
    Ok(Json(Value::Object(body)).into_response())
}

/// `GET /2/users?ids=`.
async fn by_ids(
    State(s): State<AppState>,
    origin: Origin,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    req.reader()?;
    let ids = list(&req, "ids")?;
    Ok(lookup(&s, &req, &origin.0, "ids", ids, false).await?)
}

/// `GET /2/users/by?usernames=`.
async fn by_usernames(
    State(s): State<AppState>,
    origin: Origin,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    req.reader()?;
    let names = list(&req, "usernames")?;
    Ok(lookup(&s, &req, &origin.0, "usernames", names, true).await?)
}
