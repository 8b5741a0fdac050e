//! `lasair-query`: see `lasair_query::Args` for the options.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = lasair_query::Args::parse();
    let stdout = std::io::stdout();
    lasair_cli::finish("lasair-query", lasair_query::run(&args, &mut stdout.lock()))
}
