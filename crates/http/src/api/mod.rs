//! The native JSON API (SPEC §5.1). Handlers are thin: parse, call one service method,
//! render. Every route is collected into the OpenAPI document served at `/openapi.json`.

mod accounts;
mod apps;
mod avatars;
mod cards;
mod consent;
mod control;
mod conversations;
mod custom_profiles;
pub mod document;
mod feedback;
mod flows;
mod graph;
mod limits;
pub(crate) mod media;
mod messages;
mod posts;
mod support;
mod webhooks;
mod welcome;

use std::str::FromStr;

use postern_core::{ConversationId, Error, EventId, NotAnId, UserId};
use serde::Deserialize;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Postern native API", description = "Direct messages with Twitter/X semantics."),
    servers((url = "/api/v1")),
    components(schemas(crate::error::ErrorBody)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(accounts::router())
        .merge(avatars::router())
        .merge(graph::router())
        .merge(conversations::router())
        .merge(control::router())
        .merge(messages::router())
        .merge(media::router())
        .merge(limits::router())
        .merge(support::router())
        .merge(custom_profiles::router())
        .merge(welcome::router())
        .merge(posts::router())
        .merge(cards::router())
        .merge(feedback::router())
        .merge(apps::router())
        .merge(consent::router())
        .merge(webhooks::router())
        .merge(flows::router())
}

/// `cursor` and `limit`, shared by every list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageParams {
    pub cursor: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<usize>,
}

impl PageParams {
    pub fn limit(&self) -> Result<usize, Error> {
        limit(self.limit, 20)
    }
}

pub fn limit(raw: Option<usize>, default: usize) -> Result<usize, Error> {
    let max = postern_core::limits::PAGE_LIMIT_MAX;
    match raw {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(n) => Err(Error::invalid(
            "limit",
            format!("must be between 1 and {max}, got {n}"),
        )),
    }
}

pub fn user_id(raw: &str) -> Result<UserId, Error> {
    id("user_id", raw)
}

/// An id in a path or query, read as Postern writes it (one spelling per id).
pub fn id<T: FromStr<Err = NotAnId>>(field: &str, raw: &str) -> Result<T, Error> {
    raw.parse()
        .map_err(|e: NotAnId| Error::invalid(field, e.to_string()))
}

pub fn conversation_id(raw: &str) -> Result<ConversationId, Error> {
    ConversationId::read("conversation_id", raw)
}

pub fn event_id(field: &str, raw: &str) -> Result<EventId, Error> {
    id(field, raw)
}

/// A count from JSON, where a whole number may be written `80366.0`: JSON has one kind of
/// number, and JSON Schema's `integer` takes it.
pub(crate) fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    n.as_u64()
        .or_else(|| {
            let f = n.as_f64()?;
            // Above 2^53 a float no longer holds every whole number; none of these sizes is.
            let exact = f.fract() == 0.0 && (0.0..=9_007_199_254_740_992.0).contains(&f);
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a whole number from 0 to 2^53, which u64 holds exactly"
            )]
            exact.then_some(f as u64)
        })
        .ok_or_else(|| serde::de::Error::custom(format!("must be a whole number, got {n}")))
}
