//! Sky areas as MOCs (watchmaps): read from FITS or ASCII/JSON, matched by containment.
