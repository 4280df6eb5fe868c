//! Videos (MP4, MOV) are stored as uploaded, less their metadata: phones write where a video
//! was taken into it (QuickTime's `©xyz`, Apple's `com.apple.quicktime.location.ISO6709`), and
//! cameras and editors their names. Re-encoding would cost minutes of CPU per upload, so the
//! boxes that hold such data are blanked in place instead, and the container is then read to
//! prove it is one and to learn the picture's size and the running time.
//!
//! Not covered: positions recorded as a timed metadata track (action cameras, drones and
//! dashcams log GPS that way), whose samples live in the media data like the picture's.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use mp4parse::TrackType;
use postern_core::{Error, Result};

use crate::content::{Checked, refuse};

/// Blanks the upload's metadata, then reads what to record about it.
pub fn prepare(file: &Path) -> Result<Checked> {
    blank_metadata(file)?;
    probe(file)
}

/// Boxes that describe the recording rather than hold it: user data (`udta`: location, camera,
/// encoder, title) and metadata item lists (`meta`).
const METADATA: [&[u8; 4]; 2] = [b"udta", b"meta"];
/// Boxes whose children may be metadata: the movie and each of its tracks.
const CONTAINERS: [&[u8; 4]; 2] = [b"moov", b"trak"];
/// The `uuid` box type that Adobe's XMP packets use (they can hold a GPS position too).
const XMP: [u8; 16] = [
    0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8, 0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3, 0xAF, 0xAC,
];

/// Turns every metadata box of `file` into a `free` box of zeros, which players skip. Sizes
/// stay as they were, so the tracks' sample offsets stay right whether the movie box comes
/// before the media data or after it. Returns how many boxes were blanked.
///
/// At the top level the walk stops at the first box that does not fit (what follows is not
/// boxes; the probe refuses a file without a whole movie box). Inside the movie box or a track
/// such a box is refused: metadata after it would be missed.
pub fn blank_metadata(file: &Path) -> Result<usize> {
    let mut f = File::options()
        .read(true)
        .write(true)
        .open(file)
        .map_err(Error::internal)?;
    let len = f.metadata().map_err(Error::internal)?.len();
    let mut blanked = 0;
    let whole = blank_within(&mut f, 0, len, 0, &mut blanked).map_err(Error::internal)?;
    if !whole {
        return Err(refuse(
            Error::InvalidMedia,
            "is not a well-formed MP4/QuickTime video: a box in its movie box does not fit",
        ));
    }
    Ok(blanked)
}

/// Walks the boxes between `start` and `end`, `depth` containers down; false if a container's
/// boxes (at any depth below the top) do not fill it exactly.
fn blank_within(
    f: &mut File,
    start: u64,
    end: u64,
    depth: u8,
    blanked: &mut usize,
) -> std::io::Result<bool> {
    let mut at = start;
    while let Some(b) = BoxHeader::read(f, at, end)? {
        let metadata = METADATA.contains(&&b.kind) || (&b.kind == b"uuid" && b.uuid(f)? == XMP);
        if metadata {
            b.blank(f)?;
            *blanked += 1;
        } else if CONTAINERS.contains(&&b.kind)
            && depth < 2
            && !blank_within(f, b.body, b.end, depth + 1, blanked)?
        {
            return Ok(false);
        }
        at = b.end;
    }
    // Old QuickTime writers may end a list of boxes with a 32-bit zero.
    Ok(depth == 0 || at == end || (end - at < 8 && zeros(f, at, end)?))
}

/// Whether the bytes from `at` to `end` (fewer than 8) are all zero.
fn zeros(f: &mut File, at: u64, end: u64) -> std::io::Result<bool> {
    let mut tail = [0u8; 8];
    let n = usize::try_from(end - at).unwrap_or(0);
    let tail = tail.get_mut(..n).unwrap_or_default();
    Ok(read_at(f, at, tail)? && tail.iter().all(|b| *b == 0))
}

/// Where a box is: its type, where its header's size field and its body start, and its end.
struct BoxHeader {
    kind: [u8; 4],
    at: u64,
    body: u64,
    end: u64,
}

impl BoxHeader {
    /// The box at `at`, if a whole one fits before `end`.
    fn read(f: &mut File, at: u64, end: u64) -> std::io::Result<Option<BoxHeader>> {
        let mut head = [0u8; 8];
        if end.saturating_sub(at) < 8 || !read_at(f, at, &mut head)? {
            return Ok(None);
        }
        let (size, kind) = head.split_at(4);
        let size = u64::from(u32::from_be_bytes(size.try_into().unwrap_or_default()));
        let kind: [u8; 4] = kind.try_into().unwrap_or_default();
        let (size, body) = match size {
            // The last box may run to the end of the file.
            0 => (end - at, at + 8),
            // A 64-bit size follows the type.
            1 => {
                let mut large = [0u8; 8];
                if !read_at(f, at + 8, &mut large)? {
                    return Ok(None);
                }
                (u64::from_be_bytes(large), at + 16)
            }
            n => (n, at + 8),
        };
        match at.checked_add(size) {
            Some(box_end) if box_end <= end && box_end >= body => Ok(Some(BoxHeader {
                kind,
                at,
                body,
                end: box_end,
            })),
            _ => Ok(None),
        }
    }

    /// The 16 bytes after a `uuid` box's type (its extended type), or zeros if it is shorter.
    fn uuid(&self, f: &mut File) -> std::io::Result<[u8; 16]> {
        let mut id = [0u8; 16];
        if self.end - self.body < 16 || !read_at(f, self.body, &mut id)? {
            return Ok([0; 16]);
        }
        Ok(id)
    }

    /// Renames the box `free` and zeroes everything after its header.
    fn blank(&self, f: &mut File) -> std::io::Result<()> {
        f.seek(SeekFrom::Start(self.at + 4))?;
        f.write_all(b"free")?;
        f.seek(SeekFrom::Start(self.body))?;
        std::io::copy(&mut std::io::repeat(0).take(self.end - self.body), f)?;
        Ok(())
    }
}

/// Fills `buf` from `at`; false if the file ends first.
fn read_at(f: &mut File, at: u64, buf: &mut [u8]) -> std::io::Result<bool> {
    f.seek(SeekFrom::Start(at))?;
    match f.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

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

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        reason = "a test should stop loudly"
    )]

    use super::*;

    fn contains(bytes: &[u8], part: &[u8]) -> bool {
        bytes.windows(part.len()).any(|w| w == part)
    }

    /// A box of `kind` around `body`.
    fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let size = u32::try_from(body.len() + 8).unwrap();
        [&size.to_be_bytes()[..], kind, body].concat()
    }

    /// `bytes` written to a file and blanked: what the file holds after, and the count (or
    /// the refusal).
    fn blanked_or_refused(bytes: &[u8]) -> (Vec<u8>, Result<usize>) {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), bytes).unwrap();
        let n = blank_metadata(file.path());
        (std::fs::read(file.path()).unwrap(), n)
    }

    fn blanked(bytes: &[u8]) -> (Vec<u8>, usize) {
        let (after, n) = blanked_or_refused(bytes);
        (after, n.unwrap())
    }

    #[test]
    fn metadata_in_the_movie_and_its_tracks_becomes_free_space_of_the_same_size() {
        let location = boxed(b"udta", &boxed(b"\xA9xyz", b"+52.5200+013.4050/"));
        // Apple's keys sit in the movie box itself; other writers put some in a track.
        let keys = boxed(b"meta", b"com.apple.quicktime.location.ISO6709");
        let track_tags = boxed(b"meta", b"com.apple.quicktime.make");
        let track = boxed(b"trak", &[boxed(b"tkhd", &[7; 12]), track_tags].concat());
        let moov = boxed(
            b"moov",
            &[boxed(b"mvhd", &[1; 20]), keys, track, location].concat(),
        );
        let xmp = boxed(
            b"uuid",
            &[&XMP[..], b"<x:xmpmeta GPSLatitude=\"52\"/>"].concat(),
        );
        let mdat = boxed(b"mdat", b"picture data, with udta and meta inside it");
        let file = [boxed(b"ftyp", b"qt  "), moov, xmp, mdat.clone()].concat();
        // A track ending in QuickTime's 32-bit zero terminator is still walked.
        let file = [
            &file[..],
            &boxed(
                b"moov",
                &boxed(b"trak", &[&boxed(b"udta", b"x")[..], &[0; 4]].concat()),
            ),
        ]
        .concat();

        let (after, n) = blanked(&file);
        assert_eq!(n, 5);
        assert_eq!(after.len(), file.len());
        for gone in [&b"52.52"[..], b"quicktime", b"udta", b"meta", b"xmpmeta"] {
            let found = after.windows(gone.len()).filter(|w| *w == gone).count();
            let in_media = mdat.windows(gone.len()).filter(|w| *w == gone).count();
            assert_eq!(found, in_media, "{}", String::from_utf8_lossy(gone));
        }
        // What is not metadata is untouched: headers, the track header, the media data.
        assert!(contains(&after, &mdat));
        assert!(after.windows(20).any(|w| w == [1; 20]));
        assert!(after.windows(12).any(|w| w == [7; 12]));
        assert_eq!(after.windows(4).filter(|w| *w == b"free").count(), 5);
    }

    #[test]
    fn top_level_bytes_that_are_not_boxes_stop_the_walk_and_change_nothing() {
        let udta = boxed(b"udta", b"kept, as the walk stopped before it");
        let cases: [Vec<u8>; 4] = [
            Vec::new(),
            b"\0\0\0".to_vec(),
            // A size larger than the file, then a box the walk never reaches.
            [&b"\0\0\x10\0moov"[..], &udta].concat(),
            // A 64-bit size cut short.
            b"\0\0\0\x01moov\0\0".to_vec(),
        ];
        for file in cases {
            assert_eq!(blanked(&file), (file.clone(), 0), "{file:?}");
        }
    }

    #[test]
    fn a_movie_box_whose_boxes_do_not_fit_is_refused() {
        let udta = boxed(b"udta", b"metadata after a broken box");
        let cases = [
            // A size smaller than its own header.
            boxed(b"moov", &[&b"\0\0\0\x04free"[..], &udta].concat()),
            // A track whose last box runs past the track's end.
            boxed(b"moov", &boxed(b"trak", b"\0\0\0\x40tkhd")),
            // Stray bytes at the end of the movie box (four zeros would be a terminator).
            boxed(b"moov", &[&udta[..], b"\0\0\0\x01"].concat()),
        ];
        for file in cases {
            let (_, refused) = blanked_or_refused(&file);
            let message = refused.err().map(|e| e.to_string());
            assert!(
                message
                    .as_deref()
                    .is_some_and(|m| m.contains("does not fit")),
                "{file:?}: {message:?}"
            );
        }
    }

    #[test]
    fn a_last_box_may_run_to_the_end_and_a_size_may_be_64_bit() {
        let mut large = b"\0\0\0\x01udta".to_vec();
        large.extend_from_slice(&24u64.to_be_bytes());
        large.extend_from_slice(b"location");
        let file = [large, b"\0\0\0\0meta-to-the-end".to_vec()].concat();
        let (after, n) = blanked(&file);
        assert_eq!(n, 2);
        assert_eq!(&after[4..8], b"free");
        assert!(after[16..24].iter().all(|b| *b == 0));
        assert_eq!(&after[28..32], b"free");
        assert!(after[32..].iter().all(|b| *b == 0));
    }
}
