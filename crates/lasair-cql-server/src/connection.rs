//! One client connection: CQL frames in, responses out, in order, on the frame's stream id.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use futures::{SinkExt, StreamExt};
use kassandra::error::DbError;
use kassandra::frame::response::{error::Error, Response};
use kassandra::frame::{request_stream, response_sink};
use tokio::net::TcpStream;

use crate::node::Node;
use crate::ServerError;

pub async fn serve_client(
    node: Arc<Mutex<Node>>,
    mut stream: TcpStream,
) -> Result<(), ServerError> {
    // The driver waits on small request/response pairs; Nagle would add 40 ms to each.
    stream
        .set_nodelay(true)
        .map_err(|e| ServerError::Client(e.to_string()))?;
    let (mut read, mut write) = stream.split();
    let mut requests = request_stream(&mut read);
    let mut responses = response_sink(&mut write);
    while let Some(frame) = requests.next().await {
        let (params, opcode, body) =
            frame.map_err(|e| ServerError::Client(format!("reading a frame: {e}")))?;
        let response = if params.version.is_unsupported() {
            Response::unsupported_version()
        } else {
            answer(&node, |node| node.handle(opcode, &body, params.flags))
        };
        responses
            .send((response, params.stream))
            .await
            .map_err(|e| ServerError::Client(format!("writing a response: {e}")))?;
    }
    Ok(())
}

/// kassandra panics on some input it does not support (`todo!`, `unwrap`); answer those with a
/// server error instead of dropping the connection, and keep serving the other clients.
fn answer(node: &Mutex<Node>, f: impl FnOnce(&mut Node) -> Response) -> Response {
    let mut guard = node.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    match catch_unwind(AssertUnwindSafe(|| f(&mut guard))) {
        Ok(response) => response,
        Err(_) => Response::Error(Error::new(
            DbError::ServerError,
            "the test server's CQL engine panicked on this request",
        )),
    }
}
