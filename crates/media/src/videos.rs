//! Videos (MP4, MOV) are stored as uploaded, less their metadata: phones write where a video
//! was taken into it (QuickTime's `©xyz`, Apple's `com.apple.quicktime.location.ISO6709`), and
//! cameras and editors their names. Re-encoding would cost minutes of CPU per upload, so the
//! boxes that hold such data are blanked in place instead, and the container is then read to
//! prove it is one and to learn the picture's size and the running time.

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
/// before the media data or after it. Returns how many boxes were blanked. A malformed file is
/// left to the probe to refuse: the walk stops at the first box that does not fit.
pub fn blank_metadata(file: &Path) -> Result<usize> {
    let mut f = File::options()
        .read(true)
        .write(true)
        .open(file)
        .map_err(Error::internal)?;
    let len = f.metadata().map_err(Error::internal)?.len();
    let mut blanked = 0;
    blank_within(&mut f, 0, len, 0, &mut blanked).map_err(Error::internal)?;
    Ok(blanked)
}

/// Walks the boxes between `start` and `end`, `depth` containers down.
fn blank_within(
    f: &mut File,
    start: u64,
    end: u64,
    depth: u8,
    blanked: &mut usize,
) -> std::io::Result<()> {
    let mut at = start;
    while let Some(b) = BoxHeader::read(f, at, end)? {
        let metadata = METADATA.contains(&&b.kind) || (&b.kind == b"uuid" && b.uuid(f)? == XMP);
        if metadata {
            b.blank(f)?;
            *blanked += 1;
        } else if CONTAINERS.contains(&&b.kind) && depth < 2 {
            blank_within(f, b.body, b.end, depth + 1, blanked)?;
        }
        at = b.end;
    }
    Ok(())
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
        let zeros = [0u8; 8192];
        let mut left = self.end - self.body;
        while left > 0 {
            let n = usize::try_from(left.min(zeros.len() as u64)).unwrap_or(zeros.len());
            f.write_all(zeros.get(..n).unwrap_or_default())?;
            left -= n as u64;
        }
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

    /// A box of `kind` around `body`.
    fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let size = u32::try_from(body.len() + 8).unwrap();
        [&size.to_be_bytes()[..], kind, body].concat()
    }

    /// `bytes` written to a file and blanked: what the file holds after, and the count.
    fn blanked(bytes: &[u8]) -> (Vec<u8>, usize) {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), bytes).unwrap();
        let n = blank_metadata(file.path()).unwrap();
        (std::fs::read(file.path()).unwrap(), n)
    }

    #[test]
    fn metadata_in_the_movie_and_its_tracks_becomes_free_space_of_the_same_size() {
        let location = boxed(b"udta", &boxed(b"\xA9xyz", b"+52.5200+013.4050/"));
        let keys = boxed(b"meta", b"com.apple.quicktime.location.ISO6709");
        let track = boxed(b"trak", &[boxed(b"tkhd", &[7; 12]), keys.clone()].concat());
        let moov = boxed(
            b"moov",
            &[boxed(b"mvhd", &[1; 20]), track, location].concat(),
        );
        let xmp = boxed(
            b"uuid",
            &[&XMP[..], b"<x:xmpmeta GPSLatitude=\"52\"/>"].concat(),
        );
        let mdat = boxed(b"mdat", b"picture data, with udta and meta inside it");
        let file = [boxed(b"ftyp", b"qt  "), moov, xmp, mdat.clone()].concat();

        let (after, n) = blanked(&file);
        assert_eq!(n, 3);
        assert_eq!(after.len(), file.len());
        for gone in [&b"52.52"[..], b"quicktime", b"udta", b"meta", b"xmpmeta"] {
            let found = after.windows(gone.len()).filter(|w| *w == gone).count();
            let in_media = mdat.windows(gone.len()).filter(|w| *w == gone).count();
            assert_eq!(found, in_media, "{}", String::from_utf8_lossy(gone));
        }
        // What is not metadata is untouched: headers, the track header, the media data.
        assert!(after.ends_with(&mdat));
        assert!(after.windows(20).any(|w| w == [1; 20]));
        assert!(after.windows(12).any(|w| w == [7; 12]));
        assert_eq!(after.windows(4).filter(|w| *w == b"free").count(), 3);
    }

    #[test]
    fn boxes_that_do_not_fit_stop_the_walk_and_change_nothing() {
        let udta = boxed(b"udta", b"kept, as the walk stopped before it");
        let cases: [Vec<u8>; 5] = [
            Vec::new(),
            b"\0\0\0".to_vec(),
            // A size larger than the file, then a box the walk never reaches.
            [&b"\0\0\x10\0moov"[..], &udta].concat(),
            // A 64-bit size cut short.
            b"\0\0\0\x01moov\0\0".to_vec(),
            // A size smaller than its own header inside the movie box.
            boxed(b"moov", &[&b"\0\0\0\x04udta"[..], &udta].concat()),
        ];
        for file in cases {
            assert_eq!(blanked(&file), (file.clone(), 0), "{file:?}");
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
