//! Minimal FITS images: one primary HDU of 32-bit float pixels, as alert cutouts carry them.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;

/// FITS files are made of 2880-byte blocks; headers are 80-character cards.
pub const BLOCK: usize = 2880;
const CARD: usize = 80;

/// A header value.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    Logical(bool),
    Int(i64),
    Str(&'a str),
}

fn card(key: &str, value: Value, comment: &str) -> String {
    let value = match value {
        Value::Logical(b) => format!("{:>20}", if b { "T" } else { "F" }),
        Value::Int(i) => format!("{i:>20}"),
        // Strings start in column 11, quoted, at least 8 characters inside the quotes.
        Value::Str(s) => format!("{:<20}", format!("'{:<8}'", s.replace('\'', "''"))),
    };
    let text = if comment.is_empty() {
        format!("{key:<8}= {value}")
    } else {
        format!("{key:<8}= {value} / {comment}")
    };
    format!("{text:<CARD$.CARD$}")
}

/// A FITS file holding one `width` x `height` image (row-major, first row at the bottom),
/// with extra header cards after the mandatory ones.
pub fn image(
    width: usize,
    height: usize,
    pixels: &[f32],
    extra: &[(&str, Value, &str)],
) -> Vec<u8> {
    let mut header = String::with_capacity(BLOCK);
    header.push_str(&card(
        "SIMPLE",
        Value::Logical(true),
        "conforms to FITS standard",
    ));
    header.push_str(&card("BITPIX", Value::Int(-32), "array data type"));
    header.push_str(&card("NAXIS", Value::Int(2), "number of array dimensions"));
    header.push_str(&card("NAXIS1", Value::Int(width as i64), ""));
    header.push_str(&card("NAXIS2", Value::Int(height as i64), ""));
    for (key, value, comment) in extra {
        header.push_str(&card(key, *value, comment));
    }
    header.push_str(&format!("{:<CARD$}", "END"));
    let mut out = header.into_bytes();
    out.resize(out.len().div_ceil(BLOCK) * BLOCK, b' ');
    let data_start = out.len();
    out.extend(
        pixels
            .iter()
            .take(width * height)
            .flat_map(|p| p.to_be_bytes()),
    );
    out.resize(data_start + (width * height * 4).div_ceil(BLOCK) * BLOCK, 0);
    out
}

/// Gzip at the fastest level: cutouts are noise and barely compress anyway.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(data.len()), Compression::fast());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_data_fill_whole_blocks() {
        let pixels = vec![1.5f32; 63 * 63];
        let fits = image(63, 63, &pixels, &[("BUNIT", Value::Str("DN"), "")]);
        assert_eq!(fits.len() % BLOCK, 0);
        assert_eq!(
            fits.len(),
            BLOCK + (63 * 63 * 4usize).div_ceil(BLOCK) * BLOCK
        );
        let header = std::str::from_utf8(&fits[..BLOCK]).expect("ASCII header");
        assert!(header.starts_with("SIMPLE  =                    T"));
        assert!(header.contains("BITPIX  =                  -32"));
        assert!(header.contains("NAXIS1  =                   63"));
        assert!(header.contains("BUNIT   = 'DN      '"));
        assert!(header.contains(&format!("{:<80}", "END")));
        assert_eq!(&fits[BLOCK..BLOCK + 4], &1.5f32.to_be_bytes());
    }

    #[test]
    fn gzip_round_trips() {
        use std::io::Read;
        let data = image(30, 30, &[0.0; 900], &[]);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(gzip(&data).as_slice())
            .read_to_end(&mut back)
            .expect("gunzip");
        assert_eq!(back, data);
    }
}
