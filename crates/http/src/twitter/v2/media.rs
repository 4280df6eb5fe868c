//! Media upload as v2 serves it (`x-api-v2-current.md` §5): `POST /2/media/upload/initialize`,
//! `…/:id/append` (JSON with base64, or multipart), `…/:id/finalize`, `GET /2/media/upload`
//! (`STATUS`), and the one-shot `POST /2/media/upload` (JSON base64 or multipart). The same
//! uploads, checks and caps as every other surface; `data.id` is the media id.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use postern_core::auth::Scope;
use postern_core::media::{MediaCategory, MediaType, MediaUpload};
use postern_core::{Error, MediaId, UserId};
use postern_service::media::Declared;
use serde::Deserialize;
use serde_json::{Value, json};

use super::V2Result;
use crate::AppState;
use crate::twitter::signed::{self, Signed};
use crate::twitter::v1::V1Error;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/media/upload/initialize", post(initialize))
        .route("/media/upload/{id}/append", post(append))
        .route("/media/upload/{id}/finalize", post(finalize))
        .route("/media/upload", post(one_shot).get(status))
        .layer(DefaultBodyLimit::disable())
}

/// An upload in v2's shape: `id` as a string, not v1.1's `media_id` pair.
fn data(v1: Value) -> Value {
    let mut v = v1;
    if let Some(o) = v.as_object_mut() {
        let id = o.remove("media_id_string").unwrap_or_default();
        o.remove("media_id");
        o.insert("id".into(), id);
    }
    json!({"data": v})
}

/// The largest a request's body may be here: a part, in base64, and its JSON around it.
fn body_limit(s: &AppState) -> usize {
    usize::try_from(s.services.config().limits.media_part_bytes)
        .unwrap_or(usize::MAX)
        .saturating_mul(4)
        / 3
        + 64 * 1024
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Initialize {
    media_type: Option<String>,
    media_category: Option<String>,
    total_bytes: Option<u64>,
    #[serde(default)]
    shared: bool,
    #[serde(default)]
    additional_owners: Vec<String>,
}

/// `POST /2/media/upload/initialize`.
async fn initialize(State(s): State<AppState>, req: Result<Signed, V1Error>) -> V2Result<Response> {
    let req = req?;
    let me = req.user(Scope::MediaWrite)?.user_id;
    let body: Initialize = req.json()?;
    let media_type = body
        .media_type
        .ok_or_else(|| Error::invalid("media_type", "is required"))?;
    let declared = Declared {
        media_type: MediaType::parse("media_type", &media_type)?,
        category: body
            .media_category
            .as_deref()
            .map(super::super::media_category)
            .transpose()?,
        shared: body.shared,
    };
    let total = body
        .total_bytes
        .ok_or_else(|| Error::invalid("total_bytes", "is required"))?;
    if !body.additional_owners.is_empty() {
        return Err(Error::invalid(
            "additional_owners",
            "is not supported: an upload is its uploader's to attach",
        )
        .into());
    }
    let started = s.services.start_upload(me, declared, total).await?;
    let shaped = crate::twitter::v1::media::shape(&started);
    let member = |name: &str| shaped.get(name).cloned().unwrap_or_default();
    Ok(Json(json!({"data": {
        "id": started.id.to_string(),
        "media_key": member("media_key"),
        "expires_after_secs": member("expires_after_secs"),
    }}))
    .into_response())
}

fn media_id(raw: &str) -> Result<MediaId, Error> {
    raw.parse()
        .map_err(|_| Error::invalid("id", format!("'{raw}' is not a media id")))
}

#[derive(Deserialize)]
struct AppendJson {
    media: Option<String>,
    segment_index: Option<u32>,
}

/// `POST /2/media/upload/:id/append`: a segment as JSON (`media` in base64, as X's own SDK
/// sends it) or multipart (`media` bytes, `segment_index`).
async fn append(
    State(s): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> V2Result<Response> {
    let id = media_id(&id)?;
    if !signed::is_multipart(request.headers()) {
        let limit = body_limit(&s);
        let req = Signed::read(request, &s, limit).await?;
        let me = req.user(Scope::MediaWrite)?.user_id;
        let body: AppendJson = req.json()?;
        let segment = body
            .segment_index
            .ok_or_else(|| Error::invalid("segment_index", "is required"))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body.media.unwrap_or_default().trim())
            .map_err(|_| Error::invalid("media", "must be base64"))?;
        return appended(&s, me, id, segment, bytes).await;
    }
    let (mut parts, body) = request.into_parts();
    let query = signed::query_params(&parts);
    let principal = signed::admit(&mut parts, &s, &query).await?;
    let me = Signed::without_body(principal, query)
        .user(Scope::MediaWrite)?
        .user_id;
    let mut form = Multipart::from_request(Request::from_parts(parts, body), &s)
        .await
        .map_err(|e| {
            Error::invalid(
                "body",
                format!("the form could not be read: {}", e.body_text()),
            )
        })?;
    let mut segment: Option<u32> = None;
    while let Some(field) = form.next_field().await.map_err(|e| {
        Error::invalid(
            "media",
            format!("the form could not be read: {}", e.body_text()),
        )
    })? {
        match field.name().unwrap_or_default() {
            "segment_index" => {
                let text = field.text().await.unwrap_or_default();
                segment = Some(
                    text.trim()
                        .parse()
                        .map_err(|_| Error::invalid("segment_index", "must be 0 to 999"))?,
                );
            }
            "media" => {
                let n = segment
                    .ok_or_else(|| Error::invalid("segment_index", "is required before media"))?;
                s.services.put_part(me, id, n, field).await?;
                return Ok(expires(&s, me, id).await?);
            }
            other => return Err(Error::invalid(other, "is not a field of an append").into()),
        }
    }
    Err(Error::invalid("media", "is required").into())
}

async fn appended(
    s: &AppState,
    me: UserId,
    id: MediaId,
    segment: u32,
    bytes: Vec<u8>,
) -> V2Result<Response> {
    let once = futures::stream::iter([Ok::<_, std::convert::Infallible>(Bytes::from(bytes))]);
    s.services.put_part(me, id, segment, once).await?;
    Ok(expires(s, me, id).await?)
}

/// What an append answers: when the upload expires.
async fn expires(s: &AppState, me: UserId, id: MediaId) -> Result<Response, Error> {
    let upload = s.services.upload_status(me, id).await?;
    let at = upload.expires_at.map_or(0, |t| t.timestamp());
    Ok(Json(json!({"data": {"expires_at": at}})).into_response())
}

/// `POST /2/media/upload/:id/finalize`.
async fn finalize(
    State(s): State<AppState>,
    Path(id): Path<String>,
    req: Result<Signed, V1Error>,
) -> V2Result<Response> {
    let req = req?;
    let me = req.user(Scope::MediaWrite)?.user_id;
    let done = s.services.complete_upload(me, media_id(&id)?).await?;
    Ok(Json(data(crate::twitter::v1::media::shape(&done))).into_response())
}

/// `GET /2/media/upload?command=STATUS&media_id=`.
async fn status(State(s): State<AppState>, req: Result<Signed, V1Error>) -> V2Result<Response> {
    let req = req?;
    let me = req.user(Scope::MediaWrite)?.user_id;
    let upload: MediaUpload = s.services.upload_status(me, req.id("media_id")?).await?;
    Ok(Json(data(crate::twitter::v1::media::status_shape(&upload))).into_response())
}

#[derive(Deserialize)]
struct OneShot {
    media: Option<String>,
    media_category: Option<String>,
    #[serde(default)]
    shared: bool,
}

/// `POST /2/media/upload`: a whole file, as JSON with base64 `media` (typed by its
/// content); multipart and the v1.1-style commands go where v1.1's do.
async fn one_shot(State(s): State<AppState>, request: Request) -> V2Result<Response> {
    if signed::is_multipart(request.headers()) {
        return Err(Error::UnsupportedMedia(postern_core::Invalid {
            field: "Content-Type".into(),
            message: "send a one-shot upload as JSON with base64 `media`, or chunked with \
                      /2/media/upload/initialize"
                .into(),
        })
        .into());
    }
    let limit = body_limit(&s);
    let req = Signed::read(request, &s, limit).await?;
    let me = req.user(Scope::MediaWrite)?.user_id;
    let body: OneShot = req.json()?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body.media.unwrap_or_default().trim())
        .map_err(|_| Error::invalid("media", "must be base64"))?;
    let once = futures::stream::iter([Ok::<_, std::convert::Infallible>(Bytes::from(bytes))]);
    let category = body
        .media_category
        .as_deref()
        .map(super::super::media_category)
        .transpose()?;
    // Without a category, an image: the one-shot upload is for images (X's docs).
    let most = category
        .unwrap_or(MediaCategory::DmImage)
        .max_bytes(&s.services.config().limits);
    let staged = s.services.stage(once, most).await?;
    let declared = Declared {
        media_type: staged.sniffed()?,
        category,
        shared: body.shared,
    };
    let done = s.services.upload(me, declared, staged).await?;
    Ok(Json(data(crate::twitter::v1::media::shape(&done))).into_response())
}
