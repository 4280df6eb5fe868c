//! Media: simple upload, chunked upload (start, parts, status, complete), and delivery.
//!
//! Upload bodies are streamed to the service, which counts bytes against the caps as they
//! arrive, so axum's request-size limit is lifted on these routes only.

use axum::body::Body;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use postern_core::ids::canonical_key;
use postern_core::media::{MediaCategory, MediaType, MediaUpload};
use postern_core::{Error, MediaId};
use postern_service::media::Declared;
pub(crate) use postern_service::media::Rendition;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiResult, Json, Path, Query};
use crate::range::Wanted;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        .routes(routes!(start_upload))
        .routes(routes!(put_part))
        .routes(routes!(upload_status))
        .routes(routes!(complete_upload))
        .routes(routes!(fetch))
        .routes(routes!(fetch_thumbnail))
        .layer(DefaultBodyLimit::disable())
}

fn media_id(raw: &str) -> Result<MediaId, Error> {
    super::id("media_id", raw)
}

/// Upload settings that may come in the query string instead of form fields.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct UploadParams {
    /// `dm_image`, `dm_gif` or `dm_video`; from the type when absent.
    media_category: Option<String>,
    /// Reusable by its owner in many messages (welcome messages need this).
    shared: Option<bool>,
    /// The file's type, when its part carries no `Content-Type`.
    media_type: Option<String>,
}

/// The longest value a setting field may have (the longest real one is a media type). A form
/// field is read into memory, so it is read only this far.
const SETTING_BYTES: usize = 64;

impl UploadParams {
    /// The settings a form may carry before its file.
    const FIELDS: [&str; 3] = ["media_category", "media_type", "shared"];

    /// Reads a setting field of the form (one of [`Self::FIELDS`], once), at most
    /// [`SETTING_BYTES`] of it.
    async fn read(
        &mut self,
        name: &str,
        mut field: axum::extract::multipart::Field<'_>,
    ) -> Result<(), Error> {
        let mut value = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(malformed)? {
            if value.len() + chunk.len() > SETTING_BYTES {
                return Err(Error::TooLarge(postern_core::Invalid {
                    field: name.to_owned(),
                    message: format!("must be at most {SETTING_BYTES} bytes"),
                }));
            }
            value.extend_from_slice(&chunk);
        }
        let value =
            String::from_utf8(value).map_err(|_| Error::invalid(name, "must be UTF-8 text"))?;
        let slot_taken = match name {
            "media_category" => self.media_category.replace(value).is_some(),
            "media_type" => self.media_type.replace(value).is_some(),
            _ => {
                let shared = match value.trim() {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err(Error::invalid("shared", "must be true or false")),
                };
                self.shared.replace(shared).is_some()
            }
        };
        if slot_taken {
            return Err(Error::invalid(
                name,
                "is given twice (in the query string or the form)",
            ));
        }
        Ok(())
    }

    fn declared(&self, part_type: Option<&str>) -> Result<Declared, Error> {
        let media_type = part_type
            .filter(|t| *t != "application/octet-stream")
            .or(self.media_type.as_deref())
            .ok_or_else(|| {
                Error::invalid(
                    "media_type",
                    "is required: give the file part a Content-Type or send media_type",
                )
            })?;
        Ok(Declared {
            media_type: MediaType::parse("media_type", media_type)?,
            category: self
                .media_category
                .as_deref()
                .map(|c| MediaCategory::parse("media_category", c))
                .transpose()?,
            shared: self.shared.unwrap_or(false),
        })
    }
}

/// `POST /api/v1/media`: a whole file at once, as `multipart/form-data` with the file in a
/// part named `media` (its `Content-Type` declares the type); `media_category` and `shared`
/// as parts before it or in the query string. Answers the ready upload; it must be attached
/// to a message within 24 hours.
#[utoipa::path(post, path = "/media", tag = "media", params(UploadParams),
    request_body(content_type = "multipart/form-data", description = "`media`: the file; `media_category`, `shared`: optional"),
    responses((status = 201, body = MediaUpload), (status = 400, body = crate::error::ErrorBody),
        (status = 413, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody)))]
async fn upload(
    State(s): State<AppState>,
    Auth(c): Auth,
    Query(mut params): Query<UploadParams>,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    let mut form = form.map_err(|e| {
        Error::UnsupportedMedia(postern_core::Invalid {
            field: "Content-Type".into(),
            message: format!("expected multipart/form-data ({})", e.body_text()),
        })
    })?;
    while let Some(field) = form.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "media" {
            let declared = params.declared(field.content_type())?;
            let staged = s
                .services
                .stage(field, s.services.media_cap(&declared)?)
                .await?;
            let done = s.services.upload(c.user_id, declared, staged).await?;
            return Ok((StatusCode::CREATED, Json(done)).into_response());
        }
        if !UploadParams::FIELDS.contains(&name.as_str()) {
            return Err(Error::invalid(name, "is not a field of a media upload").into());
        }
        params.read(&name, field).await?;
    }
    Err(Error::invalid(
        "media",
        "is required: send the file in a part named `media`",
    )
    .into())
}

fn malformed(e: axum::extract::multipart::MultipartError) -> Error {
    Error::invalid(
        "media",
        format!("the form could not be read: {}", e.body_text()),
    )
}

#[derive(Deserialize, ToSchema)]
pub struct StartUpload {
    /// The whole file's size in bytes; the parts must add up to it.
    #[serde(deserialize_with = "super::whole_number")]
    total_bytes: u64,
    /// `image/jpeg`, `image/png`, `image/gif`, `image/webp`, `video/mp4` or `video/quicktime`.
    media_type: String,
    /// `dm_image`, `dm_gif` or `dm_video`; from the type when absent.
    media_category: Option<String>,
    #[serde(default)]
    shared: bool,
}

/// `POST /api/v1/media/uploads`: starts a chunked upload. Send its parts (numbered from 0,
/// in any order, each at most 5 MB), then complete it.
#[utoipa::path(post, path = "/media/uploads", tag = "media", request_body = StartUpload,
    responses((status = 201, body = MediaUpload), (status = 413, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody)))]
async fn start_upload(
    State(s): State<AppState>,
    Auth(c): Auth,
    Json(r): Json<StartUpload>,
) -> ApiResult<Response> {
    let params = UploadParams {
        media_category: r.media_category,
        shared: Some(r.shared),
        media_type: Some(r.media_type),
    };
    let declared = params.declared(None)?;
    let started = s
        .services
        .start_upload(c.user_id, declared, r.total_bytes)
        .await?;
    Ok((StatusCode::CREATED, Json(started)).into_response())
}

/// `PUT /api/v1/media/uploads/{id}/parts/{n}`: the raw bytes of part `n` (0–999). Sending a
/// part again replaces it, so an interrupted part is simply sent again.
#[utoipa::path(put, path = "/media/uploads/{id}/parts/{n}", tag = "media",
    request_body(content_type = "application/octet-stream"),
    responses((status = 200, body = MediaUpload), (status = 413, body = crate::error::ErrorBody)))]
async fn put_part(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path((id, n)): Path<(String, String)>,
    body: Body,
) -> ApiResult<Json<MediaUpload>> {
    let number = canonical_key(&n)
        .ok()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| Error::invalid("part", "must be a part number from 0"))?;
    let status = s
        .services
        .put_part(c.user_id, media_id(&id)?, number, body.into_data_stream())
        .await?;
    Ok(Json(status))
}

/// `GET /api/v1/media/uploads/{id}`: the upload's state and the parts received so far.
#[utoipa::path(get, path = "/media/uploads/{id}", tag = "media", responses((status = 200, body = MediaUpload)))]
async fn upload_status(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<MediaUpload>> {
    Ok(Json(
        s.services.upload_status(c.user_id, media_id(&id)?).await?,
    ))
}

/// `POST /api/v1/media/uploads/{id}/complete`: checks the joined parts and stores them.
/// A refused file is removed with its parts.
#[utoipa::path(post, path = "/media/uploads/{id}/complete", tag = "media",
    responses((status = 200, body = MediaUpload), (status = 400, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody)))]
async fn complete_upload(
    State(s): State<AppState>,
    Auth(c): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<MediaUpload>> {
    Ok(Json(
        s.services
            .complete_upload(c.user_id, media_id(&id)?)
            .await?,
    ))
}

/// `GET /api/v1/media/{id}`: the file, for its uploader and for whoever can see a message
/// carrying it (everyone else gets 404). Supports `Range` (videos seek with it).
#[utoipa::path(get, path = "/media/{id}", tag = "media",
    responses((status = 200, description = "the file"), (status = 206, description = "the requested range"), (status = 404, body = crate::error::ErrorBody), (status = 416)))]
async fn fetch(
    State(s): State<AppState>,
    Auth(c): Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    deliver(&s, c.user_id, &id, Rendition::Original, &headers).await
}

/// `GET /api/v1/media/{id}/thumbnail`: a JPEG at most 320 pixels on its longer side (images).
#[utoipa::path(get, path = "/media/{id}/thumbnail", tag = "media",
    responses((status = 200, description = "a JPEG"), (status = 404, body = crate::error::ErrorBody)))]
async fn fetch_thumbnail(
    State(s): State<AppState>,
    Auth(c): Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    deliver(&s, c.user_id, &id, Rendition::Thumbnail, &headers).await
}

/// Serves media `id` to `me` if they may see it (every surface's media route ends here).
pub(crate) async fn deliver(
    s: &AppState,
    me: postern_core::UserId,
    id: &str,
    rendition: Rendition,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let id = media_id(id)?;
    let record = s.services.media_for(me, id, rendition).await?;
    let etag = format!("\"{id}-{}\"", rendition_tag(rendition));
    // Stored media never changes, so a cached copy is always current.
    if crate::range::not_modified(headers, &etag) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        common_headers(response.headers_mut(), &etag);
        return Ok(response);
    }
    // Ranges are for seeking in the original (its size is on record); a thumbnail is small
    // and always sent whole, which the standard allows.
    let range = match rendition {
        Rendition::Original => {
            match crate::range::wanted(headers.get(header::RANGE), record.size) {
                Wanted::All => None,
                Wanted::Part(range) => Some(range),
                Wanted::Unsatisfiable => return Ok(crate::range::unsatisfiable(record.size)),
            }
        }
        Rendition::Thumbnail => None,
    };
    let partial = range.is_some();
    let stored = s.services.media_bytes(&record, rendition, range).await?;
    let content_type = match rendition {
        Rendition::Original => record.media_type.mime(),
        Rendition::Thumbnail => "image/jpeg",
    };
    let length = stored.range.end - stored.range.start;
    let mut response = Body::from_stream(stored.body).into_response();
    if partial {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        let value = format!(
            "bytes {}-{}/{}",
            stored.range.start,
            stored.range.end.saturating_sub(1),
            stored.total
        );
        insert(response.headers_mut(), header::CONTENT_RANGE, &value);
    }
    let h = response.headers_mut();
    insert(h, header::CONTENT_TYPE, content_type);
    insert(h, header::CONTENT_LENGTH, &length.to_string());
    common_headers(h, &etag);
    Ok(response)
}

fn rendition_tag(r: Rendition) -> &'static str {
    match r {
        Rendition::Original => "original",
        Rendition::Thumbnail => "thumbnail",
    }
}

/// Headers of every media response: cacheable by the browser only (it is private), never
/// sniffed as another type, and never run as a document should someone open it directly.
fn common_headers(h: &mut HeaderMap, etag: &str) {
    insert(h, header::ACCEPT_RANGES, "bytes");
    insert(
        h,
        header::CACHE_CONTROL,
        "private, max-age=31536000, immutable",
    );
    insert(h, header::ETAG, etag);
    insert(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    insert(h, header::CONTENT_DISPOSITION, "inline");
    insert(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; sandbox",
    );
}

fn insert(h: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        h.insert(name, v);
    }
}
