//! Gravitational-wave sky maps (LIGO/Virgo/KAGRA): multi-order FITS as GCN sends them, or
//! flat HEALPix FITS, read into their pixels; the greedy credible regions (10%, 50%, 90%...)
//! as MOCs at the map's own resolution with their areas; the distance mean and spread; and
//! what the map says at a position: the credible level (Lasair's `contour`), the 2-D density,
//! and with a distance the 3-D density.
//!
//! ```no_run
//! use lasair_sky::skymap::Skymap;
//! let map = Skymap::from_path("S200129m_bayestar.multiorder.fits").unwrap();
//! let region = map.credible(0.9);
//! println!("90% area {:.1} deg²", region.area_deg2());
//! if let Some(here) = region.locate(150.0, 20.0) {
//!     println!("level {:.3}, density {}", here.contour, here.probdensity);
//! }
//! ```

mod credible;
mod distance;
mod flat;
mod read;

use std::io::BufReader;
use std::path::Path;

pub use credible::{cell_uniq, uniq_cell, Credible, Located, Pixel};
pub use distance::{marginal_moments, Ansatz};

use crate::fits::Header;

/// Why a sky map could not be read; each message names the map.
#[derive(Debug, thiserror::Error)]
pub enum SkymapError {
    #[error("reading sky map {name}: {source}")]
    Io {
        name: String,
        source: std::io::Error,
    },
    #[error("sky map {name}: {why}")]
    Invalid { name: String, why: String },
}

impl SkymapError {
    pub(crate) fn invalid(name: &str, why: impl Into<String>) -> SkymapError {
        SkymapError::Invalid {
            name: name.to_owned(),
            why: why.into(),
        }
    }

    fn io(name: &str, source: std::io::Error) -> SkymapError {
        SkymapError::Io {
            name: name.to_owned(),
            source,
        }
    }
}

/// What a map's header says of the event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    /// OBJECT: the event's id as its pipeline knew it.
    pub object: Option<String>,
    /// DATE-OBS: the event's time, UTC, ISO 8601.
    pub date_obs: Option<String>,
    /// MJD-OBS: the event's time as an MJD (UTC).
    pub mjd_obs: Option<f64>,
    /// DATE: when the file was made.
    pub date: Option<String>,
    /// DISTMEAN and DISTSTD: the posterior distance mean and spread, Mpc.
    pub distmean: Option<f64>,
    pub diststd: Option<f64>,
    /// CREATOR (BAYESTAR, LALInference...), ORIGIN and INSTRUME.
    pub creator: Option<String>,
    pub origin: Option<String>,
    pub instruments: Option<String>,
}

impl Meta {
    /// From the table's header, then the primary header for what it lacks.
    fn from_headers(table: &Header, primary: &Header) -> Meta {
        let text = |k: &str| {
            table
                .text(k)
                .or_else(|| primary.text(k))
                .map(str::to_owned)
                .filter(|s| !s.is_empty())
        };
        let real = |k: &str| table.real(k).or_else(|| primary.real(k));
        Meta {
            object: text("OBJECT"),
            date_obs: text("DATE-OBS"),
            mjd_obs: real("MJD-OBS"),
            date: text("DATE"),
            distmean: real("DISTMEAN"),
            diststd: real("DISTSTD"),
            creator: text("CREATOR"),
            origin: text("ORIGIN"),
            instruments: text("INSTRUME"),
        }
    }
}

/// A sky map: its pixels in credible order, and its header.
#[derive(Debug, Clone)]
pub struct Skymap {
    name: String,
    meta: Meta,
    all: Credible,
}

impl Skymap {
    /// Reads a map file (FITS, gzipped or not; multi-order or flat).
    pub fn from_path(path: impl AsRef<Path>) -> Result<Skymap, SkymapError> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| SkymapError::io(&name, e))?;
        Skymap::from_reader(BufReader::with_capacity(1 << 20, file), &name)
    }

    /// Reads a map from its bytes (a notice's decoded `skymap`); `name` is used in errors.
    pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Skymap, SkymapError> {
        Skymap::from_reader(bytes, name)
    }

    /// Reads a map from a reader.
    pub fn from_reader(reader: impl std::io::BufRead, name: &str) -> Result<Skymap, SkymapError> {
        let loaded = read::read(reader, name)?;
        let all = Credible::build(loaded.pixels, loaded.distances, name)?;
        if all.probability().is_nan() || all.probability() <= 0.0 {
            return Err(SkymapError::invalid(name, "its probabilities sum to 0"));
        }
        Ok(Skymap {
            name: name.to_owned(),
            meta: loaded.meta,
            all,
        })
    }

    /// The name it was read under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What its header says.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// Every pixel, as the region of level 1 and more: locates any position on the sky.
    pub fn all(&self) -> &Credible {
        &self.all
    }

    /// The `level` credible region (`0.9` for 90%).
    pub fn credible(&self, level: f64) -> Credible {
        self.all.region(level)
    }

    /// What the map says at a position.
    pub fn locate(&self, ra: f64, dec: f64) -> Option<Located> {
        self.all.locate(ra, dec)
    }

    /// The distance mean and spread (Mpc): the header's DISTMEAN and DISTSTD, else computed
    /// from the pixels ([`Skymap::marginal_distance`]); `None` for a map without distances.
    pub fn distance(&self) -> Option<(f64, f64)> {
        match (self.meta.distmean, self.meta.diststd) {
            (Some(m), Some(s)) => Some((m, s)),
            _ => self.marginal_distance(),
        }
    }

    /// The distance mean and spread computed from the pixels' ansatz parameters.
    pub fn marginal_distance(&self) -> Option<(f64, f64)> {
        if !self.all.has_distances() {
            return None;
        }
        let pixels = self.all.pixels().iter();
        marginal_moments(pixels.map(|p| (p.density * p.area_sr(), p.ansatz)))
    }

    /// The most probable position (RA, Dec degrees): the centre of the densest pixel.
    pub fn max_location(&self) -> Option<(f64, f64)> {
        self.all.max_location()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fits::tests::fits_file;

    const PRIMARY: &[&str] = &["SIMPLE  = T", "BITPIX  = 8", "NAXIS   = 0", "EXTEND  = T"];

    fn multi_order(rows: &[(u64, f64)], cards: &[&str]) -> Vec<u8> {
        let mut h = vec![
            "XTENSION= 'BINTABLE'".to_owned(),
            "NAXIS1  = 16".to_owned(),
            format!("NAXIS2  = {}", rows.len()),
            "TFIELDS = 2".to_owned(),
            "TTYPE1  = 'UNIQ'".to_owned(),
            "TFORM1  = 'K'".to_owned(),
            "TTYPE2  = 'PROBDENSITY'".to_owned(),
            "TFORM2  = 'D'".to_owned(),
            "ORDERING= 'NUNIQ'".to_owned(),
        ];
        h.extend(cards.iter().map(|c| c.to_string()));
        let h: Vec<&str> = h.iter().map(String::as_str).collect();
        let mut data = Vec::new();
        for (u, d) in rows {
            data.extend(u.to_be_bytes());
            data.extend(d.to_be_bytes());
        }
        fits_file(PRIMARY, &h, &data)
    }

    #[test]
    fn a_multi_order_map_without_distances() {
        let rows: Vec<(u64, f64)> = (0..12)
            .map(|i| (4 + i, 1.0 / (4.0 * std::f64::consts::PI)))
            .collect();
        let file = multi_order(&rows, &["MJD-OBS =    58877.28817630083", "OBJECT  = 'S1'"]);
        let map = Skymap::from_bytes(&file, "m.fits").unwrap();
        assert_eq!(map.meta().mjd_obs, Some(58877.28817630083));
        assert_eq!(map.meta().object.as_deref(), Some("S1"));
        assert_eq!(map.distance(), None);
        let here = map.locate(10.0, 10.0).unwrap();
        assert!(here.ansatz.is_none() && here.density3(100.0).is_none());
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &file).unwrap();
        let again = Skymap::from_bytes(&gz.finish().unwrap(), "m.fits.gz").unwrap();
        assert_eq!(again.all(), map.all());
    }

    #[test]
    fn bad_maps_are_refused_with_the_reason() {
        let err = |bytes: &[u8]| Skymap::from_bytes(bytes, "x.fits").unwrap_err().to_string();
        assert!(err(b"not fits at all").contains("x.fits"));
        let one = multi_order(&[(4, -1.0)], &[]);
        assert!(err(&one).contains("not a finite number"), "{}", err(&one));
        let zero = multi_order(&[(4, 0.0)], &[]);
        assert!(err(&zero).contains("sum to 0"));
        let overlap = multi_order(&[(4, 1.0), (16, 1.0)], &[]);
        assert!(err(&overlap).contains("overlap"));
        let mut cut = multi_order(&[(4, 1.0), (5, 1.0)], &[]);
        cut.truncate(2880 * 2 + 10);
        assert!(err(&cut).contains("truncated"), "{}", err(&cut));
        let image = fits_file(&["SIMPLE  = T", "NAXIS   = 2"], &[], &[]);
        assert!(err(&image).contains("FITS image"));
    }
}
