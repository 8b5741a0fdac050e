//! `lasair-filter`: see `lasair_filter::Args` for the options.

use clap::Parser;

/// mimalloc: reading alert lines allocates and frees many small values, which glibc's
/// allocator served at a third of the batch's time (perf on `scripts/bench filter`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let args = lasair_filter::Args::parse();
    lasair_cli::finish("lasair-filter", lasair_filter::main(args))
}
