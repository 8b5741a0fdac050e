//! lasair-context: Sherlock's engine, the context of each alert. Catalogues are loaded into a
//! per-node store with a sky index (`catalogue`); each position is searched by the passes of
//! a search configuration and the matches ranked into a classification (`classify`). As a
//! stream stage it adds a `sherlock` object to each JSON alert line (`stage`), answering
//! positions seen before from a cache that survives restarts (`cache`). The command line is
//! the lasair-sherlock tool; a server or a mining tool may use this crate as well.

pub mod cache;
pub mod catalogue;
pub mod classify;
pub mod cosmology;
pub mod memory;
pub mod stage;

pub use cache::Cache;
pub use classify::{Classifier, Context, Crossmatch, SearchConfig};
pub use stage::Stage;
