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

/// How many threads [`pipeline`] runs `work` on: the cores, at most [`MAX_WORKERS`].
fn workers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(MAX_WORKERS)
}

/// A producer, workers and an in-order consumer (issue 14: `db build` reads its feeds on one
/// thread and parses them on the others). `produce` runs on a thread of its own and hands
/// items to `send` with their weight (bytes, say; `send` says `false` once the pipeline has
/// stopped: `produce` should then return); each item is turned by `work` on up to
/// [`MAX_WORKERS`] threads; `merge` gets the results on the calling thread **in the order the
/// items were produced**, so the outcome does not depend on scheduling. The items between
/// `send` and the end of their `merge` weigh at most `budget` together (`send` waits); an item
/// heavier than the budget waits until nothing else is in flight, then goes alone. That bounds
/// memory by the budget or the heaviest item, whichever is more.
///
/// Errors, in input order: `merge`'s first error stops the pipeline and is the result; an
/// error of `produce` is the result once every item sent before it has been merged.
pub fn pipeline<T: Send, R: Send, E: Send>(
    budget: usize,
    produce: impl FnOnce(&mut dyn FnMut(T, usize) -> bool) -> Result<(), E> + Send,
    work: impl Fn(T) -> R + Sync,
    mut merge: impl FnMut(R) -> Result<(), E>,
) -> Result<(), E> {
    use std::sync::mpsc;
    let budget = budget.max(1);
    let room = Budget::new(budget);
    let (item_tx, item_rx) = mpsc::channel::<(usize, usize, T)>();
    let item_rx = Mutex::new(item_rx);
    let (result_tx, result_rx) = mpsc::channel::<(usize, usize, R)>();
    std::thread::scope(|scope| {
        let room = &room;
        let producer = scope.spawn(move || {
            let mut seq = 0;
            let mut send = |item: T, weight: usize| {
                let weight = weight.clamp(1, budget);
                if !room.take(weight) {
                    return false;
                }
                let sent = item_tx.send((seq, weight, item)).is_ok();
                seq += 1;
                sent
            };
            produce(&mut send)
            // `item_tx` drops here: the workers stop once the queue is empty.
        });
        for _ in 0..workers() {
            let result_tx = result_tx.clone();
            let (item_rx, work) = (&item_rx, &work);
            scope.spawn(move || {
                // A worker ends when the items or the merge have: a panic of `work` must stop
                // the producer too, or it would wait for room the lost item never gives back.
                let _stop = StopOnDrop(room);
                loop {
                    let next = item_rx
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .recv();
                    let Ok((seq, weight, item)) = next else { break };
                    if result_tx.send((seq, weight, work(item))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(result_tx);
        // Whatever ends the merge, a panic included, stops the producer: the scope would wait
        // for it forever otherwise.
        let stop = StopOnDrop(room);
        // Results arrive in any order; each is merged when all before it have been.
        let mut merged = (|| {
            let mut waiting = std::collections::BTreeMap::new();
            let mut next = 0;
            for (seq, weight, result) in &result_rx {
                waiting.insert(seq, (weight, result));
                while let Some((weight, result)) = waiting.remove(&next) {
                    merge(result)?;
                    next += 1;
                    room.give(weight);
                }
            }
            Ok(())
        })();
        // Stops the producer (its `send` fails) and the workers (their results go nowhere).
        drop(stop);
        drop(result_rx);
        let produced = producer
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        if merged.is_ok() {
            merged = produced;
        }
        merged
    })
}

/// Closes a [`Budget`] when dropped.
struct StopOnDrop<'a>(&'a Budget);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// [`pipeline`]'s room for items in flight: a weight taken by `send`, given back by the merge.
struct Budget {
    /// The weight free, and whether the pipeline has stopped.
    state: Mutex<(usize, bool)>,
    changed: std::sync::Condvar,
}

impl Budget {
    fn new(budget: usize) -> Budget {
        Budget {
            state: Mutex::new((budget, false)),
            changed: std::sync::Condvar::new(),
        }
    }

    /// Waits until `weight` is free and takes it; `false` once the pipeline has stopped.
    fn take(&self, weight: usize) -> bool {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while !state.1 && state.0 < weight {
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if state.1 {
            return false;
        }
        state.0 -= weight;
        true
    }

    fn give(&self, weight: usize) {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).0 += weight;
        self.changed.notify_all();
    }

    fn close(&self) {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).1 = true;
        self.changed.notify_all();
    }
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

    /// [`pipeline`]: results merged in the order produced; the items between `send` and the
    /// end of their merge never weigh more than the budget, and an item heavier than the
    /// budget is alone in flight; `merge`'s first error stops the producer (no deadlock) and
    /// is the result; a producer's error comes after its earlier items.
    #[test]
    fn pipeline_order_bound_and_errors() {
        use std::sync::atomic::AtomicIsize;
        // Weights 1 to 5, and every 97th item heavier than any budget here.
        let weight = |i: u32| {
            if i.is_multiple_of(97) {
                1_000
            } else {
                i as usize % 5 + 1
            }
        };
        for budget in [1, 3, 8, 20] {
            let live = AtomicIsize::new(0);
            let mut seen = Vec::new();
            let r: Result<(), String> = pipeline(
                budget,
                |send| {
                    for i in 0..2_000u32 {
                        assert!(send(i, weight(i)));
                        // Counted once sent (before, it would count the item waiting to be).
                        live.fetch_add(weight(i).min(budget) as isize, Ordering::SeqCst);
                    }
                    Ok(())
                },
                |i| {
                    // Later items finish first now and then.
                    if i % 7 == 0 {
                        std::thread::yield_now();
                    }
                    i
                },
                |i| {
                    let w = weight(i).min(budget) as isize;
                    let now = live.fetch_sub(w, Ordering::SeqCst);
                    assert!(now <= budget as isize, "{now} in flight, of {budget}");
                    if weight(i) >= budget {
                        // Items before it are merged; none after it may have been sent.
                        assert!(
                            now <= w,
                            "item {i}, as heavy as {budget}, is not alone: {now}"
                        );
                    }
                    seen.push(i * 2);
                    Ok(())
                },
            );
            assert_eq!(r, Ok(()));
            assert_eq!(seen, (0..2_000).map(|i| i * 2).collect::<Vec<_>>());
        }

        // The merge fails at item 10: the producer is told to stop and the error is the result.
        let stopped = std::sync::atomic::AtomicBool::new(false);
        let r = pipeline(
            2,
            |send| {
                for i in 0..1_000_000u32 {
                    if !send(i, 1) {
                        stopped.store(true, Ordering::SeqCst);
                        return Err("the producer stopped".to_string());
                    }
                }
                Ok(())
            },
            |i| i,
            |i| {
                if i == 10 {
                    Err(format!("bad {i}"))
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(r, Err("bad 10".to_string()));
        assert!(stopped.load(Ordering::SeqCst));

        // The producer fails after 5 items: they are all merged first.
        let mut merged = 0;
        let r = pipeline(
            4,
            |send| {
                for i in 0..5 {
                    send(i, 1);
                }
                Err("read error".to_string())
            },
            |i| i,
            |_| {
                merged += 1;
                Ok(())
            },
        );
        assert_eq!((r, merged), (Err("read error".to_string()), 5));
    }

    /// A panic in `work` or in `merge` is a panic of [`pipeline`], not a producer waiting
    /// forever for room that the lost item never gives back.
    #[test]
    fn pipeline_panics_do_not_hang() {
        let produce = |send: &mut dyn FnMut(u32, usize) -> bool| {
            for i in 0..100_000u32 {
                if !send(i, 1) {
                    return Err("stopped");
                }
            }
            Ok(())
        };
        let worker_panic = std::panic::catch_unwind(|| {
            pipeline(2, produce, |i| assert!(i != 50, "work panics"), |()| Ok(()))
        });
        assert!(worker_panic.is_err());
        let merge_panic = std::panic::catch_unwind(|| {
            pipeline(
                2,
                produce,
                |i| i,
                |i| {
                    assert!(i != 50, "merge panics");
                    Ok(())
                },
            )
        });
        assert!(merge_panic.is_err());
    }
}
