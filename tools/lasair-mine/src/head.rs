//! The head: a thread per worker process (its own connection) takes shards from the queue,
//! keeps two out so the worker never waits for the next, and hands each completed shard's
//! results to the caller's thread, which writes them. A lost connection gives its shards
//! back to be run elsewhere; a shard's results count once, when its footer arrives.

use std::collections::VecDeque;
use std::sync::Arc;

use anyhow::bail;
use crossbeam_channel::Sender;

use crate::hosts::{Host, Place};
use crate::link::{self, Link, Reach};
use crate::protocol::{self, Control, Done, Failed, FromWorker, Setup, Shard, ToWorker};
use crate::queue::Queue;

/// Shards a connection keeps out at once: the one being run and the next.
const DEPTH: usize = 2;

/// What a connection tells the writing thread.
#[derive(Debug)]
pub enum Event {
    /// The worker on `host` is ready (its machine's own name).
    Ready { host: String, name: String },
    /// A line from the host that is not the protocol's (its shell's complaint, say).
    Said { host: String, text: String },
    /// A completed shard, first time: its results to write.
    Shard {
        host: String,
        results: Vec<Vec<u8>>,
        failed: Vec<Failed>,
        done: Done,
    },
    /// The connection was lost or never made; its shards went back to the queue.
    Lost {
        host: String,
        error: String,
        given_back: usize,
    },
}

/// Starts a thread per worker process of every host; each ends when the queue has no more
/// for it, or its connection is lost. Events come on `events` until every thread has ended.
pub fn start(
    hosts: &[Host],
    reach: &Reach,
    setup: &Setup,
    queue: &Arc<Queue>,
    events: &Sender<Event>,
) -> Vec<std::thread::JoinHandle<()>> {
    let setup_line = protocol::line(&ToWorker::Setup(setup.clone()));
    let mut threads = Vec::new();
    for host in hosts {
        for _ in 0..host.processes {
            let (place, reach, line) = (host.place.clone(), reach.clone(), setup_line.clone());
            let (queue, events) = (Arc::clone(queue), events.clone());
            threads.push(std::thread::spawn(move || {
                connection(&place, &reach, &line, &queue, &events);
            }));
        }
    }
    threads
}

/// One worker process, from connecting to the end.
fn connection(place: &Place, reach: &Reach, setup: &[u8], queue: &Queue, events: &Sender<Event>) {
    let host = place.to_string();
    let mut out: VecDeque<Arc<Shard>> = VecDeque::new();
    let result = connect(place, reach).and_then(|mut link| {
        greet(&mut *link, setup, &host, events)?;
        let served = serve(&mut *link, &host, queue, &mut out, events);
        match served {
            // Clean end: the worker's exit is awaited.
            Ok(()) => link.finish().map(|_| ()).map_err(anyhow::Error::from),
            Err(e) => Err(e),
        }
    });
    if let Err(e) = result {
        let given_back = out.len();
        queue.give_back(out.drain(..));
        let _ = events.send(Event::Lost {
            host,
            error: lasair_cli::exit::describe(&e),
            given_back,
        });
    }
}

fn connect(place: &Place, reach: &Reach) -> anyhow::Result<Box<dyn Link>> {
    match place {
        Place::Local => link::local::start(reach),
        Place::Ssh { name, port } => link::ssh::start(name, *port, reach),
    }
}

/// Sends the setup and waits for the worker to be ready.
fn greet(
    link: &mut dyn Link,
    setup: &[u8],
    host: &str,
    events: &Sender<Event>,
) -> anyhow::Result<()> {
    link.send(setup)?;
    let mut line = Vec::new();
    let mut said = Vec::new();
    loop {
        if !link.recv(&mut line)? {
            let said = said.join("; ");
            bail!("the worker ended before it was ready: {said} (is lasair-mine installed there? give --remote-bin PATH)");
        }
        match FromWorker::parse(&line) {
            FromWorker::Control(Control::Ready(r)) => {
                let _ = events.send(Event::Ready {
                    host: host.to_owned(),
                    name: r.host,
                });
                return Ok(());
            }
            FromWorker::Control(Control::Fatal(why)) => bail!("the worker: {why}"),
            FromWorker::Control(Control::Alive(_)) => {}
            FromWorker::Other(text) => said.push(text.to_owned()),
            other => bail!("the worker sent {other:?} before it was ready"),
        }
    }
}

/// Runs shards until the queue has none for this connection.
fn serve(
    link: &mut dyn Link,
    host: &str,
    queue: &Queue,
    out: &mut VecDeque<Arc<Shard>>,
    events: &Sender<Event>,
) -> anyhow::Result<()> {
    let mut line = Vec::new();
    loop {
        while out.len() < DEPTH {
            let Some(shard) = queue.take(out.is_empty()) else {
                break;
            };
            out.push_back(Arc::clone(&shard));
            link.send(&protocol::line(&ToWorker::Shard((*shard).clone())))?;
        }
        let Some(front) = out.front().cloned() else {
            return Ok(());
        };
        let (results, failed, done) = receive(link, &front, host, &mut line, events)?;
        out.pop_front();
        if queue.complete(&front) {
            let _ = events.send(Event::Shard {
                host: host.to_owned(),
                results,
                failed,
                done,
            });
        }
    }
}

/// Reads one shard's results, from its header to its footer. The footer's counts are the
/// check: a shard whose results or failures do not add up to them is not taken (it is run
/// again elsewhere). A header not seen before the shard's first record is said, not fatal:
/// under load over SSH it has been missed (the cause is not found yet), and the footer still
/// vouches for every record.
fn receive(
    link: &mut dyn Link,
    shard: &Shard,
    host: &str,
    line: &mut Vec<u8>,
    events: &Sender<Event>,
) -> anyhow::Result<(Vec<Vec<u8>>, Vec<Failed>, Done)> {
    let mut started = false;
    let mut results = Vec::with_capacity(shard.objects.len());
    let mut failed = Vec::new();
    let mut before = String::from("nothing");
    let say = |text: String| {
        let _ = events.send(Event::Said {
            host: host.to_owned(),
            text,
        });
    };
    loop {
        if !link.recv(line)? {
            bail!("the connection ended in the middle of shard {}", shard.id);
        }
        let parsed = FromWorker::parse(line);
        let this = match &parsed {
            FromWorker::Result(_) => "a result".to_owned(),
            FromWorker::Control(c) => format!("{c:?}"),
            FromWorker::Other(t) => format!("{t:?}"),
        };
        let record = matches!(
            parsed,
            FromWorker::Result(_) | FromWorker::Control(Control::Failed(_))
        );
        if record && !started {
            say(format!(
                "shard {}: its header was not seen (after {before}); the footer checks its records",
                shard.id
            ));
            started = true;
        }
        match parsed {
            FromWorker::Result(r) => results.push(r.to_vec()),
            FromWorker::Control(Control::Start(id)) if id == shard.id && !started => started = true,
            FromWorker::Control(Control::Failed(f)) => failed.push(f),
            FromWorker::Control(Control::Done(done)) if done.shard == shard.id => {
                let (got, lost) = (results.len() as u64, failed.len() as u64);
                if (got, lost) != (done.results, done.failed) {
                    bail!(
                        "shard {}: {got} results and {lost} failures arrived, the worker sent {} and {}",
                        shard.id,
                        done.results,
                        done.failed
                    );
                }
                return Ok((results, failed, done));
            }
            FromWorker::Control(Control::Alive(_)) => {}
            FromWorker::Control(Control::Fatal(why)) => bail!("the worker: {why}"),
            FromWorker::Other(text) => say(text.to_owned()),
            other => bail!(
                "the worker broke the protocol in shard {} (after {before}): {other:?}",
                shard.id
            ),
        }
        before = this;
    }
}
