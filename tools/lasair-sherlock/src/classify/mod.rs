//! The Sherlock algorithm: search configuration, the synonym / association / annotation
//! passes, ranking, and the classification with its description.
