//! Sky geometry and sky indexes shared by Sherlock's catalogues, watchlists, watchmaps and
//! the lightcurve features: angular separations and offsets, galactic coordinates,
//! sexagesimal parsing.

pub mod geometry;

pub use geometry::{galactic, offsets_arcsec, parse_dec, parse_ra, separation_arcsec, CoordError};
