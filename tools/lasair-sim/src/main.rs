//! `lasair-sim`: see `lasair_sim::Args` for the options.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = lasair_sim::Args::parse();
    lasair_cli::finish("lasair-sim", lasair_sim::main(args))
}
