//! The SFD dust map (Schlegel, Finkbeiner & Davis 1998, ApJ 500, 525): the Milky Way's E(B-V)
//! at a position, which Lasair-LSST stores as `ebv` and dereddens fluxes with.
//!
//! The map is two images of 4096 x 4096 floats, `SFD_dust_4096_ngp.fits` and
//! `SFD_dust_4096_sgp.fits` ([`NORTH_FILE`], [`SOUTH_FILE`]), each a polar Lambert
//! zenithal-equal-area (ZEA) projection of one galactic hemisphere. A position is projected as
//! SFD's own code (`lambert_getval`) and the `sfdmap` package do, from the header's `CRPIX1`,
//! `CRPIX2`, `LAM_SCAL` (the radius of b = 0, in pixels) and `LAM_NSGP` (+1 north, -1 south),
//! and the four pixels around it are interpolated bilinearly, the image's edges held: the value
//! `dustmaps.sfd.SFDQuery` gives (order 1), which is what Lasair-LSST's filter queries. No
//! recalibration factor is applied (dustmaps applies none; `sfdmap`'s default 0.86 is Schlafly
//! & Finkbeiner's, which their extinction coefficients already include).

use std::path::{Path, PathBuf};

use crate::fits::image::read_image_and_header;
use crate::{galactic, FitsImage, ImageError};

/// The north galactic hemisphere's file, as SFD, dustmaps and sfdmap name it.
pub const NORTH_FILE: &str = "SFD_dust_4096_ngp.fits";
/// The south galactic hemisphere's file.
pub const SOUTH_FILE: &str = "SFD_dust_4096_sgp.fits";
/// The most pixels a hemisphere may have: the real ones have 4096 x 4096.
const MAX_PIXELS: usize = 4096 * 4096;

/// Why the SFD map could not be read; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum DustError {
    /// The file could not be read.
    #[error("SFD dust map {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The file is not a FITS image this reader takes.
    #[error("SFD dust map {}: {source}", path.display())]
    Image {
        /// The file.
        path: PathBuf,
        /// What was wrong with it.
        source: ImageError,
    },
    /// A header card the projection needs is missing or out of range.
    #[error(
        "SFD dust map {}: its header has no valid {key} (an SFD map's Lambert projection \
         needs CRPIX1, CRPIX2, LAM_SCAL > 0 and LAM_NSGP)",
        path.display()
    )]
    Header {
        /// The file.
        path: PathBuf,
        /// The card.
        key: &'static str,
    },
    /// The file's LAM_NSGP names the other hemisphere.
    #[error("SFD dust map {}: LAM_NSGP = {found}, but the {hemisphere} map must have {expected}", path.display())]
    Hemisphere {
        /// The file.
        path: PathBuf,
        /// `north` or `south`.
        hemisphere: &'static str,
        /// What the file says.
        found: f64,
        /// +1 north, -1 south.
        expected: f64,
    },
}

/// The two hemispheres of the SFD E(B-V) map, in memory (2 x 64 MiB for the real map).
#[derive(Debug, Clone, PartialEq)]
pub struct DustMap {
    north: Hemisphere,
    south: Hemisphere,
}

/// One hemisphere's image and its Lambert projection.
#[derive(Debug, Clone, PartialEq)]
struct Hemisphere {
    image: FitsImage,
    /// CRPIX1 and CRPIX2 less one: the 0-based pixel of the pole.
    pole_x: f64,
    pole_y: f64,
    /// LAM_SCAL: the pixels from the pole to b = 0.
    scale: f64,
    /// LAM_NSGP: +1 north, -1 south.
    sign: f64,
}

impl DustMap {
    /// Reads [`NORTH_FILE`] and [`SOUTH_FILE`] in `folder` (the folder dustmaps keeps them in,
    /// `.../sfd`, will do).
    pub fn open(folder: &Path) -> Result<DustMap, DustError> {
        DustMap::from_files(&folder.join(NORTH_FILE), &folder.join(SOUTH_FILE))
    }

    /// Reads the map from its two files, the north's and the south's.
    pub fn from_files(north: &Path, south: &Path) -> Result<DustMap, DustError> {
        Ok(DustMap {
            north: Hemisphere::read(north, 1.0)?,
            south: Hemisphere::read(south, -1.0)?,
        })
    }

    /// A map of one E(B-V) everywhere (for tests of what uses the map).
    pub fn uniform(ebv: f32) -> DustMap {
        let hemisphere = |sign| Hemisphere {
            image: FitsImage {
                columns: 1,
                rows: 1,
                values: vec![ebv],
            },
            pole_x: 0.0,
            pole_y: 0.0,
            scale: 1.0,
            sign,
        };
        DustMap {
            north: hemisphere(1.0),
            south: hemisphere(-1.0),
        }
    }

    /// E(B-V) in magnitudes at an ICRS position (degrees); `None` where the map holds no
    /// finite value.
    pub fn ebv(&self, ra: f64, dec: f64) -> Option<f64> {
        let (l, b) = galactic(ra, dec);
        self.ebv_galactic(l, b)
    }

    /// E(B-V) in magnitudes at galactic longitude `l` and latitude `b` (degrees): the north
    /// map for b >= 0, as dustmaps chooses.
    pub fn ebv_galactic(&self, l: f64, b: f64) -> Option<f64> {
        let hemisphere = if b >= 0.0 { &self.north } else { &self.south };
        Some(hemisphere.at(l, b)).filter(|v| v.is_finite())
    }
}

impl Hemisphere {
    fn read(path: &Path, sign: f64) -> Result<Hemisphere, DustError> {
        let bytes = std::fs::read(path).map_err(|source| DustError::Read {
            path: path.to_owned(),
            source,
        })?;
        let (image, header) =
            read_image_and_header(&bytes, MAX_PIXELS).map_err(|source| DustError::Image {
                path: path.to_owned(),
                source,
            })?;
        let card = |key: &'static str| {
            header.real(key).ok_or_else(|| DustError::Header {
                path: path.to_owned(),
                key,
            })
        };
        let (crpix1, crpix2) = (card("CRPIX1")?, card("CRPIX2")?);
        let scale = card("LAM_SCAL")?;
        if scale <= 0.0 {
            return Err(DustError::Header {
                path: path.to_owned(),
                key: "LAM_SCAL",
            });
        }
        let found = card("LAM_NSGP")?;
        if found != sign {
            return Err(DustError::Hemisphere {
                path: path.to_owned(),
                hemisphere: if sign > 0.0 { "north" } else { "south" },
                found,
                expected: sign,
            });
        }
        Ok(Hemisphere {
            image,
            pole_x: crpix1 - 1.0,
            pole_y: crpix2 - 1.0,
            scale,
            sign,
        })
    }

    /// The interpolated value at (l, b), degrees.
    fn at(&self, l: f64, b: f64) -> f64 {
        let (sl, cl) = l.to_radians().sin_cos();
        let r = self.scale * (1.0 - self.sign * b.to_radians().sin()).max(0.0).sqrt();
        let x = self.pole_x + r * cl;
        let y = self.pole_y - self.sign * r * sl;
        self.bilinear(x, y)
    }

    /// Bilinear interpolation at 0-based column `x` and row `y`, the four neighbours clamped
    /// into the image (scipy's `map_coordinates(order=1, mode="nearest")`).
    fn bilinear(&self, x: f64, y: f64) -> f64 {
        let (x0, y0) = (x.floor(), y.floor());
        let (wx, wy) = (x - x0, y - y0);
        let column = |i: f64| i.clamp(0.0, (self.image.columns - 1) as f64) as usize;
        let row = |i: f64| i.clamp(0.0, (self.image.rows - 1) as f64) as usize;
        let (c0, c1, r0, r1) = (column(x0), column(x0 + 1.0), row(y0), row(y0 + 1.0));
        let v = |c: usize, r: usize| f64::from(self.image.at(c, r).unwrap_or(f32::NAN));
        (1.0 - wx) * (1.0 - wy) * v(c0, r0)
            + wx * (1.0 - wy) * v(c1, r0)
            + (1.0 - wx) * wy * v(c0, r1)
            + wx * wy * v(c1, r1)
    }
}
