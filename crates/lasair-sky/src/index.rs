//! A HEALPix index of points on the sky, each with an optional radius: the cone search of
//! Sherlock's catalogues and the matching of watchlist cones.
