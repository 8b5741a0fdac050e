//! The Sherlock algorithm: search configuration, the synonym / association / annotation
//! passes, ranking, and the classification with its description.

pub mod config;
pub mod output;
pub mod passes;
pub mod rank;
pub mod row;

use std::collections::HashMap;
use std::sync::Arc;

use crate::catalogue::{CatalogueError, ConeSearch, Match};
use crate::cosmology::{Cosmology, SHERLOCK};

pub use config::{Label, Pass, Search, SearchConfig};
pub use output::{Context, Crossmatch};
pub use row::Cell;

/// A position that cannot be classified.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    #[error("position ({ra}, {dec}) is not on the sky (RA any finite degrees, Dec -90..90)")]
    BadPosition { ra: f64, dec: f64 },
    #[error("searching catalogue {catalogue}: {cause}")]
    Search {
        catalogue: String,
        /// Boxed: this error is returned by value on the hot path of every position.
        cause: Box<CatalogueError>,
    },
}

/// A position on the sky, RA wrapped into 0..360, or why not.
pub fn sky_position(ra: f64, dec: f64) -> Result<(f64, f64), ClassifyError> {
    if !(ra.is_finite() && dec.is_finite() && (-90.0..=90.0).contains(&dec)) {
        return Err(ClassifyError::BadPosition { ra, dec });
    }
    Ok((ra.rem_euclid(360.0), dec))
}

/// One cone per catalogue, as wide as its widest search.
#[derive(Debug, Clone)]
struct Query {
    catalogue: String,
    radius: f64,
}

/// The classifier: a search configuration over a catalogue store.
pub struct Classifier {
    config: SearchConfig,
    searcher: Arc<dyn ConeSearch>,
    queries: Vec<Query>,
    /// For each search, its query, or `None` when its catalogue is not in the store.
    query_of: Vec<Option<usize>>,
    missing: Vec<String>,
    cosmology: Cosmology,
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field("queries", &self.queries)
            .field("missing", &self.missing)
            .finish()
    }
}

impl Classifier {
    /// A classifier for `config` over `searcher`. Searches whose catalogue the store does not
    /// hold are left out (see [`Classifier::missing`]), so a node may load a subset.
    pub fn new(config: SearchConfig, searcher: Arc<dyn ConeSearch>) -> Classifier {
        let held: Vec<String> = searcher.catalogues().into_iter().map(|c| c.0).collect();
        let mut queries: Vec<Query> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut query_of = Vec::with_capacity(config.searches.len());
        let mut missing = Vec::new();
        for s in &config.searches {
            if !held.contains(&s.catalogue) {
                if !missing.contains(&s.catalogue) {
                    missing.push(s.catalogue.clone());
                }
                query_of.push(None);
                continue;
            }
            let radius = Pass::ALL
                .iter()
                .filter(|p| s.label(**p).is_some())
                .map(|p| s.radius(*p, config.synonym_radius_arcsec))
                .fold(0.0, f64::max);
            let i = *index.entry(s.catalogue.clone()).or_insert_with(|| {
                queries.push(Query {
                    catalogue: s.catalogue.clone(),
                    radius: 0.0,
                });
                queries.len() - 1
            });
            queries[i].radius = queries[i].radius.max(radius);
            query_of.push(Some(i));
        }
        Classifier {
            config,
            searcher,
            queries,
            query_of,
            missing,
            cosmology: SHERLOCK,
        }
    }

    /// Catalogues the configuration names that the store does not hold.
    pub fn missing(&self) -> &[String] {
        &self.missing
    }

    pub fn config(&self) -> &SearchConfig {
        &self.config
    }

    /// What the answers depend on: the configuration and the catalogues (for the cache).
    pub fn fingerprint(&self) -> String {
        format!(
            "config {} catalogues {}",
            self.config.fingerprint(),
            self.searcher.fingerprint()
        )
    }

    /// Sherlock's context for the position (degrees; RA is wrapped into 0..360).
    pub fn classify(&self, ra: f64, dec: f64) -> Result<Context, ClassifyError> {
        let (ra, dec) = sky_position(ra, dec)?;
        let found = self
            .queries
            .iter()
            .map(|q| {
                self.searcher
                    .cone(&q.catalogue, ra, dec, q.radius)
                    .map_err(|cause| ClassifyError::Search {
                        catalogue: q.catalogue.clone(),
                        cause: Box::new(cause),
                    })
            })
            .collect::<Result<Vec<Vec<Match>>, _>>()?;
        let per_search: Vec<Option<&[Match]>> = self
            .query_of
            .iter()
            .map(|q| q.map(|i| found[i].as_slice()))
            .collect();
        let candidates = passes::run(&self.config, &per_search, &self.cosmology);
        if candidates.is_empty() {
            return Ok(Context::orphan());
        }
        let ranked = rank::rank(&candidates, self.config.merge_radius_arcsec);
        Ok(Context::from_ranked(&ranked, ra, dec))
    }
}
