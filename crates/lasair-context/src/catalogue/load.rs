//! Loading one catalogue file into its table: rows parsed by the mapping, bad rows reported
//! (file and line) and skipped, good rows inserted in batches, one transaction per batch so
//! memory stays flat for any number of rows.

use std::path::Path;
use std::time::Instant;

use rusqlite::{params, Connection};
use serde::Serialize;

use super::read::{Col, RowError, Rows};
use super::spec::LoadSpec;
use super::CatalogueError;

/// Rows per transaction.
const BATCH: usize = 50_000;
/// Bad rows reported one by one on stderr (and kept in the report); the rest are counted.
const BAD_SHOWN: usize = 100;
/// The depth of each row's HEALPix cell (nested) in the `hpx` column: cells of about 3.2"
/// so a cone search in SQL alone (other tools, MariaDB copies) stays selective.
pub const HPX_DEPTH: u8 = 16;

/// What a load did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LoadReport {
    pub name: String,
    /// Rows loaded.
    pub rows: u64,
    /// Rows skipped as bad.
    pub bad: u64,
    pub seconds: f64,
    /// The first bad rows: (line, why).
    pub bad_lines: Vec<(u64, String)>,
}

/// Where each mapped column is, once the file's header is known.
struct Columns {
    ra: Col,
    dec: Col,
    id: Option<Col>,
    z: Option<Col>,
    photo_z: Option<Col>,
    photo_z_err: Option<Col>,
    distance_mpc: Option<Col>,
    major_axis: Option<Col>,
    mag: Option<Col>,
    mag_err: Option<Col>,
    mag_filter: Option<Col>,
    object_type: Option<Col>,
}

impl Columns {
    fn resolve(rows: &Rows, spec: &LoadSpec) -> Result<Columns, String> {
        let one = |t: &str| rows.resolve(t, spec.format);
        let opt = |t: &Option<String>| t.as_deref().map(one).transpose();
        Ok(Columns {
            ra: one(&spec.ra)?,
            dec: one(&spec.dec)?,
            id: opt(&spec.id)?,
            z: opt(&spec.z)?,
            photo_z: opt(&spec.photo_z)?,
            photo_z_err: opt(&spec.photo_z_err)?,
            distance_mpc: opt(&spec.distance_mpc)?,
            major_axis: opt(&spec.major_axis)?,
            mag: opt(&spec.mag)?,
            mag_err: opt(&spec.mag_err)?,
            mag_filter: opt(&spec.mag_filter)?,
            object_type: opt(&spec.object_type)?,
        })
    }
}

/// Loads `file` into `table` (which exists and is empty), row numbers from 1.
pub(crate) fn load(
    conn: &mut Connection,
    table: &str,
    name: &str,
    file: &Path,
    spec: &LoadSpec,
    progress: bool,
) -> Result<LoadReport, CatalogueError> {
    let started = Instant::now();
    let mut rows = Rows::open(file, spec)?;
    let cols = Columns::resolve(&rows, spec).map_err(|cause| CatalogueError::Columns {
        name: name.to_owned(),
        path: file.to_owned(),
        cause,
    })?;
    let header_fields = rows.header.as_ref().map(Vec::len);
    let bar = lasair_cli::progress::bar(rows.total_bytes, "bytes", progress);
    let mut report = LoadReport {
        name: name.to_owned(),
        ..LoadReport::default()
    };
    let sql = insert_sql(table);
    let sql_err = |cause| CatalogueError::Write {
        name: name.to_owned(),
        cause,
    };
    loop {
        let tx = conn.transaction().map_err(sql_err)?;
        let mut done = false;
        {
            let mut insert = tx.prepare_cached(&sql).map_err(sql_err)?;
            for _ in 0..BATCH {
                match rows.next_row() {
                    Ok(false) => {
                        done = true;
                        break;
                    }
                    Ok(true) => {}
                    Err(RowError::Bad(why)) => {
                        bad(&mut report, file, rows.line(), why);
                        continue;
                    }
                    Err(RowError::Fatal(why)) => {
                        return Err(CatalogueError::FileAt {
                            path: file.to_owned(),
                            line: rows.line(),
                            cause: why,
                        });
                    }
                }
                if let (Some(want), Some(got)) = (header_fields, rows.field_count()) {
                    if want != got {
                        let why = format!("{got} fields where the header has {want}");
                        bad(&mut report, file, rows.line(), why);
                        continue;
                    }
                }
                match parse(&rows, &cols, spec, report.rows + 1) {
                    Ok(r) => {
                        insert
                            .execute(params![
                                report.rows + 1,
                                r.hpx as i64,
                                r.ra,
                                r.dec,
                                r.id,
                                r.object_type,
                                r.z,
                                r.photo_z,
                                r.photo_z_err,
                                r.distance_mpc,
                                r.major_axis_arcsec,
                                r.mag,
                                r.mag_filter,
                                r.mag_err
                            ])
                            .map_err(sql_err)?;
                        report.rows += 1;
                    }
                    Err(why) => bad(&mut report, file, rows.line(), why),
                }
            }
        }
        tx.commit().map_err(sql_err)?;
        bar.set_position(rows.bytes());
        if done {
            break;
        }
    }
    bar.finish_and_clear();
    if report.bad > BAD_SHOWN as u64 {
        eprintln!(
            "{}: {} bad rows in all ({} shown)",
            file.display(),
            report.bad,
            BAD_SHOWN
        );
    }
    report.seconds = started.elapsed().as_secs_f64();
    if report.rows == 0 {
        // A header and nothing else (or nothing readable) is a mistake, not an empty catalogue.
        return Err(CatalogueError::File {
            path: file.to_owned(),
            cause: format!(
                "no rows loaded ({} bad): an empty catalogue is refused",
                report.bad
            ),
        });
    }
    Ok(report)
}

fn bad(report: &mut LoadReport, file: &Path, line: u64, why: String) {
    report.bad += 1;
    if report.bad_lines.len() < BAD_SHOWN {
        eprintln!("{}:{line}: bad row skipped: {why}", file.display());
        report.bad_lines.push((line, why));
    }
}

/// The columns of a source table, in the order `load` binds them.
pub(crate) const SOURCE_COLUMNS: &str = "row, hpx, ra, dec, id, object_type, z, photo_z, \
     photo_z_err, distance_mpc, major_axis_arcsec, mag, mag_filter, mag_err";

fn insert_sql(table: &str) -> String {
    format!(
        "INSERT INTO \"{table}\" ({SOURCE_COLUMNS}) VALUES \
         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
    )
}

/// One parsed row, borrowing its text from the reader.
struct Parsed<'a> {
    hpx: u64,
    ra: f64,
    dec: f64,
    id: std::borrow::Cow<'a, str>,
    object_type: Option<&'a str>,
    z: Option<f64>,
    photo_z: Option<f64>,
    photo_z_err: Option<f64>,
    distance_mpc: Option<f64>,
    major_axis_arcsec: Option<f64>,
    mag: Option<f64>,
    mag_filter: Option<&'a str>,
    mag_err: Option<f64>,
}

fn parse<'a>(
    rows: &'a Rows,
    cols: &Columns,
    spec: &'a LoadSpec,
    number: u64,
) -> Result<Parsed<'a>, String> {
    let text = |c: Col| {
        rows.field(c)
            .ok_or_else(|| "a column cuts a character in two (not ASCII text)".to_owned())
    };
    let opt_text = |c: Option<Col>| -> Result<Option<&'a str>, String> {
        Ok(c.map(text).transpose()?.filter(|t| !is_null(t)))
    };
    let number_of = |c: Option<Col>, what: &str| -> Result<Option<f64>, String> {
        match opt_text(c)? {
            None => Ok(None),
            Some(t) => match t.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(Some(v)),
                Ok(_) => Ok(None),
                Err(_) => Err(format!("{what} {t:?} is not a number")),
            },
        }
    };
    let ra_text = text(cols.ra)?;
    let dec_text = text(cols.dec)?;
    if is_null(ra_text) || is_null(dec_text) {
        return Err("no position (RA or Dec empty)".to_owned());
    }
    let ra = lasair_sky::parse_ra(ra_text).map_err(|e| format!("RA: {e}"))?;
    let dec = lasair_sky::parse_dec(dec_text).map_err(|e| format!("Dec: {e}"))?;
    let id = match opt_text(cols.id)? {
        Some(t) => std::borrow::Cow::Borrowed(t),
        None => std::borrow::Cow::Owned(number.to_string()),
    };
    let unit = spec.major_axis_unit.arcsec();
    Ok(Parsed {
        hpx: cdshealpix::nested::hash(HPX_DEPTH, ra.to_radians(), dec.to_radians()),
        ra,
        dec,
        id,
        object_type: opt_text(cols.object_type)?,
        z: number_of(cols.z, "z")?,
        photo_z: number_of(cols.photo_z, "photo-z")?,
        photo_z_err: number_of(cols.photo_z_err, "photo-z error")?,
        distance_mpc: number_of(cols.distance_mpc, "distance")?,
        major_axis_arcsec: number_of(cols.major_axis, "major axis")?.map(|a| a * unit),
        mag: number_of(cols.mag, "mag")?,
        mag_filter: match cols.mag_filter {
            Some(_) => opt_text(cols.mag_filter)?,
            None => spec.mag_band.as_deref(),
        },
        mag_err: number_of(cols.mag_err, "mag error")?,
    })
}

/// The spellings of "no value" in catalogue files.
fn is_null(text: &str) -> bool {
    let t = text.trim();
    t.is_empty()
        || t.eq_ignore_ascii_case("nan")
        || t.eq_ignore_ascii_case("null")
        || t.eq_ignore_ascii_case("none")
        || t.eq_ignore_ascii_case("\\N")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_are_spelled_many_ways() {
        for t in ["", "  ", "nan", "NaN", "null", "NULL", "None", "\\N"] {
            assert!(is_null(t), "{t:?}");
        }
        for t in ["0", "-", "n", "nano"] {
            assert!(!is_null(t), "{t:?}");
        }
    }
}
