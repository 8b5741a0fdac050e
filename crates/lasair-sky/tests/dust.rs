//! The SFD dust map against dustmaps (what Lasair-LSST queries) on a small map pair this test
//! writes: `tests/fixtures/dust/expected.py` writes the same pair (16 x 16 pixels, each of the
//! value `value` gives, the real maps' header cards) and records dustmaps' E(B-V) at 132
//! positions in `expected.csv`.

use std::path::Path;

use lasair_sky::dust::{DustError, DustMap, NORTH_FILE, SOUTH_FILE};

const SIZE: usize = 16;
const SCALE: usize = SIZE / 2;

/// The test map's pixel (0-based column, row) of pole 0 (north) or 1 (south), as expected.py.
fn value(column: usize, row: usize, pole: usize) -> f32 {
    ((7 * column + 13 * row + 5 * pole) % 17) as f32 / 16.0
}

/// One 80-character header card.
fn card(key: &str, value: &str) -> String {
    format!("{key:<8}= {value:>20}")
}

/// A hemisphere's FITS file: `extra` cards replace or drop (empty value) the usual ones.
fn hemisphere(pole: usize, extra: &[(&str, &str)]) -> Vec<u8> {
    let sign = if pole == 0 { 1.0 } else { -1.0 };
    let cdelt = 2f64.sqrt().to_degrees() / SCALE as f64;
    let mut cards: Vec<(String, String)> = [
        ("SIMPLE", "T".to_owned()),
        ("BITPIX", "-32".to_owned()),
        ("NAXIS", "2".to_owned()),
        ("NAXIS1", SIZE.to_string()),
        ("NAXIS2", SIZE.to_string()),
        ("CTYPE1", "'GLON-ZEA'".to_owned()),
        ("CTYPE2", "'GLAT-ZEA'".to_owned()),
        ("CRPIX1", format!("{}", SCALE as f64 + 0.5)),
        ("CRPIX2", format!("{}", SCALE as f64 + 0.5)),
        (
            "CRVAL1",
            if pole == 0 { "90.0" } else { "270.0" }.to_owned(),
        ),
        ("CRVAL2", format!("{:.1}", 90.0 * sign)),
        ("CD1_1", format!("{:E}", -cdelt * sign)),
        ("CD2_2", format!("{:E}", cdelt * sign)),
        ("LONPOLE", "180.0".to_owned()),
        ("LAM_NSGP", format!("{}", sign as i64)),
        ("LAM_SCAL", SCALE.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (key, v) in extra {
        cards.retain(|(k, _)| k != key);
        if !v.is_empty() {
            cards.push((key.to_string(), v.to_string()));
        }
    }
    let mut header: String = cards
        .iter()
        .map(|(k, v)| format!("{:<80}", card(k, v)))
        .collect();
    header.push_str(&format!("{:<80}", "END"));
    let mut file = header.into_bytes();
    file.resize(file.len().div_ceil(2880) * 2880, b' ');
    for row in 0..SIZE {
        for column in 0..SIZE {
            file.extend(value(column, row, pole).to_be_bytes());
        }
    }
    file.resize(file.len().div_ceil(2880) * 2880, 0);
    file
}

fn write_map(folder: &Path) {
    std::fs::write(folder.join(NORTH_FILE), hemisphere(0, &[])).expect("north");
    std::fs::write(folder.join(SOUTH_FILE), hemisphere(1, &[])).expect("south");
}

#[test]
fn ebv_is_what_dustmaps_gives_on_the_same_map() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_map(dir.path());
    let map = DustMap::open(dir.path()).expect("the test map");
    let csv = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dust/expected.csv"),
    )
    .expect("expected.csv");
    let mut rows = 0;
    for line in csv.lines().skip(1) {
        let f: Vec<f64> = line.split(',').map(|x| x.parse().expect(line)).collect();
        let (ra, dec, l, b, expected) = (f[0], f[1], f[2], f[3], f[4]);
        let got = map.ebv(ra, dec).expect("a value");
        // dustmaps answers in float32; astropy's galactic frame and ours differ by far less
        // than the test map's 10-degree pixels.
        assert!(
            (got - expected).abs() < 2e-6,
            "ra {ra} dec {dec}: {got} vs dustmaps {expected}"
        );
        let by_lb = map.ebv_galactic(l, b).expect("a value");
        assert!((by_lb - expected).abs() < 2e-6, "l {l} b {b}: {by_lb}");
        rows += 1;
    }
    assert_eq!(rows, 132);
}

#[test]
fn a_missing_file_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(NORTH_FILE), hemisphere(0, &[])).expect("north");
    let err = DustMap::open(dir.path()).expect_err("no south map");
    assert!(matches!(err, DustError::Read { .. }), "{err}");
    assert!(err.to_string().contains(SOUTH_FILE), "{err}");
}

#[test]
fn malformed_files_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_map(dir.path());
    let south = dir.path().join(SOUTH_FILE);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"not a FITS file at all".to_vec(), "FITS"),
        (hemisphere(1, &[])[..2880 + 100].to_vec(), "truncated"),
        (hemisphere(1, &[("LAM_SCAL", "")]), "LAM_SCAL"),
        (hemisphere(1, &[("LAM_SCAL", "0")]), "LAM_SCAL"),
        (hemisphere(1, &[("CRPIX2", "")]), "CRPIX2"),
        (hemisphere(1, &[("LAM_NSGP", "1")]), "LAM_NSGP = 1"),
    ];
    for (bytes, says) in cases {
        std::fs::write(&south, bytes).expect("write");
        let err = DustMap::open(dir.path()).expect_err(says).to_string();
        assert!(
            err.contains(SOUTH_FILE) && err.contains(says),
            "{says}: {err}"
        );
    }
}
