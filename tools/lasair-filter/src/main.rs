//! `lasair-filter`: see `lasair_filter::Args` for the options.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = lasair_filter::Args::parse();
    lasair_cli::finish("lasair-filter", lasair_filter::main(args))
}
