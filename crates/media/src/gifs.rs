//! GIFs, animated or not: every frame is decoded and written again with its palette, timing
//! and placement (so nothing is lost to re-quantizing), and nothing else: comments and
//! application blocks (where XMP metadata lives) are dropped.

use std::io::Cursor;
use std::num::NonZeroU64;

use gif::{ColorOutput, DecodeOptions, DecodingError, Encoder, MemoryLimit};
use image::ImageFormat;
use postern_core::limits::Limits;
use postern_core::{Error, Result};

use crate::content::{Checked, refuse};

/// Decodes every frame of `bytes` within `limits` and encodes them into a clean GIF.
pub fn reencode(bytes: &[u8], limits: &Limits) -> Result<Checked> {
    let mut options = DecodeOptions::new();
    options.set_color_output(ColorOutput::Indexed);
    if let Some(cap) = NonZeroU64::new(limits.media_decode_bytes) {
        options.set_memory_limit(MemoryLimit::Bytes(cap));
    }
    let mut decoder = options
        .read_info(Cursor::new(bytes))
        .map_err(decode_error)?;
    let (width, height) = (decoder.width(), decoder.height());
    let side = limits.media_image_side;
    if u32::from(width) > side || u32::from(height) > side || width == 0 || height == 0 {
        return Err(too_large(limits));
    }
    let palette = decoder.global_palette().unwrap_or_default().to_vec();
    let mut out = Vec::new();
    let mut encoder = Encoder::new(&mut out, width, height, &palette).map_err(Error::internal)?;
    encoder
        .set_repeat(decoder.repeat())
        .map_err(Error::internal)?;
    // Every frame's pixels (one byte each, indexed) count against one budget, checked before
    // a frame is decoded: a few kilobytes can describe huge frames, or thousands of them.
    let mut pixels: u64 = 0;
    let mut frames = 0usize;
    while let Some(info) = decoder.next_frame_info().map_err(decode_error)? {
        pixels += u64::from(info.width) * u64::from(info.height);
        if pixels > limits.media_decode_bytes {
            return Err(too_large(limits));
        }
        let mut frame = info.clone();
        // The decoder hands frames over de-interlaced; they are written that way.
        frame.interlaced = false;
        let mut buffer = vec![0; decoder.buffer_size()];
        decoder
            .read_into_buffer(&mut buffer)
            .map_err(decode_error)?;
        frame.buffer = buffer.into();
        encoder.write_frame(&frame).map_err(Error::internal)?;
        frames += 1;
    }
    if frames == 0 {
        return Err(refuse(Error::InvalidMedia, "is a GIF with no frames"));
    }
    drop(encoder);
    // The first frame, drawn as browsers show it before animating, makes the thumbnail.
    let first = crate::stills::decode(bytes, ImageFormat::Gif, limits)?;
    Ok(Checked {
        width: u32::from(width),
        height: u32::from(height),
        duration_ms: None,
        content: Some(out),
        thumbnail: Some(crate::stills::thumbnail(&first)?),
    })
}

fn too_large(limits: &Limits) -> Error {
    refuse(
        Error::TooLarge,
        format!(
            "decodes beyond the limits: at most {side}×{side} pixels and {px} pixels over all frames",
            side = limits.media_image_side,
            px = limits.media_decode_bytes
        ),
    )
}

fn decode_error(e: DecodingError) -> Error {
    match e {
        DecodingError::Io(e) => refuse(Error::InvalidMedia, format!("is not a complete GIF: {e}")),
        other => refuse(Error::InvalidMedia, format!("is not a valid GIF: {other}")),
    }
}
