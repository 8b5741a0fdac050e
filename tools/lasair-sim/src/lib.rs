//! `lasair-sim`: the command line of the alert simulator (the `lasair-simulator` crate), which
//! writes realistic ZTF and LSST alerts into a folder or a Kafka topic for the demo and the
//! benchmarks.

mod cli;
mod output;

pub use cli::{main, run, run_until, Args, Summary};
