//! Catalogues: what a catalogue source is, and the cone search the classifier asks of a
//! catalogue store. The store itself (loading files, the SQLite file with its HEALPix
//! index) lives in the submodules.

use std::sync::Arc;

mod error;
mod load;
mod read;
mod search;
mod spec;
mod store;

pub use error::CatalogueError;
pub use load::{LoadReport, HPX_DEPTH};
pub use search::Searcher;
pub use spec::{AngleUnit, Format, LoadSpec, MappingFile};
pub use store::{check_name, CatalogueInfo, CatalogueStore};

/// What kind of objects a catalogue lists, which decides what a match with it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CatalogueKind {
    /// Galaxies (may carry sizes, redshifts, distances): SN or NT.
    Galaxy,
    /// Stars (bright stars, catalogued point sources): BS or VS.
    Star,
    /// Variable stars: VS.
    Variable,
    /// Cataclysmic variables: CV.
    Cv,
    /// Quasars and AGN: AGN.
    Agn,
    /// Young stellar objects: VS.
    Yso,
    /// Gamma-ray or X-ray sources with positional error ellipses: UNCLEAR unless confirmed.
    HighEnergy,
    /// Anything else.
    Other,
}

/// One catalogue source, as the classifier sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// The catalogue's name as loaded (`gcvs`, `glade`, ...): Lasair's catalogue_table_name.
    pub catalogue: Arc<str>,
    /// The catalogue's kind.
    pub kind: CatalogueKind,
    /// The source's identifier in its catalogue.
    pub id: String,
    /// Position, degrees (J2000).
    pub ra: f64,
    pub dec: f64,
    /// The source's own type where the catalogue gives one (GCVS VarType, Milliquas class).
    pub object_type: Option<String>,
    /// Spectroscopic redshift.
    pub z: Option<f64>,
    /// Photometric redshift and its error.
    pub photo_z: Option<f64>,
    pub photo_z_err: Option<f64>,
    /// A redshift-independent distance, Mpc.
    pub distance_mpc: Option<f64>,
    /// Semi-major axis, arcsec.
    pub major_axis_arcsec: Option<f64>,
    /// A magnitude, its filter and error.
    pub mag: Option<f64>,
    pub mag_filter: Option<String>,
    pub mag_err: Option<f64>,
}

/// A source found by a cone search, with its distance from the searched position.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub source: Source,
    pub separation_arcsec: f64,
}

/// The cone search the classifier needs; the catalogue store implements it, and so may a
/// test's in-memory list.
pub trait ConeSearch: Send + Sync {
    /// Every source of `catalogue` within `radius_arcsec` of (ra, dec), nearest first.
    fn cone(
        &self,
        catalogue: &str,
        ra: f64,
        dec: f64,
        radius_arcsec: f64,
    ) -> Result<Vec<Match>, CatalogueError>;

    /// The names of the catalogues held, with their kinds.
    fn catalogues(&self) -> Vec<(String, CatalogueKind)>;

    /// A value that changes whenever the set or content of catalogues changes (the cache
    /// of answers is keyed on it).
    fn fingerprint(&self) -> String;
}
