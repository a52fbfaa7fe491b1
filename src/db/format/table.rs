//! A table of a database file: its index held and checked, its blocks read on demand.

use super::{
    BLOCK_TARGET, Codec, FormatError, Layout, MAX_BLOCK_RAW, Source, checksum_error, err,
    index_crc, read_u32, runs,
};
use std::io::Read;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// The blocks a table read last, most recent first, and a zstd context kept for the next
/// decompression.
struct BlockCache {
    last: Vec<(usize, Arc<Block>)>,
    zstd: Option<zstd::bulk::Decompressor<'static>>,
}

/// Blocks kept per table: one per matching thread (`matching/groups.rs`), each reading its
/// own run of keys.
const CACHED_BLOCKS: usize = 4;

/// A block as read and checked: its stored bytes (format 4: the key run, then the values as
/// compressed) and its values, decompressed when a value is first wanted (a lookup of an
/// absent key reads the key run only).
struct Block {
    stored: Vec<u8>,
    /// Length of the key run at the start of `stored` (0 before format 4).
    run: usize,
    /// Format 4: the key run, decoded and checked.
    keys: Option<runs::Keys>,
    raw_len: usize,
    content: OnceLock<Result<Arc<Vec<u8>>, FormatError>>,
}

impl Block {
    /// Format 4: the block's keys.
    fn keys(&self, b: usize) -> Result<&runs::Keys, FormatError> {
        self.keys
            .as_ref()
            .ok_or_else(|| FormatError(format!("block {b} has no key run")))
    }
}

/// A table of a database: its index in memory, checked; its data read a block at a time.
/// Format 4's index is one descriptor and the first key per block, the keys of a block are
/// stored with it; before, the index held every key. The last few blocks read are kept
/// (callers that query in key order, as matching does, read each block once). Queries may
/// come from several threads: no lock is held while a block is read and decompressed.
pub struct Table {
    cache: Mutex<BlockCache>,
    count: usize,
    pub(super) blocks_count: usize,
    codec: Codec,
    layout: Layout,
    /// Entries (before format 4), block descriptors and keys (format 4: each block's first
    /// key), as in the file.
    pub(super) index: Vec<u8>,
    /// Where the block descriptors start in `index`.
    blocks: usize,
    /// Where the keys are in `index`.
    keys: Range<usize>,
    /// Where the data is in the file.
    data: Range<u64>,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("count", &self.count)
            .field("blocks", &self.blocks_count)
            .field("codec", &self.codec)
            .finish_non_exhaustive()
    }
}

/// Fields of a block descriptor (format 4 has all seven, format 3 the first four, formats
/// 1-2 the first three).
const OFF: usize = 0;
const LEN: usize = 4;
const RAW_LEN: usize = 8;
const CRC: usize = 12;
const RUN_LEN: usize = 16;
const COUNT: usize = 20;
const KEY_END: usize = 24;

impl Table {
    /// Reads the header and index of the table at `at` in a file of format `version`, and
    /// checks the index's CRC (format 3 on) and structure (format 4: blocks that tile the
    /// data area, first keys in order, key counts that add up); returns the table and the
    /// offset after its data.
    pub fn read(source: &Source<'_>, at: u64, version: u32) -> Result<(Table, u64), FormatError> {
        let layout = Layout::of(version);
        let head = source.read(at, layout.table_header)?;
        let count = read_u32(&head, 0)? as usize;
        let blocks_count = read_u32(&head, 4)? as usize;
        let codec = match (read_u32(&head, 8)?, layout.checksums) {
            (0, _) => Codec::Raw,
            (1, _) => Codec::Deflate,
            (2, true) => Codec::Zstd,
            (other, _) => return err(format!("unknown block codec {other}")),
        };
        let keys_len = read_u32(&head, 12)? as usize;
        let data_len = read_u32(&head, 16)? as u64;
        let blocks = count
            .checked_mul(layout.entry)
            .ok_or_else(|| FormatError("entry count overflows".into()))?;
        let keys_start = blocks_count
            .checked_mul(layout.block)
            .and_then(|b| b.checked_add(blocks))
            .ok_or_else(|| FormatError("block count overflows".into()))?;
        let index_len = keys_start
            .checked_add(keys_len)
            .ok_or_else(|| FormatError("key area overflows".into()))?;
        let index_at = at + layout.table_header as u64;
        let data_start = index_at + index_len as u64;
        let end = data_start + data_len;
        if end > source.len() {
            return err(format!("table at byte {at} runs past the end of the file"));
        }
        let index = source.read(index_at, index_len)?.into_owned();
        if layout.checksums {
            let recorded = read_u32(&head, 20)?;
            let computed = index_crc(&head[..20], &index);
            if recorded != computed {
                return Err(checksum_error(
                    &format!("the index of the table at byte {at}"),
                    recorded,
                    computed,
                ));
            }
        }
        let table = Table {
            cache: Mutex::new(BlockCache {
                last: Vec::with_capacity(CACHED_BLOCKS),
                zstd: None,
            }),
            count,
            blocks_count,
            codec,
            layout,
            index,
            blocks,
            keys: keys_start..index_len,
            data: data_start..end,
        };
        if layout.key_runs {
            table.check_blocks()?;
        }
        Ok((table, end))
    }

    /// Format 4: the block descriptors tile the data area in order, each block's key run
    /// fits in it and holds at least one key, the first keys are in the key area and
    /// strictly increasing, and the blocks' key counts add up to the table's. With these, a
    /// binary search over the first keys finds the only block that can hold a key.
    fn check_blocks(&self) -> Result<(), FormatError> {
        let (mut data_end, mut keys_end, mut count) = (0u64, 0usize, 0usize);
        let mut previous: Option<&[u8]> = None;
        for b in 0..self.blocks_count {
            let bad = |what: &str| FormatError(format!("index entry of block {b}: {what}"));
            if self.field(b, OFF)? as u64 != data_end {
                return Err(bad("the block does not start where the one before it ends"));
            }
            let len = self.field(b, LEN)?;
            if self.field(b, RUN_LEN)? > len {
                return Err(bad("its key run overflows the block"));
            }
            let keys = self.field(b, COUNT)? as usize;
            if keys == 0 {
                return Err(bad("the block holds no keys"));
            }
            let key_end = self.field(b, KEY_END)? as usize;
            if key_end < keys_end || key_end > self.keys.len() {
                return Err(bad("its first key is outside the key area"));
            }
            let first = &self.index[self.keys.start + keys_end..self.keys.start + key_end];
            if previous.is_some_and(|p| p >= first) {
                return Err(bad("first keys out of order"));
            }
            previous = Some(first);
            data_end += len as u64;
            keys_end = key_end;
            count += keys;
        }
        if data_end != self.data.end - self.data.start {
            return err("the blocks do not fill the data area");
        }
        if keys_end != self.keys.len() {
            return err("the key area holds more than the blocks' first keys");
        }
        if count != self.count {
            return err(format!(
                "the blocks hold {count} keys, the table header says {}",
                self.count
            ));
        }
        Ok(())
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the table has no keys.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Field `at` of block `block`'s descriptor.
    fn field(&self, block: usize, at: usize) -> Result<u32, FormatError> {
        read_u32(&self.index, self.blocks + block * self.layout.block + at)
    }

    /// Format 4: the first key of block `block` (checked on load to lie in the key area).
    pub(super) fn first_key(&self, block: usize) -> Result<&[u8], FormatError> {
        let start = match block {
            0 => 0,
            b => self.field(b - 1, KEY_END)? as usize,
        };
        let end = self.field(block, KEY_END)? as usize;
        self.index
            .get(self.keys.start + start..self.keys.start + end)
            .ok_or_else(|| FormatError(format!("first key of block {block} outside the key area")))
    }

    /// Before format 4: entry `i` of the entry array.
    fn entry(&self, i: usize) -> Result<[u32; 5], FormatError> {
        let at = i * self.layout.entry;
        Ok([
            read_u32(&self.index, at)?,
            read_u32(&self.index, at + 4)?,
            read_u32(&self.index, at + 8)?,
            read_u32(&self.index, at + 12)?,
            read_u32(&self.index, at + 16)?,
        ])
    }

    fn key(&self, e: &[u32; 5]) -> Result<&[u8], FormatError> {
        let start = self.keys.start + e[0] as usize;
        let end = start + e[1] as usize;
        if end > self.keys.end {
            return err("key outside the key area");
        }
        Ok(&self.index[start..end])
    }

    /// Before format 4: binary-searches `key` in the entry array; returns its entry.
    fn find(&self, key: &[u8]) -> Result<Option<[u32; 5]>, FormatError> {
        let (mut lo, mut hi) = (0, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let e = self.entry(mid)?;
            match self.key(&e)?.cmp(key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(Some(e)),
            }
        }
        Ok(None)
    }

    /// Format 4: the block whose key range holds `key` — the last block whose first key is
    /// not greater (`None`: before the first key).
    fn block_of(&self, key: &[u8]) -> Result<Option<usize>, FormatError> {
        let (mut lo, mut hi) = (0, self.blocks_count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.first_key(mid)? <= key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(lo.checked_sub(1))
    }

    /// Every key and value in key order, values decompressed (`db verify`, which decodes
    /// every record, recoding, tests). The first error ends the walk.
    pub fn iter<'t>(&'t self, source: &'t Source<'t>) -> Entries<'t> {
        Entries {
            table: self,
            source,
            next: 0,
            block: None,
            failed: false,
        }
    }

    /// The value stored under `key`, decompressed (a view into its block: a 4 MB advisory list
    /// is not copied again).
    pub fn get(&self, source: &Source<'_>, key: &[u8]) -> Result<Option<Value>, FormatError> {
        if !self.layout.key_runs {
            let Some(e) = self.find(key)? else {
                return Ok(None);
            };
            return self.value(source, &e).map(Some);
        }
        let Some(b) = self.block_of(key)? else {
            return Ok(None);
        };
        let block = self.block(source, b)?;
        let keys = block.keys(b)?;
        match keys.find(key) {
            None => Ok(None),
            Some(i) => self.block_value(b, &block, keys.value(i)).map(Some),
        }
    }

    /// Before format 4: the value of entry `e`.
    fn value(&self, source: &Source<'_>, e: &[u32; 5]) -> Result<Value, FormatError> {
        let b = e[2] as usize;
        let block = self.block(source, b)?;
        let (val_off, val_len) = (e[3] as usize, e[4] as usize);
        match val_off.checked_add(val_len) {
            Some(end) => self.block_value(b, &block, val_off..end),
            None => err(format!("value outside block {b}")),
        }
    }

    /// The value at `range` of block `b`'s content, decompressing the block if no value of it
    /// was read before.
    fn block_value(
        &self,
        b: usize,
        block: &Block,
        range: Range<usize>,
    ) -> Result<Value, FormatError> {
        let content = block
            .content
            .get_or_init(|| self.decompress(b, &block.stored[block.run..], block.raw_len))
            .clone()?;
        if range.end > content.len() {
            return err(format!("value outside block {b}"));
        }
        Ok(Value {
            block: content,
            range,
        })
    }

    /// Block `b` as stored: read, checked against its CRC (format 3 on) and, format 4, its
    /// key run checked against the index; or the cached block.
    fn block(&self, source: &Source<'_>, b: usize) -> Result<Arc<Block>, FormatError> {
        if b >= self.blocks_count {
            return err(format!(
                "entry points to block {b} of {}",
                self.blocks_count
            ));
        }
        let lock = || self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, block)) = lock().last.iter().find(|(cached, _)| *cached == b) {
            return Ok(block.clone());
        }
        let (off, len, raw_len) = (
            self.field(b, OFF)? as u64,
            self.field(b, LEN)? as usize,
            self.field(b, RAW_LEN)? as usize,
        );
        let start = self.data.start + off;
        if start + len as u64 > self.data.end {
            return err(format!("block {b} outside the data area"));
        }
        let stored = source.read(start, len)?.into_owned();
        if self.layout.checksums {
            let recorded = self.field(b, CRC)?;
            let computed = crc32fast::hash(&stored);
            if recorded != computed {
                return Err(checksum_error(&format!("block {b}"), recorded, computed));
            }
        }
        let (run, keys) = if self.layout.key_runs {
            let run = self.field(b, RUN_LEN)? as usize;
            let next = if b + 1 < self.blocks_count {
                Some(self.first_key(b + 1)?)
            } else {
                None
            };
            let count = self.field(b, COUNT)? as usize;
            let run_bytes = stored
                .get(..run)
                .ok_or_else(|| FormatError(format!("key run of block {b} overflows the block")))?;
            let keys = runs::check(
                run_bytes,
                b,
                count,
                self.first_key(b)?,
                next,
                raw_len,
                MAX_BLOCK_RAW,
            )?;
            (run, Some(keys))
        } else {
            (0, None)
        };
        let block = Arc::new(Block {
            stored,
            run,
            keys,
            raw_len,
            content: OnceLock::new(),
        });
        let mut cache = lock();
        cache.last.insert(0, (b, block.clone()));
        cache.last.truncate(CACHED_BLOCKS);
        Ok(block)
    }

    /// The values of block `b` from their stored bytes: decompressed and checked against the
    /// recorded length. The zstd context is borrowed from the cache, no lock held meanwhile.
    fn decompress(
        &self,
        b: usize,
        stored: &[u8],
        raw_len: usize,
    ) -> Result<Arc<Vec<u8>>, FormatError> {
        let content = match self.codec {
            Codec::Raw => {
                if raw_len != stored.len() {
                    return err(format!("raw block {b} has the wrong length"));
                }
                stored.to_vec()
            }
            Codec::Deflate => inflate(b, stored, raw_len)?,
            Codec::Zstd => {
                let lock = || self.cache.lock().unwrap_or_else(PoisonError::into_inner);
                let mut zstd = match lock().zstd.take() {
                    Some(z) => z,
                    None => zstd::bulk::Decompressor::new()
                        .map_err(|e| FormatError(format!("cannot decompress block {b}: {e}")))?,
                };
                let content = unzstd(&mut zstd, b, stored, raw_len);
                lock().zstd.get_or_insert(zstd);
                content?
            }
        };
        Ok(Arc::new(content))
    }
}

/// The entries of a table in key order: see [`Table::iter`].
pub struct Entries<'t> {
    table: &'t Table,
    source: &'t Source<'t>,
    /// Before format 4: the next entry; format 4: the next block.
    next: usize,
    /// Format 4: the block being walked and the next key in it.
    block: Option<(usize, Arc<Block>, usize)>,
    failed: bool,
}

impl Entries<'_> {
    fn step(&mut self) -> Result<Option<(Vec<u8>, Value)>, FormatError> {
        let table = self.table;
        if !table.layout.key_runs {
            if self.next >= table.count {
                return Ok(None);
            }
            let e = table.entry(self.next)?;
            self.next += 1;
            return Ok(Some((
                table.key(&e)?.to_vec(),
                table.value(self.source, &e)?,
            )));
        }
        loop {
            if let Some((b, block, i)) = &mut self.block {
                let keys = block.keys(*b)?;
                if *i < keys.len() {
                    let value = table.block_value(*b, block, keys.value(*i))?;
                    let key = keys.key(*i).to_vec();
                    *i += 1;
                    return Ok(Some((key, value)));
                }
            }
            if self.next >= table.blocks_count {
                return Ok(None);
            }
            let b = self.next;
            self.next += 1;
            self.block = Some((b, table.block(self.source, b)?, 0));
        }
    }
}

impl Iterator for Entries<'_> {
    type Item = Result<(Vec<u8>, Value), FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.step().transpose();
        self.failed = matches!(item, Some(Err(_)));
        item
    }
}

/// A value as read: a range of its decompressed block, shared.
#[derive(Debug, Clone)]
pub struct Value {
    block: Arc<Vec<u8>>,
    range: Range<usize>,
}

impl std::ops::Deref for Value {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.block[self.range.clone()]
    }
}

/// A deflate block's `raw_len` bytes. A corrupt `raw_len` must not allocate gigabytes:
/// deflate expands at most 1032:1, so a larger claim is an error, and the buffer grows with
/// what really inflates.
fn inflate(block: usize, stored: &[u8], raw_len: usize) -> Result<Vec<u8>, FormatError> {
    if raw_len > stored.len().saturating_mul(1032).saturating_add(64) {
        return err(format!(
            "block {block} records {raw_len} decompressed bytes, more than its {} stored bytes can hold",
            stored.len()
        ));
    }
    let mut buf = Vec::with_capacity(raw_len.min(BLOCK_TARGET * 4));
    flate2::read::DeflateDecoder::new(stored)
        .take(raw_len as u64)
        .read_to_end(&mut buf)
        .map_err(|e| FormatError(format!("block {block} does not inflate: {e}")))?;
    if buf.len() != raw_len {
        return err(format!(
            "block {block} inflates to {} bytes, not the {raw_len} recorded",
            buf.len()
        ));
    }
    Ok(buf)
}

/// A zstd block's `raw_len` bytes. The frame's own content size must agree with `raw_len`
/// (and both stay under [`MAX_BLOCK_RAW`]) before anything is allocated.
fn unzstd(
    zstd: &mut zstd::bulk::Decompressor<'static>,
    block: usize,
    stored: &[u8],
    raw_len: usize,
) -> Result<Vec<u8>, FormatError> {
    let framed = zstd::zstd_safe::get_frame_content_size(stored)
        .ok()
        .flatten();
    if raw_len > MAX_BLOCK_RAW || framed != Some(raw_len as u64) {
        return err(format!(
            "block {block} records {raw_len} decompressed bytes, its zstd frame {}",
            match framed {
                Some(n) => format!("holds {n}"),
                None => "records no size".into(),
            }
        ));
    }
    let buf = zstd
        .decompress(stored, raw_len)
        .map_err(|e| FormatError(format!("block {block} does not decompress: {e}")))?;
    if buf.len() != raw_len {
        return err(format!(
            "block {block} decompresses to {} bytes, not the {raw_len} recorded",
            buf.len()
        ));
    }
    Ok(buf)
}
