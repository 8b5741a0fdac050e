//! Storage backends shared by the tools: where lightcurves and cutouts live.
//!
//! A backend is chosen by a URL: `sqlite:PATH` (embedded default) or `cql://HOST:PORT/KEYSPACE`
//! (`scylla://` alike); cutouts may also go to a folder tree (a plain path or `file:DIR`).

pub mod cql;
pub mod cutouts;
pub mod lightcurve;

pub use cutouts::{
    open_cutouts, render_png, zscale, CutoutError, CutoutKey, CutoutStore, Cutouts, RenderError,
};
pub use lightcurve::{open_lightcurves, LightcurveStore, StoreError, StoredPoint};
