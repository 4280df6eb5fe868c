//! Videos (MP4, MOV) are stored as uploaded; their container is read to prove it is one and
//! to learn the picture's size and the running time.

use std::io::BufReader;
use std::path::Path;

use mp4parse::TrackType;
use postern_core::{Error, Result};

use crate::content::{Checked, refuse};

/// Reads the container's boxes (through the media data, which a truncated file lacks).
pub fn probe(file: &Path) -> Result<Checked> {
    let f = std::fs::File::open(file).map_err(Error::internal)?;
    let context = mp4parse::read_mp4(&mut BufReader::new(f)).map_err(|e| {
        refuse(
            Error::InvalidMedia,
            format!("is not a complete MP4/QuickTime video: {e:?}"),
        )
    })?;
    let video = context
        .tracks
        .iter()
        .find(|t| t.track_type == TrackType::Video)
        .ok_or_else(|| refuse(Error::InvalidMedia, "has no video track"))?;
    let header = video
        .tkhd
        .as_ref()
        .ok_or_else(|| refuse(Error::InvalidMedia, "has a video track without a header"))?;
    // The track header gives the display size in 16.16 fixed point.
    let (width, height) = (header.width >> 16, header.height >> 16);
    if width == 0 || height == 0 {
        return Err(refuse(
            Error::InvalidMedia,
            "has a video track with no picture size",
        ));
    }
    let duration_ms = match (&video.duration, &video.timescale) {
        (Some(d), Some(scale)) if scale.0 > 0 => {
            Some(u64::try_from(u128::from(d.0) * 1000 / u128::from(scale.0)).unwrap_or(u64::MAX))
        }
        _ => None,
    };
    Ok(Checked {
        width,
        height,
        duration_ms,
        content: None,
        thumbnail: None,
    })
}
