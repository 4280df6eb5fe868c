//! What an uploaded file really is, and what to store for it.

use std::io::Read;
use std::path::Path;

use postern_core::limits::Limits;
use postern_core::media::{MediaCategory, MediaType};
use postern_core::{Error, Invalid, Result};

/// The field refusals name: the uploaded file.
pub const FIELD: &str = "media";

/// A file that passed every check, and what to store for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub width: u32,
    pub height: u32,
    pub duration_ms: Option<u64>,
    /// Re-encoded content to store in place of the upload; `None` stores the upload file
    /// (videos, which are not re-encoded: their metadata is blanked in the file itself).
    pub content: Option<Vec<u8>>,
    /// Images: a JPEG at most [`crate::stills::THUMBNAIL_SIDE`] pixels on the longer side.
    pub thumbnail: Option<Vec<u8>>,
}

/// A refusal of the uploaded file (`make` picks the kind), naming the field [`FIELD`].
pub fn refuse(make: fn(Invalid) -> Error, message: impl Into<String>) -> Error {
    make(Invalid {
        field: FIELD.into(),
        message: message.into(),
    })
}

/// The type the content's first bytes show, if it is one Postern takes.
pub fn sniff(head: &[u8]) -> Option<MediaType> {
    let found = infer::get(head)?;
    MediaType::ALL
        .into_iter()
        .find(|t| t.mime() == found.mime_type())
}

/// The category must take the declared type (a video is not a `dm_image`).
pub fn check_category(category: MediaCategory, declared: MediaType) -> Result<()> {
    if category.accepts(declared) {
        return Ok(());
    }
    let takes = match category {
        MediaCategory::DmImage => "image/jpeg, image/png, image/gif or image/webp",
        MediaCategory::DmGif => "image/gif",
        MediaCategory::DmVideo => "video/mp4 or video/quicktime",
    };
    Err(Error::invalid(
        "media_category",
        format!(
            "{} takes {takes}, not {}",
            category.as_str(),
            declared.mime()
        ),
    ))
}

/// The largest upload `category` takes, as a refusal when `size` is over it.
pub fn check_size(category: MediaCategory, size: u64, limits: &Limits) -> Result<()> {
    let max = category.max_bytes(limits);
    if size > max {
        return Err(refuse(
            Error::TooLarge,
            format!(
                "{} uploads must be at most {max} bytes, got {size}",
                category.as_str()
            ),
        ));
    }
    Ok(())
}

/// Checks the uploaded `file` (`size` bytes) against the declared type and category, decodes
/// it within `limits`, and prepares what to store. Blocking: images are decoded here, so call
/// it off the async threads.
pub fn check(
    file: &Path,
    size: u64,
    declared: MediaType,
    category: MediaCategory,
    limits: &Limits,
) -> Result<Checked> {
    check_category(category, declared)?;
    check_size(category, size, limits)?;
    if size == 0 {
        return Err(refuse(Error::InvalidMedia, "is empty"));
    }
    let mut head = Vec::with_capacity(64);
    std::fs::File::open(file)
        .and_then(|f| f.take(64).read_to_end(&mut head))
        .map_err(Error::internal)?;
    match sniff(&head) {
        Some(found) if found == declared => {}
        Some(found) => {
            return Err(refuse(
                Error::MediaMismatch,
                format!(
                    "was declared {} but the content is {}",
                    declared.mime(),
                    found.mime()
                ),
            ));
        }
        None => {
            return Err(refuse(
                Error::MediaMismatch,
                format!(
                    "was declared {} but the content is not {0} (nor any type Postern accepts)",
                    declared.mime()
                ),
            ));
        }
    }
    if declared.is_video() {
        return crate::videos::prepare(file);
    }
    // Images are small enough (the caps are megabytes) to decode from memory.
    let bytes = std::fs::read(file).map_err(Error::internal)?;
    match declared {
        MediaType::Gif => crate::gifs::reencode(&bytes, limits),
        _ => crate::stills::reencode(&bytes, declared, limits),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_names_the_six_types_and_nothing_else() {
        let cases: [(&[u8], Option<MediaType>); 7] = [
            (b"\xFF\xD8\xFF\xE0\0\x10JFIF\0", Some(MediaType::Jpeg)),
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", Some(MediaType::Png)),
            (b"GIF89a\x01\0\x01\0\0\0\0", Some(MediaType::Gif)),
            (b"RIFF\0\0\0\0WEBPVP8 ", Some(MediaType::Webp)),
            (b"\0\0\0\x20ftypisom\0\0\x02\0", Some(MediaType::Mp4)),
            (b"\0\0\0\x14ftypqt  \0\0\x02\0", Some(MediaType::Mov)),
            (b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n", None),
        ];
        for (head, expected) in cases {
            assert_eq!(sniff(head), expected, "{head:?}");
        }
    }

    #[test]
    fn a_category_takes_only_its_types() {
        assert!(check_category(MediaCategory::DmImage, MediaType::Gif).is_ok());
        assert!(check_category(MediaCategory::DmGif, MediaType::Png).is_err());
        let err = check_category(MediaCategory::DmVideo, MediaType::Jpeg)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("media_category: dm_video takes video/mp4 or video/quicktime, not image/jpeg")
        );
    }
}
