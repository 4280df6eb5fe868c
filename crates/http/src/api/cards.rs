//! DM cards: `/api/v1/dm_cards[/{id}]`, attached to posts with `card_id`.

use axum::extract::State;
use axum::http::StatusCode;
use postern_core::cards::{CardButton, DmCard};
use postern_core::{MediaId, ObjectId};
use postern_service::cards::CardDraft;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, Json, Path};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(show, delete))
}

fn card_id(raw: &str) -> Result<ObjectId, postern_core::Error> {
    super::id("id", raw)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCard {
    /// Up to 100 characters, for your own use.
    name: String,
    /// One of your finished photos or videos, uploaded with `shared=true`.
    media_id: MediaId,
    /// Up to 70 characters, shown on the card.
    headline: String,
    /// 1–4 buttons, each on one of your welcome messages.
    buttons: Vec<CardButton>,
}

#[derive(Serialize, ToSchema)]
pub struct CardList {
    dm_cards: Vec<DmCard>,
}

/// `POST /api/v1/dm_cards`.
#[utoipa::path(post, path = "/dm_cards", tag = "business", request_body = CreateCard,
    responses((status = 201, body = DmCard)))]
async fn create(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(r): Json<CreateCard>,
) -> ApiResult<(StatusCode, Json<DmCard>)> {
    let draft = CardDraft {
        name: r.name,
        media_id: r.media_id,
        headline: r.headline,
        buttons: r.buttons,
    };
    let card = s.services.create_card(&c.actor(), draft).await?;
    Ok((StatusCode::CREATED, Json(card)))
}

/// `GET /api/v1/dm_cards`: yours, oldest first, each with its stats.
#[utoipa::path(get, path = "/dm_cards", tag = "business", responses((status = 200, body = CardList)))]
async fn list(State(s): State<AppState>, Auth(c): Auth) -> ApiResult<Json<CardList>> {
    Ok(Json(CardList {
        dm_cards: s.services.cards(c.user_id).await?,
    }))
}

/// `GET /api/v1/dm_cards/{id}`: one of yours, with `stats`.
#[utoipa::path(get, path = "/dm_cards/{id}", tag = "business", responses((status = 200, body = DmCard)))]
async fn show(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<DmCard>> {
    Ok(Json(s.services.own_card(c.user_id, card_id(&id)?).await?))
}

/// `DELETE /api/v1/dm_cards/{id}`: posts carrying it show no card from then on.
#[utoipa::path(delete, path = "/dm_cards/{id}", tag = "business", responses((status = 204)))]
async fn delete(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    s.services.delete_card(&c.actor(), card_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
