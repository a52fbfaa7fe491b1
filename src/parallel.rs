//! Work split over a few threads with the result of one thread (issue 14: a Debian-heavy scan
//! spends most of its time matching packages and enriching findings, each item independent).
//!
//! [`map_batches`] hands batches of neighbouring items (neighbours in key order share
//! database blocks) to up to [`MAX_WORKERS`] scoped threads from a shared counter and returns
//! the batches' results in input order, so the output does not depend on scheduling.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// At most this many threads (a CI runner has 2 to 4 cores).
const MAX_WORKERS: usize = 4;

/// `work` applied to each batch of `batch` consecutive items, the results in input order. One
/// batch, or one core, runs on the calling thread.
pub fn map_batches<T: Sync, R: Send>(
    items: &[T],
    batch: usize,
    work: impl Fn(&[T]) -> R + Sync,
) -> Vec<R> {
    let batches: Vec<&[T]> = items.chunks(batch.max(1)).collect();
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(MAX_WORKERS)
        .min(batches.len());
    if workers <= 1 {
        return batches.into_iter().map(work).collect();
    }
    let next = AtomicUsize::new(0);
    let done: Vec<Mutex<Option<R>>> = batches.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(batch) = batches.get(i) else { break };
                    let result = work(batch);
                    *done[i].lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
                }
            });
        }
    });
    done.into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(PoisonError::into_inner)
                .expect("every batch is taken by a worker before the scope ends")
        })
        .collect()
}

/// `work` applied to every item on [`map_batches`]'s threads, in input order; the first
/// error in input order is the error.
pub fn try_map<T: Sync, R: Send, E: Send>(
    items: &[T],
    batch: usize,
    work: impl Fn(&T) -> Result<R, E> + Sync,
) -> Result<Vec<R>, E> {
    let mut out = Vec::with_capacity(items.len());
    for batch in map_batches(items, batch, |b| {
        b.iter().map(&work).collect::<Result<Vec<R>, E>>()
    }) {
        out.extend(batch?);
    }
    Ok(out)
}

/// `work` applied to every item, taken by value, on [`map_batches`]'s threads; the results in
/// input order.
pub fn map_owned<T: Send, R: Send>(
    items: Vec<T>,
    batch: usize,
    work: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    let slots: Vec<Mutex<Option<T>>> = items.into_iter().map(|t| Mutex::new(Some(t))).collect();
    let mut out = Vec::with_capacity(slots.len());
    for results in map_batches(&slots, batch, |b| {
        b.iter()
            .map(|slot| {
                let item = slot
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take()
                    .expect("each slot is in exactly one batch");
                work(item)
            })
            .collect::<Vec<R>>()
    }) {
        out.extend(results);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Results come back in input order whatever the batch size, and every item is seen once.
    #[test]
    fn order_and_coverage() {
        let items: Vec<usize> = (0..10_007).collect();
        for batch in [1, 7, 64, 20_000] {
            let sums = map_batches(&items, batch, |b| b.to_vec());
            assert_eq!(sums.concat(), items, "batch {batch}");
        }
        assert!(map_batches(&[] as &[u8], 8, <[u8]>::len).is_empty());
        for batch in [1, 7, 64, 20_000] {
            let owned: Vec<String> = items.iter().map(usize::to_string).collect();
            let lens = map_owned(owned, batch, |s| s.parse::<usize>().expect("number"));
            assert_eq!(lens, items, "owned, batch {batch}");
        }
        assert!(map_owned(Vec::<u8>::new(), 8, |b| b).is_empty());
    }

    /// The first error in input order is the error, whichever thread met it first.
    #[test]
    fn first_error_in_order() {
        let items: Vec<usize> = (0..5_000).collect();
        let r = try_map(
            &items,
            16,
            |&i| if i % 1_000 == 999 { Err(i) } else { Ok(i) },
        );
        assert_eq!(r, Err(999));
        assert_eq!(try_map(&items, 16, |&i| Ok::<_, ()>(i)), Ok(items.clone()));
    }
}
