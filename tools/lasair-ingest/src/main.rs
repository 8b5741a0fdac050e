//! `lasair-ingest`: see `lasair_ingest::Args` for the options.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = lasair_ingest::Args::parse();
    lasair_cli::finish("lasair-ingest", lasair_ingest::main(args))
}
