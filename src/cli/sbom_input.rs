//! Reading the scanned SBOM file: a small one whole, a large one streamed, so memory follows the
//! components, not the bytes.
//!
//! A small plain file (up to [`IN_MEMORY_MAX`]) is read whole and parsed from memory, the
//! fastest way for the common case. A larger or gzip'd regular file is read once through
//! [`sbom::parse_reader`] (gzip inflated on the way),
//! hashing what is read for the gate attestation; a 570 MB, 1,000,000-component trivy SBOM is
//! never held whole. Anything the streaming reader does not take (another format, a problem to
//! explain, a FIFO or device) is read whole by [`super::scan::read_sbom`] and parsed by
//! [`sbom::parse_inflated`], which gives every error message: the two paths agree on what they
//! both read (`sbom::tests::fast_path_agrees_with_careful_path`).

use crate::sbom;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;

/// The SBOM a scan reads.
pub(super) struct SbomInput {
    /// The parsed SBOM.
    pub(super) parsed: sbom::Sbom,
    /// sha256 (hex) of the file as read.
    pub(super) sha256: String,
}

/// Up to this size a plain (not gzip'd) regular file is read whole and parsed from memory:
/// serde_json parses a slice about twice as fast as a reader (strings borrowed, no read call
/// per byte; docs/performance.md), and a few megabytes are small next to what the components
/// take. Larger files, and gzip'd ones, are streamed.
const IN_MEMORY_MAX: u64 = 32 << 20;

/// Reads and parses the SBOM at `path`, at most `max_bytes` of it (read or inflated).
pub(super) fn read(path: &Path, max_bytes: u64) -> anyhow::Result<SbomInput> {
    let small = fs_err::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.len() <= IN_MEMORY_MAX.min(max_bytes));
    if (!small || is_gzip(path))
        && let Some(input) = streamed(path, max_bytes)?
    {
        return Ok(input);
    }
    let raw = super::scan::read_sbom(path, max_bytes)?;
    from_bytes(raw, &path.display().to_string(), max_bytes)
}

/// Whether the file starts with gzip's magic (unreadable: no).
fn is_gzip(path: &Path) -> bool {
    let mut magic = [0u8; 2];
    fs_err::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok_and(|()| magic == [0x1f, 0x8b])
}

/// An SBOM already read whole (`raw`: the file, or a downloaded release asset), named `shown`
/// in messages.
pub(super) fn from_bytes(raw: Vec<u8>, shown: &str, max_bytes: u64) -> anyhow::Result<SbomInput> {
    // The attestation's sha256 is computed beside the parse, on a second thread.
    let (sha256, parsed) = std::thread::scope(|scope| {
        let hash = scope.spawn(|| crate::attestation::sha256_hex(&raw));
        let parsed =
            sbom::inflate(&raw, max_bytes).and_then(|inflated| sbom::parse_inflated(&inflated));
        let sha256 = hash
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (sha256, parsed)
    });
    let parsed = parsed.map_err(|e| anyhow::anyhow!("`{shown}`: {e}"))?;
    Ok(SbomInput { parsed, sha256 })
}

/// A regular file streamed; `None` when the whole-file path must read it (not a regular file,
/// over the cap, not a well-formed CycloneDX JSON document, a read error).
fn streamed(path: &Path, max_bytes: u64) -> anyhow::Result<Option<SbomInput>> {
    let Ok(file) = fs_err::File::open(path) else {
        return Ok(None);
    };
    match file.metadata() {
        Ok(meta) if meta.is_file() && meta.len() <= max_bytes => {}
        _ => return Ok(None),
    }
    let mut hashed = Hashed {
        inner: file.take(max_bytes.saturating_add(1)),
        hasher: Sha256::new(),
        read: 0,
    };
    let mut reader = std::io::BufReader::with_capacity(1 << 20, &mut hashed);
    let parsed = match sbom::parse_reader(&mut reader, max_bytes) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => return Ok(None),
        Err(e) => anyhow::bail!("`{}`: {e}", path.display()),
    };
    // What follows the document (trailing whitespace, gzip's trailer) counts for the checksum.
    if std::io::copy(&mut reader, &mut std::io::sink()).is_err() {
        return Ok(None);
    }
    drop(reader);
    if hashed.read > max_bytes {
        return Ok(None);
    }
    let sha256 = format!("{:x}", hashed.hasher.finalize());
    Ok(Some(SbomInput { parsed, sha256 }))
}

/// A reader that hashes and counts what passes through it.
struct Hashed<R> {
    inner: R,
    hasher: Sha256,
    read: u64,
}

impl<R: Read> Read for Hashed<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        Ok(n)
    }
}
