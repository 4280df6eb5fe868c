//! Property tests of what reads client bytes: type sniffing, image decoding and video box
//! walking. For valid files damaged at random (bytes changed, cut short, inserted) and for
//! arbitrary bytes, `check` answers with a refusal the client can read, or accepts: it never
//! panics and never fails as the server's own error (a 500).

use std::io::Write;

use image::{DynamicImage, ImageFormat, RgbImage};
use postern_core::Error;
use postern_core::limits::Limits;
use postern_core::media::{MediaCategory, MediaType};
use proptest::prelude::*;

use crate::content::{check, sniff};

fn encoded(format: ImageFormat) -> Vec<u8> {
    let image = DynamicImage::ImageRgb8(RgbImage::from_fn(12, 7, |x, y| {
        image::Rgb([(x * 20) as u8, (y * 30) as u8, 90])
    }));
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, format)
        .unwrap_or_else(|e| panic!("encode {format:?}: {e}"));
    out.into_inner()
}

/// A valid file of each kind Postern takes, with its declared type.
fn seeds() -> Vec<(MediaType, Vec<u8>)> {
    vec![
        (MediaType::Png, encoded(ImageFormat::Png)),
        (MediaType::Jpeg, encoded(ImageFormat::Jpeg)),
        (MediaType::Gif, encoded(ImageFormat::Gif)),
        (MediaType::Webp, encoded(ImageFormat::WebP)),
        (
            MediaType::Mp4,
            include_bytes!("../../server/tests/fixtures/clip.mp4").to_vec(),
        ),
        (
            MediaType::Mov,
            include_bytes!("../../server/tests/fixtures/clip.mov").to_vec(),
        ),
    ]
}

#[derive(Debug, Clone)]
enum Damage {
    Set { at: usize, to: u8 },
    Cut { at: usize },
    Insert { at: usize, bytes: Vec<u8> },
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, to)| Damage::Set { at, to }),
        any::<usize>().prop_map(|at| Damage::Cut { at }),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..16)
        )
            .prop_map(|(at, bytes)| Damage::Insert { at, bytes }),
    ]
}

fn apply(mut bytes: Vec<u8>, damages: &[Damage]) -> Vec<u8> {
    for d in damages {
        let len = bytes.len().max(1);
        match d {
            Damage::Set { at, to } => {
                if let Some(b) = bytes.get_mut(at % len) {
                    *b = *to;
                }
            }
            Damage::Cut { at } => bytes.truncate(at % len),
            Damage::Insert { at, bytes: more } => {
                let at = (at % len).min(bytes.len());
                bytes.splice(at..at, more.iter().copied());
            }
        }
    }
    bytes
}

/// Runs the whole check on `bytes` as an upload declared `declared`.
fn checked(bytes: &[u8], declared: MediaType) -> Result<(), Error> {
    let mut file = tempfile::NamedTempFile::new().unwrap_or_else(|e| panic!("temp file: {e}"));
    file.write_all(bytes)
        .unwrap_or_else(|e| panic!("write: {e}"));
    let size = bytes.len() as u64;
    check(
        file.path(),
        size,
        declared,
        MediaCategory::for_type(declared),
        &Limits::default(),
    )
    .map(drop)
}

fn client_refusal(result: &Result<(), Error>) -> bool {
    !matches!(result, Err(Error::Internal(_)))
}

#[test]
fn the_seeds_are_accepted() {
    for (declared, bytes) in seeds() {
        assert!(checked(&bytes, declared).is_ok(), "{declared:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn damaged_files_are_refused_or_accepted_never_a_server_error(
        seed in 0usize..6,
        damages in proptest::collection::vec(damage(), 1..4),
    ) {
        let seeds = seeds();
        let (declared, bytes) = seeds.get(seed).cloned().unwrap_or_else(|| panic!("seed {seed}"));
        let result = checked(&apply(bytes, &damages), declared);
        prop_assert!(client_refusal(&result), "{:?} after {:?}: {:?}", declared, damages, result);
    }

    #[test]
    fn arbitrary_bytes_are_refused_or_accepted_never_a_server_error(
        bytes in proptest::collection::vec(any::<u8>(), 0..512),
        declared in proptest::sample::select(MediaType::ALL.to_vec()),
    ) {
        let _ = sniff(&bytes);
        let result = checked(&bytes, declared);
        prop_assert!(client_refusal(&result), "{:?}: {:?}", declared, result);
    }
}
