//! The account and other users (reference §11): `account/verify_credentials`, `users/show`,
//! `users/lookup`, `friendships/create|destroy|show`, `blocks/create|destroy`.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use postern_core::auth::Scope;
use postern_core::model::User;
use postern_core::{Error, UserId};
use postern_service::Services;
use serde_json::{Value, json};

use super::V1Result;
use super::render;
use crate::AppState;
use crate::twitter::Origin;
use crate::twitter::signed::Signed;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/verify_credentials.json", get(verify_credentials))
        .route("/users/show.json", get(show))
        .route("/users/lookup.json", get(lookup).post(lookup))
        .route("/friendships/create.json", post(follow))
        .route("/friendships/destroy.json", post(unfollow))
        .route("/friendships/show.json", get(friendship))
        .route("/blocks/create.json", post(block))
        .route("/blocks/destroy.json", post(unblock))
}

/// Users lookup takes at most this many ids or names, as on Twitter.
const LOOKUP_MAX: usize = 100;

/// The user named by `id_field` (an id) or `name_field` (a screen name).
async fn named(
    services: &Services,
    req: &Signed,
    (id_field, name_field): (&str, &str),
) -> Result<User, Error> {
    if let Some(raw) = req.param(id_field).filter(|v| !v.is_empty()) {
        let id: UserId = raw
            .parse()
            .map_err(|_| Error::invalid(id_field, format!("'{raw}' is not an id")))?;
        return services.user(id).await;
    }
    if let Some(name) = req.param(name_field).filter(|v| !v.is_empty()) {
        return services.user_by_screen_name(name).await;
    }
    Err(Error::invalid(
        id_field,
        format!("{id_field} or {name_field} is required"),
    ))
}

const USER: (&str, &str) = ("user_id", "screen_name");

/// `GET account/verify_credentials.json`: the authenticating user.
async fn verify_credentials(
    State(s): State<AppState>,
    origin: Origin,
    req: Signed,
) -> V1Result<Response> {
    let me = req.user(Scope::UsersRead)?.user_id;
    let user = s.services.user(me).await?;
    Ok(Json(render::user(&user, &origin.0)).into_response())
}

/// `GET users/show.json?user_id=|screen_name=`.
async fn show(State(s): State<AppState>, origin: Origin, req: Signed) -> V1Result<Response> {
    req.reader()?;
    let user = named(&s.services, &req, USER).await?;
    Ok(Json(render::user(&user, &origin.0)).into_response())
}

/// `GET|POST users/lookup.json?user_id=1,2|screen_name=a,b`: those that exist, in no
/// particular order; none at all is 404 (code 17 on Twitter; 50 here).
async fn lookup(State(s): State<AppState>, origin: Origin, req: Signed) -> V1Result<Response> {
    req.reader()?;
    let list = |name: &str| -> Vec<String> {
        req.param(name)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (ids, names) = (list("user_id"), list("screen_name"));
    if ids.is_empty() && names.is_empty() {
        return Err(Error::invalid("user_id", "user_id or screen_name is required").into());
    }
    if ids.len() + names.len() > LOOKUP_MAX {
        return Err(
            Error::invalid("user_id", format!("at most {LOOKUP_MAX} users at once")).into(),
        );
    }
    let mut found: Vec<Value> = Vec::new();
    for raw in &ids {
        let Ok(id) = raw.parse::<UserId>() else {
            continue;
        };
        match s.services.user(id).await {
            Ok(u) => found.push(render::user(&u, &origin.0)),
            Err(Error::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    for name in &names {
        match s.services.user_by_screen_name(name).await {
            Ok(u) => found.push(render::user(&u, &origin.0)),
            Err(Error::NotFound(_) | Error::Invalid(_) | Error::TooLong(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if found.is_empty() {
        return Err(Error::NotFound(postern_core::error::Thing::User).into());
    }
    Ok(Json(Value::Array(found)).into_response())
}

/// A graph change on the user the request names; answers that user.
async fn change(
    s: &AppState,
    origin: &Origin,
    req: &Signed,
    apply: impl AsyncFnOnce(&Services, UserId, UserId) -> Result<(), Error>,
) -> V1Result<Response> {
    let me = req.user(Scope::UsersRead)?.user_id;
    let other = named(&s.services, req, USER).await?;
    if other.id == me {
        return Err(Error::own_account("user_id").into());
    }
    apply(&s.services, me, other.id).await?;
    Ok(Json(render::user(&other, &origin.0)).into_response())
}

/// `POST friendships/create.json?user_id=|screen_name=`.
async fn follow(State(s): State<AppState>, origin: Origin, req: Signed) -> V1Result<Response> {
    change(&s, &origin, &req, async |svc, me, other| {
        svc.follow(me, other).await
    })
    .await
}

/// `POST friendships/destroy.json`.
async fn unfollow(State(s): State<AppState>, origin: Origin, req: Signed) -> V1Result<Response> {
    change(&s, &origin, &req, async |svc, me, other| {
        svc.unfollow(me, other).await
    })
    .await
}

/// `POST blocks/create.json`.
async fn block(State(s): State<AppState>, origin: Origin, req: Signed) -> V1Result<Response> {
    change(&s, &origin, &req, async |svc, me, other| {
        svc.block(me, other).await
    })
    .await
}

/// `POST blocks/destroy.json`.
async fn unblock(State(s): State<AppState>, origin: Origin, req: Signed) -> V1Result<Response> {
    change(&s, &origin, &req, async |svc, me, other| {
        svc.unblock(me, other).await
    })
    .await
}

/// `GET friendships/show.json?source_id=&target_id=` (or `_screen_name`): how the two
/// relate, seen by the source, which must be the caller (Postern shows only one's own).
async fn friendship(State(s): State<AppState>, req: Signed) -> V1Result<Response> {
    let me = req.user(Scope::UsersRead)?.user_id;
    let source = match named(&s.services, &req, ("source_id", "source_screen_name")).await {
        Ok(u) => u,
        Err(Error::Invalid(_)) => s.services.user(me).await?,
        Err(e) => return Err(e.into()),
    };
    if source.id != me {
        return Err(
            Error::Forbidden("friendships/show answers for the authenticating user only").into(),
        );
    }
    let target = named(&s.services, &req, ("target_id", "target_screen_name")).await?;
    let r = s.services.relationship(me, target.id).await?;
    let dm = s
        .services
        .dm_permission(me, target.id)
        .await
        .map(|d| d.allowed)
        .unwrap_or(false);
    Ok(Json(json!({"relationship": {
        "source": {
            "id": source.id.0, "id_str": source.id.to_string(), "screen_name": source.screen_name,
            "following": r.following, "followed_by": r.followed_by, "blocking": r.blocking,
            "muting": r.muting, "can_dm": dm,
        },
        "target": {
            "id": target.id.0, "id_str": target.id.to_string(), "screen_name": target.screen_name,
            "following": r.followed_by, "followed_by": r.following,
        },
    }}))
    .into_response())
}
