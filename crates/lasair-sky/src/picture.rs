//! Pictures for the web pages, as PNG: the cutouts' grey images and the watchmaps' sky maps
//! are encoded here, one way.

pub use png::EncodingError as PngError;

/// How a picture's bytes are read: one grey byte a pixel, grey and alpha, or an index into a
/// palette of RGBA colours (at most 256).
#[derive(Debug, Clone, Copy)]
pub enum Colours<'a> {
    Grey,
    GreyAlpha,
    Palette(&'a [[u8; 4]]),
}

/// The PNG of a `width` x `height` picture whose rows, top first, are `pixels`.
pub fn png(
    width: usize,
    height: usize,
    colours: Colours<'_>,
    pixels: &[u8],
) -> Result<Vec<u8>, PngError> {
    let mut out = Vec::new();
    let side = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let mut encoder = png::Encoder::new(&mut out, side(width), side(height));
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    match colours {
        Colours::Grey => encoder.set_color(png::ColorType::Grayscale),
        Colours::GreyAlpha => encoder.set_color(png::ColorType::GrayscaleAlpha),
        Colours::Palette(palette) => {
            encoder.set_color(png::ColorType::Indexed);
            encoder.set_palette(
                palette
                    .iter()
                    .flat_map(|c| [c[0], c[1], c[2]])
                    .collect::<Vec<_>>(),
            );
            encoder.set_trns(palette.iter().map(|c| c[3]).collect::<Vec<_>>());
        }
    }
    let mut writer = encoder.write_header()?;
    writer.write_image_data(pixels)?;
    writer.finish()?;
    Ok(out)
}
