//! The primary image of a FITS file, as cutouts carry it (ZTF's stamps, Rubin's cutouts): a
//! 2-D array of big-endian integers or floats, scaled by BZERO/BSCALE, integer BLANKs as NaN,
//! plain or gzipped. Every size read from the header is checked against a cap and against the
//! bytes the file holds before anything is allocated for it, so a hostile header costs nothing.

use std::io::Read;

use flate2::read::GzDecoder;

use super::Header;

/// The most pixels an image may have (64 Mpixel); a cutout has a few thousand.
pub const MAX_IMAGE_PIXELS: usize = 64 << 20;

/// A 2-D FITS image, its values as `f32` in file order: row 1 (the bottom of the image as
/// astronomers draw it) first, each row `columns` values long.
#[derive(Debug, Clone, PartialEq)]
pub struct FitsImage {
    /// NAXIS1: values a row.
    pub columns: usize,
    /// NAXIS2: rows.
    pub rows: usize,
    /// `rows * columns` values; NaN for integer BLANKs (and the file's own float NaNs).
    pub values: Vec<f32>,
}

impl FitsImage {
    /// The value at 0-based `column` and `row` (row 0 is FITS row 1), as numpy's
    /// `data[row, column]` reads it.
    pub fn at(&self, column: usize, row: usize) -> Option<f32> {
        if column >= self.columns {
            return None;
        }
        self.values.get(row * self.columns + column).copied()
    }
}

/// Why a FITS image could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The header could not be read (truncated, garbage, no END card).
    #[error("{0}")]
    Header(String),
    /// The first card is not `SIMPLE = T`.
    #[error("it is not a FITS file (no SIMPLE = T card first)")]
    NotFits,
    /// A keyword the image needs is missing or not a number.
    #[error("its header has no valid {0}")]
    Missing(&'static str),
    /// BITPIX other than 8, 16, 32, 64, -32, -64.
    #[error("BITPIX = {0} is not a FITS image type")]
    Bitpix(i64),
    /// Not a 2-D image.
    #[error("its primary HDU has NAXIS = {0}, not a 2-D image")]
    Axes(u64),
    /// An empty image, or more pixels than the cap.
    #[error("its image of {columns} x {rows} pixels is empty or over the cap of {cap}")]
    Size {
        /// NAXIS1.
        columns: u64,
        /// NAXIS2.
        rows: u64,
        /// The cap it was checked against.
        cap: usize,
    },
    /// The data ends before the image does.
    #[error("its image needs {needed} bytes of data but the file holds {held} (truncated?)")]
    Truncated {
        /// Bytes the header declares.
        needed: usize,
        /// Bytes present after the header.
        held: usize,
    },
    /// The gzip stream is broken.
    #[error("its gzip stream: {0}")]
    Gzip(std::io::Error),
}

/// Reads the primary 2-D image of a FITS file, gzipped or not (told by gzip's magic bytes),
/// of at most `max_pixels` pixels ([`MAX_IMAGE_PIXELS`] is a sensible cap).
pub fn read_image(bytes: &[u8], max_pixels: usize) -> Result<FitsImage, ImageError> {
    read_image_and_header(bytes, max_pixels).map(|(image, _)| image)
}

/// [`read_image`], and the header's cards beside the image (a projection's keywords).
pub(crate) fn read_image_and_header(
    bytes: &[u8],
    max_pixels: usize,
) -> Result<(FitsImage, Header), ImageError> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        read_from(&mut GzDecoder::new(bytes), max_pixels)
    } else {
        read_from(&mut &bytes[..], max_pixels)
    }
}

/// The image's layout, from its header.
struct Layout {
    columns: usize,
    rows: usize,
    bitpix: i64,
    zero: f64,
    scale: f64,
    blank: Option<i64>,
}

impl Layout {
    fn from_header(h: &Header, max_pixels: usize) -> Result<Layout, ImageError> {
        if !h.flag("SIMPLE") {
            return Err(ImageError::NotFits);
        }
        let bitpix: i64 = h
            .text("BITPIX")
            .and_then(|t| t.parse().ok())
            .ok_or(ImageError::Missing("BITPIX"))?;
        if ![8, 16, 32, 64, -32, -64].contains(&bitpix) {
            return Err(ImageError::Bitpix(bitpix));
        }
        let naxis = h.uint("NAXIS").ok_or(ImageError::Missing("NAXIS"))?;
        if naxis != 2 {
            return Err(ImageError::Axes(naxis));
        }
        let columns = h.uint("NAXIS1").ok_or(ImageError::Missing("NAXIS1"))?;
        let rows = h.uint("NAXIS2").ok_or(ImageError::Missing("NAXIS2"))?;
        let pixels = columns.checked_mul(rows);
        if !pixels.is_some_and(|p| p > 0 && p <= max_pixels as u64) {
            return Err(ImageError::Size {
                columns,
                rows,
                cap: max_pixels,
            });
        }
        Ok(Layout {
            // Both at most `pixels`, itself at most a usize.
            columns: columns as usize,
            rows: rows as usize,
            bitpix,
            zero: h.real("BZERO").unwrap_or(0.0),
            scale: h.real("BSCALE").unwrap_or(1.0),
            blank: h.text("BLANK").and_then(|t| t.parse().ok()),
        })
    }

    fn data_bytes(&self) -> usize {
        // Capped pixels (<= 2^26) times at most 8: no overflow.
        self.columns * self.rows * (self.bitpix.unsigned_abs() as usize / 8)
    }

    /// The values of `data` (exactly `data_bytes` long), scaled, blanks as NaN.
    fn values(&self, data: &[u8]) -> Vec<f32> {
        let scaled = self.zero != 0.0 || self.scale != 1.0;
        let int = |raw: i64| -> f32 {
            if self.blank == Some(raw) {
                f32::NAN
            } else {
                (self.zero + self.scale * raw as f64) as f32
            }
        };
        let float = |raw: f64| -> f32 {
            if scaled {
                (self.zero + self.scale * raw) as f32
            } else {
                raw as f32
            }
        };
        match self.bitpix {
            8 => data.iter().map(|&b| int(i64::from(b))).collect(),
            16 => chunks::<2>(data)
                .map(|b| int(i64::from(i16::from_be_bytes(b))))
                .collect(),
            32 => chunks::<4>(data)
                .map(|b| int(i64::from(i32::from_be_bytes(b))))
                .collect(),
            64 => chunks::<8>(data)
                .map(|b| int(i64::from_be_bytes(b)))
                .collect(),
            -32 if !scaled => chunks::<4>(data).map(f32::from_be_bytes).collect(),
            -32 => chunks::<4>(data)
                .map(|b| float(f64::from(f32::from_be_bytes(b))))
                .collect(),
            _ => chunks::<8>(data)
                .map(|b| float(f64::from_be_bytes(b)))
                .collect(),
        }
    }
}

fn chunks<const N: usize>(data: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
    data.chunks_exact(N).map(|c| {
        let mut b = [0u8; N];
        b.copy_from_slice(c);
        b
    })
}

fn read_from(reader: &mut impl Read, max_pixels: usize) -> Result<(FitsImage, Header), ImageError> {
    let header = Header::read(reader).map_err(ImageError::Header)?;
    let layout = Layout::from_header(&header, max_pixels)?;
    let needed = layout.data_bytes();
    // Grown by what actually arrives, never sized by the header: a header that claims a
    // gigabyte over a few bytes of data costs a few bytes.
    let mut data = Vec::new();
    reader
        .take(needed as u64)
        .read_to_end(&mut data)
        .map_err(ImageError::Gzip)?;
    if data.len() < needed {
        return Err(ImageError::Truncated {
            needed,
            held: data.len(),
        });
    }
    let image = FitsImage {
        columns: layout.columns,
        rows: layout.rows,
        values: layout.values(&data),
    };
    Ok((image, header))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::fits::{BLOCK, CARD};

    /// A primary header of `cards` then `data`, unpadded (as a truncated file would be).
    fn image_file(cards: &[&str], data: &[u8]) -> Vec<u8> {
        let mut file = vec![b' '; BLOCK * (cards.len() / 36 + 1)];
        for (i, c) in cards.iter().chain(&["END"]).enumerate() {
            file[i * CARD..i * CARD + c.len()].copy_from_slice(c.as_bytes());
        }
        file.extend(data);
        file
    }

    fn header(bitpix: i64, columns: u64, rows: u64, extra: &[&str]) -> Vec<String> {
        let mut cards = vec![
            "SIMPLE  = T".to_owned(),
            format!("BITPIX  = {bitpix}"),
            "NAXIS   = 2".to_owned(),
            format!("NAXIS1  = {columns}"),
            format!("NAXIS2  = {rows}"),
        ];
        cards.extend(extra.iter().map(|s| s.to_string()));
        cards
    }

    fn file(bitpix: i64, columns: u64, rows: u64, extra: &[&str], data: &[u8]) -> Vec<u8> {
        let cards = header(bitpix, columns, rows, extra);
        let cards: Vec<&str> = cards.iter().map(String::as_str).collect();
        image_file(&cards, data)
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(bytes).unwrap();
        z.finish().unwrap()
    }

    #[test]
    fn every_bitpix_reads_big_endian_values_scaled_with_blanks_as_nan() {
        let data: Vec<u8> = [1i16, -2, 7, 3, 0, 5]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let f = file(
            16,
            3,
            2,
            &["BZERO   = 10", "BSCALE  = 0.5", "BLANK   = 7"],
            &data,
        );
        let img = read_image(&f, MAX_IMAGE_PIXELS).unwrap();
        assert_eq!((img.columns, img.rows), (3, 2));
        assert_eq!(&img.values[..2], &[10.5, 9.0]);
        assert!(img.values[2].is_nan());
        assert_eq!(&img.values[3..], &[11.5, 10.0, 12.5]);
        assert_eq!(img.at(2, 1), Some(12.5));
        assert_eq!(img.at(3, 0), None);

        let f = file(8, 2, 1, &[], &[200, 0]);
        assert_eq!(read_image(&f, 4).unwrap().values, vec![200.0, 0.0]);
        let data: Vec<u8> = [-5i32, i32::MAX]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let f = file(32, 1, 2, &[], &data);
        assert_eq!(
            read_image(&f, 4).unwrap().values,
            vec![-5.0, i32::MAX as f32]
        );
        let data: Vec<u8> = [-5i64, 1 << 40]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let f = file(64, 2, 1, &["BLANK   = -5"], &data);
        let v = read_image(&f, 4).unwrap().values;
        assert!(v[0].is_nan() && v[1] == (1u64 << 40) as f32);
        let data: Vec<u8> = [1.5f32, f32::NAN]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let v = read_image(&file(-32, 2, 1, &[], &data), 4).unwrap().values;
        assert!(v[0] == 1.5 && v[1].is_nan());
        let data: Vec<u8> = [0.25f64, -1e10]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let f = file(-64, 1, 2, &["BSCALE  = 2.0D0"], &data);
        assert_eq!(read_image(&f, 4).unwrap().values, vec![0.5, -2e10]);
        // gzipped, told by its magic bytes
        assert_eq!(read_image(&gzip(&f), 4).unwrap().values, vec![0.5, -2e10]);
    }

    #[test]
    fn hostile_headers_are_refused_before_anything_is_allocated_for_them() {
        let err = |f: &[u8]| read_image(f, MAX_IMAGE_PIXELS).unwrap_err().to_string();
        // A header claiming far more than the file holds, plain and gzipped.
        let big = file(-64, 8000, 8000, &[], &[0; 100]);
        assert!(err(&big).contains("needs 512000000 bytes of data but the file holds 100"));
        assert!(err(&gzip(&big)).contains("the file holds 100"));
        // Overflowing and absurd sizes.
        let over = file(-32, u64::MAX / 2, 3, &[], &[]);
        assert!(err(&over).contains("over the cap"), "{}", err(&over));
        assert!(err(&file(-32, 1 << 20, 1 << 20, &[], &[])).contains("over the cap"));
        assert!(err(&file(-32, 0, 5, &[], &[])).contains("empty"));
        // Truncated data, an unknown BITPIX, a cube, no image.
        assert!(err(&file(-32, 2, 2, &[], &[0; 15])).contains("needs 16 bytes"));
        assert!(err(&file(24, 2, 2, &[], &[0; 24])).contains("BITPIX = 24"));
        let cube = image_file(&["SIMPLE  = T", "BITPIX  = 8", "NAXIS   = 3"], &[]);
        assert!(err(&cube).contains("NAXIS = 3"));
        let none = image_file(&["SIMPLE  = T", "BITPIX  = 8", "NAXIS   = 0"], &[]);
        assert!(err(&none).contains("NAXIS = 0"));
        let no_axis = image_file(&["SIMPLE  = T", "BITPIX  = 8", "NAXIS   = 2"], &[]);
        assert!(err(&no_axis).contains("no valid NAXIS1"));
        // Not FITS, cut inside the header, a broken gzip stream.
        assert!(err(b"\x89PNG\r\n\x1a\n").contains("header"));
        assert!(err(&file(-32, 2, 2, &[], &[])[..1000]).contains("truncated"));
        let table = image_file(&["XTENSION= 'BINTABLE'", "NAXIS   = 2"], &[]);
        assert!(err(&table).contains("not a FITS file"));
        let mut broken = gzip(&file(-32, 2, 2, &[], &[0; 16]));
        broken.truncate(broken.len() / 2);
        let e = err(&broken);
        assert!(e.contains("deflate"), "{e}");
        // The cap is the caller's.
        let small = file(8, 3, 3, &[], &[0; 9]);
        assert!(read_image(&small, 8)
            .unwrap_err()
            .to_string()
            .contains("cap of 8"));
    }
}
