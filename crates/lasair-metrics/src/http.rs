//! `--metrics-listen ADDR`: the registry served to Prometheus over HTTP by one thread of
//! std's networking, beside the tool's own work (so a stage needs no async runtime). Kept
//! off the public API's port: metrics are for the monitoring node.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use crate::families::{render, METRICS};

/// The longest request head read; Prometheus's scrape is a few hundred bytes.
const MAX_HEAD: u64 = 8 * 1024;

/// A slow or silent client is dropped after this, so it cannot hold the one thread.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the metrics are served.
#[derive(Debug, Clone, Copy)]
pub struct Listening {
    pub addr: SocketAddr,
}

/// Binds `addr` (`HOST:PORT`; port 0 takes any free port) and serves `GET /metrics` from a
/// thread of its own for the rest of the process. `tool` and `version` label
/// `lasair_build_info`.
pub fn listen(addr: &str, tool: &str, version: &str) -> io::Result<Listening> {
    let listener = TcpListener::bind(addr).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("serving metrics: cannot listen on {addr}: {e}"),
        )
    })?;
    let local = listener.local_addr()?;
    METRICS
        .build_info
        .with_label_values(&[tool, version])
        .set(1);
    std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                // One client's failure (it hung up, it sent nonsense) is its own.
                let _ = answer(stream);
            }
        })?;
    Ok(Listening { addr: local })
}

/// Reads one request's head and answers it, then closes the connection.
fn answer(stream: TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(CLIENT_TIMEOUT))?;
    stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    let mut reader = BufReader::new((&stream).take(MAX_HEAD));
    let mut first = String::new();
    reader.read_line(&mut first)?;
    // The rest of the head is read so that the client sees a clean close.
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let mut parts = first.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let (status, kind, body) = match (method, path) {
        ("GET", "/metrics") => (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            render(),
        ),
        ("GET", "/") => (
            "200 OK",
            "text/plain; charset=utf-8",
            "Lasair-rs metrics: GET /metrics\n".to_owned(),
        ),
        ("GET", _) => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "not found: the metrics are at /metrics\n".to_owned(),
        ),
        _ => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            "only GET\n".to_owned(),
        ),
    };
    let mut out = &stream;
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(addr: SocketAddr, request: &str) -> String {
        let mut s = TcpStream::connect(addr).expect("connect");
        s.write_all(request.as_bytes()).expect("send");
        let mut text = String::new();
        s.read_to_string(&mut text).expect("read");
        text
    }

    #[test]
    fn serves_the_registry_and_nothing_else() {
        let at = listen("127.0.0.1:0", "lasair-test", "9.9.9").expect("listen");
        crate::Stage::new("lasair-test-http").batch(3, 0.01);
        let text = get(at.addr, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
        assert!(
            text.contains("lasair_build_info{tool=\"lasair-test\",version=\"9.9.9\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("lasair_stage_batches_total{stage=\"test-http\"} 1"),
            "{text}"
        );
        let missing = get(at.addr, "GET /etc/passwd HTTP/1.1\r\n\r\n");
        assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
        let post = get(at.addr, "POST /metrics HTTP/1.1\r\n\r\n");
        assert!(post.starts_with("HTTP/1.1 405"), "{post}");
        // A client that sends an endless head is cut off, and the next is still answered.
        let mut s = TcpStream::connect(at.addr).expect("connect");
        let _ = s.write_all(&vec![b'x'; 64 * 1024]);
        drop(s);
        assert!(get(at.addr, "GET /metrics HTTP/1.0\r\n\r\n").contains("200 OK"));
    }

    #[test]
    fn a_taken_address_is_named() {
        let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = taken.local_addr().expect("addr").to_string();
        let err = listen(&addr, "lasair-test", "0").expect_err("taken");
        assert!(err.to_string().contains(&addr), "{err}");
    }
}
