//! Watchlists: sets of named cones, loaded from text files and matched through the sky index.
//!
//! A user's watchlist is a list of cones (position, name, optional own radius) with a default
//! radius; every active watchlist goes into one [`WatchlistSet`], whose single
//! [`crate::PointIndex`] answers "which cones contain this alert" without a scan.

mod names;
mod parse;
mod set;

pub use parse::{parse_cones, read_cones, BadLine, ParseReport};
pub use set::{Hit, WatchlistSet, WatchlistSetBuilder};

use crate::geometry::CoordError;

/// The largest radius of a watchlist cone (arcsec), as in Lasair.
pub const MAX_RADIUS_ARCSEC: f64 = 1800.0;
/// The longest cone name kept (bytes).
pub const MAX_NAME_BYTES: usize = 255;

/// A watchlist's identity (Lasair's `wl_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WatchlistId(pub u32);

/// A cone's identity: its database id when the watchlist was given them, otherwise its
/// position in the watchlist (0-based, file order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConeId(pub u32);

/// One cone of a watchlist.
#[derive(Debug, Clone, PartialEq)]
pub struct Cone {
    /// Degrees, [0, 360).
    pub ra: f64,
    /// Degrees, [-90, 90].
    pub dec: f64,
    pub name: String,
    /// The cone's own radius (arcsec); the watchlist's default radius when `None`.
    pub radius_arcsec: Option<f64>,
}

/// A watchlist: its id, default radius and cones.
#[derive(Debug, Clone, PartialEq)]
pub struct Watchlist {
    pub id: WatchlistId,
    /// Arcsec, for cones without their own radius.
    pub radius_arcsec: f64,
    pub cones: Vec<Cone>,
    /// Database ids of the cones, in the same order, when the caller has them.
    pub cone_ids: Option<Vec<ConeId>>,
}

impl Watchlist {
    /// Reads a watchlist file (see [`parse_cones`]); the report lists the refused lines.
    pub fn from_path(
        id: WatchlistId,
        radius_arcsec: f64,
        path: impl AsRef<std::path::Path>,
    ) -> std::io::Result<(Watchlist, ParseReport)> {
        let (cones, report) = read_cones(path)?;
        let wl = Watchlist {
            id,
            radius_arcsec,
            cones,
            cone_ids: None,
        };
        Ok((wl, report))
    }
}

/// Why a cone (a line of a watchlist file, or a cone given to the builder) was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConeError {
    #[error("expected ra, dec, name and an optional radius, found {0} field(s)")]
    Fields(usize),
    #[error("bad RA: {0}")]
    Ra(CoordError),
    #[error("bad Dec: {0}")]
    Dec(CoordError),
    #[error("the name is empty")]
    NoName,
    #[error("the name is longer than {MAX_NAME_BYTES} bytes")]
    NameTooLong,
    #[error("bad radius {0:?}: not a positive number of arcsec")]
    Radius(String),
    #[error("radius {0}\" is above the {MAX_RADIUS_ARCSEC}\" limit")]
    RadiusTooLarge(f64),
    #[error("a cone was given outside a watchlist (none started, or its start was refused)")]
    NoWatchlist,
}

/// Checks a radius (arcsec): positive, finite, at most [`MAX_RADIUS_ARCSEC`].
pub fn check_radius(radius_arcsec: f64) -> Result<f64, ConeError> {
    if !(radius_arcsec.is_finite() && radius_arcsec > 0.0) {
        return Err(ConeError::Radius(radius_arcsec.to_string()));
    }
    if radius_arcsec > MAX_RADIUS_ARCSEC {
        return Err(ConeError::RadiusTooLarge(radius_arcsec));
    }
    Ok(radius_arcsec)
}
