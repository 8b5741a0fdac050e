//! HTM ids against gkhtm's, the library Lasair-LSST computes `objects.htm16` with
//! (`tests/fixtures/htm/expected.py` made `htm.csv`): every position, every level, exactly.

use lasair_sky::htm_id;

#[test]
fn ids_are_gkhtms_at_every_level() {
    let text = include_str!("fixtures/htm/htm.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let levels: Vec<u32> = header[2..]
        .iter()
        .map(|h| h.trim_start_matches("htm").parse().expect("level"))
        .collect();
    let mut rows = 0;
    let mut wrong = Vec::new();
    for line in lines {
        let cols: Vec<&str> = line.split(',').collect();
        let ra: f64 = cols[0].parse().expect("ra");
        let dec: f64 = cols[1].parse().expect("dec");
        for (level, expected) in levels.iter().zip(&cols[2..]) {
            let expected: i64 = expected.parse().expect("id");
            let ours = htm_id(*level, ra, dec);
            if ours != expected {
                wrong.push(format!(
                    "({ra}, {dec}) level {level}: {ours} vs gkhtm {expected}"
                ));
            }
        }
        rows += 1;
    }
    assert!(rows > 3000, "{rows}");
    assert!(
        wrong.is_empty(),
        "{} differ: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(10)]
    );
}
