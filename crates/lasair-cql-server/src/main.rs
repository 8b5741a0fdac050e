//! `lasair-cql-server --listen HOST:PORT`: an in-memory CQL test stand-in for Cassandra/ScyllaDB.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = lasair_cql_server::Args::parse();
    match lasair_cql_server::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lasair-cql-server: {e}");
            ExitCode::from(2)
        }
    }
}
