//! Lightcurve features: one row of the survey's `objects` table from an object's latest alert.
//!
//! As in Lasair, the features come from the lightcurve the latest alert carries (ZTF: the
//! candidate and its prv_candidates; LSST: the diaSource, prvDiaSources and the diaObject),
//! so the filter needs no database read per alert. One module per survey behind
//! [`SurveyFeatures`]; [`for_survey`] picks it.
//!
//! ```no_run
//! # fn demo(alert: &lasair_alert::Alert) {
//! use lasair_features::{for_survey, Context, Options};
//! let features = for_survey(alert.survey);
//! match features.object_row(alert, &Context::default(), &Options::default()) {
//!     Ok(row) => assert_eq!(row.len(), features.columns().len()),
//!     Err(no_row) => eprintln!("{}: {no_row}", alert.object_id),
//! }
//! # }
//! ```

mod fit;
mod lsst;
mod row;
mod stats;
mod ztf;

use std::sync::Arc;

use lasair_alert::{Alert, Survey};
use lasair_sky::DustMap;
use lasair_sql::catalog::Column;
use lasair_sql::Value;

/// What the classifier (Sherlock) and the crossmatches know of the object, when known.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Context<'a> {
    /// Distance to the object in Mpc (Sherlock's `distance`, else its `direct_distance`):
    /// LSST's absolute magnitudes need it.
    pub distance_mpc: Option<f64>,
    /// Sherlock's classification (`SN`, `NT`, `ORPHAN`, `CV`, `AGN`, `VS`, `BS`, `UNCLEAR`):
    /// LSST fits its Bazin x blackbody model only for `SN`, `NT` and `ORPHAN`.
    pub classification: Option<&'a str>,
    /// The TNS name crossmatched to the object (LSST's `tns_name`).
    pub tns_name: Option<&'a str>,
}

/// How the features stage is configured (once, for every alert).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    /// Write rows for known solar-system objects too. Lasair does not (ZTF: an alert whose
    /// latest detection has an `ssnamenr`; LSST: a source of a known ssObject): false.
    pub keep_solar_system: bool,
    /// The SFD dust map: LSST's `ebv` at the diaObject's position, and the fluxes of absMag,
    /// the pair colours and the Bazin x blackbody fit dereddened with it, as Lasair-LSST
    /// does. None: `ebv` NULL, nothing dereddened.
    pub dust: Option<Arc<DustMap>>,
}

/// Why an alert makes no `objects` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NoRow {
    /// The lightcurve holds no usable detection (e.g. only upper limits).
    #[error("no usable detection in the lightcurve")]
    NoDetection,
    /// A known solar-system object, and [`Options::keep_solar_system`] is off.
    #[error("known solar-system object, not kept")]
    SolarSystem,
}

/// The features of one survey.
pub trait SurveyFeatures: Sync {
    /// The columns of the survey's `objects` table, in the order rows are given.
    fn columns(&self) -> &'static [Column];

    /// The `objects` row for the object of `alert`, aligned with [`Self::columns`]: values
    /// that cannot be computed (a band never seen, a failed fit) are `Value::Null`.
    fn object_row(
        &self,
        alert: &Alert,
        ctx: &Context<'_>,
        opts: &Options,
    ) -> Result<Vec<Value>, NoRow>;

    /// The fields of a lightcurve point's record (`Point::fields`) that [`Self::object_row`]
    /// reads. A stage that only makes rows reads its lines keeping just these
    /// ([`lasair_alert::LineReader::keeping_point_fields`]); `tests/point_fields.rs` holds
    /// that the rows are the same as from lines read whole, on every real alert.
    fn point_fields(&self) -> &'static [&'static str];
}

/// The features of `survey`.
pub fn for_survey(survey: Survey) -> &'static dyn SurveyFeatures {
    match survey {
        Survey::Ztf => &ztf::Ztf,
        Survey::Lsst => &lsst::Lsst,
    }
}
