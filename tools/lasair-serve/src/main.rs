//! `lasair-serve`: see `lasair_serve::Args` for the options.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = lasair_serve::Args::parse();
    lasair_cli::finish("lasair-serve", lasair_serve::main(args))
}
