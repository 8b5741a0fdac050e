//! Watchlists: sets of named cones, loaded from text files and matched through the sky index.
