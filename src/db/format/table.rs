//! A table of a database file: its index held and checked, its blocks read on demand.

use super::{
    BLOCK_TARGET, Codec, ENTRY_LEN, FormatError, Layout, MAX_BLOCK_RAW, Source, checksum_error,
    err, index_crc, read_u32,
};
use std::io::Read;
use std::ops::Range;
use std::sync::{Arc, Mutex, PoisonError};

/// The blocks a table decompressed last, most recent first, and a zstd context kept for the
/// next one.
struct BlockCache {
    last: Vec<(usize, Arc<Vec<u8>>)>,
    zstd: Option<zstd::bulk::Decompressor<'static>>,
}

/// Blocks kept per table: one per matching thread (`matching/groups.rs`), each reading its
/// own run of keys.
const CACHED_BLOCKS: usize = 4;

/// A table of a database: its index (entries, blocks, keys) in memory, checked; its data
/// read a block at a time. The last few blocks decompressed are kept (callers that query in
/// key order, as matching does, decompress each block once). Queries may come from several
/// threads: no lock is held while a block is read and decompressed.
pub struct Table {
    cache: Mutex<BlockCache>,
    count: usize,
    blocks_count: usize,
    codec: Codec,
    layout: Layout,
    /// Entries, blocks and keys, as in the file.
    index: Vec<u8>,
    /// Where the block array starts in `index`.
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

impl Table {
    /// Reads the header and index of the table at `at` in a file of format `version`, and
    /// checks the index's CRC (format 3); returns the table and the offset after its data.
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
            .checked_mul(ENTRY_LEN)
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
        Ok((
            Table {
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
            },
            end,
        ))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the table has no keys.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    fn entry(&self, i: usize) -> Result<[u32; 5], FormatError> {
        let at = i * ENTRY_LEN;
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

    /// The key of entry `i` (for iteration and diagnostics).
    pub fn key_at(&self, i: usize) -> Result<&[u8], FormatError> {
        let e = self.entry(i)?;
        self.key(&e)
    }

    /// Binary-searches `key`; returns its entry.
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

    /// The key and value of entry `i`, decompressed (for `db verify`, which decodes every
    /// record, and for recoding).
    pub fn entry_at(&self, source: &Source<'_>, i: usize) -> Result<(&[u8], Vec<u8>), FormatError> {
        let e = self.entry(i)?;
        Ok((self.key(&e)?, self.value(source, &e)?.to_vec()))
    }

    /// The value stored under `key`, decompressed (a view into its block: a 4 MB advisory list
    /// is not copied again).
    pub fn get(&self, source: &Source<'_>, key: &[u8]) -> Result<Option<Value>, FormatError> {
        let Some(e) = self.find(key)? else {
            return Ok(None);
        };
        self.value(source, &e).map(Some)
    }

    fn value(&self, source: &Source<'_>, e: &[u32; 5]) -> Result<Value, FormatError> {
        let block = e[2] as usize;
        let content = self.block(source, block)?;
        let (val_off, val_len) = (e[3] as usize, e[4] as usize);
        match val_off.checked_add(val_len) {
            Some(end) if end <= content.len() => Ok(Value {
                block: content,
                range: val_off..end,
            }),
            _ => err(format!("value outside block {block}")),
        }
    }

    /// Block `block` as stored before compression: read, checked against its CRC (format
    /// 3) and decompressed, or the cached last block.
    fn block(&self, source: &Source<'_>, block: usize) -> Result<Arc<Vec<u8>>, FormatError> {
        if block >= self.blocks_count {
            return err(format!(
                "entry points to block {block} of {}",
                self.blocks_count
            ));
        }
        let lock = || self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let mut zstd = {
            let mut cache = lock();
            if let Some((_, data)) = cache.last.iter().find(|(cached, _)| *cached == block) {
                return Ok(data.clone());
            }
            cache.zstd.take()
        };
        let at = self.blocks + block * self.layout.block;
        let (off, len, raw_len) = (
            read_u32(&self.index, at)? as u64,
            read_u32(&self.index, at + 4)? as usize,
            read_u32(&self.index, at + 8)? as usize,
        );
        let start = self.data.start + off;
        if start + len as u64 > self.data.end {
            return err(format!("block {block} outside the data area"));
        }
        let stored = source.read(start, len)?;
        if self.layout.checksums {
            let recorded = read_u32(&self.index, at + 12)?;
            let computed = crc32fast::hash(&stored);
            if recorded != computed {
                return Err(checksum_error(
                    &format!("block {block}"),
                    recorded,
                    computed,
                ));
            }
        }
        let content = match self.codec {
            Codec::Raw => {
                if raw_len != len {
                    return err(format!("raw block {block} has the wrong length"));
                }
                stored.into_owned()
            }
            Codec::Deflate => inflate(block, &stored, raw_len)?,
            Codec::Zstd => {
                let context = match &mut zstd {
                    Some(z) => z,
                    empty => empty.insert(zstd::bulk::Decompressor::new().map_err(|e| {
                        FormatError(format!("cannot decompress block {block}: {e}"))
                    })?),
                };
                unzstd(context, block, &stored, raw_len)?
            }
        };
        let content = Arc::new(content);
        let mut cache = lock();
        cache.last.insert(0, (block, content.clone()));
        cache.last.truncate(CACHED_BLOCKS);
        if cache.zstd.is_none() {
            cache.zstd = zstd;
        }
        Ok(content)
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
