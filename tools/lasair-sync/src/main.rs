//! `lasair-sync`: see `lasair_sync::Args` for the options.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = lasair_sync::Args::parse();
    let stdout = std::io::stdout();
    lasair_cli::finish("lasair-sync", lasair_sync::run(&args, &mut stdout.lock()))
}
