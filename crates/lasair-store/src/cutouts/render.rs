//! A cutout drawn for the web pages: its FITS image (plain or gzipped) read by lasair-sky,
//! scaled linearly between IRAF's zscale limits to 8-bit grey, north up as astropy's
//! `imshow(origin='lower')` and DS9 draw it, encoded as PNG.

use lasair_sky::picture::{png, Colours, PngError};
use lasair_sky::{read_image, FitsImage, ImageError, MAX_IMAGE_PIXELS};

use super::zscale::zscale;

/// The largest cutout file read from the store (a real one is 15-35 KB; an alert is at most a
/// few MB).
pub const MAX_CUTOUT_FILE_BYTES: u64 = 64 << 20;

/// Why a cutout could not be drawn; each names the cutout.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The FITS image is unreadable or hostile.
    #[error("cutout {origin}: {source}")]
    Fits {
        /// The cutout (a path, or the alert and kind).
        origin: String,
        /// What was wrong.
        source: ImageError,
    },
    /// The PNG encoder failed.
    #[error("cutout {origin}: encoding its PNG: {source}")]
    Png {
        /// The cutout.
        origin: String,
        /// What went wrong.
        source: PngError,
    },
}

/// The PNG of a FITS cutout (`fits`, gzipped or not, told by its magic bytes): 8-bit grey,
/// linear between the zscale limits and clipped to them, the image's first row at the bottom.
/// NaN pixels (BLANKs) are transparent: the image then has an alpha channel, else it is plain
/// grey. `origin` names the cutout in errors.
pub fn render_png(fits: &[u8], origin: &str) -> Result<Vec<u8>, RenderError> {
    let image = read_image(fits, MAX_IMAGE_PIXELS).map_err(|source| RenderError::Fits {
        origin: origin.to_owned(),
        source,
    })?;
    encode(&image).map_err(|source| RenderError::Png {
        origin: origin.to_owned(),
        source,
    })
}

/// A pixel's grey level between `vmin` and `vmax`, as matplotlib's 256-entry grey colormap
/// picks it: `floor(256 t)` of `t = (v - vmin) / (vmax - vmin)` clipped to [0, 1], 255 at 1.
/// Flat limits (a constant image) draw mid-grey.
pub fn grey(value: f32, vmin: f32, vmax: f32) -> u8 {
    let (v, lo, hi) = (f64::from(value), f64::from(vmin), f64::from(vmax));
    if hi <= lo {
        return 128;
    }
    let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
    (t * 256.0).min(255.0) as u8
}

/// The PNG bytes of `image` scaled by its zscale.
fn encode(image: &FitsImage) -> Result<Vec<u8>, PngError> {
    let (vmin, vmax) = zscale(&image.values).unwrap_or((0.0, 0.0));
    let alpha = image.values.iter().any(|v| v.is_nan());
    let channels = if alpha { 2 } else { 1 };
    let mut pixels = Vec::with_capacity(image.values.len() * channels);
    // FITS row 1 is the bottom of the picture; PNG's first row is its top.
    for row in image.values.chunks_exact(image.columns).rev() {
        for &v in row {
            match (alpha, v.is_nan()) {
                (false, _) => pixels.push(grey(v, vmin, vmax)),
                (true, false) => pixels.extend([grey(v, vmin, vmax), 255]),
                (true, true) => pixels.extend([0, 0]),
            }
        }
    }
    let colours = if alpha {
        Colours::GreyAlpha
    } else {
        Colours::Grey
    };
    png(image.columns, image.rows, colours, &pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plain FITS file of a `columns` x rows float image.
    fn fits(columns: usize, values: &[f32]) -> Vec<u8> {
        let cards = [
            "SIMPLE  = T".to_owned(),
            "BITPIX  = -32".to_owned(),
            "NAXIS   = 2".to_owned(),
            format!("NAXIS1  = {columns}"),
            format!("NAXIS2  = {}", values.len() / columns),
            "END".to_owned(),
        ];
        let mut file = vec![b' '; 2880];
        for (i, c) in cards.iter().enumerate() {
            file[i * 80..i * 80 + c.len()].copy_from_slice(c.as_bytes());
        }
        file.extend(values.iter().flat_map(|v| v.to_be_bytes()));
        file
    }

    fn decode(png_bytes: &[u8]) -> (png::OutputInfo, Vec<u8>) {
        let mut reader = png::Decoder::new(png_bytes).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (info, buf)
    }

    #[test]
    fn pixels_map_linearly_between_the_limits_with_the_first_row_at_the_bottom() {
        // 4 values: too few for a fit, so zscale gives their range, 0 to 30.
        let png_bytes = render_png(&fits(2, &[0.0, 10.0, 20.0, 30.0]), "test").unwrap();
        let (info, pixels) = decode(&png_bytes);
        assert_eq!((info.width, info.height), (2, 2));
        assert_eq!(info.color_type, png::ColorType::Grayscale);
        // The PNG's top row is FITS row 2 (20, 30); floor(256 t) clipped to 255.
        assert_eq!(pixels, vec![170, 255, 0, 85]);
        assert_eq!(grey(-5.0, 0.0, 30.0), 0);
        assert_eq!(grey(45.0, 0.0, 30.0), 255);
        assert_eq!(grey(7.0, 7.0, 7.0), 128);
    }

    #[test]
    fn nan_pixels_are_transparent() {
        let png_bytes = render_png(&fits(3, &[f32::NAN, 1.0, 2.0, 3.0, 4.0, 5.0]), "t").unwrap();
        let (info, pixels) = decode(&png_bytes);
        assert_eq!((info.width, info.height), (3, 2));
        assert_eq!(info.color_type, png::ColorType::GrayscaleAlpha);
        // Top row: FITS row 2 (3, 4, 5); bottom row: NaN, 1, 2. Limits 1..5.
        assert_eq!(
            pixels,
            vec![128, 255, 192, 255, 255, 255, 0, 0, 0, 255, 64, 255]
        );
        let all_nan = render_png(&fits(1, &[f32::NAN]), "t").unwrap();
        assert_eq!(decode(&all_nan).1, vec![0, 0]);
    }

    #[test]
    fn bad_cutouts_are_errors_naming_them() {
        let e = render_png(b"not fits at all", "ZTF18abc/123/science").unwrap_err();
        assert!(
            e.to_string().starts_with("cutout ZTF18abc/123/science: "),
            "{e}"
        );
    }
}
