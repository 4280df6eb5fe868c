//! `GET /api/v1/limits`: what this server enforces that a client checks input against before
//! sending: a composer's character count, a group picker's size, an upload's size and parts.
//! Operators may change each of them (`limits.*`), so a client asks rather than assuming
//! SPEC's defaults. Anti-abuse thresholds (daily sends, spam signals) are not listed.

use axum::Json;
use axum::extract::State;
use postern_core::limits::Limits;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(limits))
}

#[derive(Serialize, ToSchema)]
pub struct ClientLimits {
    /// Characters in a message's text (Unicode scalar values after NFC).
    message_text_chars: usize,
    /// Times one message may be edited.
    edits_per_message: u32,
    /// Characters in a group's name.
    group_name_chars: usize,
    /// Others a new group must name, at least and at most.
    group_create_min_others: usize,
    group_create_max_others: usize,
    /// Members a group may grow to, its creator included.
    group_members: usize,
    pinned_conversations: usize,
    /// Largest upload per media category, in bytes.
    media_bytes: MediaBytes,
    /// Largest part of a chunked upload, in bytes, and the most parts one upload may have.
    media_part_bytes: u64,
    media_parts: u32,
}

#[derive(Serialize, ToSchema)]
pub struct MediaBytes {
    dm_image: u64,
    dm_gif: u64,
    dm_video: u64,
}

impl From<&Limits> for ClientLimits {
    fn from(l: &Limits) -> Self {
        ClientLimits {
            message_text_chars: l.dm_text,
            edits_per_message: l.edits_per_message,
            group_name_chars: l.group_name,
            group_create_min_others: l.group_create_min_others,
            group_create_max_others: l.group_create_max_others,
            group_members: l.group_size,
            pinned_conversations: l.pinned_conversations,
            media_bytes: MediaBytes {
                dm_image: l.media_image_bytes,
                dm_gif: l.media_gif_bytes,
                dm_video: l.media_video_bytes,
            },
            media_part_bytes: l.media_part_bytes,
            media_parts: l.media_parts,
        }
    }
}

/// `GET /api/v1/limits`: public, like the OpenAPI document.
#[utoipa::path(get, path = "/limits", tag = "server", responses((status = 200, body = ClientLimits)))]
async fn limits(State(s): State<AppState>) -> Json<ClientLimits> {
    Json(ClientLimits::from(&s.services.config().limits))
}
