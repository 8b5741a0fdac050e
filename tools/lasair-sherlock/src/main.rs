//! `lasair-sherlock`: see `lasair_sherlock::Args` for the options.

fn main() -> std::process::ExitCode {
    let args: lasair_sherlock::Args = lasair_stream::parse_args(&lasair_sherlock::DEFAULTS);
    lasair_cli::finish("lasair-sherlock", lasair_sherlock::main(args))
}
