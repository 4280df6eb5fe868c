//! Welcome messages and their rule (reference §3), and custom profiles (§6), over the
//! service's rules for both.
//!
//! An account has one rule, its default welcome message: Postern keeps the rule as that
//! choice, so a rule's id is its welcome message's id.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use postern_core::auth::Scope;
use postern_core::error::Thing;
use postern_core::parts::CustomProfile;
use postern_core::welcome::{MessageData as StoredData, WelcomeMessage};
use postern_core::{Error, MediaId, ObjectId, UserId, entities};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::events::MessageData;
use super::{V1Result, no_content};
use crate::AppState;
use crate::twitter::Origin;
use crate::twitter::signed::Signed;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/direct_messages/welcome_messages/new.json", post(new))
        .route("/direct_messages/welcome_messages/show.json", get(show))
        .route("/direct_messages/welcome_messages/list.json", get(list))
        .route("/direct_messages/welcome_messages/update.json", put(update))
        .route(
            "/direct_messages/welcome_messages/destroy.json",
            delete(destroy),
        )
        .route(
            "/direct_messages/welcome_messages/rules/new.json",
            post(new_rule),
        )
        .route(
            "/direct_messages/welcome_messages/rules/show.json",
            get(show_rule),
        )
        .route(
            "/direct_messages/welcome_messages/rules/list.json",
            get(list_rules),
        )
        .route(
            "/direct_messages/welcome_messages/rules/destroy.json",
            delete(destroy_rule),
        )
        .route("/custom_profiles/new.json", post(new_profile))
        .route("/custom_profiles/list.json", get(list_profiles))
        .route("/custom_profiles/destroy.json", delete(destroy_profile))
        .route("/custom_profiles/{id}", get(show_profile))
}

/// A page of `items` from `cursor` (an offset this endpoint gave), `count` at a time.
fn page<T>(req: &Signed, items: Vec<T>) -> Result<(Vec<T>, Option<String>), Error> {
    let count = super::count(req)?;
    let from = match req.param("cursor") {
        None | Some("") => 0,
        Some(raw) => raw.parse::<usize>().map_err(|_| {
            Error::invalid("cursor", "must be a next_cursor this endpoint returned")
        })?,
    };
    let total = items.len();
    let next = (from + count < total).then(|| (from + count).to_string());
    Ok((items.into_iter().skip(from).take(count).collect(), next))
}

fn listed(key: &str, items: Vec<Value>, next: Option<String>) -> Response {
    let mut body = Map::new();
    body.insert(key.into(), Value::Array(items));
    if let Some(next) = next {
        body.insert("next_cursor".into(), json!(next));
    }
    Json(Value::Object(body)).into_response()
}

/// A welcome message as v1.1 shows it.
fn welcome(w: &WelcomeMessage, origin: &str) -> Value {
    let d = &w.message_data;
    let mut data = json!({
        "text": d.text,
        "entities": super::render::entities(&entities::extract(&d.text)),
    });
    if let Some(o) = data.as_object_mut() {
        if let Some(q) = &d.quick_reply {
            o.insert(
                "quick_reply".into(),
                json!({"type": "options", "options": q.options}),
            );
        }
        if !d.ctas.is_empty() {
            let ctas: Vec<Value> = d
                .ctas
                .iter()
                .map(|c| {
                    let url = c.target();
                    let url = if url.starts_with('/') {
                        format!("{origin}{url}")
                    } else {
                        url
                    };
                    json!({"type": "web_url", "label": c.label(), "url": url, "tco_url": url})
                })
                .collect();
            o.insert("ctas".into(), Value::Array(ctas));
        }
        if let Some(m) = d.media_id {
            o.insert(
                "attachment".into(),
                json!({"type": "media", "media": {"id": m.0, "id_str": m.to_string()}}),
            );
        }
    }
    json!({
        "id": w.id.to_string(),
        "created_timestamp": w.created_at.timestamp_millis().to_string(),
        "message_data": data,
    })
}

/// What v1.1's `message_data` becomes for a welcome message (buttons, quick replies, one
/// media item uploaded `shared`).
fn stored(data: MessageData, at: &str) -> Result<StoredData, Error> {
    let draft = data.draft(at)?;
    Ok(StoredData {
        text: draft.text,
        quick_reply: draft.interactive.quick_reply,
        ctas: draft.interactive.ctas,
        media_id: draft.media_id,
    })
}

#[derive(Deserialize)]
struct NewWelcome {
    welcome_message: Option<WelcomeIn>,
    /// The doc's examples put `name` beside `welcome_message`; twitter-api-v2 puts it inside.
    name: Option<String>,
}

#[derive(Deserialize)]
struct WelcomeIn {
    name: Option<String>,
    message_data: Option<MessageData>,
}

/// A welcome message made without a name is named by when it was made.
fn default_name() -> String {
    format!("welcome {}", chrono::Utc::now().format("%Y-%m-%d %H:%M:%S"))
}

/// `POST direct_messages/welcome_messages/new.json`.
async fn new(State(s): State<AppState>, origin: Origin, req: Signed) -> V1Result<Response> {
    let me = req.user(Scope::DmWrite)?.user_id;
    let body: NewWelcome = req.json()?;
    let w = body
        .welcome_message
        .ok_or_else(|| Error::invalid("welcome_message", "is required"))?;
    let name = w.name.or(body.name).unwrap_or_else(default_name);
    let data = w
        .message_data
        .ok_or_else(|| Error::invalid("welcome_message.message_data", "is required"))?;
    let made = s
        .services
        .create_welcome(me, &name, stored(data, "welcome_message.message_data")?)
        .await?;
    Ok(
        Json(json!({"welcome_message": welcome(&made, &origin.0), "name": made.name}))
            .into_response(),
    )
}

/// `GET direct_messages/welcome_messages/show.json?id=`.
async fn show(State(s): State<AppState>, origin: Origin, req: Signed) -> V1Result<Response> {
    let me = req.user(Scope::DmRead)?.user_id;
    let w = s.services.welcome(me, req.id::<ObjectId>("id")?).await?;
    Ok(Json(json!({"welcome_message": welcome(&w, &origin.0), "name": w.name})).into_response())
}

/// `GET direct_messages/welcome_messages/list.json?count=&cursor=`.
async fn list(State(s): State<AppState>, origin: Origin, req: Signed) -> V1Result<Response> {
    let me = req.user(Scope::DmRead)?.user_id;
    let (items, next) = page(&req, s.services.welcomes(me).await?)?;
    let items = items.iter().map(|w| welcome(w, &origin.0)).collect();
    Ok(listed("welcome_messages", items, next))
}

#[derive(Deserialize)]
struct UpdateWelcome {
    name: Option<String>,
    message_data: Option<MessageData>,
}

/// `PUT direct_messages/welcome_messages/update.json?id=` with `{"message_data"}`: replaced
/// whole (what is left out is gone).
async fn update(State(s): State<AppState>, origin: Origin, req: Signed) -> V1Result<Response> {
    let me = req.user(Scope::DmWrite)?.user_id;
    let id = req.id::<ObjectId>("id")?;
    let body: UpdateWelcome = req.json()?;
    let data = body
        .message_data
        .map(|d| stored(d, "message_data"))
        .transpose()?;
    let w = s
        .services
        .update_welcome(me, id, body.name.as_deref(), data)
        .await?;
    Ok(Json(json!({"welcome_message": welcome(&w, &origin.0), "name": w.name})).into_response())
}

/// `DELETE direct_messages/welcome_messages/destroy.json?id=`.
async fn destroy(State(s): State<AppState>, req: Signed) -> V1Result<Response> {
    let me = req.user(Scope::DmWrite)?.user_id;
    s.services
        .delete_welcome(me, req.id::<ObjectId>("id")?)
        .await?;
    Ok(no_content())
}

fn rule(w: &WelcomeMessage) -> Value {
    json!({
        "id": w.id.to_string(),
        "created_timestamp": w.created_at.timestamp_millis().to_string(),
        "welcome_message_id": w.id.to_string(),
    })
}

/// The account's rule (its default welcome message), if it has one.
async fn current_rule(s: &AppState, me: UserId) -> Result<Option<WelcomeMessage>, Error> {
    Ok(s.services
        .welcomes(me)
        .await?
        .into_iter()
        .find(|w| w.default))
}

#[derive(Deserialize)]
struct NewRule {
    welcome_message_rule: Option<RuleIn>,
}

#[derive(Deserialize)]
struct RuleIn {
    welcome_message_id: Option<super::events::IdValue>,
}

/// `POST direct_messages/welcome_messages/rules/new.json`: one rule per account; the
/// existing one must be deleted first, as on Twitter.
async fn new_rule(State(s): State<AppState>, req: Signed) -> V1Result<Response> {
    let me = req.user(Scope::DmWrite)?.user_id;
    let body: NewRule = req.json()?;
    let field = "welcome_message_rule.welcome_message_id";
    let id: ObjectId = body
        .welcome_message_rule
        .and_then(|r| r.welcome_message_id)
        .ok_or_else(|| Error::invalid(field, "is required"))?
        .read(field)?;
    if current_rule(&s, me).await?.is_some() {
        return Err(Error::Conflict(
            "an account has one welcome message rule: delete it before making another",
        )
        .into());
    }
    let w = s.services.set_default_welcome(me, id).await?;
    Ok(Json(json!({"welcome_message_rule": rule(&w)})).into_response())
}

/// `GET direct_messages/welcome_messages/rules/show.json?id=`.
async fn show_rule(State(s): State<AppState>, req: Signed) -> V1Result<Response> {
    let me = req.user(Scope::DmRead)?.user_id;
    let id = req.id::<ObjectId>("id")?;
    match current_rule(&s, me).await? {
        Some(w) if w.id == id => {
            Ok(Json(json!({"welcome_message_rule": rule(&w)})).into_response())
        }
        _ => Err(Error::NotFound(Thing::WelcomeMessage).into()),
    }
}

/// `GET direct_messages/welcome_messages/rules/list.json`: the rule, if there is one.
async fn list_rules(State(s): State<AppState>, req: Signed) -> V1Result<Response> {
    let me = req.user(Scope::DmRead)?.user_id;
    let rules: Vec<Value> = current_rule(&s, me).await?.iter().map(rule).collect();
    Ok(listed("welcome_message_rules", rules, None))
}

/// `DELETE direct_messages/welcome_messages/rules/destroy.json?id=`.
async fn destroy_rule(State(s): State<AppState>, req: Signed) -> V1Result<Response> {
    let me = req.user(Scope::DmWrite)?.user_id;
    let id = req.id::<ObjectId>("id")?;
    match current_rule(&s, me).await? {
        Some(w) if w.id == id => {
            s.services.clear_default_welcome(me).await?;
            Ok(no_content())
        }
        _ => Err(Error::NotFound(Thing::WelcomeMessage).into()),
    }
}

/// A custom profile as v1.1 shows it; its time is when its id was made.
fn profile(p: &CustomProfile, origin: &str) -> Value {
    let mut v = json!({
        "id": p.id.to_string(),
        "created_timestamp": postern_core::ids::created_at_ms(p.id.0).to_string(),
        "name": p.name,
    });
    if let (Some(a), Some(o)) = (&p.avatar, v.as_object_mut()) {
        o.insert(
            "avatar".into(),
            json!({"media": {"url": format!("{origin}{}", a.native_url())}}),
        );
    }
    v
}

#[derive(Deserialize)]
struct NewProfile {
    custom_profile: Option<ProfileIn>,
}

#[derive(Deserialize)]
struct ProfileIn {
    name: Option<String>,
    avatar: Option<AvatarIn>,
}

#[derive(Deserialize)]
struct AvatarIn {
    media: Option<AvatarMedia>,
}

#[derive(Deserialize)]
struct AvatarMedia {
    id: Option<super::events::IdValue>,
}

/// `POST custom_profiles/new.json`: a name and a picture from one of the account's uploads.
async fn new_profile(State(s): State<AppState>, origin: Origin, req: Signed) -> V1Result<Response> {
    let me = req.user(Scope::DmWrite)?.user_id;
    let body: NewProfile = req.json()?;
    let p = body
        .custom_profile
        .ok_or_else(|| Error::invalid("custom_profile", "is required"))?;
    let name = p
        .name
        .ok_or_else(|| Error::invalid("custom_profile.name", "is required"))?;
    let media = p
        .avatar
        .and_then(|a| a.media)
        .and_then(|m| m.id)
        .map(|id| id.read::<MediaId>("custom_profile.avatar.media.id"))
        .transpose()?;
    let made = s.services.create_custom_profile(me, &name, media).await?;
    Ok(Json(json!({"custom_profile": profile(&made, &origin.0)})).into_response())
}

/// `GET custom_profiles/:id.json`.
async fn show_profile(
    State(s): State<AppState>,
    origin: Origin,
    Path(id): Path<String>,
    req: Signed,
) -> V1Result<Response> {
    let me = req.user(Scope::DmRead)?.user_id;
    let raw = id.strip_suffix(".json").unwrap_or(&id);
    let id: ObjectId = raw
        .parse()
        .map_err(|_| Error::NotFound(Thing::CustomProfile))?;
    let p = s.services.custom_profile(me, id).await?;
    Ok(Json(json!({"custom_profile": profile(&p, &origin.0)})).into_response())
}

/// `GET custom_profiles/list.json?count=&cursor=`.
async fn list_profiles(
    State(s): State<AppState>,
    origin: Origin,
    req: Signed,
) -> V1Result<Response> {
    let me = req.user(Scope::DmRead)?.user_id;
    let (items, next) = page(&req, s.services.custom_profiles(me).await?)?;
    let items = items.iter().map(|p| profile(p, &origin.0)).collect();
    Ok(listed("custom_profiles", items, next))
}

/// `DELETE custom_profiles/destroy.json?id=`: 204, also when repeated on one already
/// deleted (as on Twitter).
async fn destroy_profile(State(s): State<AppState>, req: Signed) -> V1Result<Response> {
    let me = req.user(Scope::DmWrite)?.user_id;
    match s
        .services
        .delete_custom_profile(me, req.id::<ObjectId>("id")?)
        .await
    {
        Ok(()) | Err(Error::NotFound(_)) => Ok(no_content()),
        Err(e) => Err(e.into()),
    }
}
