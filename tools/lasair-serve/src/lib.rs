//! `lasair-serve`: Lasair's HTTP API, as the official `lasair` Python client calls it (cone
//! search, users' queries, objects with their lightcurves, Sherlock's context, annotations,
//! API tokens, cutouts), over the main database, the lightcurve store, the cutout tree and
//! Sherlock's engine in-process; and the staff commands that add users and annotators.
//!
//! The router is [`app`]: tests call it without a socket. Handlers run their blocking work
//! (SQLite, MariaDB, the lightcurve store, Sherlock) on tokio's blocking pool.

mod api;
mod args;
mod object;
mod params;
mod reply;
mod staff;
mod state;
mod web;

use std::sync::Arc;

use anyhow::Context;
use lasair_cli::Outcome;

pub use api::app;
pub use args::{Args, Command};
pub use state::{App, Limits};

const TOOL: &str = "lasair-serve";

/// The binary's entry: config file, `--print-config`, a staff command, or the server.
pub fn main(args: Args) -> anyhow::Result<Outcome> {
    let Some(args) = lasair_cli::config::effective(args, &mut std::io::stdout())? else {
        return Ok(Outcome::Ok);
    };
    if let Some(command) = &args.command {
        return staff::run(&args, command, &mut std::io::stdout().lock());
    }
    let listen = args
        .listen
        .clone()
        .unwrap_or_else(|| args::LISTEN.to_owned());
    let app = Arc::new(App::open(&args)?);
    args.monitor.start(TOOL, env!("CARGO_PKG_VERSION"))?;
    let threads = args.threads.unwrap_or(0);
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if threads > 0 {
        runtime.worker_threads(threads);
    }
    let runtime = runtime
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    // The last reference to the app is dropped here, after the runtime has stopped and
    // dropped its tasks: a CQL store owns a runtime of its own, which may not be dropped
    // inside an asynchronous context.
    let held = Arc::clone(&app);
    let served = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let local = listener.local_addr().context("the address bound")?;
        eprintln!(
            "{TOOL}: serving the {} API of {} on http://{local}/api/",
            app.survey, app.db_url
        );
        // With each connection's address: anonymous visitors' queries are counted by it.
        let service = api::app(app).into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, service)
            .with_graceful_shutdown(shutdown())
            .await
            .context("serving")
    });
    drop(runtime);
    drop(held);
    served?;
    Ok(Outcome::Ok)
}

/// Resolves on SIGTERM or SIGINT: systemd's stop, or ^C.
async fn shutdown() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    eprintln!("{TOOL}: stopping");
}
