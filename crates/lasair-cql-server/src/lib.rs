//! `lasair-cql-server`: a TEST STAND-IN for Cassandra/ScyllaDB, in memory only. Nothing is
//! written to disk; everything is lost when it stops. It exists so the CQL lightcurve store can
//! be tested where no Cassandra or ScyllaDB can be installed; production uses a real cluster.
//!
//! It serves CQL protocol v4 from the `kassandra` engine, with what the `scylla` 1.x driver and
//! the lightcurve store need on top (see `README.md` for what it cannot do):
//! - `system.local.tokens` holds a parseable token, and literals in a prepared statement's WHERE
//!   clause are not announced as bind markers (the driver's `system.local` query has one);
//! - `INSERT ... USING TIMESTAMP n` and the protocol's default timestamp give each cell a write
//!   time, and an older write leaves a newer cell alone: Cassandra's last-write-wins;
//! - `USING TTL n` is accepted, though nothing expires (the cutout store sends it);
//! - a bound null deletes the cell; `system.peers` and `peers_v2` are empty (one node).

mod connection;
mod node;
mod prepared;
mod using;
mod writetime;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use clap::Parser;
use thiserror::Error;
use tokio::net::TcpListener;

pub use node::Node;

/// An in-memory CQL server for tests: a stand-in for Cassandra/ScyllaDB, not a database.
/// Prints the address it listens on to stdout; stops on SIGTERM or Ctrl-C.
#[derive(Debug, Parser)]
#[command(name = "lasair-cql-server", version)]
pub struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:9042")]
    pub listen: SocketAddr,
}

#[derive(Debug, Error)]
pub enum ServerError {
    #[error("starting the tokio runtime: {0}")]
    Runtime(std::io::Error),
    #[error("listening on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("starting the CQL engine: {0}")]
    Engine(String),
    #[error("client connection: {0}")]
    Client(String),
}

/// Listens on `args.listen` and serves until SIGTERM or Ctrl-C.
pub fn run(args: Args) -> Result<(), ServerError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(ServerError::Runtime)?;
    runtime.block_on(async {
        let bind = |source| ServerError::Bind { addr: args.listen, source };
        let listener = TcpListener::bind(args.listen).await.map_err(bind)?;
        let addr = listener.local_addr().map_err(bind)?;
        let node = Node::new().map_err(ServerError::Engine)?;
        // stdout carries the address, for scripts that ask for port 0.
        println!("{addr}");
        eprintln!("lasair-cql-server: listening on {addr}: an in-memory TEST stand-in for Cassandra/ScyllaDB, nothing is persisted");
        tokio::select! {
            () = serve(listener, node) => Ok(()),
            () = shutdown() => Ok(()),
        }
    })
}

/// Serves clients on `listener` forever; one task per connection, one shared node.
pub async fn serve(listener: TcpListener, node: Node) {
    let node = Arc::new(Mutex::new(node));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like pass; a test server keeps going.
                eprintln!("lasair-cql-server: accepting a connection: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let node = Arc::clone(&node);
        tokio::spawn(async move {
            if let Err(e) = connection::serve_client(node, stream).await {
                eprintln!("lasair-cql-server: client {peer}: {e}");
            }
        });
    }
}

async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
