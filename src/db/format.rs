//! The database file format: a fixed header, the manifest as JSON, then four sorted key
//! tables (OSV advisories by package, NVD, KEV and EPSS by CVE) whose values live in small
//! deflate-compressed blocks decoded on demand.
//!
//! ```text
//! header (32 bytes, little-endian)
//!   magic        b"KEVGATE\0"
//!   version u32  FORMAT_VERSION
//!   crc32   u32  CRC-32 (IEEE) of every byte after the header
//!   length  u64  total file length, header included
//!   manifest u32 length of the manifest JSON that follows the header
//!   tables  u32  number of tables (4: advisories, nvd, kev, epss; 5 with jvn)
//! manifest JSON
//! per table:
//!   count u32, blocks u32, codec u32 (0 raw, 1 deflate), keys_len u32, data_len u32
//!   entries  count  x (key_off u32, key_len u32, block u32, val_off u32, val_len u32)
//!   blocks   blocks x (off u32, len u32, raw_len u32)      offsets into data
//!   keys     keys_len bytes, the keys in byte order (binary-searched in place)
//!   data     data_len bytes, the blocks
//! ```
//!
//! The JVN table (JVN iPedia entries by CVE, JSON, deflate) is optional and last: a build
//! without JVN writes the four tables exactly as before, so databases (and the bundled demo)
//! keep their bytes and the format version; a kevgate that predates JVN refuses a five-table
//! file with a format error instead of misreading it.
//!
//! Why this shape: loading must be O(header) (`from_bytes` + a query mix within 20 ms, the
//! whole scan within 64 MiB), so nothing is deserialised up front: a query binary-searches
//! the fixed-width entry array, inflates one block (~16 KiB of JSON) and decodes only the
//! values it needs. Blocks, not single records, are compressed so that the many repeated
//! strings (CVSS vectors, ecosystem names, URLs) compress well. Values: advisory lists in
//! the binary encoding of `db/codec.rs` (decoding them is most of a scan's cost), NVD and
//! KEV records as serde_json (one small record per query), EPSS as two `f64`. The whole body is covered by a
//! CRC-32 checked on load (a few milliseconds for the full database), so a truncated or
//! bit-flipped file is rejected before any query; every read is bounds-checked anyway, so a
//! file that passes the CRC but is malformed gives an error, never a panic.

use std::io::{Read, Write};
use std::ops::Range;

/// The file's first eight bytes.
pub const MAGIC: &[u8; 8] = b"KEVGATE\0";
/// The format version this build writes. 2 added the malware flag of each advisory
/// (`db/codec.rs`).
pub const FORMAT_VERSION: u32 = 2;
/// The oldest format version this build still reads (a cache filled by an older kevgate
/// keeps working until its next update).
pub const OLDEST_READABLE_VERSION: u32 = 1;
/// Length of the fixed header.
pub const HEADER_LEN: usize = 32;
/// Uncompressed size a block is filled to before it is closed (a single larger value gets
/// a block of its own). Measured on the full shared data: 4 KiB blocks made a small-package
/// query ~30% faster (~70 vs ~100 us) but the file 29% larger (22.6 vs 17.5 MB), and the
/// whole file is held in memory during a scan.
const BLOCK_TARGET: usize = 16 * 1024;
const ENTRY_LEN: usize = 20;
const BLOCK_LEN: usize = 12;
const TABLE_HEADER_LEN: usize = 20;

/// How a table's blocks are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// Stored as is (EPSS: fixed 16-byte values that do not compress).
    Raw,
    /// Raw deflate (RFC 1951).
    Deflate,
}

impl Codec {
    fn id(self) -> u32 {
        match self {
            Codec::Raw => 0,
            Codec::Deflate => 1,
        }
    }
}

/// A problem with the file's structure (mapped to `DbError::Format` by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, FormatError> {
    Err(FormatError(msg.into()))
}

/// Serialises one table from `(key, value)` pairs that are sorted by key and unique.
pub fn write_table(entries: &[(String, Vec<u8>)], codec: Codec) -> Result<Vec<u8>, FormatError> {
    debug_assert!(entries.windows(2).all(|w| w[0].0 < w[1].0), "keys sorted");
    let mut keys = Vec::new();
    let mut data = Vec::new();
    let mut entry_bytes = Vec::with_capacity(entries.len() * ENTRY_LEN);
    let mut blocks: Vec<(u32, u32, u32)> = Vec::new();
    let mut pending: Vec<u8> = Vec::new();

    let flush = |pending: &mut Vec<u8>,
                 data: &mut Vec<u8>,
                 blocks: &mut Vec<(u32, u32, u32)>|
     -> Result<(), FormatError> {
        if pending.is_empty() {
            return Ok(());
        }
        let off = to_u32(data.len())?;
        match codec {
            Codec::Raw => data.extend_from_slice(pending),
            Codec::Deflate => {
                let mut enc =
                    flate2::write::DeflateEncoder::new(&mut *data, flate2::Compression::default());
                enc.write_all(pending)
                    .and_then(|()| enc.finish().map(drop))
                    .map_err(|e| FormatError(format!("cannot compress a block: {e}")))?;
            }
        }
        let len = to_u32(data.len())? - off;
        blocks.push((off, len, to_u32(pending.len())?));
        pending.clear();
        Ok(())
    };

    for (key, value) in entries {
        if !pending.is_empty() && pending.len() + value.len() > BLOCK_TARGET {
            flush(&mut pending, &mut data, &mut blocks)?;
        }
        let key_off = to_u32(keys.len())?;
        keys.extend_from_slice(key.as_bytes());
        let val_off = to_u32(pending.len())?;
        pending.extend_from_slice(value);
        for n in [
            key_off,
            to_u32(key.len())?,
            to_u32(blocks.len())?,
            val_off,
            to_u32(value.len())?,
        ] {
            entry_bytes.extend_from_slice(&n.to_le_bytes());
        }
    }
    flush(&mut pending, &mut data, &mut blocks)?;

    let mut out = Vec::with_capacity(
        TABLE_HEADER_LEN + entry_bytes.len() + blocks.len() * BLOCK_LEN + keys.len() + data.len(),
    );
    for n in [
        to_u32(entries.len())?,
        to_u32(blocks.len())?,
        codec.id(),
        to_u32(keys.len())?,
        to_u32(data.len())?,
    ] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.extend_from_slice(&entry_bytes);
    for (off, len, raw) in blocks {
        for n in [off, len, raw] {
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
    out.extend_from_slice(&keys);
    out.extend_from_slice(&data);
    Ok(out)
}

/// Assembles a whole file from the manifest JSON and the serialised tables.
pub fn write_file(manifest: &[u8], tables: &[Vec<u8>]) -> Result<Vec<u8>, FormatError> {
    write_file_as(FORMAT_VERSION, manifest, tables)
}

/// [`write_file`] with the header's format version given (recoding a database keeps its own:
/// its records are in that version's encoding).
pub fn write_file_as(
    version: u32,
    manifest: &[u8],
    tables: &[Vec<u8>],
) -> Result<Vec<u8>, FormatError> {
    let body_len = manifest.len() + tables.iter().map(Vec::len).sum::<usize>();
    let mut out = Vec::with_capacity(HEADER_LEN + body_len);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // crc, patched below
    out.extend_from_slice(&((HEADER_LEN + body_len) as u64).to_le_bytes());
    out.extend_from_slice(&to_u32(manifest.len())?.to_le_bytes());
    out.extend_from_slice(&to_u32(tables.len())?.to_le_bytes());
    out.extend_from_slice(manifest);
    for t in tables {
        out.extend_from_slice(t);
    }
    let crc = crc32fast::hash(&out[HEADER_LEN..]);
    out[12..16].copy_from_slice(&crc.to_le_bytes());
    Ok(out)
}

fn to_u32(n: usize) -> Result<u32, FormatError> {
    u32::try_from(n).map_err(|_| FormatError(format!("size {n} does not fit the format (4 GiB)")))
}

fn read_u32(bytes: &[u8], at: usize) -> Result<u32, FormatError> {
    match bytes.get(at..at + 4) {
        Some(b) => Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        None => err(format!("truncated at byte {at}")),
    }
}

/// The parsed fixed header.
#[derive(Debug)]
pub struct Header {
    /// Byte range of the manifest JSON.
    pub manifest: Range<usize>,
    /// Number of tables.
    pub tables: usize,
    /// The file's format version.
    pub version: u32,
}

/// Checks magic, version, length and CRC, and returns where the manifest is.
pub fn read_header(bytes: &[u8]) -> Result<Header, crate::db::DbError> {
    use crate::db::DbError;
    if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
        let what = if bytes.len() >= 8 && &bytes[..8] == MAGIC {
            "truncated header"
        } else {
            "missing `KEVGATE` magic"
        };
        return Err(DbError::Format(format!("not a kevgate database ({what})")));
    }
    let fmt = |e: FormatError| DbError::Format(e.0);
    let version = read_u32(bytes, 8).map_err(fmt)?;
    if !(OLDEST_READABLE_VERSION..=FORMAT_VERSION).contains(&version) {
        return Err(DbError::Version {
            found: version,
            expected: FORMAT_VERSION,
        });
    }
    let crc = read_u32(bytes, 12).map_err(fmt)?;
    let mut len8 = [0u8; 8];
    len8.copy_from_slice(&bytes[16..24]);
    let total = u64::from_le_bytes(len8);
    if total != bytes.len() as u64 {
        return Err(DbError::Format(format!(
            "database is {} bytes, its header says {total} (truncated or padded file)",
            bytes.len()
        )));
    }
    let actual = crc32fast::hash(&bytes[HEADER_LEN..]);
    if actual != crc {
        return Err(DbError::Checksum {
            expected: format!("{crc:08x}"),
            actual: format!("{actual:08x}"),
        });
    }
    let manifest_len = read_u32(bytes, 24).map_err(fmt)? as usize;
    let tables = read_u32(bytes, 28).map_err(fmt)? as usize;
    let end = HEADER_LEN
        .checked_add(manifest_len)
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| DbError::Format("manifest runs past the end of the file".into()))?;
    Ok(Header {
        manifest: HEADER_LEN..end,
        tables,
        version,
    })
}

/// A table inside the file's bytes: offsets only, nothing decoded but the last block a query
/// inflated (callers that query in key order, as matching does, inflate each block once).
#[derive(Debug)]
pub struct Table {
    last_block: std::sync::Mutex<Option<(usize, std::sync::Arc<Vec<u8>>)>>,
    count: usize,
    blocks_count: usize,
    codec: Codec,
    entries: usize,
    blocks: usize,
    keys: Range<usize>,
    data: Range<usize>,
}

impl Table {
    /// Reads the table starting at `at`; returns it and the offset after it.
    pub fn read(bytes: &[u8], at: usize) -> Result<(Table, usize), FormatError> {
        let count = read_u32(bytes, at)? as usize;
        let blocks_count = read_u32(bytes, at + 4)? as usize;
        let codec = match read_u32(bytes, at + 8)? {
            0 => Codec::Raw,
            1 => Codec::Deflate,
            other => return err(format!("unknown block codec {other}")),
        };
        let keys_len = read_u32(bytes, at + 12)? as usize;
        let data_len = read_u32(bytes, at + 16)? as usize;
        let entries = at + TABLE_HEADER_LEN;
        let blocks = entries + count * ENTRY_LEN;
        let keys_start = blocks + blocks_count * BLOCK_LEN;
        let data_start = keys_start + keys_len;
        let end = data_start + data_len;
        if end > bytes.len() {
            return err(format!("table at byte {at} runs past the end of the file"));
        }
        Ok((
            Table {
                last_block: std::sync::Mutex::new(None),
                count,
                blocks_count,
                codec,
                entries,
                blocks,
                keys: keys_start..data_start,
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

    fn entry(&self, bytes: &[u8], i: usize) -> Result<[u32; 5], FormatError> {
        let at = self.entries + i * ENTRY_LEN;
        Ok([
            read_u32(bytes, at)?,
            read_u32(bytes, at + 4)?,
            read_u32(bytes, at + 8)?,
            read_u32(bytes, at + 12)?,
            read_u32(bytes, at + 16)?,
        ])
    }

    fn key<'a>(&self, bytes: &'a [u8], e: &[u32; 5]) -> Result<&'a [u8], FormatError> {
        let start = self.keys.start + e[0] as usize;
        let end = start + e[1] as usize;
        if end > self.keys.end {
            return err("key outside the key area");
        }
        Ok(&bytes[start..end])
    }

    /// The key of entry `i` (for iteration and diagnostics).
    pub fn key_at<'a>(&self, bytes: &'a [u8], i: usize) -> Result<&'a [u8], FormatError> {
        let e = self.entry(bytes, i)?;
        self.key(bytes, &e)
    }

    /// Binary-searches `key`; returns its entry.
    fn find(&self, bytes: &[u8], key: &[u8]) -> Result<Option<[u32; 5]>, FormatError> {
        let (mut lo, mut hi) = (0, self.count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let e = self.entry(bytes, mid)?;
            match self.key(bytes, &e)?.cmp(key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(Some(e)),
            }
        }
        Ok(None)
    }

    /// The key and value of entry `i`, decompressed (for `db verify`, which decodes every
    /// record).
    pub fn entry_at<'a>(
        &self,
        bytes: &'a [u8],
        i: usize,
    ) -> Result<(&'a [u8], Vec<u8>), FormatError> {
        let e = self.entry(bytes, i)?;
        Ok((self.key(bytes, &e)?, self.value(bytes, &e)?))
    }

    /// The value stored under `key`, decompressed.
    pub fn get(&self, bytes: &[u8], key: &[u8]) -> Result<Option<Vec<u8>>, FormatError> {
        let Some(e) = self.find(bytes, key)? else {
            return Ok(None);
        };
        self.value(bytes, &e).map(Some)
    }

    fn value(&self, bytes: &[u8], e: &[u32; 5]) -> Result<Vec<u8>, FormatError> {
        let block = e[2] as usize;
        if block >= self.blocks_count {
            return err(format!(
                "entry points to block {block} of {}",
                self.blocks_count
            ));
        }
        let at = self.blocks + block * BLOCK_LEN;
        let (off, len, raw_len) = (
            read_u32(bytes, at)? as usize,
            read_u32(bytes, at + 4)? as usize,
            read_u32(bytes, at + 8)? as usize,
        );
        let start = self.data.start + off;
        let end = start + len;
        if end > self.data.end {
            return err(format!("block {block} outside the data area"));
        }
        let stored = &bytes[start..end];
        let (val_off, val_len) = (e[3] as usize, e[4] as usize);
        if val_off + val_len > raw_len {
            return err(format!("value outside block {block}"));
        }
        match self.codec {
            Codec::Raw => {
                if raw_len != len {
                    return err(format!("raw block {block} has the wrong length"));
                }
                Ok(stored[val_off..val_off + val_len].to_vec())
            }
            Codec::Deflate => {
                let want = val_off + val_len;
                let inflated = self.inflate(block, stored, raw_len)?;
                if inflated.len() < want {
                    return err(format!(
                        "block {block} inflates to fewer bytes than recorded"
                    ));
                }
                Ok(inflated[val_off..want].to_vec())
            }
        }
    }

    /// The whole inflated block, from the one-block cache when it is the last one used.
    fn inflate(
        &self,
        block: usize,
        stored: &[u8],
        raw_len: usize,
    ) -> Result<std::sync::Arc<Vec<u8>>, FormatError> {
        let mut last = self
            .last_block
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((cached, data)) = last.as_ref()
            && *cached == block
        {
            return Ok(data.clone());
        }
        // A corrupt `raw_len` must not allocate gigabytes: deflate expands at most 1032:1,
        // so a larger claim is an error, and the buffer grows with what really inflates.
        if raw_len > stored.len().saturating_mul(1032).saturating_add(64) {
            return Err(FormatError(format!(
                "block {block} records {raw_len} inflated bytes, more than its {} stored bytes can hold",
                stored.len()
            )));
        }
        let mut buf = Vec::with_capacity(raw_len.min(BLOCK_TARGET * 4));
        flate2::read::DeflateDecoder::new(stored)
            .take(raw_len as u64)
            .read_to_end(&mut buf)
            .map_err(|e| FormatError(format!("block {block} does not inflate: {e}")))?;
        let data = std::sync::Arc::new(buf);
        *last = Some((block, data.clone()));
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(n: usize) -> Vec<(String, Vec<u8>)> {
        (0..n)
            .map(|i| {
                (
                    format!("key-{i:05}"),
                    format!("value {i} ").repeat(i % 50).into_bytes(),
                )
            })
            .collect()
    }

    /// Every key written is found with its value, in both codecs; absent keys are not.
    #[test]
    fn table_round_trip() {
        for codec in [Codec::Raw, Codec::Deflate] {
            let entries = sample(3000);
            let bytes = write_table(&entries, codec).expect("small table");
            let (table, end) = Table::read(&bytes, 0).expect("valid table");
            assert_eq!(end, bytes.len());
            assert_eq!(table.len(), 3000);
            for (k, v) in &entries {
                assert_eq!(
                    table.get(&bytes, k.as_bytes()).expect("ok").as_ref(),
                    Some(v)
                );
            }
            assert_eq!(table.get(&bytes, b"key-99999").expect("ok"), None);
            assert_eq!(table.get(&bytes, b"").expect("ok"), None);
        }
    }

    /// An empty table is valid and finds nothing.
    #[test]
    fn empty_table() {
        let bytes = write_table(&[], Codec::Deflate).expect("empty");
        let (table, _) = Table::read(&bytes, 0).expect("valid");
        assert!(table.is_empty());
        assert_eq!(table.get(&bytes, b"x").expect("ok"), None);
    }
}
