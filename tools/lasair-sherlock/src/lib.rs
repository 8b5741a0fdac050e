//! lasair-sherlock: Sherlock's context for each alert. Catalogues are loaded into a per-node
//! store with a sky index (`catalogue`); each position is searched by the passes of a search
//! configuration and the matches ranked into a classification (`classify`).

pub mod catalogue;
pub mod classify;
