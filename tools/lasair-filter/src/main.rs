//! `lasair-filter`: see `lasair_filter::Args` for the options.

/// On lasair-alloc's allocator (mimalloc): reading alert lines allocates and frees many small
/// values, which glibc's allocator served at a third of the batch's time (perf on
/// `scripts/bench filter`).
fn main() -> std::process::ExitCode {
    lasair_alloc::init();
    let args: lasair_filter::Args = lasair_stream::parse_args(&lasair_filter::DEFAULTS);
    lasair_cli::finish("lasair-filter", lasair_filter::main(args))
}
