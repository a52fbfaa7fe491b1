//! The download form of a database (`kevgate db pack`, what `db update --from` fetches):
//! one zstd frame over the whole file with every table's blocks stored raw.
//!
//! Why: the file as cached keeps its records in ~16 KiB compressed blocks, so that a scan
//! decompresses only what it queries and holds a few megabytes; but each block compresses alone,
//! and compressing the file again saves ~15%. Stored raw, the records are compressed together
//! in one long window: the CVSS vectors, CWE lists, URLs, version strings and advisory texts
//! that repeat across the whole file cost their bytes once. Measured on all of
//! `../shared/data` with `--cve-scope referenced` (docs/performance.md): 10.6 MB as cached,
//! ~9 MB `xz -9` of that file, ~4 MB packed. `db update --from` unpacks it (bounded, see
//! [`unpack`]), checks it and writes the cache file as `db build` would have: the same bytes
//! as the database that was packed.
//!
//! The signature and `.sha256` cover the packed bytes (what is downloaded); a plain database
//! (the `KEVGATE` magic) is still accepted, so a mirror of an older release keeps working.

use crate::db::format::Codec;
use crate::db::{DbError, VulnDb};
use std::io::Read;

/// The first four bytes of a zstd frame.
pub const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
/// zstd level of the packed form: 19, the highest without `--ultra`'s memory needs.
const LEVEL: i32 = 19;
/// log2 of the match window: 128 MiB, the most a decoder accepts by default for a frame
/// with long-distance matching (`--long=27`), and the bound [`unpack`] gives its decoder.
const WINDOW_LOG: u32 = 27;

/// The packed form of a database file: its tables recoded with raw blocks, compressed in
/// one zstd frame.
pub fn pack(db: &VulnDb) -> Result<Vec<u8>, DbError> {
    let raw = db.recode(Some(Codec::Raw))?;
    let fail = |e: std::io::Error| DbError::Format(format!("cannot compress the database: {e}"));
    let mut enc =
        zstd::stream::Encoder::new(Vec::with_capacity(raw.len() / 4), LEVEL).map_err(fail)?;
    enc.long_distance_matching(true).map_err(fail)?;
    enc.window_log(WINDOW_LOG).map_err(fail)?;
    enc.include_contentsize(true).map_err(fail)?;
    enc.set_pledged_src_size(Some(raw.len() as u64))
        .map_err(fail)?;
    enc.include_checksum(true).map_err(fail)?;
    std::io::Write::write_all(&mut enc, &raw).map_err(fail)?;
    enc.finish().map_err(fail)
}

/// Whether `bytes` are a packed database (a zstd frame), rather than a plain one.
pub fn is_packed(bytes: &[u8]) -> bool {
    bytes.starts_with(&ZSTD_MAGIC)
}

/// The database file a download holds: a packed one decompressed (at most `max_bytes`, and
/// with a window of at most 128 MiB, so a hostile frame cannot make kevgate allocate more)
/// and recoded as `db build` writes it; a plain one as is. Either is then loaded and has
/// every record decoded by the caller.
pub fn unpack(bytes: Vec<u8>, max_bytes: u64) -> Result<Vec<u8>, DbError> {
    if !is_packed(&bytes) {
        return Ok(bytes);
    }
    let fail = |e: std::io::Error| DbError::Format(format!("bad zstd data: {e}"));
    let mut dec = zstd::stream::read::Decoder::new(&bytes[..]).map_err(fail)?;
    dec.window_log_max(WINDOW_LOG).map_err(fail)?;
    let mut raw = Vec::new();
    dec.take(max_bytes.saturating_add(1))
        .read_to_end(&mut raw)
        .map_err(fail)?;
    if raw.len() as u64 > max_bytes {
        return Err(DbError::Format(format!(
            "the packed database decompresses to more than {max_bytes} bytes, the cap \
             (`KEVGATE_MAX_ENTRY_BYTES`)"
        )));
    }
    VulnDb::from_bytes(raw)?.recode(None)
}

/// `kevgate db pack`: writes the download form of a database.
#[derive(Debug, clap::Args)]
pub struct PackArgs {
    /// The database to pack (as `db build` or `db update` wrote it).
    pub input: std::path::PathBuf,
    /// Where to write the packed database (the db workflow publishes `kevgate.db.zst`).
    #[arg(long, value_name = "FILE")]
    pub output: std::path::PathBuf,
}

/// Runs `kevgate db pack`: loads and verifies the input (every record), packs it, checks that
/// the packed form unpacks to the same bytes, and writes it atomically.
pub fn run(args: &PackArgs, log: &mut dyn std::io::Write) -> Result<(), DbError> {
    let bytes = fs_err::read(&args.input)?;
    let db = VulnDb::from_bytes(bytes.clone())?;
    db.verify()?;
    let packed = pack(&db)?;
    if unpack(packed.clone(), u64::MAX)? != bytes {
        return Err(DbError::Format(format!(
            "`{}` does not pack to the same bytes (not as `db build` writes it); hint: rebuild \
             it with this kevgate",
            args.input.display()
        )));
    }
    crate::atomic_file::write(&args.output, &packed)?;
    let _ = writeln!(
        log,
        "packed `{}` ({} bytes) into `{}` ({} bytes)",
        args.input.display(),
        bytes.len(),
        args.output.display(),
        packed.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Vec<u8> {
        fs_err::read(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo.kvdb")).expect("demo db")
    }

    /// Packing then unpacking gives the database's own bytes back, and the packed form is
    /// smaller.
    #[test]
    fn round_trip_is_byte_identical() {
        let bytes = demo();
        let db = VulnDb::from_bytes(bytes.clone()).expect("loads");
        let packed = pack(&db).expect("packs");
        assert!(is_packed(&packed));
        assert!(
            packed.len() < bytes.len(),
            "{} vs {}",
            packed.len(),
            bytes.len()
        );
        assert_eq!(unpack(packed, 1 << 30).expect("unpacks"), bytes);
        assert_eq!(unpack(bytes.clone(), 1).expect("plain"), bytes);
    }

    /// A frame that inflates past the cap, or a corrupt one, is an error.
    #[test]
    fn hostile_frames_are_errors() {
        let db = VulnDb::from_bytes(demo()).expect("loads");
        let packed = pack(&db).expect("packs");
        let e = unpack(packed.clone(), 1000).unwrap_err().to_string();
        assert!(e.contains("more than 1000 bytes"), "{e}");
        let mut cut = packed.clone();
        cut.truncate(packed.len() / 2);
        assert!(unpack(cut, 1 << 30).is_err());
        // a zero-filled 256 MiB frame compresses to kilobytes: the cap stops it
        let bomb = zstd::stream::encode_all(std::io::repeat(0).take(256 << 20), 1).expect("bomb");
        assert!(bomb.len() < 1 << 20);
        let e = unpack(bomb, 16 << 20).unwrap_err().to_string();
        assert!(e.contains("more than"), "{e}");
    }
}
