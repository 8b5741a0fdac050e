//! `lasair-mine`: see `lasair_mine::Args` for the options.

use clap::Parser;

/// On lasair-alloc's allocator (mimalloc): reading lightcurves back allocates and frees many
/// small values per object, as the filter's alert lines do.
fn main() -> std::process::ExitCode {
    lasair_alloc::init();
    let args = lasair_mine::Args::parse();
    let result = lasair_stream::shutdown::install()
        .map_err(anyhow::Error::from)
        .and_then(|stop| lasair_mine::main(args, stop));
    lasair_cli::finish("lasair-mine", result)
}
