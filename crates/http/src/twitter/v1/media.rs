//! `media/upload.json` (reference §9): a whole file at once, or in chunks with `INIT`,
//! `APPEND`, `FINALIZE` and `STATUS`, over the service's uploads (the same checks, caps and
//! expiry as native uploads).
//!
//! Clients send the commands as form fields, url-encoded (signed) or multipart (not signed:
//! only the query and the `oauth_*` parameters are); an `APPEND`'s bytes come as a multipart
//! part named `media`, or base64 in `media_data`.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use postern_core::auth::Scope;
use postern_core::media::{MediaCategory, MediaType, MediaUpload, UploadState};
use postern_core::{Error, Invalid, MediaId};
use postern_service::media::Declared;
use serde_json::{Value, json};

use super::V1Result;
use crate::AppState;
use crate::twitter::signed::{self, Signed};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/media/upload.json",
            post(upload).get(status).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/ton/data/dm/{event}/{media}/{name}",
            axum::routing::get(fetch),
        )
}

/// Where a message's media is fetched on v1.1, as Twitter's `ton` URLs: with a signed GET
/// by whoever can see the message (reference §2.5).
pub fn media_url(
    origin: &str,
    event: postern_core::EventId,
    media: MediaId,
    kind: MediaType,
) -> String {
    let extension = match kind {
        MediaType::Jpeg => "jpg",
        MediaType::Png => "png",
        MediaType::Gif => "gif",
        MediaType::Webp => "webp",
        MediaType::Mp4 => "mp4",
        MediaType::Mov => "mov",
    };
    format!("{origin}/1.1/ton/data/dm/{event}/{media}/{media}.{extension}")
}

/// `GET ton/data/dm/:event/:media/:name`: the file, to its uploader and whoever can see a
/// message carrying it (everyone else: not found), with `Range`, as natively.
async fn fetch(
    State(s): State<AppState>,
    axum::extract::Path((_, media, _)): axum::extract::Path<(String, String, String)>,
    headers: axum::http::HeaderMap,
    req: Signed,
) -> V1Result<Response> {
    let me = req.user(Scope::DmRead)?.user_id;
    crate::api::media::deliver(
        &s,
        me,
        &media,
        crate::api::media::Rendition::Original,
        &headers,
    )
    .await
    .map_err(|e| match e.0 {
        // The URL is a page, not a media id in a request: a missing one is 404, code 34.
        Error::NotFound(_) => super::V1Error(Error::NotFound(postern_core::error::Thing::Link)),
        other => super::V1Error(other),
    })
}

/// A form field other than the file is read only this far.
const FIELD_BYTES: usize = 1024;

/// `POST media/upload.json`.
async fn upload(State(s): State<AppState>, request: Request) -> V1Result<Response> {
    if !signed::is_multipart(request.headers()) {
        // A url-encoded body may carry an APPEND's bytes in base64: a part and a third.
        let limit = usize::try_from(s.services.config().limits.media_part_bytes)
            .unwrap_or(usize::MAX)
            .saturating_mul(4)
            / 3
            + 64 * 1024;
        let req = Signed::read(request, &s, limit).await?;
        return command(&s, &req, None).await;
    }
    let (mut parts, body) = request.into_parts();
    let query = signed::query_params(&parts);
    let principal = signed::admit(&mut parts, &s, &query).await?;
    let mut form = Multipart::from_request(Request::from_parts(parts, body), &s)
        .await
        .map_err(|e| {
            Error::invalid(
                "body",
                format!("the form could not be read: {}", e.body_text()),
            )
        })?;
    let mut params = query;
    while let Some(field) = form.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "media" {
            let req = Signed::without_body(principal, params);
            return command(&s, &req, Some(File::Part(field))).await;
        }
        let value = small(field, &name).await?;
        params.push((name, value));
    }
    let req = Signed::without_body(principal, params);
    command(&s, &req, None).await
}

/// `GET media/upload.json?command=STATUS&media_id=`.
async fn status(State(s): State<AppState>, req: Signed) -> V1Result<Response> {
    command(&s, &req, None).await
}

fn malformed(e: axum::extract::multipart::MultipartError) -> Error {
    Error::invalid(
        "media",
        format!("the form could not be read: {}", e.body_text()),
    )
}

/// A form field's value, at most [`FIELD_BYTES`] (`media_data` is read as the file).
async fn small(
    mut field: axum::extract::multipart::Field<'_>,
    name: &str,
) -> Result<String, Error> {
    let mut value = Vec::new();
    let most = if name == "media_data" {
        usize::MAX
    } else {
        FIELD_BYTES
    };
    while let Some(chunk) = field.chunk().await.map_err(malformed)? {
        if value.len() + chunk.len() > most {
            return Err(Error::TooLarge(Invalid {
                field: name.to_owned(),
                message: format!("must be at most {FIELD_BYTES} bytes"),
            }));
        }
        value.extend_from_slice(&chunk);
    }
    String::from_utf8(value).map_err(|_| Error::invalid(name, "must be UTF-8 text"))
}

/// The file of an upload: a streamed multipart part.
enum File<'a> {
    Part(axum::extract::multipart::Field<'a>),
}

fn media_id(req: &Signed) -> Result<MediaId, Error> {
    let raw = req.required("media_id")?;
    raw.parse()
        .map_err(|_| Error::invalid("media_id", format!("'{raw}' is not a media id")))
}

/// A request's `media_category` and `shared`.
fn category_and_sharing(req: &Signed) -> Result<(Option<MediaCategory>, bool), Error> {
    let category = req
        .param("media_category")
        .filter(|c| !c.is_empty())
        .map(super::super::media_category)
        .transpose()?;
    Ok((category, matches!(req.param("shared"), Some("true" | "1"))))
}

fn declared(req: &Signed, part_type: Option<&str>) -> Result<Declared, Error> {
    let media_type = req
        .param("media_type")
        .filter(|t| !t.is_empty())
        .or(part_type.filter(|t| *t != "application/octet-stream"))
        .ok_or_else(|| Error::invalid("media_type", "is required"))?;
    let (category, shared) = category_and_sharing(req)?;
    Ok(Declared {
        media_type: MediaType::parse("media_type", media_type)?,
        category,
        shared,
    })
}

async fn command(s: &AppState, req: &Signed, file: Option<File<'_>>) -> V1Result<Response> {
    let me = req.user(Scope::MediaWrite)?.user_id;
    let services = &s.services;
    match req.param("command").unwrap_or_default() {
        "INIT" => {
            let total: u64 = req
                .required("total_bytes")?
                .parse()
                .map_err(|_| Error::invalid("total_bytes", "must be a whole number of bytes"))?;
            let started = services
                .start_upload(me, declared(req, None)?, total)
                .await?;
            Ok(Json(shape(&started)).into_response())
        }
        "APPEND" => {
            let id = media_id(req)?;
            let segment: u32 = req
                .required("segment_index")?
                .parse()
                .map_err(|_| Error::invalid("segment_index", "must be 0 to 999"))?;
            match (file, req.param("media_data")) {
                (Some(File::Part(field)), _) => {
                    services.put_part(me, id, segment, field).await?;
                }
                (None, Some(data)) => {
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(data.trim())
                        .map_err(|_| Error::invalid("media_data", "must be base64"))?;
                    let once = futures::stream::iter([Ok::<_, std::convert::Infallible>(
                        Bytes::from(bytes),
                    )]);
                    services.put_part(me, id, segment, once).await?;
                }
                (None, None) => {
                    return Err(Error::invalid(
                        "media",
                        "is required: the segment's bytes, as `media` or `media_data`",
                    )
                    .into());
                }
            }
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        "FINALIZE" => {
            let done = services.complete_upload(me, media_id(req)?).await?;
            Ok(Json(shape(&done)).into_response())
        }
        "STATUS" => {
            let upload = services.upload_status(me, media_id(req)?).await?;
            Ok(Json(status_shape(&upload)).into_response())
        }
        "" => {
            // A whole file in one request.
            let Some(File::Part(field)) = file else {
                return Err(Error::invalid(
                    "media",
                    "is required: the file, in a part named `media`",
                )
                .into());
            };
            let part_type = field.content_type().map(str::to_owned);
            let done = match declared(req, part_type.as_deref()) {
                Ok(declared) => {
                    let staged = services
                        .stage(field, services.media_cap(&declared)?)
                        .await?;
                    services.upload(me, declared, staged).await?
                }
                // tweepy sends the file alone: its first bytes say what it is, and it may be
                // as large as the largest kind of media until they have.
                Err(Error::Invalid(i)) if i.field == "media_type" => {
                    let limits = &services.config().limits;
                    let most = MediaCategory::ALL
                        .iter()
                        .map(|c| c.max_bytes(limits))
                        .max()
                        .unwrap_or(0);
                    let staged = services.stage(field, most).await?;
                    let (category, shared) = category_and_sharing(req)?;
                    let found = Declared {
                        media_type: staged.sniffed()?,
                        category,
                        shared,
                    };
                    services.upload(me, found, staged).await?
                }
                Err(e) => return Err(e.into()),
            };
            Ok(Json(shape(&done)).into_response())
        }
        other => Err(Error::invalid(
            "command",
            format!("'{other}' is not INIT, APPEND, FINALIZE or STATUS"),
        )
        .into()),
    }
}

/// An upload as Twitter describes one: its id (a number and a string), size, expiry, what
/// it is, and, once complete, that processing succeeded.
pub(crate) fn shape(u: &MediaUpload) -> Value {
    let expires = u
        .expires_at
        .map(|e| (e - chrono::Utc::now()).num_seconds().max(0))
        .unwrap_or(0);
    let mut v = json!({
        "media_id": u.id.0,
        "media_id_string": u.id.to_string(),
        "media_key": format!("3_{}", u.id),
        "size": u.total_bytes,
        "expires_after_secs": expires,
    });
    if let (Some(o), Some(m)) = (v.as_object_mut(), &u.media) {
        let (kind, type_key) = match u.media_type {
            MediaType::Mp4 | MediaType::Mov => ("video", "video_type"),
            MediaType::Jpeg | MediaType::Png | MediaType::Gif | MediaType::Webp => {
                ("image", "image_type")
            }
        };
        o.insert(
            kind.into(),
            json!({type_key: u.media_type.mime(), "w": m.width, "h": m.height}),
        );
    }
    v
}

/// An upload's `STATUS`: the same, with where its processing stands (Postern checks a file
/// when it is finalized, so it is done, or still taking parts).
pub(crate) fn status_shape(u: &MediaUpload) -> Value {
    let mut v = shape(u);
    let state = match u.state {
        UploadState::Ready => "succeeded",
        UploadState::Uploading => "pending",
    };
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "processing_info".into(),
            json!({"state": state, "progress_percent": if state == "succeeded" { 100 } else { 0 }}),
        );
    }
    v
}
