//! Storage backends shared by the tools: where lightcurves and cutouts live.
//!
//! A backend is chosen by a URL: `sqlite:PATH` (embedded default) or `scylla://HOST:PORT/KEYSPACE`.

pub mod cutouts;
pub mod lightcurve;

pub use cutouts::{render_file, render_png, zscale, CutoutStore, RenderError};
pub use lightcurve::{open_lightcurves, LightcurveStore, StoreError, StoredPoint};
