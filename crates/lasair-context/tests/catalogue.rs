//! The catalogue store: every real catalogue of ../shared/data loads with the row count
//! counted outside this code, bad rows are reported by line and skipped, cone searches find
//! what separations worked out by hand say, across RA 0/360 and at the poles, and catalogues
//! drop and reload.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use lasair_context::catalogue::{
    CatalogueError, CatalogueKind, CatalogueStore, ConeSearch, Format, LoadSpec, MappingFile,
    Searcher,
};
use rayon::prelude::*;

fn mapping_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("catalogues.toml")
}

fn spec(name: &str) -> LoadSpec {
    let path = mapping_file();
    let map = MappingFile::read(&path).expect("catalogues.toml reads");
    map.get(name, &path).expect("mapped").clone()
}

fn csv_spec() -> LoadSpec {
    let mut spec = LoadSpec::new(CatalogueKind::Star, Format::Csv, "ra", "dec");
    spec.id = Some("id".into());
    spec
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write fixture");
    path
}

/// Rows counted outside this code: `wc -l FILE` minus the header line, and for Veron the
/// lines that are neither `#` comments nor blank (`grep -v '^#' | grep -c .` = 53) minus the
/// header, units and dashes lines. Python's csv module finds every row's RA and Dec valid.
const REAL: [(&str, &str, CatalogueKind, u64); 8] = [
    (
        "gcvs",
        "catalogues/gcvs.csv",
        CatalogueKind::Variable,
        59_099,
    ),
    ("bsc5", "catalogues/bsc5.csv", CatalogueKind::Star, 9_096),
    ("spicy", "catalogues/spicy.csv", CatalogueKind::Yso, 117_446),
    (
        "glade",
        "catalogues/glade_extract.csv",
        CatalogueKind::Galaxy,
        101,
    ),
    ("clu", "catalogues/clu_mini.csv", CatalogueKind::Galaxy, 92),
    (
        "fermi_4fgl",
        "catalogues/fermi_4fgl.csv",
        CatalogueKind::HighEnergy,
        3_637,
    ),
    (
        "milliquas",
        "catalogues/milliquas-test-data.txt",
        CatalogueKind::Agn,
        1_000,
    ),
    (
        "veron",
        "catalogues/veron-test-data.txt",
        CatalogueKind::Agn,
        50,
    ),
];

#[test]
fn every_real_catalogue_loads_with_its_row_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = CatalogueStore::open(&dir.path().join("cats.db")).expect("open");
    for (name, rel, kind, rows) in REAL {
        let Some(file) = lasair_testdata::shared_data(rel) else {
            return;
        };
        let spec = spec(name);
        assert_eq!(spec.kind, kind, "{name}");
        let report = store.add(name, &file, &spec, false).expect("loads");
        assert_eq!(
            (report.rows, report.bad),
            (rows, 0),
            "{name}: {:?}",
            report.bad_lines
        );
    }
    let listed: Vec<(String, CatalogueKind, u64)> = store
        .list()
        .expect("list")
        .into_iter()
        .map(|i| (i.name, i.kind, i.rows))
        .collect();
    let mut want: Vec<(String, CatalogueKind, u64)> =
        REAL.iter().map(|r| (r.0.to_owned(), r.2, r.3)).collect();
    want.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(listed, want);

    let searcher = Searcher::open(&store).expect("searcher");
    // Spot checks of mapped attributes against the files' first data rows.
    // bsc5 line 2: HR 1, ra 1.29125, dec 45.22917, Vmag 6.70, A1Vn.
    let m = &searcher.cone("bsc5", 1.29125, 45.22917, 1.0).expect("cone")[0];
    assert_eq!(m.source.id, "1");
    assert_eq!(
        (m.source.mag, m.source.mag_filter.as_deref()),
        (Some(6.70), Some("V"))
    );
    assert_eq!(m.source.object_type.as_deref(), Some("A1Vn"));
    // fermi line 2: 4FGL J0000.3-7355 at (0.0983, -73.922), amaj 0.0525 deg = 189".
    let m = &searcher
        .cone("fermi_4fgl", 0.0983, -73.922, 1.0)
        .expect("cone")[0];
    assert_eq!(m.source.id, "4FGL J0000.3-7355");
    assert!((m.source.major_axis_arcsec.expect("amaj") - 189.0).abs() < 1e-9);
    // milliquas line 1: bytes 1-11 "  0.0006250", 12-23 " -20.0743611", z " 0.291", QX.
    let m = &searcher
        .cone("milliquas", 0.000625, -20.0743611, 0.5)
        .expect("cone")[0];
    assert_eq!(m.source.id, "UVQSJ000000.15-200427.7");
    assert_eq!(
        (m.source.z, m.source.object_type.as_deref()),
        (Some(0.291), Some("QX"))
    );
    assert_eq!(
        (m.source.mag, m.source.mag_filter.as_deref()),
        (Some(17.8), Some("R"))
    );
    // veron first data row: 000.0054|-2.0333|Q| |FIRST J00000-0202| | 1.356.
    let m = &searcher.cone("veron", 0.0054, -2.0333, 0.5).expect("cone")[0];
    assert_eq!(
        (m.source.id.as_str(), m.source.z),
        ("FIRST J00000-0202", Some(1.356))
    );
    // glade line 2: NGC4736, z_helio 0.00099057, d_L 4.392418 Mpc.
    let m = &searcher
        .cone("glade", 192.721451, 41.120152, 0.5)
        .expect("cone")[0];
    assert_eq!(m.source.id, "1");
    assert_eq!(
        (m.source.z, m.source.distance_mpc),
        (Some(0.00099057), Some(4.392418))
    );
    assert_eq!(m.source.mag_err, None);
}

/// NED-D lists distances by galaxy name with no positions: its load must fail, saying why.
#[test]
fn ned_d_without_positions_is_refused_with_the_reason() {
    let Some(file) = lasair_testdata::shared_data("catalogues/ned_d_test.csv") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = CatalogueStore::open(&dir.path().join("cats.db")).expect("open");
    let err = store
        .add("ned_d", &file, &spec("ned_d"), false)
        .expect_err("no RA column");
    let text = err.to_string();
    assert!(
        text.contains("ned_d_test.csv") && text.contains("\"RA\""),
        "{text}"
    );
    assert!(
        text.contains("Galaxy ID"),
        "names the columns it has: {text}"
    );
    assert!(
        store.list().expect("list").is_empty(),
        "nothing half-loaded"
    );
}

/// The first row of gcvs.csv is (10.679583333333332, 41.268055555555556) "SNI": 1.5" north of
/// it the separation is 1.5" (along a meridian); 0.001 deg east it is
/// 2 asin(cos(41.268055...) sin(0.0005 deg)) = 2.7058751684" (worked out with Python's math).
#[test]
fn a_cone_around_a_gcvs_star_finds_it_at_the_right_separation() {
    let Some(file) = lasair_testdata::shared_data("catalogues/gcvs.csv") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = CatalogueStore::open(&dir.path().join("cats.db")).expect("open");
    store
        .add("gcvs", &file, &spec("gcvs"), false)
        .expect("loads");
    let searcher = Searcher::open(&store).expect("searcher");
    let (ra, dec) = (10.679583333333332, 41.268055555555556);

    let north = searcher
        .cone("gcvs", ra, dec + 1.5 / 3600.0, 2.0)
        .expect("cone");
    let m = &north[0];
    assert_eq!(m.source.id, "1");
    assert_eq!(m.source.kind, CatalogueKind::Variable);
    assert_eq!(&*m.source.catalogue, "gcvs");
    assert_eq!(m.source.object_type.as_deref(), Some("SNI"));
    assert_eq!((m.source.ra, m.source.dec), (ra, dec));
    assert!(
        (m.separation_arcsec - 1.5).abs() < 1e-6,
        "{}",
        m.separation_arcsec
    );

    let east = searcher.cone("gcvs", ra + 0.001, dec, 3.0).expect("cone");
    assert_eq!(east[0].source.id, "1");
    assert!((east[0].separation_arcsec - 2.705_875_168_4).abs() < 1e-6);
    assert!(searcher
        .cone("gcvs", ra + 0.001, dec, 2.7)
        .expect("cone")
        .is_empty());
    assert!(matches!(
        searcher.cone("nope", ra, dec, 2.0),
        Err(CatalogueError::Unknown(_))
    ));
}

#[test]
fn bad_rows_are_reported_by_line_and_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(
        dir.path(),
        "bad.csv",
        "id,ra,dec,mag\n\
         a,10.0,20.0,15.0\n\
         b,,20.0,15.0\n\
         c,10.0,95.0,15.0\n\
         d,10.0,20.0,bright\n\
         e,10:00:00,+20:00:00,nan\n\
         f,10.0\n\
         g,350.0,-10.0,\n",
    );
    let mut spec = csv_spec();
    spec.mag = Some("mag".into());
    let mut store = CatalogueStore::open(&dir.path().join("cats.db")).expect("open");
    let report = store.add("tiny", &file, &spec, false).expect("loads");
    assert_eq!((report.rows, report.bad), (3, 4));
    let lines: Vec<u64> = report.bad_lines.iter().map(|b| b.0).collect();
    assert_eq!(lines, [3, 4, 5, 7]);
    assert!(
        report.bad_lines[2].1.contains("bright"),
        "{:?}",
        report.bad_lines
    );

    // Row e in sexagesimal: 10h = 150 deg, +20 deg; its mag "nan" is NULL.
    let searcher = Searcher::open(&store).expect("searcher");
    let e = searcher.cone("tiny", 150.0, 20.0, 1.0).expect("cone");
    assert_eq!(e.len(), 1);
    assert_eq!((e[0].source.id.as_str(), e[0].source.mag), ("e", None));
    assert!(e[0].separation_arcsec < 1e-6);
}

#[test]
fn files_that_say_less_than_they_seem_are_refused_or_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = CatalogueStore::open(&dir.path().join("cats.db")).expect("open");
    // A quote left open takes the next line into its field: reported, not loaded silently.
    let quote = write(
        dir.path(),
        "quote.csv",
        "id,ra,dec\n\"a,10,20\nb\",11,21\nc,12,22\n",
    );
    let report = store
        .add("quote", &quote, &csv_spec(), false)
        .expect("loads the rest");
    assert_eq!(report.bad, 1, "{:?}", report.bad_lines);
    assert!(
        report.bad_lines[0].1.contains("unbalanced quote"),
        "{:?}",
        report.bad_lines
    );
    // A column named twice: which one is meant?
    let twice = write(dir.path(), "twice.csv", "id,ra,dec,RA\na,10,20,30\n");
    let err = store
        .add("twice", &twice, &csv_spec(), false)
        .expect_err("refused");
    assert!(err.to_string().contains("\"RA\" twice"), "{err}");
    // A header and nothing else.
    let empty = write(dir.path(), "empty.csv", "id,ra,dec\n");
    let err = store
        .add("empty", &empty, &csv_spec(), false)
        .expect_err("refused");
    assert!(err.to_string().contains("no rows loaded"), "{err}");
    let names: Vec<String> = store
        .list()
        .expect("list")
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["quote"]);
}

#[test]
fn an_unreadable_file_is_an_error_naming_it_and_keeps_the_old_catalogue() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = write(dir.path(), "good.csv", "id,ra,dec\na,10,20\n");
    let mut store = CatalogueStore::open(&dir.path().join("cats.db")).expect("open");
    store.add("cat", &good, &csv_spec(), false).expect("loads");
    let missing = dir.path().join("missing.csv");
    let err = store
        .add("cat", &missing, &csv_spec(), false)
        .expect_err("no file");
    assert!(err.to_string().contains("missing.csv"), "{err}");
    let list = store.list().expect("list");
    assert_eq!((list.len(), list[0].rows), (1, 1));
}

/// Offsets worked out by hand: 0.0001 deg is 0.36"; two points at the same small distance
/// from a pole on opposite meridians are that distance twice apart (through the pole).
#[test]
fn cones_across_ra_zero_and_at_the_poles() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(
        dir.path(),
        "edges.csv",
        "id,ra,dec\nw1,359.9999,0\nw2,0.0001,0\np1,0,89.9999\np2,180,89.9999\ns1,90,-90\n",
    );
    let mut store = CatalogueStore::open(&dir.path().join("cats.db")).expect("open");
    store
        .add("edges", &file, &csv_spec(), false)
        .expect("loads");
    let searcher = Searcher::open(&store).expect("searcher");
    let found = |ra: f64, dec: f64| -> Vec<(String, f64)> {
        let ms = searcher.cone("edges", ra, dec, 1.0).expect("cone");
        ms.into_iter()
            .map(|m| (m.source.id, m.separation_arcsec))
            .collect()
    };
    let check = |got: Vec<(String, f64)>, want: &[(&str, f64)]| {
        assert_eq!(got.len(), want.len(), "{got:?}");
        for ((id, sep), (wid, wsep)) in got.iter().zip(want) {
            assert_eq!(id, wid, "{got:?}");
            assert!((sep - wsep).abs() < 1e-6, "{got:?}");
        }
    };
    let mut at_zero = found(0.0, 0.0);
    at_zero.sort_by(|a, b| a.0.cmp(&b.0));
    check(at_zero, &[("w1", 0.36), ("w2", 0.36)]);
    check(found(359.99995, 0.0), &[("w1", 0.18), ("w2", 0.54)]);
    check(found(0.0, 89.9999), &[("p1", 0.0), ("p2", 0.72)]);
    let mut at_pole = found(123.0, 90.0);
    at_pole.sort_by(|a, b| a.0.cmp(&b.0));
    check(at_pole, &[("p1", 0.36), ("p2", 0.36)]);
    check(found(270.0, -89.9999), &[("s1", 0.36)]);
}

#[test]
fn drop_and_re_add() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "c.csv", "id,ra,dec\na,10,20\nb,11,21\n");
    let mut store = CatalogueStore::open(&dir.path().join("cats.db")).expect("open");
    let empty = store.fingerprint().expect("fingerprint");
    store.add("cat", &file, &csv_spec(), false).expect("loads");
    let first = store.fingerprint().expect("fingerprint");
    assert_ne!(first, empty);
    // Re-adding replaces: still one catalogue of 2 rows, but a new fingerprint.
    store
        .add("cat", &file, &csv_spec(), false)
        .expect("reloads");
    let list = store.list().expect("list");
    assert_eq!((list.len(), list[0].rows), (1, 2));
    assert_ne!(store.fingerprint().expect("fingerprint"), first);
    assert_eq!(
        Searcher::open(&store)
            .expect("searcher")
            .cone("cat", 10.0, 20.0, 1.0)
            .expect("cone")
            .len(),
        1
    );

    assert!(store.drop("cat").expect("drop"));
    assert!(!store.drop("cat").expect("drop again"));
    assert!(store.list().expect("list").is_empty());
    assert_eq!(store.fingerprint().expect("fingerprint"), empty);
    let searcher = Searcher::open(&store).expect("searcher");
    assert!(matches!(
        searcher.cone("cat", 10.0, 20.0, 1.0),
        Err(CatalogueError::Unknown(_))
    ));
    // And back again, from a gzipped copy.
    let gz = dir.path().join("c.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).expect("create"),
        flate2::Compression::default(),
    );
    enc.write_all(b"id,ra,dec\na,10,20\nb,11,21\nc,12,22\n")
        .expect("gzip");
    enc.finish().expect("gzip");
    assert_eq!(
        store
            .add("cat", &gz, &csv_spec(), false)
            .expect("loads")
            .rows,
        3
    );
}

#[test]
fn searches_from_many_threads_agree_with_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::from("id,ra,dec\n");
    for i in 0..2000 {
        let (ra, dec) = (
            (i as f64 * 0.173) % 360.0,
            (i as f64 * 0.0897) % 180.0 - 90.0,
        );
        text.push_str(&format!("s{i},{ra},{dec}\n"));
    }
    let file = write(dir.path(), "many.csv", &text);
    let mut store = CatalogueStore::open(&dir.path().join("cats.db")).expect("open");
    store.add("many", &file, &csv_spec(), false).expect("loads");
    let searcher = Searcher::open(&store).expect("searcher");
    let queries: Vec<(f64, f64)> = (0..2000)
        .map(|i| {
            (
                (i as f64 * 0.173) % 360.0 + 0.0001,
                (i as f64 * 0.0897) % 180.0 - 90.0,
            )
        })
        .collect();
    let one: Vec<Vec<String>> = queries
        .iter()
        .map(|&(ra, dec)| ids(&searcher, ra, dec))
        .collect();
    let many: Vec<Vec<String>> = queries
        .par_iter()
        .map(|&(ra, dec)| ids(&searcher, ra, dec))
        .collect();
    assert_eq!(one, many);
    assert!(one.iter().filter(|v| !v.is_empty()).count() > 1900);
}

fn ids(searcher: &impl ConeSearch, ra: f64, dec: f64) -> Vec<String> {
    let ms = searcher.cone("many", ra, dec, 2.0).expect("cone");
    ms.into_iter().map(|m| m.source.id).collect()
}

#[test]
fn broken_bytes_are_bad_rows_and_a_corrupt_gzip_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = CatalogueStore::open(&dir.path().join("cats.db")).expect("open");
    // Fixed width: RA bytes 1-8, Dec 10-17; line 2 is not UTF-8, line 4 a comment.
    let fixed = dir.path().join("fixed.txt");
    let mut bytes = b"  10.000   20.000\n  11.0\xff\xfe  21.000\n".to_vec();
    bytes.extend_from_slice(b"  12.000  -22.000\r\n# a comment\n\n  13.000   23.000\n");
    std::fs::write(&fixed, bytes).expect("write");
    let mut spec = LoadSpec::new(CatalogueKind::Other, Format::Fixed, "1-8", "10-17");
    spec.comment = Some('#');
    let report = store.add("fixed", &fixed, &spec, false).expect("loads");
    assert_eq!((report.rows, report.bad), (3, 1));
    assert_eq!(report.bad_lines[0].0, 2);
    let searcher = Searcher::open(&store).expect("searcher");
    // Rows are numbered by good row: the row at line 6 is the third.
    let m = searcher.cone("fixed", 13.0, 23.0, 1.0).expect("cone");
    assert_eq!(m[0].source.id, "3");
    assert_eq!(
        searcher
            .cone("fixed", 12.0, -22.0, 1.0)
            .expect("cone")
            .len(),
        1
    );

    // A gzip file cut short cannot be read to its end: an error naming it, nothing loaded.
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut text = String::from("id,ra,dec\n");
    for i in 0..20_000 {
        text.push_str(&format!("s{i},{}.5,{}.25\n", i % 360, i % 90));
    }
    enc.write_all(text.as_bytes()).expect("gzip");
    let gz = enc.finish().expect("gzip");
    let cut = dir.path().join("cut.csv.gz");
    std::fs::write(&cut, &gz[..gz.len() / 2]).expect("write");
    let err = store
        .add("cut", &cut, &csv_spec(), false)
        .expect_err("corrupt");
    assert!(err.to_string().contains("cut.csv.gz"), "{err}");
    let names: Vec<String> = store
        .list()
        .expect("list")
        .into_iter()
        .map(|i| i.name)
        .collect();
    assert_eq!(names, ["fixed"]);
    // ...and no half-loaded table left behind in the file.
    let db = rusqlite::Connection::open(dir.path().join("cats.db")).expect("open db");
    let tables: i64 = db
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'src_cut%'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(tables, 0);
}

#[test]
fn a_searcher_of_a_missing_store_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nowhere.db");
    let err = Searcher::open_store(&path).expect_err("missing");
    assert!(err.to_string().contains("nowhere.db"), "{err}");
    assert!(!path.exists(), "not created");
}

/// The Lasair docs' BL Lac watchlist as a headerless pipe-separated catalogue, columns named
/// by number: 42 lines that are neither `#` comments nor blank (`grep -v '^#' | grep -c .`).
#[test]
fn a_headerless_pipe_file_names_columns_by_number() {
    let Some(file) = lasair_testdata::shared_data("watchlists/BLLac.txt") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = CatalogueStore::open(&dir.path().join("cats.db")).expect("open");
    let mut spec = LoadSpec::new(CatalogueKind::Agn, Format::Pipe, "1", "2");
    spec.header = Some(false);
    spec.comment = Some('#');
    spec.id = Some("3".into());
    let report = store.add("bllac", &file, &spec, false).expect("loads");
    assert_eq!((report.rows, report.bad), (42, 0));
    // Its line `035.6650000|+43.0355000|3C 66A`.
    let searcher = Searcher::open(&store).expect("searcher");
    let m = searcher.cone("bllac", 35.665, 43.0355, 0.1).expect("cone");
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].source.id, "3C 66A");
    // Without a header, names are refused with the reason.
    spec.ra = "RA".into();
    let err = store.add("bllac", &file, &spec, false).expect_err("names");
    assert!(err.to_string().contains("by number"), "{err}");
}
