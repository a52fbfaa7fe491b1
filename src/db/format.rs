//! The database file format: a fixed header, the manifest as JSON, then four sorted key
//! tables (OSV advisories by package, NVD, KEV and EPSS by CVE) whose values live in small
//! compressed blocks read and decoded on demand.
//!
//! ```text
//! header (32 bytes, little-endian)
//!   magic        b"KEVGATE\0"
//!   version u32  FORMAT_VERSION
//!   crc32   u32  format 3: CRC-32 (IEEE) of header bytes 16..32 and the manifest;
//!                formats 1-2: of every byte after the header
//!   length  u64  total file length, header included
//!   manifest u32 length of the manifest JSON that follows the header
//!   tables  u32  number of tables (4: advisories, nvd, kev, epss; 5 with jvn)
//! manifest JSON
//! per table:
//!   count u32, blocks u32, codec u32 (0 raw, 1 deflate, 2 zstd), keys_len u32, data_len u32
//!   index_crc u32  (format 3) CRC-32 of the 20 bytes above and of entries, blocks and keys
//!   entries  count  x (key_off u32, key_len u32, block u32, val_off u32, val_len u32)
//!   blocks   blocks x (off u32, len u32, raw_len u32, crc u32)  offsets into data; the crc
//!            (format 3) is the CRC-32 of the block's stored bytes
//!   keys     keys_len bytes, the keys in byte order (binary-searched in place)
//!   data     data_len bytes, the blocks
//! ```
//!
//! The JVN table (JVN iPedia entries by CVE, JSON) is optional and last: a kevgate that
//! predates JVN refuses a five-table file with a format error instead of misreading it.
//!
//! Why this shape: a scan must cost about one parse of the SBOM (issue 14: a Debian-heavy
//! scan in half a `jq empty`, a full-size database loaded in 20 ms), so nothing is read or
//! deserialised up front but the manifest and the tables' indexes (entries, blocks, keys:
//! ~3 MB of the 17.5 MB sample database): a query binary-searches the fixed-width entry
//! array in memory, reads one block from the file (`pread`, [`Source`]), checks its CRC,
//! decompresses it (~16 KiB) and decodes only the values it needs. Blocks, not single
//! records, are compressed so that repeated strings (CVSS vectors, ecosystem names, URLs)
//! compress; zstd (format 3) decodes ~3x faster than deflate (formats 1-2). Values: advisory
//! lists in the binary encoding of `db/codec.rs`, NVD and KEV records as serde_json (one
//! small record per query), EPSS as two `f64`.
//!
//! Integrity: format 3 checks every part it reads against its own CRC-32 — the header with
//! the manifest on load, each table's index on load, each block when it is read — so a
//! truncated or bit-flipped file is an error before a corrupt byte is used, and what a scan
//! never reads costs nothing (`kevgate db verify` reads everything). Formats 1-2 have one
//! CRC over the body: such a file is read whole and checked on load, as before. Every read
//! is bounds-checked anyway, so a file that passes its checksums but is malformed gives an
//! error, never a panic or an unbounded allocation.

use std::borrow::Cow;
use std::io::{Read, Write};
use std::ops::Range;
use std::sync::{Arc, Mutex, PoisonError};

/// The file's first eight bytes.
pub const MAGIC: &[u8; 8] = b"KEVGATE\0";
/// The format version this build writes. 2 added the malware flag of each advisory
/// (`db/codec.rs`); 3 added the per-part checksums (read part by part) and zstd blocks.
pub const FORMAT_VERSION: u32 = 3;
/// The oldest format version this build still reads (a cache filled by an older kevgate
/// keeps working until its next update).
pub const OLDEST_READABLE_VERSION: u32 = 1;
/// The first format version whose index and blocks carry their own CRC-32.
const PART_CHECKSUMS: u32 = 3;
/// Length of the fixed header.
pub const HEADER_LEN: usize = 32;
/// Uncompressed size a block is filled to before it is closed (a single larger value gets
/// a block of its own). See docs/performance.md for the measurement behind it.
const BLOCK_TARGET: usize = 16 * 1024;
/// zstd level of format 3 blocks (docs/performance.md: size and build time by level).
const ZSTD_LEVEL: i32 = 9;
/// The most bytes one block may decompress to: the largest advisory list of the full feeds
/// (Debian's `linux`) is a few MB; a corrupt length must not become a huge allocation.
const MAX_BLOCK_RAW: usize = 256 << 20;
const ENTRY_LEN: usize = 20;

/// How a table's blocks are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// Stored as is (EPSS: fixed 16-byte values that do not compress; `db pack`).
    Raw,
    /// Raw deflate (RFC 1951): formats 1 and 2.
    Deflate,
    /// One zstd frame per block: format 3.
    Zstd,
}

impl Codec {
    fn id(self) -> u32 {
        match self {
            Codec::Raw => 0,
            Codec::Deflate => 1,
            Codec::Zstd => 2,
        }
    }

    /// The codec `db build` writes compressible tables in, in format `version`.
    pub fn compressed(version: u32) -> Codec {
        if version >= PART_CHECKSUMS {
            Codec::Zstd
        } else {
            Codec::Deflate
        }
    }
}

/// The sizes of a format version's parts.
#[derive(Debug, Clone, Copy)]
struct Layout {
    table_header: usize,
    block: usize,
    checksums: bool,
}

impl Layout {
    fn of(version: u32) -> Layout {
        if version >= PART_CHECKSUMS {
            Layout {
                table_header: 24,
                block: 16,
                checksums: true,
            }
        } else {
            Layout {
                table_header: 20,
                block: 12,
                checksums: false,
            }
        }
    }
}

/// A problem with the file's structure (mapped to `DbError::Format` by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, FormatError> {
    Err(FormatError(msg.into()))
}

fn checksum_error(part: &str, recorded: u32, computed: u32) -> FormatError {
    FormatError(format!(
        "checksum mismatch in {part} (recorded `{recorded:08x}`, computed `{computed:08x}`): \
         the file is corrupted"
    ))
}

/// Where a database's bytes are: in memory (the bundled snapshot, bytes being built, packed
/// or checked) or an open file that is read part by part (a scan reads the header, the
/// indexes and the blocks its queries need, never the whole file).
#[derive(Debug)]
pub enum Source<'a> {
    /// The whole file in memory.
    Memory(Cow<'a, [u8]>),
    /// An open file and its length when opened. `db update` replaces the cache file by a
    /// rename, so an open file keeps its bytes while a scan reads it.
    File {
        /// The file.
        file: std::fs::File,
        /// Its length.
        len: u64,
    },
}

impl<'a> From<&'a [u8]> for Source<'a> {
    fn from(bytes: &'a [u8]) -> Source<'a> {
        Source::Memory(Cow::Borrowed(bytes))
    }
}

impl Source<'static> {
    /// Opens a database file for reading part by part; errors name the path.
    pub fn open(path: &std::path::Path) -> std::io::Result<Source<'static>> {
        let file = fs_err::File::open(path)?;
        let len = file.metadata()?.len();
        Ok(Source::File {
            file: file.into_file(),
            len,
        })
    }
}

impl Source<'_> {
    /// Length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Source::Memory(bytes) => bytes.len() as u64,
            Source::File { len, .. } => *len,
        }
    }

    /// Whether the source has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `len` bytes at `at`: borrowed from memory, read from a file. A range past the end is
    /// an error (so no allocation is larger than the file).
    pub fn read(&self, at: u64, len: usize) -> Result<Cow<'_, [u8]>, FormatError> {
        let end = at
            .checked_add(len as u64)
            .filter(|&end| end <= self.len())
            .ok_or_else(|| {
                FormatError(format!(
                    "bytes {at}..{} run past the end of the file ({} bytes)",
                    at.saturating_add(len as u64),
                    self.len()
                ))
            })?;
        match self {
            Source::Memory(bytes) => Ok(Cow::Borrowed(&bytes[at as usize..end as usize])),
            Source::File { file, .. } => {
                let mut buf = vec![0; len];
                read_exact_at(file, &mut buf, at)
                    .map_err(|e| FormatError(format!("cannot read bytes {at}..{end}: {e}")))?;
                Ok(Cow::Owned(buf))
            }
        }
    }

    /// The whole file in memory (formats 1-2 are checked as a whole).
    pub fn into_memory(self) -> Result<Source<'static>, FormatError> {
        match self {
            Source::Memory(bytes) => Ok(Source::Memory(Cow::Owned(bytes.into_owned()))),
            Source::File { .. } => {
                let len = usize::try_from(self.len())
                    .map_err(|_| FormatError("the file is too large".into()))?;
                let bytes = self.read(0, len)?.into_owned();
                Ok(Source::Memory(Cow::Owned(bytes)))
            }
        }
    }

    /// Feeds every byte to `sink`, a chunk at a time (the attestation's sha256).
    pub fn for_each_chunk(&self, mut sink: impl FnMut(&[u8])) -> Result<(), FormatError> {
        const CHUNK: usize = 1 << 20;
        let mut at = 0;
        while at < self.len() {
            let n = CHUNK.min((self.len() - at) as usize);
            sink(&self.read(at, n)?);
            at += n as u64;
        }
        Ok(())
    }
}

#[cfg(unix)]
fn read_exact_at(file: &std::fs::File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

#[cfg(windows)]
fn read_exact_at(file: &std::fs::File, mut buf: &mut [u8], mut at: u64) -> std::io::Result<()> {
    while !buf.is_empty() {
        match std::os::windows::fs::FileExt::seek_read(file, buf, at)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                at += n as u64;
            }
        }
    }
    Ok(())
}

/// Serialises one table in the current format from `(key, value)` pairs that are sorted by
/// key and unique.
pub fn write_table(entries: &[(String, Vec<u8>)], codec: Codec) -> Result<Vec<u8>, FormatError> {
    write_table_as(FORMAT_VERSION, entries, codec)
}

/// [`write_table`] in the layout of format `version` (recoding a database keeps its own).
pub fn write_table_as(
    version: u32,
    entries: &[(String, Vec<u8>)],
    codec: Codec,
) -> Result<Vec<u8>, FormatError> {
    debug_assert!(entries.windows(2).all(|w| w[0].0 < w[1].0), "keys sorted");
    let layout = Layout::of(version);
    if codec == Codec::Zstd && !layout.checksums {
        return err(format!("format {version} has no zstd blocks"));
    }
    let mut keys = Vec::new();
    let mut data = Vec::new();
    let mut entry_bytes = Vec::with_capacity(entries.len() * ENTRY_LEN);
    let mut blocks: Vec<[u32; 4]> = Vec::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut zstd = match codec {
        Codec::Zstd => Some(
            zstd::bulk::Compressor::new(ZSTD_LEVEL)
                .map_err(|e| FormatError(format!("cannot compress a block: {e}")))?,
        ),
        _ => None,
    };

    let mut flush = |pending: &mut Vec<u8>,
                     data: &mut Vec<u8>,
                     blocks: &mut Vec<[u32; 4]>|
     -> Result<(), FormatError> {
        if pending.is_empty() {
            return Ok(());
        }
        let off = data.len();
        let fail = |e: std::io::Error| FormatError(format!("cannot compress a block: {e}"));
        match (codec, zstd.as_mut()) {
            (Codec::Zstd, Some(z)) => data.extend_from_slice(&z.compress(pending).map_err(fail)?),
            (Codec::Deflate, _) => {
                let mut enc =
                    flate2::write::DeflateEncoder::new(&mut *data, flate2::Compression::default());
                enc.write_all(pending)
                    .and_then(|()| enc.finish().map(drop))
                    .map_err(fail)?;
            }
            _ => data.extend_from_slice(pending),
        }
        let crc = crc32fast::hash(&data[off..]);
        blocks.push([
            to_u32(off)?,
            to_u32(data.len() - off)?,
            to_u32(pending.len())?,
            crc,
        ]);
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
        layout.table_header
            + entry_bytes.len()
            + blocks.len() * layout.block
            + keys.len()
            + data.len(),
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
    if layout.checksums {
        out.extend_from_slice(&[0; 4]); // index crc, patched below
    }
    let index_start = out.len();
    out.extend_from_slice(&entry_bytes);
    for block in blocks {
        let fields = if layout.checksums { &block[..] } else { &block[..3] };
        for n in fields {
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
    out.extend_from_slice(&keys);
    if layout.checksums {
        let index_end = out.len();
        let crc = index_crc(&out[..20], &out[index_start..index_end]);
        out[20..24].copy_from_slice(&crc.to_le_bytes());
    }
    out.extend_from_slice(&data);
    Ok(out)
}

/// CRC-32 of a table's first 20 header bytes and its index (entries, blocks, keys).
fn index_crc(header: &[u8], index: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(header);
    h.update(index);
    h.finalize()
}

/// CRC-32 of a format 3 header's bytes 16..32 and the manifest.
fn header_crc(header: &[u8], manifest: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&header[16..HEADER_LEN]);
    h.update(manifest);
    h.finalize()
}

/// Assembles a whole file from the manifest JSON and the serialised tables.
pub fn write_file(manifest: &[u8], tables: &[Vec<u8>]) -> Result<Vec<u8>, FormatError> {
    write_file_as(FORMAT_VERSION, manifest, tables)
}

/// [`write_file`] with the header's format version given (recoding a database keeps its own:
/// its records are in that version's encoding, its tables in that version's layout).
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
    let crc = if Layout::of(version).checksums {
        header_crc(&out[..HEADER_LEN], manifest)
    } else {
        crc32fast::hash(&out[HEADER_LEN..])
    };
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

/// The format version of a file whose magic is right (`None`: not a kevgate database, or
/// shorter than its header).
pub fn peek_version(source: &Source<'_>) -> Option<u32> {
    let head = source.read(0, HEADER_LEN).ok()?;
    (&head[..8] == MAGIC)
        .then(|| read_u32(&head, 8).ok())
        .flatten()
}

/// Checks magic, version, length and the header's CRC (formats 1-2: the CRC of the whole
/// body, which needs a [`Source::Memory`]), and returns where the manifest is.
pub fn read_header(source: &Source<'_>) -> Result<Header, crate::db::DbError> {
    use crate::db::DbError;
    let len = source.len();
    let head = match source.read(0, HEADER_LEN) {
        Ok(head) if &head[..8] == MAGIC => head,
        other => {
            let what = match (other, source.read(0, 8)) {
                (Err(_), Ok(magic)) if &magic[..] == MAGIC => "truncated header",
                _ => "missing `KEVGATE` magic",
            };
            return Err(DbError::Format(format!("not a kevgate database ({what})")));
        }
    };
    let fmt = |e: FormatError| DbError::Format(e.0);
    let version = read_u32(&head, 8).map_err(fmt)?;
    if !(OLDEST_READABLE_VERSION..=FORMAT_VERSION).contains(&version) {
        return Err(DbError::Version {
            found: version,
            expected: FORMAT_VERSION,
        });
    }
    let crc = read_u32(&head, 12).map_err(fmt)?;
    let mut len8 = [0u8; 8];
    len8.copy_from_slice(&head[16..24]);
    let total = u64::from_le_bytes(len8);
    if total != len {
        return Err(DbError::Format(format!(
            "database is {len} bytes, its header says {total} (truncated or padded file)"
        )));
    }
    let manifest_len = read_u32(&head, 24).map_err(fmt)? as usize;
    let tables = read_u32(&head, 28).map_err(fmt)? as usize;
    let checksum = |computed: u32| {
        if computed == crc {
            Ok(())
        } else {
            Err(DbError::Checksum {
                part: if Layout::of(version).checksums {
                    "the header and manifest"
                } else {
                    "the body"
                },
                expected: format!("{crc:08x}"),
                actual: format!("{computed:08x}"),
            })
        }
    };
    let manifest = source
        .read(HEADER_LEN as u64, manifest_len)
        .map_err(|_| DbError::Format("manifest runs past the end of the file".into()))?;
    if Layout::of(version).checksums {
        checksum(header_crc(&head, &manifest))?;
    } else {
        match source {
            Source::Memory(bytes) => checksum(crc32fast::hash(&bytes[HEADER_LEN..]))?,
            Source::File { .. } => {
                return Err(DbError::Format(format!(
                    "format {version} is checked as a whole file: read it into memory first"
                )));
            }
        }
    }
    Ok(Header {
        manifest: HEADER_LEN..HEADER_LEN + manifest_len,
        tables,
        version,
    })
}

/// Recomputes every checksum of a format 3 file in place from its structure as it stands:
/// what a buggy writer that checksums whatever it wrote does. For tests of what checksums
/// cannot catch (a record that does not decode must still be an error, never a panic).
#[doc(hidden)]
pub fn reseal(bytes: &mut [u8]) -> Result<(), FormatError> {
    let layout = Layout::of(FORMAT_VERSION);
    let manifest_len = read_u32(bytes, 24)? as usize;
    let tables = read_u32(bytes, 28)? as usize;
    let mut at = HEADER_LEN + manifest_len;
    for _ in 0..tables {
        let count = read_u32(bytes, at)? as usize;
        let blocks_count = read_u32(bytes, at + 4)? as usize;
        let keys_len = read_u32(bytes, at + 12)? as usize;
        let data_len = read_u32(bytes, at + 16)? as usize;
        let index = at + layout.table_header;
        let blocks = index + count * ENTRY_LEN;
        let data = blocks + blocks_count * layout.block + keys_len;
        let end = data + data_len;
        if end > bytes.len() {
            return err("a table runs past the end");
        }
        for b in 0..blocks_count {
            let d = blocks + b * layout.block;
            let (off, len) = (read_u32(bytes, d)? as usize, read_u32(bytes, d + 4)? as usize);
            let stored = bytes
                .get(data + off..data + off + len)
                .ok_or_else(|| FormatError("a block runs past the end".into()))?;
            let crc = crc32fast::hash(stored);
            bytes[d + 12..d + 16].copy_from_slice(&crc.to_le_bytes());
        }
        let crc = index_crc(&bytes[at..at + 20], &bytes[index..data]);
        bytes[at + 20..at + 24].copy_from_slice(&crc.to_le_bytes());
        at = end;
    }
    let manifest = bytes
        .get(HEADER_LEN..HEADER_LEN + manifest_len)
        .ok_or_else(|| FormatError("the manifest runs past the end".into()))?;
    let crc = header_crc(&bytes[..HEADER_LEN], manifest);
    bytes[12..16].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// The last block a table decompressed, and a zstd context kept for the next one.
struct BlockCache {
    last: Option<(usize, Arc<Vec<u8>>)>,
    zstd: Option<zstd::bulk::Decompressor<'static>>,
}

/// A table of a database: its index (entries, blocks, keys) in memory, checked; its data
/// read a block at a time. The last block a query decompressed is kept (callers that query
/// in key order, as matching does, decompress each block once).
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
                    last: None,
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
        Ok((self.key(&e)?, self.value(source, &e)?))
    }

    /// The value stored under `key`, decompressed.
    pub fn get(&self, source: &Source<'_>, key: &[u8]) -> Result<Option<Vec<u8>>, FormatError> {
        let Some(e) = self.find(key)? else {
            return Ok(None);
        };
        self.value(source, &e).map(Some)
    }

    fn value(&self, source: &Source<'_>, e: &[u32; 5]) -> Result<Vec<u8>, FormatError> {
        let block = e[2] as usize;
        let content = self.block(source, block)?;
        let (val_off, val_len) = (e[3] as usize, e[4] as usize);
        match content.get(val_off..val_off + val_len) {
            Some(value) => Ok(value.to_vec()),
            None => err(format!("value outside block {block}")),
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
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((cached, data)) = cache.last.as_ref()
            && *cached == block
        {
            return Ok(data.clone());
        }
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
                return Err(checksum_error(&format!("block {block}"), recorded, computed));
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
                let zstd = match &mut cache.zstd {
                    Some(z) => z,
                    empty => empty.insert(zstd::bulk::Decompressor::new().map_err(|e| {
                        FormatError(format!("cannot decompress block {block}: {e}"))
                    })?),
                };
                unzstd(zstd, block, &stored, raw_len)?
            }
        };
        let content = Arc::new(content);
        cache.last = Some((block, content.clone()));
        Ok(content)
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
    let framed = zstd::zstd_safe::get_frame_content_size(stored).ok().flatten();
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

    /// Every key written is found with its value, in every codec and format layout, from
    /// memory and from a file; absent keys are not.
    #[test]
    fn table_round_trip() {
        let dir = std::env::temp_dir().join(format!("kevgate-format-{}", std::process::id()));
        fs_err::create_dir_all(&dir).expect("temp dir");
        for (version, codec) in [
            (3, Codec::Raw),
            (3, Codec::Zstd),
            (3, Codec::Deflate),
            (2, Codec::Raw),
            (2, Codec::Deflate),
        ] {
            let entries = sample(3000);
            let bytes = write_table_as(version, &entries, codec).expect("small table");
            let path = dir.join(format!("t{version}-{codec:?}"));
            fs_err::write(&path, &bytes).expect("write");
            for source in [
                Source::from(&bytes[..]),
                Source::open(&path).expect("open"),
            ] {
                let (table, end) = Table::read(&source, 0, version).expect("valid table");
                assert_eq!(end, bytes.len() as u64);
                assert_eq!(table.len(), 3000);
                for (k, v) in &entries {
                    assert_eq!(
                        table.get(&source, k.as_bytes()).expect("ok").as_ref(),
                        Some(v)
                    );
                }
                assert_eq!(table.get(&source, b"key-99999").expect("ok"), None);
                assert_eq!(table.get(&source, b"").expect("ok"), None);
            }
        }
        fs_err::remove_dir_all(&dir).expect("clean up");
    }

    /// Format 3: one flipped bit anywhere in a table is a checksum error when the part that
    /// holds it is read (the index on load, a block when a query reads it), never a value.
    #[test]
    fn every_flip_is_caught_by_a_part_checksum() {
        let entries = sample(400);
        let good = write_table(&entries, Codec::Zstd).expect("table");
        for at in 0..good.len() {
            let mut bad = good.clone();
            bad[at] ^= 0x04;
            let source = Source::from(&bad[..]);
            let caught = match Table::read(&source, 0, FORMAT_VERSION) {
                Err(_) => true,
                Ok((table, _)) => {
                    (0..table.len()).any(|i| table.entry_at(&source, i).is_err())
                }
            };
            assert!(caught, "flip at byte {at} not caught");
        }
    }

    /// A zstd block whose recorded size disagrees with its frame is an error before any
    /// allocation of the claimed size.
    #[test]
    fn zstd_block_size_must_match_its_frame() {
        let entries = sample(10);
        let mut bytes = write_table(&entries, Codec::Zstd).expect("table");
        // raw_len of block 0, then the index CRC recomputed as a buggy writer would.
        let raw_len_at = 24 + 10 * ENTRY_LEN + 8;
        bytes[raw_len_at..raw_len_at + 4].copy_from_slice(&0xffff_fff0_u32.to_le_bytes());
        let index_end = 24 + 10 * ENTRY_LEN + 16 + read_u32(&bytes, 12).expect("keys") as usize;
        let crc = index_crc(&bytes[..20], &bytes[24..index_end]);
        bytes[20..24].copy_from_slice(&crc.to_le_bytes());
        let source = Source::from(&bytes[..]);
        let (table, _) = Table::read(&source, 0, FORMAT_VERSION).expect("index is consistent");
        let e = table.get(&source, b"key-00003").expect_err("bad length");
        assert!(e.0.contains("decompressed bytes, its zstd frame holds"), "{}", e.0);
    }

    /// An empty table is valid and finds nothing.
    #[test]
    fn empty_table() {
        let bytes = write_table(&[], Codec::Zstd).expect("empty");
        let source = Source::from(&bytes[..]);
        let (table, _) = Table::read(&source, 0, FORMAT_VERSION).expect("valid");
        assert!(table.is_empty());
        assert_eq!(table.get(&source, b"x").expect("ok"), None);
    }

    /// Older readers know no zstd: format 2 tables cannot hold zstd blocks.
    #[test]
    fn no_zstd_in_format_2() {
        assert!(write_table_as(2, &sample(3), Codec::Zstd).is_err());
    }
}
