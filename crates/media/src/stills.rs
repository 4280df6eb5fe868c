//! Still images (JPEG, PNG, WebP; GIFs have [`crate::gifs`]): decoded within limits, turned
//! upright, and encoded again from pixels alone, so nothing of the upload but its picture
//! survives: no EXIF, no GPS position, no comments, nothing appended after the image.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, RgbImage};
use postern_core::limits::Limits;
use postern_core::media::MediaType;
use postern_core::{Error, Result};

use crate::content::{Checked, refuse};

/// Thumbnails fit in a square this many pixels wide.
pub const THUMBNAIL_SIDE: u32 = 320;
const JPEG_QUALITY: u8 = 88;
const THUMBNAIL_QUALITY: u8 = 80;

/// Decodes `bytes` (of type `t`) within `limits` and encodes it again in the same format.
pub fn reencode(bytes: &[u8], t: MediaType, limits: &Limits) -> Result<Checked> {
    let format = match t {
        MediaType::Gif => None,
        other => image_format(other),
    }
    .ok_or_else(|| Error::internal(format!("{} is not a still image", t.mime())))?;
    if t == MediaType::Jpeg {
        check_jpeg_end(bytes)?;
    }
    let image = decode(bytes, format, limits)?;
    let content = encode(&image, format)?;
    Ok(Checked {
        width: image.width(),
        height: image.height(),
        duration_ms: None,
        content: Some(content),
        thumbnail: Some(thumbnail(&image)?),
    })
}

/// How the `image` crate names an image type (a GIF decodes to its first frame); `None` for
/// video.
pub(crate) fn image_format(t: MediaType) -> Option<ImageFormat> {
    match t {
        MediaType::Jpeg => Some(ImageFormat::Jpeg),
        MediaType::Png => Some(ImageFormat::Png),
        MediaType::Webp => Some(ImageFormat::WebP),
        MediaType::Gif => Some(ImageFormat::Gif),
        MediaType::Mp4 | MediaType::Mov => None,
    }
}

/// A JPEG ends with its end-of-image marker; decoders quietly paint a cut-off file grey, so
/// a truncated upload is caught here instead.
fn check_jpeg_end(bytes: &[u8]) -> Result<()> {
    let end = bytes
        .iter()
        .rposition(|b| *b != 0)
        .map_or(&[][..], |last| bytes.get(..=last).unwrap_or_default());
    if !end.ends_with(&[0xFF, 0xD9]) {
        return Err(refuse(
            Error::InvalidMedia,
            "is not a complete JPEG: it is truncated (no end-of-image marker)",
        ));
    }
    Ok(())
}

/// Decodes within the side and memory limits, turned the way its EXIF orientation says.
pub(crate) fn decode(bytes: &[u8], format: ImageFormat, limits: &Limits) -> Result<DynamicImage> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut caps = image::Limits::default();
    caps.max_image_width = Some(limits.media_image_side);
    caps.max_image_height = Some(limits.media_image_side);
    caps.max_alloc = Some(limits.media_decode_bytes);
    reader.limits(caps);
    let refused = |e| decode_error(e, limits);
    let mut decoder = reader.into_decoder().map_err(refused)?;
    // Not every decoder honours `max_alloc`, so the decoded size is checked before decoding.
    if decoder.total_bytes() > limits.media_decode_bytes {
        return Err(refused(ImageError::Limits(
            image::error::LimitError::from_kind(image::error::LimitErrorKind::InsufficientMemory),
        )));
    }
    let orientation = decoder.orientation().map_err(refused)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(refused)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// A decoding failure as the client's refusal: over a limit, or not a valid image.
pub(crate) fn decode_error(e: ImageError, limits: &Limits) -> Error {
    match e {
        ImageError::Limits(_) => refuse(
            Error::TooLarge,
            format!(
                "decodes beyond the limits: at most {side}×{side} pixels and {mib} MiB of pixels",
                side = limits.media_image_side,
                mib = limits.media_decode_bytes >> 20
            ),
        ),
        ImageError::IoError(e) => {
            refuse(Error::InvalidMedia, format!("is not a complete image: {e}"))
        }
        other => refuse(
            Error::InvalidMedia,
            format!("is not a valid image: {other}"),
        ),
    }
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let written = match format {
        ImageFormat::Jpeg => {
            let encoder = JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
            match image {
                DynamicImage::ImageLuma8(_) => image.write_with_encoder(encoder),
                _ => DynamicImage::ImageRgb8(image.to_rgb8()).write_with_encoder(encoder),
            }
        }
        // WebP is encoded losslessly (the encoder has no lossy mode), from 8-bit pixels.
        ImageFormat::WebP => {
            let encoder = WebPEncoder::new_lossless(&mut out);
            if image.color().has_alpha() {
                DynamicImage::ImageRgba8(image.to_rgba8()).write_with_encoder(encoder)
            } else {
                DynamicImage::ImageRgb8(image.to_rgb8()).write_with_encoder(encoder)
            }
        }
        _ => image.write_with_encoder(PngEncoder::new(&mut out)),
    };
    written.map_err(Error::internal)?;
    Ok(out)
}

/// A small JPEG of the image; transparent parts are shown over white.
pub(crate) fn thumbnail(image: &DynamicImage) -> Result<Vec<u8>> {
    small_jpeg(&image.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE))
}

/// A JPEG of an image already at its final size, transparent parts shown over white.
pub(crate) fn small_jpeg(image: &DynamicImage) -> Result<Vec<u8>> {
    let rgb = if image.color().has_alpha() {
        over_white(image)
    } else {
        image.to_rgb8()
    };
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, THUMBNAIL_QUALITY)
        .encode_image(&rgb)
        .map_err(Error::internal)?;
    Ok(out)
}

fn over_white(image: &DynamicImage) -> RgbImage {
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend = |c: u8| -> u8 {
            let (c, a) = (u16::from(c), u16::from(a));
            u8::try_from((c * a + 255 * (255 - a)) / 255).unwrap_or(u8::MAX)
        };
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}
