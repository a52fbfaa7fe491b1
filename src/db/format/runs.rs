//! Format 4's key runs: the keys of a block, stored with the block, so that the index held
//! in memory has only each block's first key.
//!
//! ```text
//! key run (at the start of a block's stored bytes, not compressed)
//!   per entry, in key order:
//!     shared   u8      bytes shared with the previous key of the block (0 for the first)
//!     suffix   varint  length of the rest of the key, then that many bytes
//!     value    varint  length of the value; values follow each other in the block's data
//! ```
//!
//! Prefix compression keeps a run small (an EPSS key `CVE-2024-12345` costs ~5 bytes, an
//! advisory key `crates.io/…` its name), and the shared length is capped at 255 so that a
//! forged run cannot expand to more than ~64x its own size in keys: every key has a suffix
//! of at least one byte (keys strictly increase) and at most 255 bytes from its predecessor.
//! A run is decoded once when its block is read ([`check`]): its keys spelled out in one
//! buffer, so that a lookup in the block is a binary search (one EPSS block holds ~1,000
//! keys; walking the run per lookup cost a Debian-heavy scan 14% more instructions).

use super::{FormatError, err};
use std::cmp::Ordering;
use std::ops::Range;

/// The most bytes a key shares with its predecessor in a run (stored in one byte).
const MAX_SHARED: usize = u8::MAX as usize;

/// Appends the entry `key` (after `previous` in the same block; `None` for the block's first
/// key) with a value of `value_len` bytes to `run`.
pub(super) fn push(run: &mut Vec<u8>, previous: Option<&str>, key: &str, value_len: usize) {
    let shared = previous.map_or(0, |p| {
        p.bytes()
            .zip(key.bytes())
            .take_while(|(a, b)| a == b)
            .count()
            .min(MAX_SHARED)
    });
    run.push(shared as u8);
    let suffix = &key.as_bytes()[shared..];
    varint(run, suffix.len());
    run.extend_from_slice(suffix);
    varint(run, value_len);
}

fn varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A position in a key run: the key last read (rebuilt from the shared prefixes) and where
/// its value is in the block's data.
#[derive(Debug, Default)]
struct Cursor {
    at: usize,
    key: Vec<u8>,
    value: Range<usize>,
    read: usize,
}

impl Cursor {
    /// The key read last.
    fn key(&self) -> &[u8] {
        &self.key
    }

    /// Whether the whole run was read.
    fn at_end(&self, run: &[u8]) -> bool {
        self.at >= run.len()
    }

    /// Reads the next entry of `run` (of block `block`). Checks that the key is greater than
    /// the previous one and that every length stays inside the run; what a run holds is
    /// checked whole by [`check`] when its block is read.
    fn step(&mut self, run: &[u8], block: usize) -> Result<(), FormatError> {
        let bad = |what: &str| FormatError(format!("key run of block {block}: {what}"));
        let shared = *run.get(self.at).ok_or_else(|| bad("ends early"))? as usize;
        self.at += 1;
        let suffix_len = self.varint(run).ok_or_else(|| bad("bad suffix length"))?;
        let suffix = self
            .at
            .checked_add(suffix_len)
            .and_then(|end| run.get(self.at..end))
            .ok_or_else(|| bad("a key overflows the run"))?;
        if self.read > 0 {
            // Sorted and unique: the new key shares `shared` bytes with the previous one, so
            // it is greater exactly when its suffix is greater than the previous key's rest.
            let rest = self
                .key
                .get(shared..)
                .ok_or_else(|| bad("a key shares more than the previous key holds"))?;
            if suffix.cmp(rest) != Ordering::Greater {
                return Err(bad("keys out of order"));
            }
        } else if shared != 0 {
            return Err(bad("the first key shares a prefix"));
        }
        self.key.truncate(shared);
        self.key.extend_from_slice(suffix);
        self.at += suffix_len;
        let value_len = self.varint(run).ok_or_else(|| bad("bad value length"))?;
        let start = self.value.end;
        let end = start
            .checked_add(value_len)
            .ok_or_else(|| bad("value lengths overflow"))?;
        self.value = start..end;
        self.read += 1;
        Ok(())
    }

    fn varint(&mut self, run: &[u8]) -> Option<usize> {
        let mut n = 0usize;
        for shift in (0..35).step_by(7) {
            let byte = *run.get(self.at)?;
            self.at += 1;
            n |= ((byte & 0x7f) as usize) << shift;
            if byte < 0x80 {
                return u32::try_from(n).ok().map(|n| n as usize);
            }
        }
        None
    }
}

/// A block's keys, decoded: spelled out one after the other, with where each key and its
/// value end.
#[derive(Debug)]
pub(super) struct Keys {
    bytes: Vec<u8>,
    key_ends: Vec<u32>,
    value_ends: Vec<u32>,
}

impl Keys {
    /// Number of keys.
    pub(super) fn len(&self) -> usize {
        self.key_ends.len()
    }

    /// Key `i`.
    pub(super) fn key(&self, i: usize) -> &[u8] {
        let start = if i == 0 {
            0
        } else {
            self.key_ends[i - 1] as usize
        };
        &self.bytes[start..self.key_ends[i] as usize]
    }

    /// Where the value of key `i` is in the block's data.
    pub(super) fn value(&self, i: usize) -> Range<usize> {
        let start = if i == 0 {
            0
        } else {
            self.value_ends[i - 1] as usize
        };
        start..self.value_ends[i] as usize
    }

    /// The index of `key` (binary search; the keys were checked to increase).
    pub(super) fn find(&self, key: &[u8]) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.key(mid).cmp(key) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return Some(mid),
            }
        }
        None
    }
}

/// Decodes block `block`'s whole key run and checks it against what the index says of the
/// block: `count` entries, the first key `first`, every key below `next` (the next block's
/// first key), the values filling exactly `raw_len` bytes, nothing left over; the keys spelled
/// out stay under `max_bytes`. After this, a key the table holds is in the block the index
/// points to, so a lookup never misses a key that is there.
pub(super) fn check(
    run: &[u8],
    block: usize,
    count: usize,
    first: &[u8],
    next: Option<&[u8]>,
    raw_len: usize,
    max_bytes: usize,
) -> Result<Keys, FormatError> {
    // Every entry takes at least 3 bytes of the run: a bound for the allocations.
    let mut keys = Keys {
        bytes: Vec::with_capacity(run.len().min(max_bytes)),
        key_ends: Vec::with_capacity(count.min(run.len() / 3)),
        value_ends: Vec::with_capacity(count.min(run.len() / 3)),
    };
    let mut cursor = Cursor::default();
    while !cursor.at_end(run) {
        cursor.step(run, block)?;
        if cursor.read == 1 && cursor.key() != first {
            return err(format!(
                "key run of block {block} does not start with the block's first key"
            ));
        }
        if keys.bytes.len() + cursor.key.len() > max_bytes {
            return err(format!(
                "key run of block {block} spells out more than {max_bytes} bytes of keys"
            ));
        }
        keys.bytes.extend_from_slice(&cursor.key);
        let to_u32 = |n: usize| {
            u32::try_from(n)
                .map_err(|_| FormatError(format!("key run of block {block} is too large")))
        };
        keys.key_ends.push(to_u32(keys.bytes.len())?);
        keys.value_ends.push(to_u32(cursor.value.end)?);
    }
    if cursor.read != count {
        return err(format!(
            "key run of block {block} holds {} keys, the index says {count}",
            cursor.read
        ));
    }
    if next.is_some_and(|next| cursor.key() >= next) {
        return err(format!(
            "key run of block {block} reaches past the next block's first key"
        ));
    }
    if cursor.value.end != raw_len {
        return err(format!(
            "key run of block {block} gives its values {} bytes, the block holds {raw_len}",
            cursor.value.end
        ));
    }
    Ok(keys)
}
