//! `lasair-ingest`: see `lasair_ingest::Args` for the options.

/// mimalloc: decoding allocates and frees many small values per alert, and glibc's allocator
/// returns freed pages to the kernel only to fault them back in (measured with perf).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let args: lasair_ingest::Args = lasair_stream::parse_args(&lasair_ingest::DEFAULTS);
    lasair_cli::finish("lasair-ingest", lasair_ingest::main(args))
}
