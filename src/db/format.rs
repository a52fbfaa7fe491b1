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
//!   index_crc u32  (format 3 on) CRC-32 of the 20 bytes above and of entries, blocks and keys
//!   entries  (formats 1-3) count x (key_off u32, key_len u32, block u32, val_off u32,
//!            val_len u32)
//!   blocks   blocks x (off u32, len u32, raw_len u32, crc u32, and format 4: run_len u32,
//!            keys u32, first_key_end u32)  offsets into data; the crc (format 3 on) is the
//!            CRC-32 of the block's stored bytes
//!   keys     keys_len bytes: formats 1-3 every key, format 4 each block's first key, in
//!            byte order (binary-searched in place)
//!   data     data_len bytes, the blocks; format 4: each block is its key run (`runs.rs`:
//!            the block's keys, prefix-compressed, with their value lengths; not
//!            compressed) followed by its values, compressed
//! ```
//!
//! The JVN table (JVN iPedia entries by CVE, JSON) is optional and last: a kevgate that
//! predates JVN refuses a five-table file with a format error instead of misreading it.
//!
//! Why this shape: a scan must cost about one parse of the SBOM (issue 14: a Debian-heavy
//! scan in half a `jq empty`, a full-size database loaded in 20 ms), so nothing is read or
//! deserialised up front but the manifest and the tables' indexes. Format 4's index holds
//! one descriptor and the first key per block (2.7 MB at full size, where format 3's index of
//! every key was 26 MB and took 16 ms to read and check): a query binary-searches the first
//! keys, reads the one block that can hold its key (`pread`, [`Source`]), checks its CRC,
//! walks its key run (a few hundred keys) and, only if the key is there, decompresses the
//! block's values (~16 KiB) and decodes the value it needs. Blocks, not single records, are
//! compressed so that repeated strings (CVSS vectors, ecosystem names, URLs) compress; zstd
//! (format 3 on) decodes ~3x faster than deflate (formats 1-2). Values: advisory lists in
//! the binary encoding of `db/codec.rs`, NVD and KEV records as serde_json (one small record
//! per query), EPSS as two `f64`.
//!
//! Integrity: from format 3 every part is checked against its own CRC-32 when it is read —
//! the header with the manifest on load, each table's index on load, each block when it is
//! read — so a truncated or bit-flipped file is an error before a corrupt byte is used, and
//! what a scan never reads costs nothing (`kevgate db verify` reads everything). Format 4
//! also checks structure a re-checksummed (buggy or forged) file could get wrong: on load,
//! that the blocks tile the data area, their first keys increase and their key counts add
//! up; when a block is read, that its key run starts with the index's first key, increases,
//! stays below the next block's first key and gives the values exactly the block's size. A
//! key in the table is therefore always in the block the search picks: a lookup never
//! misses a key that is there. Formats 1-2 have one CRC over the body: such a file is read
//! whole and checked on load, as before. Every read is bounds-checked anyway, so a file that
//! passes its checksums but is malformed gives an error, never a panic or an unbounded
//! allocation.

mod runs;
mod source;
mod table;

pub use source::Source;
use std::io::Write;
use std::ops::Range;
pub use table::{Table, Value};

/// The file's first eight bytes.
pub const MAGIC: &[u8; 8] = b"KEVGATE\0";
/// The format version this build writes. 2 added the malware flag of each advisory
/// (`db/codec.rs`); 3 added the per-part checksums (read part by part) and zstd blocks; 4
/// moved the keys into key runs stored with their blocks (the index: each block's first key).
pub const FORMAT_VERSION: u32 = 4;
/// The oldest format version this build still reads (a cache filled by an older kevgate
/// keeps working until its next update).
pub const OLDEST_READABLE_VERSION: u32 = 1;
/// The first format version whose index and blocks carry their own CRC-32.
const PART_CHECKSUMS: u32 = 3;
/// The first format version whose blocks carry their own keys (a two-level key index).
const KEY_RUNS: u32 = 4;
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
    /// Bytes per entry of the entry array (format 4 has none: the keys are in key runs).
    entry: usize,
    /// Bytes per block descriptor.
    block: usize,
    checksums: bool,
    key_runs: bool,
}

impl Layout {
    fn of(version: u32) -> Layout {
        if version >= KEY_RUNS {
            Layout {
                table_header: 24,
                entry: 0,
                block: 28,
                checksums: true,
                key_runs: true,
            }
        } else if version >= PART_CHECKSUMS {
            Layout {
                table_header: 24,
                entry: ENTRY_LEN,
                block: 16,
                checksums: true,
                key_runs: false,
            }
        } else {
            Layout {
                table_header: 20,
                entry: ENTRY_LEN,
                block: 12,
                checksums: false,
                key_runs: false,
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

/// Serialises one table in the current format from `(key, value)` pairs that are sorted by
/// key and unique.
pub fn write_table(entries: &[(String, Vec<u8>)], codec: Codec) -> Result<Vec<u8>, FormatError> {
    write_table_as(FORMAT_VERSION, entries, codec)
}

/// Compresses blocks in a table's codec.
struct BlockWriter {
    codec: Codec,
    zstd: Option<zstd::bulk::Compressor<'static>>,
}

impl BlockWriter {
    fn new(codec: Codec) -> Result<BlockWriter, FormatError> {
        let zstd = match codec {
            Codec::Zstd => Some(
                zstd::bulk::Compressor::new(ZSTD_LEVEL)
                    .map_err(|e| FormatError(format!("cannot compress a block: {e}")))?,
            ),
            _ => None,
        };
        Ok(BlockWriter { codec, zstd })
    }

    /// Appends `raw` to `data`, compressed.
    fn compress(&mut self, raw: &[u8], data: &mut Vec<u8>) -> Result<(), FormatError> {
        let fail = |e: std::io::Error| FormatError(format!("cannot compress a block: {e}"));
        match (self.codec, self.zstd.as_mut()) {
            (Codec::Zstd, Some(z)) => data.extend_from_slice(&z.compress(raw).map_err(fail)?),
            (Codec::Deflate, _) => {
                let mut enc =
                    flate2::write::DeflateEncoder::new(&mut *data, flate2::Compression::default());
                enc.write_all(raw)
                    .and_then(|()| enc.finish().map(drop))
                    .map_err(fail)?;
            }
            _ => data.extend_from_slice(raw),
        }
        Ok(())
    }
}

/// [`write_table`] in the layout of format `version` (recoding a database keeps its own).
pub fn write_table_as(
    version: u32,
    entries: &[(String, Vec<u8>)],
    codec: Codec,
) -> Result<Vec<u8>, FormatError> {
    let entries = entries.iter().map(|(k, v)| (k.as_str(), v.as_slice()));
    write_table_from(version, entries, codec)
}

/// [`write_table_as`] from `(key, value)` pairs as they come, sorted by key and unique: each
/// value can be dropped once it is in its block (`db build` makes the advisory lists one by
/// one, never holding them all: issue 14, at most 2 GiB at full size).
pub fn write_table_from<K: AsRef<str>, V: AsRef<[u8]>>(
    version: u32,
    entries: impl IntoIterator<Item = (K, V)>,
    codec: Codec,
) -> Result<Vec<u8>, FormatError> {
    let layout = Layout::of(version);
    if codec == Codec::Zstd && !layout.checksums {
        return err(format!("format {version} has no zstd blocks"));
    }
    let mut count = 0;
    let mut keys = Vec::new();
    let mut data = Vec::new();
    let mut entry_bytes = Vec::new();
    let mut blocks: Vec<[u32; 7]> = Vec::new();
    let mut first_key_ends: Vec<u32> = Vec::new();
    // The block being filled: its values, its key run (format 4), its key count and the
    // last key so far.
    let mut pending: Vec<u8> = Vec::new();
    let mut run: Vec<u8> = Vec::new();
    let mut in_block = 0;
    let mut last = String::new();
    // Closed blocks waiting to be compressed, on several threads, [`COMPRESS_AT_ONCE`] at a
    // time (issue 14: zstd was a fifth of a full-size build's CPU).
    let mut closed: Vec<RawBlock> = Vec::new();

    for (key, value) in entries {
        let (key, value) = (key.as_ref(), value.as_ref());
        debug_assert!(count == 0 || last.as_str() < key, "keys sorted and unique");
        if in_block > 0 && pending.len() + value.len() > BLOCK_TARGET {
            closed.push(RawBlock::take(&mut pending, &mut run, &mut in_block));
            if closed.len() == COMPRESS_AT_ONCE {
                compress_blocks(codec, &mut closed, &mut data, &mut blocks)?;
            }
        }
        if layout.key_runs {
            if in_block == 0 {
                keys.extend_from_slice(key.as_bytes());
            }
            let previous = (in_block > 0).then_some(last.as_str());
            runs::push(&mut run, previous, key, value.len());
        } else {
            let key_off = to_u32(keys.len())?;
            keys.extend_from_slice(key.as_bytes());
            for n in [
                key_off,
                to_u32(key.len())?,
                to_u32(blocks.len() + closed.len())?,
                to_u32(pending.len())?,
                to_u32(value.len())?,
            ] {
                entry_bytes.extend_from_slice(&n.to_le_bytes());
            }
        }
        if in_block == 0 {
            // Where the first keys end so far: the block being filled's first key ends here.
            first_key_ends.push(to_u32(keys.len())?);
        }
        in_block += 1;
        count += 1;
        last.clear();
        last.push_str(key);
        pending.extend_from_slice(value);
    }
    if in_block > 0 {
        closed.push(RawBlock::take(&mut pending, &mut run, &mut in_block));
    }
    compress_blocks(codec, &mut closed, &mut data, &mut blocks)?;

    let mut out = Vec::with_capacity(
        layout.table_header
            + entry_bytes.len()
            + blocks.len() * layout.block
            + keys.len()
            + data.len(),
    );
    for n in [
        to_u32(count)?,
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
    for (mut block, key_end) in blocks.into_iter().zip(first_key_ends) {
        block[6] = key_end;
        let fields = &block[..layout.block / 4];
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

/// Blocks compressed at once by [`compress_blocks`]: 4 MiB of values, so the threads each
/// get a share while little is held uncompressed.
const COMPRESS_AT_ONCE: usize = 256;

/// A closed block before compression: its key run (format 4), its values, its key count.
struct RawBlock {
    run: Vec<u8>,
    values: Vec<u8>,
    keys: usize,
}

impl RawBlock {
    /// The block being filled, closed (the buffers are left empty for the next).
    fn take(pending: &mut Vec<u8>, run: &mut Vec<u8>, in_block: &mut usize) -> RawBlock {
        let keys = std::mem::take(in_block);
        RawBlock {
            run: std::mem::take(run),
            values: std::mem::take(pending),
            keys,
        }
    }
}

/// Compresses `closed` on [`crate::parallel::map_batches`]'s threads (each block alone, so
/// the bytes do not depend on the threads) and appends them, in order, to `data` and their
/// descriptors to `blocks`; `closed` is left empty.
fn compress_blocks(
    codec: Codec,
    closed: &mut Vec<RawBlock>,
    data: &mut Vec<u8>,
    blocks: &mut Vec<[u32; 7]>,
) -> Result<(), FormatError> {
    let compressed = crate::parallel::map_batches(closed, 8, |batch| {
        let mut writer = BlockWriter::new(codec)?;
        batch
            .iter()
            .map(|b| {
                let mut out = Vec::new();
                writer.compress(&b.values, &mut out).map(|()| out)
            })
            .collect::<Result<Vec<_>, FormatError>>()
    });
    let mut values = Vec::with_capacity(closed.len());
    for batch in compressed {
        values.extend(batch?);
    }
    for (block, values) in closed.drain(..).zip(values) {
        let off = data.len();
        data.extend_from_slice(&block.run);
        data.extend_from_slice(&values);
        let crc = crc32fast::hash(&data[off..]);
        blocks.push([
            to_u32(off)?,
            to_u32(data.len() - off)?,
            to_u32(block.values.len())?,
            crc,
            to_u32(block.run.len())?,
            to_u32(block.keys)?,
            0, // the end of the block's first key, set by the caller
        ]);
    }
    Ok(())
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

/// Whether a file of format `version` is checked as a whole (formats 1-2: one CRC over the
/// body), so it must be read into memory; later formats are read part by part.
pub fn checked_whole(version: u32) -> bool {
    !Layout::of(version).checksums
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

/// Recomputes every checksum of a file of the current format in place from its structure as it stands:
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
        let blocks = index + count * layout.entry;
        let data = blocks + blocks_count * layout.block + keys_len;
        let end = data + data_len;
        if end > bytes.len() {
            return err("a table runs past the end");
        }
        for b in 0..blocks_count {
            let d = blocks + b * layout.block;
            let (off, len) = (
                read_u32(bytes, d)? as usize,
                read_u32(bytes, d + 4)? as usize,
            );
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

#[cfg(test)]
mod tests;
