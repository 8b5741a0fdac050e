//! `lasair-simulator`: realistic ZTF and LSST alerts in their real wire formats, for the demo,
//! the benchmarks and the tests where no real alerts are at hand (the `lasair-sim` tool is its
//! command line).
//!
//! A population of objects (supernovae, fast transients, variable stars, AGN, known
//! asteroids) is observed at each survey's cadence; every detection becomes an alert that
//! carries the object's lightcurve up to then, so an object's alerts grow over time. ZTF
//! alerts are Avro object container files, LSST alerts Confluent wire-format messages.
//! Everything is deterministic given the seed.

mod avro_schema;
mod cadence;
pub mod catalogue;
mod datum;
mod error;
mod fits;
mod lightcurve;
mod object;
mod photometry;
mod population;
mod random;
mod sky;
mod stamps;
mod survey;
mod timeline;

use lasair_alert::Survey;

pub use error::SimError;
pub use population::MAX_ALERTS_PER_OBJECT;

pub use survey::LsstSchema;

/// The schema id LSST wire messages carry by default (Rubin's id for lsst.v10_0, the default
/// schema).
pub const LSST_SCHEMA_ID: u32 = LsstSchema::V10_0.schema_id();

/// What to simulate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    pub survey: Survey,
    /// Exactly this many alerts are produced.
    pub alerts: usize,
    /// Objects they come from (fewer if there are fewer alerts; more if an object would need
    /// more than [`MAX_ALERTS_PER_OBJECT`]).
    pub objects: usize,
    pub seed: u64,
    /// Include the three FITS cutouts.
    pub cutouts: bool,
    /// The Rubin alert schema LSST alerts are written in.
    pub lsst_schema: LsstSchema,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            survey: Survey::Ztf,
            alerts: 1000,
            objects: 100,
            seed: 1,
            cutouts: true,
            lsst_schema: LsstSchema::V10_0,
        }
    }
}

/// One simulated alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimAlert {
    /// ZTF objectId, or the LSST diaObjectId (ssObjectId for asteroids) in decimal.
    pub object_id: String,
    /// ZTF candid or LSST diaSourceId.
    pub source_id: i64,
    /// The bytes of the alert file (ZTF) or wire message (LSST).
    pub payload: Vec<u8>,
}

/// A simulation under way: an iterator over its alerts in time order.
pub struct Simulation {
    survey: Box<dyn survey::SurveySim>,
    timeline: timeline::Timeline,
    stamps: Option<stamps::Stamps>,
    next: usize,
}

impl std::fmt::Debug for Simulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulation")
            .field("alerts", &self.alerts())
            .field("next", &self.next)
            .finish()
    }
}

impl Simulation {
    /// Builds the population and its lightcurves; alerts are encoded as they are taken.
    pub fn new(cfg: &SimConfig) -> Result<Self, SimError> {
        let survey = survey::for_survey(cfg.survey, cfg.seed, cfg.lsst_schema)?;
        let timeline = timeline::build(survey.as_ref(), cfg.seed, cfg.alerts, cfg.objects);
        let stamps = cfg
            .cutouts
            .then(|| stamps::Stamps::new(survey.params().stamp.clone(), cfg.seed));
        Ok(Simulation {
            survey,
            timeline,
            stamps,
            next: 0,
        })
    }

    pub fn alerts(&self) -> usize {
        self.timeline.order.len()
    }

    pub fn objects(&self) -> usize {
        self.timeline.objects.len()
    }

    /// The writer schema, one self-contained JSON document.
    pub fn schema_json(&self) -> &str {
        self.survey.schema_json()
    }

    /// Whether payloads need the schema given separately (LSST wire format) rather than
    /// carrying it (ZTF containers).
    pub fn needs_schema(&self) -> bool {
        self.survey.needs_schema()
    }

    /// The catalogues that would explain the simulated sky, as Sherlock's catalogues do the
    /// real one: a host galaxy beside each supernova, the star under each variable, the
    /// quasar under each AGN; fast transients and asteroids have none (orphans).
    pub fn context_catalogues(&self, seed: u64) -> catalogue::Catalogues {
        catalogue::build(&self.timeline.objects, seed)
    }

    /// The extension of an alert's file: `avro` (ZTF containers), `bin` (LSST messages).
    pub fn file_extension(&self) -> &'static str {
        self.survey.file_extension()
    }
}

impl Iterator for Simulation {
    type Item = Result<SimAlert, SimError>;

    fn next(&mut self) -> Option<Self::Item> {
        let &(o, k) = self.timeline.order.get(self.next)?;
        self.next += 1;
        let object = &self.timeline.objects[o as usize];
        let epoch = &object.epochs[k as usize];
        let cutouts = self.stamps.as_mut().map(|s| s.cutouts(epoch));
        let payload = self.survey.encode(object, k as usize, cutouts.as_ref());
        Some(payload.map(|payload| SimAlert {
            object_id: object.name.clone(),
            source_id: epoch.source_id,
            payload,
        }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.alerts() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Simulation {}

/// The alerts of a simulation, in time order.
///
/// # Panics
/// If the simulator's own schema rejects what it generated: a bug in lasair-simulator, caught by
/// its tests, never a consequence of the configuration. [`Simulation::new`] reports it as an
/// error instead.
pub fn simulate(cfg: &SimConfig) -> impl Iterator<Item = SimAlert> {
    let bug = |e: SimError| -> ! { panic!("lasair-simulator bug: {e}") };
    Simulation::new(cfg)
        .unwrap_or_else(|e| bug(e))
        .map(move |r| r.unwrap_or_else(|e| bug(e)))
}

/// The LSST writer schema (lsst.v10_0, the default) as one self-contained `.avsc` document.
pub fn lsst_schema_json() -> String {
    lsst_schema_json_of(LsstSchema::V10_0)
}

/// The LSST writer schema of a Rubin version as one self-contained `.avsc` document.
pub fn lsst_schema_json_of(version: LsstSchema) -> String {
    match survey::for_survey(Survey::Lsst, 0, version) {
        Ok(s) => s.schema_json().to_owned(),
        Err(e) => panic!("lasair-simulator bug: {e}"),
    }
}

/// A survey's writer schema (LSST's default) as one self-contained `.avsc` document.
pub fn schema_json(survey: Survey) -> String {
    match survey::for_survey(survey, 0, LsstSchema::default()) {
        Ok(s) => s.schema_json().to_owned(),
        Err(e) => panic!("lasair-simulator bug: {e}"),
    }
}

/// Rewrites the schema id of an LSST wire message.
pub fn set_schema_id(payload: &mut [u8], id: u32) {
    if let Some(slot) = payload.get_mut(1..5) {
        slot.copy_from_slice(&id.to_be_bytes());
    }
}
