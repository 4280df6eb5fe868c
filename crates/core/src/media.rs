//! Media (SPEC §3.6): the category an upload declares, the six content types Postern
//! accepts, which category takes which type and up to what size, and media as clients see it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{Error, Result};
use crate::ids::MediaId;
use crate::limits::Limits;

/// What an upload is for, as Twitter's `media_category` names it; it sets the size cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MediaCategory {
    DmImage,
    DmGif,
    DmVideo,
}

impl MediaCategory {
    pub const ALL: [MediaCategory; 3] = [
        MediaCategory::DmImage,
        MediaCategory::DmGif,
        MediaCategory::DmVideo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MediaCategory::DmImage => "dm_image",
            MediaCategory::DmGif => "dm_gif",
            MediaCategory::DmVideo => "dm_video",
        }
    }

    /// Parses a category named by a client; `field` names it in the error.
    pub fn parse(field: &str, s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| Error::invalid(field, "must be one of dm_image, dm_gif, dm_video"))
    }

    /// The category an upload that names none gets from its type.
    pub fn for_type(t: MediaType) -> Self {
        match t {
            MediaType::Gif => MediaCategory::DmGif,
            MediaType::Mp4 | MediaType::Mov => MediaCategory::DmVideo,
            MediaType::Jpeg | MediaType::Png | MediaType::Webp => MediaCategory::DmImage,
        }
    }

    /// The types this category takes: images (a still GIF is an image too), GIFs, videos.
    pub fn accepts(self, t: MediaType) -> bool {
        match self {
            MediaCategory::DmImage => t.is_image(),
            MediaCategory::DmGif => t == MediaType::Gif,
            MediaCategory::DmVideo => t.is_video(),
        }
    }

    /// The largest upload this category takes, in bytes.
    pub fn max_bytes(self, limits: &Limits) -> u64 {
        match self {
            MediaCategory::DmImage => limits.media_image_bytes,
            MediaCategory::DmGif => limits.media_gif_bytes,
            MediaCategory::DmVideo => limits.media_video_bytes,
        }
    }
}

/// The content types Postern accepts, serialized as their MIME type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum MediaType {
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "image/gif")]
    Gif,
    #[serde(rename = "image/webp")]
    Webp,
    #[serde(rename = "video/mp4")]
    Mp4,
    #[serde(rename = "video/quicktime")]
    Mov,
}

impl MediaType {
    pub const ALL: [MediaType; 6] = [
        MediaType::Jpeg,
        MediaType::Png,
        MediaType::Gif,
        MediaType::Webp,
        MediaType::Mp4,
        MediaType::Mov,
    ];

    pub fn mime(self) -> &'static str {
        match self {
            MediaType::Jpeg => "image/jpeg",
            MediaType::Png => "image/png",
            MediaType::Gif => "image/gif",
            MediaType::Webp => "image/webp",
            MediaType::Mp4 => "video/mp4",
            MediaType::Mov => "video/quicktime",
        }
    }

    /// Parses a declared MIME type (parameters and case ignored; `image/jpg` is common
    /// enough to take). Anything else is refused as unsupported.
    pub fn parse(field: &str, declared: &str) -> Result<Self> {
        let essence = declared
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if essence == "image/jpg" {
            return Ok(MediaType::Jpeg);
        }
        Self::ALL
            .into_iter()
            .find(|t| t.mime() == essence)
            .ok_or_else(|| {
                Error::UnsupportedMedia(crate::Invalid {
                    field: field.into(),
                    message: format!(
                        "`{declared}` is not accepted; use image/jpeg, image/png, image/gif, image/webp, video/mp4 or video/quicktime"
                    ),
                })
            })
    }

    pub fn is_image(self) -> bool {
        !self.is_video()
    }

    pub fn is_video(self) -> bool {
        matches!(self, MediaType::Mp4 | MediaType::Mov)
    }
}

/// An attached or uploaded media item as clients see it. Immutable once uploaded, so a
/// message keeps a copy of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Media {
    pub id: MediaId,
    #[schema(value_type = String, example = "image/jpeg")]
    pub media_type: MediaType,
    pub category: MediaCategory,
    /// Bytes as stored (images are re-encoded, so usually not the uploaded size).
    pub size: u64,
    pub width: u32,
    pub height: u32,
    /// Videos only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Fetch with the same credentials as the API.
    pub url: String,
    /// Images only: at most 320 pixels on the longer side.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
}

impl Media {
    pub fn url(id: MediaId) -> String {
        format!("/api/v1/media/{id}")
    }

    pub fn thumbnail_url(id: MediaId) -> String {
        format!("/api/v1/media/{id}/thumbnail")
    }
}

/// Where an upload stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UploadState {
    /// Parts are arriving; `complete` checks and stores them.
    Uploading,
    /// Checked and stored: `media` can be attached.
    Ready,
}

impl UploadState {
    pub fn as_str(self) -> &'static str {
        match self {
            UploadState::Uploading => "uploading",
            UploadState::Ready => "ready",
        }
    }
}

/// One received part of a chunked upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UploadPart {
    pub number: u32,
    pub size: u64,
}

/// An upload, in progress or done: what every media upload call answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MediaUpload {
    /// The media id, the same before and after completion.
    pub id: MediaId,
    pub state: UploadState,
    #[schema(value_type = String, example = "video/mp4")]
    pub media_type: MediaType,
    pub category: MediaCategory,
    /// Reusable by its owner in many messages; otherwise it attaches once.
    pub shared: bool,
    pub total_bytes: u64,
    /// Chunked uploads in progress: the parts received so far, by number.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub parts: Vec<UploadPart>,
    pub created_at: DateTime<Utc>,
    /// Unless attached by then, the upload and its bytes are removed at this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    /// Once ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<Media>,
}
