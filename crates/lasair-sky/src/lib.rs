//! Sky geometry and sky indexes shared by Sherlock's catalogues, watchlists, watchmaps and
//! the lightcurve features: angular separations and offsets, galactic coordinates,
//! sexagesimal parsing; the Hierarchical Triangular Mesh ids Lasair indexes objects by;
//! gravitational-wave sky maps with their credible regions; the SFD dust map's E(B-V); the
//! images of FITS cutouts; and the pictures the web pages show, as PNG.

pub mod area;
pub mod cones;
pub mod dust;
mod fits;
pub mod geometry;
pub mod htm;
pub mod index;
pub mod picture;
pub mod skymap;

pub use area::{Area, AreaError, AreaId, AreaSet};
pub use cones::{
    parse_cones, read_cones, Cone, ConeError, ConeId, Hit, ParseReport, Watchlist, WatchlistId,
    WatchlistSet, WatchlistSetBuilder,
};
pub use dust::{DustError, DustMap};
pub use fits::image::{read_image, FitsImage, ImageError, MAX_IMAGE_PIXELS};
pub use geometry::{
    dec_sexagesimal, ecliptic, equatorial, galactic, offsets_arcsec, parse_dec, parse_ra,
    ra_sexagesimal, separation_arcsec, CoordError,
};
pub use htm::htm_id;
pub use index::PointIndex;
