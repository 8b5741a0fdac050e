//! The shard queue the head's connections share: shards are handed out, given back when a
//! connection is lost (to be run again elsewhere, first), and each completes exactly once.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::protocol::Shard;

/// How often a connection waiting for work looks at the stop flag.
const POLL: Duration = Duration::from_millis(200);

/// The shards of a run and where each is.
#[derive(Debug)]
pub struct Queue {
    state: Mutex<State>,
    changed: Condvar,
    stop: Arc<AtomicBool>,
}

#[derive(Debug)]
struct State {
    pending: VecDeque<Arc<Shard>>,
    /// Shards handed out and neither completed nor given back.
    out: usize,
    completed: Vec<bool>,
}

impl Queue {
    /// A queue of `shards` (their ids numbered 0..n); once `stop` is set, no more shards are
    /// handed out.
    pub fn new(shards: Vec<Shard>, stop: Arc<AtomicBool>) -> Queue {
        let completed = vec![false; shards.len()];
        Queue {
            state: Mutex::new(State {
                pending: shards.into_iter().map(Arc::new).collect(),
                out: 0,
                completed,
            }),
            changed: Condvar::new(),
            stop,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A connection thread that panicked holding the lock left the state whole (every
        // change under it is one assignment), so its data is still good.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next shard. With `wait`, waits while others are out (one may come back), and gives
    /// `None` only when every shard is done or the run is stopped; without, `None` at once.
    pub fn take(&self, wait: bool) -> Option<Arc<Shard>> {
        let mut state = self.lock();
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return None;
            }
            if let Some(shard) = state.pending.pop_front() {
                state.out += 1;
                return Some(shard);
            }
            if !wait || state.out == 0 {
                return None;
            }
            state = self
                .changed
                .wait_timeout(state, POLL)
                .map(|(s, _)| s)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }

    /// Marks `shard` done: true the first time, when its results are to be written.
    pub fn complete(&self, shard: &Shard) -> bool {
        let mut state = self.lock();
        state.out = state.out.saturating_sub(1);
        let first = state
            .completed
            .get_mut(shard.id as usize)
            .is_some_and(|done| !std::mem::replace(done, true));
        self.changed.notify_all();
        first
    }

    /// Puts back shards a lost connection had, to be run first by another.
    pub fn give_back(&self, shards: impl IntoIterator<Item = Arc<Shard>>) {
        let mut state = self.lock();
        let shards: Vec<_> = shards.into_iter().collect();
        state.out = state.out.saturating_sub(shards.len());
        for shard in shards.into_iter().rev() {
            state.pending.push_front(shard);
        }
        self.changed.notify_all();
    }

    /// Objects of the shards not completed.
    pub fn objects_left(&self, all: &[usize]) -> usize {
        let state = self.lock();
        state
            .completed
            .iter()
            .zip(all)
            .filter(|(done, _)| !**done)
            .map(|(_, n)| n)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shards(n: u64) -> Vec<Shard> {
        (0..n)
            .map(|id| Shard {
                id,
                objects: vec![format!("ZTF{id}")],
            })
            .collect()
    }

    #[test]
    fn a_given_back_shard_comes_first_and_completes_once() {
        let q = Queue::new(shards(3), Arc::new(AtomicBool::new(false)));
        let a = q.take(false).expect("ok");
        let b = q.take(false).expect("ok");
        assert_eq!((a.id, b.id), (0, 1));
        q.give_back([a.clone()]);
        assert_eq!(q.take(false).expect("ok").id, 0);
        assert!(q.complete(&a));
        assert!(!q.complete(&a), "a shard completes once");
        assert!(q.complete(&b));
        assert_eq!(q.objects_left(&[1, 1, 1]), 1);
        assert_eq!(q.take(true).expect("ok").id, 2);
        assert_eq!(q.take(false), None);
    }

    #[test]
    fn a_waiting_taker_gets_a_shard_given_back_or_ends_when_all_are_done() {
        let q = Arc::new(Queue::new(shards(2), Arc::new(AtomicBool::new(false))));
        let a = q.take(false).expect("ok");
        let b = q.take(false).expect("ok");
        let waiter = {
            let q = Arc::clone(&q);
            std::thread::spawn(move || {
                let got = q.take(true);
                if let Some(s) = &got {
                    q.complete(s);
                }
                let end = q.take(true);
                (got.map(|s| s.id), end.map(|s| s.id))
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        q.give_back([b]);
        q.complete(&a);
        assert_eq!(waiter.join().expect("ok"), (Some(1), None));
    }

    #[test]
    fn nothing_is_handed_out_once_stopped() {
        let stop = Arc::new(AtomicBool::new(false));
        let q = Queue::new(shards(2), Arc::clone(&stop));
        stop.store(true, Ordering::SeqCst);
        assert_eq!(q.take(true), None);
    }
}
