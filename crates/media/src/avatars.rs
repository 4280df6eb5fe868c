//! Avatars: the middle square of a picture, in each of [`AVATAR_SIDES`], as JPEGs. Cut once
//! when a person picks the picture, so serving one is reading a file.

use image::DynamicImage;
use image::imageops::FilterType;
use postern_core::avatar::AVATAR_SIDES;
use postern_core::limits::Limits;
use postern_core::media::MediaType;
use postern_core::{Error, Invalid, Result};

use crate::stills;

/// The square renditions of a stored image (`bytes`, of type `t`), as `(side, jpeg)`, one
/// per entry of [`AVATAR_SIDES`]. A GIF gives its first frame; a video is refused, naming
/// `media_id`.
pub fn square_renditions(
    bytes: &[u8],
    t: MediaType,
    limits: &Limits,
) -> Result<Vec<(u32, Vec<u8>)>> {
    let format = stills::image_format(t).ok_or_else(|| {
        Error::Invalid(Invalid {
            field: "media_id".into(),
            message: "is a video: an avatar must be an image (JPEG, PNG, WebP or GIF)".into(),
        })
    })?;
    let image = stills::decode(bytes, format, limits)?;
    let square = middle_square(&image);
    AVATAR_SIDES
        .iter()
        .map(|&side| {
            // Lanczos keeps faces sharp when shrinking; a small picture is enlarged the same
            // way, so every avatar has every side and clients can ask for any.
            let sized = square.resize_exact(side, side, FilterType::Lanczos3);
            Ok((side, stills::small_jpeg(&sized)?))
        })
        .collect()
}

/// The largest centred square: a landscape picture loses its sides, a portrait one its top
/// and bottom equally.
fn middle_square(image: &DynamicImage) -> DynamicImage {
    let (w, h) = (image.width(), image.height());
    let side = w.min(h);
    image.crop_imm((w - side) / 2, (h - side) / 2, side, side)
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "a test should stop loudly at the first thing it did not expect"
)]
mod tests {
    use image::{Rgb, RgbImage};

    use super::*;

    /// A landscape picture, red on its left third, green in the middle, blue on the right.
    fn striped(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, _| match 3 * x / w {
            0 => Rgb([255, 0, 0]),
            1 => Rgb([0, 255, 0]),
            _ => Rgb([0, 0, 255]),
        });
        let mut out = Vec::new();
        DynamicImage::ImageRgb8(img)
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn a_landscape_picture_keeps_its_middle_in_every_side() {
        let made =
            square_renditions(&striped(900, 300), MediaType::Png, &Limits::default()).unwrap();
        assert_eq!(
            made.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
            AVATAR_SIDES
        );
        for (side, jpeg) in made {
            let img = image::load_from_memory(&jpeg).unwrap().to_rgb8();
            assert_eq!(img.dimensions(), (side, side));
            // The middle third of 900×300 is exactly the 300×300 square: all green.
            for x in [1, side / 2, side - 2] {
                let [r, g, b] = img.get_pixel(x, side / 2).0;
                assert!(
                    g > 200 && r < 60 && b < 60,
                    "side {side} x {x}: {r},{g},{b}"
                );
            }
        }
    }

    #[test]
    fn a_video_is_refused_naming_the_media() {
        match square_renditions(b"....", MediaType::Mp4, &Limits::default()) {
            Err(Error::Invalid(i)) => assert_eq!(i.field, "media_id"),
            other => panic!("{other:?}"),
        }
    }
}
