//! `lasair-sherlock`: see `lasair_sherlock::Args` for the options.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = lasair_sherlock::Args::parse();
    lasair_cli::finish("lasair-sherlock", lasair_sherlock::main(args))
}
