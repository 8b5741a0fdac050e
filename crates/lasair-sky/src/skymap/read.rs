//! Reading a sky map's FITS file (gzipped or not): a multi-order map (UNIQ, PROBDENSITY and
//! perhaps DISTMU, DISTSIGMA, DISTNORM), as GCN sends them, or a flat HEALPix map (PROB and
//! perhaps the distance columns, RING or NESTED, one value a row or a vector a row), made
//! multi-order. Rows are read in chunks, so a truncated or lying file fails before anything
//! is sized from its header.

use std::io::{BufRead, Read};

use super::credible::Pixel;
use super::distance::Ansatz;
use super::flat::{Derasterizer, Values};
use super::{Meta, SkymapError};
use crate::fits::{read_full, Column, Header, Table};

/// Bytes of rows read at a time.
const CHUNK: usize = 1 << 22;
/// The finest flat map read (NSIDE 8192): 805 million pixels is already more than any
/// LIGO/Virgo/KAGRA map has.
const MAX_FLAT_ORDER: u8 = 13;

/// The map's pixels, whether it gives distances, and its header's facts.
pub(super) struct Loaded {
    pub pixels: Vec<Pixel>,
    pub distances: bool,
    pub meta: Meta,
}

/// Reads a map from `reader` (gzip is recognised by its magic number).
pub(super) fn read(reader: impl BufRead, name: &str) -> Result<Loaded, SkymapError> {
    let mut reader = reader;
    let gz = reader
        .fill_buf()
        .map_err(|e| SkymapError::io(name, e))?
        .starts_with(&[0x1f, 0x8b]);
    if gz {
        read_fits(&mut flate2::bufread::MultiGzDecoder::new(reader), name)
    } else {
        read_fits(&mut reader, name)
    }
}

fn read_fits(r: &mut impl Read, name: &str) -> Result<Loaded, SkymapError> {
    let bad = |why: String| SkymapError::invalid(name, why);
    let primary = Header::read(r).map_err(|e| bad(format!("not a FITS file: {e}")))?;
    if !primary.flag("SIMPLE") {
        return Err(bad("not a FITS file (no SIMPLE = T)".into()));
    }
    if let Some(n @ 1..) = primary.uint("NAXIS") {
        return Err(bad(format!(
            "it is a FITS image (NAXIS = {n}), not a HEALPix table"
        )));
    }
    let header = Header::read(r).map_err(|e| bad(format!("no table extension: {e}")))?;
    let table = Table::from_header(&header).map_err(bad)?;
    let meta = Meta::from_headers(&header, &primary);
    let ordering = header.text("ORDERING").unwrap_or("").to_ascii_uppercase();
    let (pixels, distances) = if ordering == "NUNIQ" || table.column("UNIQ").is_some() {
        multi_order(r, &table, name)?
    } else {
        flat(r, &table, &header, &ordering, name)?
    };
    if pixels.is_empty() {
        return Err(bad("it has no pixels".into()));
    }
    Ok(Loaded {
        pixels,
        distances,
        meta,
    })
}

/// The distance columns, if the table has all three, each of `repeat` values a row.
fn distance_columns<'t>(
    table: &'t Table,
    repeat: usize,
    name: &str,
) -> Result<Option<[&'t Column; 3]>, SkymapError> {
    let cols = ["DISTMU", "DISTSIGMA", "DISTNORM"].map(|c| table.column(c));
    match cols {
        [Some(mu), Some(sigma), Some(norm)] => {
            for c in [mu, sigma, norm] {
                numeric(c, repeat, name)?;
            }
            Ok(Some([mu, sigma, norm]))
        }
        [None, None, None] => Ok(None),
        _ => Err(SkymapError::invalid(
            name,
            "it has some of DISTMU, DISTSIGMA, DISTNORM but not all three",
        )),
    }
}

fn numeric(c: &Column, repeat: usize, name: &str) -> Result<(), SkymapError> {
    if c.kind.is_none() || c.repeat != repeat {
        return Err(SkymapError::invalid(
            name,
            format!(
                "column {} is not numeric with {repeat} value(s) a row as the others",
                c.name
            ),
        ));
    }
    Ok(())
}

/// Calls `each` with every row of the table, reading chunks of rows.
fn rows(
    r: &mut impl Read,
    table: &Table,
    name: &str,
    mut each: impl FnMut(u64, &[u8]) -> Result<(), SkymapError>,
) -> Result<(), SkymapError> {
    if table.row_bytes == 0 {
        return Err(SkymapError::invalid(name, "its rows are empty"));
    }
    let per_chunk = (CHUNK / table.row_bytes).max(1) as u64;
    let mut buf = Vec::new();
    let mut row = 0u64;
    while row < table.rows {
        let n = per_chunk.min(table.rows - row);
        buf.resize(n as usize * table.row_bytes, 0);
        read_full(r, &mut buf).map_err(|e| {
            SkymapError::invalid(name, format!("reading rows {row}..{}: {e}", row + n))
        })?;
        for (k, bytes) in buf.chunks_exact(table.row_bytes).enumerate() {
            each(row + k as u64, bytes)?;
        }
        row += n;
    }
    Ok(())
}

fn multi_order(
    r: &mut impl Read,
    table: &Table,
    name: &str,
) -> Result<(Vec<Pixel>, bool), SkymapError> {
    let bad = |why: String| SkymapError::invalid(name, why);
    let uniq = table.column("UNIQ").ok_or_else(|| {
        bad(format!(
            "a NUNIQ map with no UNIQ column ({})",
            table.names()
        ))
    })?;
    let density = table.column("PROBDENSITY").ok_or_else(|| {
        bad(format!(
            "a multi-order map with no PROBDENSITY column ({})",
            table.names()
        ))
    })?;
    numeric(density, 1, name)?;
    if uniq.repeat != 1 || uniq.int(&[0; 8], 0).is_none() {
        return Err(bad("its UNIQ column is not one integer a row".into()));
    }
    let dist = distance_columns(table, 1, name)?;
    let mut pixels = Vec::with_capacity(table.rows.min(1 << 20) as usize);
    rows(r, table, name, |i, row| {
        let u = uniq.int(row, 0).unwrap_or(-1);
        let d = density.real(row, 0);
        let Ok(u) = u64::try_from(u) else {
            return Err(bad(format!("row {i}: UNIQ {u} is negative")));
        };
        check_density(d, i, name)?;
        pixels.push(Pixel {
            uniq: u,
            density: d,
            ansatz: ansatz(dist, row, 0),
        });
        Ok(())
    })?;
    Ok((pixels, dist.is_some()))
}

fn ansatz(dist: Option<[&Column; 3]>, row: &[u8], k: usize) -> Ansatz {
    dist.map_or(Ansatz::NONE, |[mu, sigma, norm]| Ansatz {
        mu: mu.real(row, k),
        sigma: sigma.real(row, k),
        norm: norm.real(row, k),
    })
}

fn check_density(d: f64, i: u64, name: &str) -> Result<(), SkymapError> {
    if d.is_finite() && d >= 0.0 {
        Ok(())
    } else {
        Err(SkymapError::invalid(
            name,
            format!("pixel {i}: probability {d} is not a finite number >= 0"),
        ))
    }
}

fn flat(
    r: &mut impl Read,
    table: &Table,
    header: &Header,
    ordering: &str,
    name: &str,
) -> Result<(Vec<Pixel>, bool), SkymapError> {
    let bad = |why: String| SkymapError::invalid(name, why);
    let nested = match ordering {
        "NESTED" => true,
        "RING" => false,
        other => {
            return Err(bad(format!(
                "ORDERING {other:?}: a HEALPix map is NUNIQ, NESTED or RING"
            )))
        }
    };
    if header
        .text("INDXSCHM")
        .is_some_and(|s| s.eq_ignore_ascii_case("EXPLICIT"))
    {
        return Err(bad(
            "a partial map (INDXSCHM = EXPLICIT) is not supported".into()
        ));
    }
    let prob = ["PROB", "PROBABILITY"]
        .iter()
        .find_map(|c| table.column(c))
        .ok_or_else(|| {
            bad(format!(
                "a flat map with no PROB column ({})",
                table.names()
            ))
        })?;
    let repeat = prob.repeat;
    numeric(prob, repeat, name)?;
    let dist = distance_columns(table, repeat, name)?;
    let npix = table.rows.saturating_mul(repeat as u64);
    let order = (0..=MAX_FLAT_ORDER)
        .find(|&o| 12u64 << (2 * o as u32) == npix)
        .ok_or_else(|| {
            bad(format!(
                "{npix} pixels is no HEALPix map of NSIDE a power of 2 up to 8192"
            ))
        })?;
    if let Some(nside) = header.uint("NSIDE") {
        if nside != 1 << order {
            return Err(bad(format!("NSIDE = {nside} but it has {npix} pixels")));
        }
    }
    // ligo.skymap's density of a pixel: PROB · (npix / 4π).
    let per_sr = npix as f64 / (4.0 * std::f64::consts::PI);
    let values = |row: &[u8], k: usize| -> Values {
        let a = ansatz(dist, row, k);
        [prob.real(row, k) * per_sr, a.mu, a.sigma, a.norm]
    };
    let mut merge = Derasterizer::new(order);
    // NESTED rows go straight to the merge; RING rows are kept, then taken in NESTED order.
    let mut ring: Vec<Values> = Vec::new();
    rows(r, table, name, |i, row| {
        for k in 0..repeat {
            let v = values(row, k);
            check_density(v[0], i * repeat as u64 + k as u64, name)?;
            if nested {
                merge.push(v);
            } else {
                ring.push(v);
            }
        }
        Ok(())
    })?;
    if !nested {
        let layer = cdshealpix::nested::get(order);
        for n in 0..npix {
            merge.push(ring[layer.to_ring(n) as usize]);
        }
    }
    debug_assert_eq!(merge.pushed(), npix);
    let pixels = merge.finish();
    Ok((pixels, dist.is_some()))
}
