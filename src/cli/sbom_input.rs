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
///
/// A second thread reads the file and hashes it ([`read_hashed`]), handing the chunks it read
/// to this one, which parses them ([`Chunks`]): the sha256 costs the parse nothing, and at most
/// [`CHUNKS_AHEAD`] chunks wait between the two (memory stays bounded, the file is never held).
fn streamed(path: &Path, max_bytes: u64) -> anyhow::Result<Option<SbomInput>> {
    let Ok(file) = fs_err::File::open(path) else {
        return Ok(None);
    };
    match file.metadata() {
        Ok(meta) if meta.is_file() && meta.len() <= max_bytes => {}
        _ => return Ok(None),
    }
    let (parsed, read) = std::thread::scope(|scope| {
        let (chunks, received) = std::sync::mpsc::sync_channel(CHUNKS_AHEAD);
        let (spent, reusable) = std::sync::mpsc::channel();
        let reading = scope
            .spawn(move || read_hashed(file.take(max_bytes.saturating_add(1)), &chunks, &reusable));
        let mut reader = Chunks {
            received,
            spent,
            current: Vec::new(),
            at: 0,
        };
        let parsed = sbom::parse_reader(&mut reader, max_bytes);
        // What follows the document (trailing whitespace, gzip's trailer) counts for the
        // checksum: read to the end. A document refused stops the reading at once.
        if matches!(parsed, Ok(Some(_))) {
            while reader.received.recv().is_ok() {}
        }
        drop(reader);
        let read = reading
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (parsed, read)
    });
    let parsed = match parsed {
        Ok(Some(parsed)) => parsed,
        Ok(None) => return Ok(None),
        Err(e) => anyhow::bail!("`{}`: {e}", path.display()),
    };
    match read {
        Ok(Some((read, sha256))) if read <= max_bytes => Ok(Some(SbomInput { parsed, sha256 })),
        // A read error, or past the cap: the whole-file path reads again and says which.
        _ => Ok(None),
    }
}

/// The size of a chunk read and hashed at once.
const CHUNK: usize = 1 << 20;

/// Chunks read ahead of the parse, at most.
const CHUNKS_AHEAD: usize = 4;

/// Reads `file` to its end in chunks of [`CHUNK`] bytes, hashing each and sending it on
/// `chunks` (buffers come back on `reusable`); the bytes read and their sha256 (hex), `None`
/// when the parse stopped listening first.
fn read_hashed(
    mut file: impl Read,
    chunks: &std::sync::mpsc::SyncSender<Vec<u8>>,
    reusable: &std::sync::mpsc::Receiver<Vec<u8>>,
) -> std::io::Result<Option<(u64, String)>> {
    let mut hasher = Sha256::new();
    let mut read = 0u64;
    loop {
        let mut buffer = reusable
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        buffer.clear();
        buffer.reserve_exact(CHUNK);
        let n = (&mut file).take(CHUNK as u64).read_to_end(&mut buffer)?;
        if n == 0 {
            return Ok(Some((read, format!("{:x}", hasher.finalize()))));
        }
        hasher.update(&buffer);
        read += n as u64;
        if chunks.send(buffer).is_err() {
            return Ok(None);
        }
    }
}

/// The parsing side of [`read_hashed`]: the chunks as one reader (the end of the file when
/// the reading stops, whatever the reason: [`streamed`] then asks the reading thread why).
struct Chunks {
    received: std::sync::mpsc::Receiver<Vec<u8>>,
    spent: std::sync::mpsc::Sender<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
}

impl std::io::BufRead for Chunks {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.at == self.current.len()
            && let Ok(next) = self.received.recv()
        {
            let spent = std::mem::replace(&mut self.current, next);
            self.at = 0;
            // The reading thread may have stopped: the buffer is then freed here.
            let _ = self.spent.send(spent);
        }
        Ok(&self.current[self.at..])
    }

    fn consume(&mut self, n: usize) {
        self.at = (self.at + n).min(self.current.len());
    }
}

impl Read for Chunks {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = std::io::BufRead::fill_buf(self)?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        std::io::BufRead::consume(self, n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch directory of this test process.
    fn scratch(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("kevgate-sbom-input-{name}-{}", std::process::id()));
        fs_err::create_dir_all(&dir).expect("temp dir writable");
        dir
    }

    /// A real trivy SBOM grown past a dozen chunks (its components copied under new
    /// `bom-ref`s, the dependency graph with them), then 3 MiB of trailing whitespace.
    fn many_chunks() -> Vec<u8> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/sbom/trivy-cdx1.7-image-python-backend-debian-pypi.json");
        let original = fs_err::read(path).expect("fixture readable");
        let mut doc: serde_json::Value =
            serde_json::from_slice(&original).expect("fixture is JSON");
        let components = doc["components"].as_array().expect("components").clone();
        let dependencies = doc["dependencies"].as_array().expect("graph").clone();
        let renamed = |text: &serde_json::Value, copy: usize| {
            serde_json::Value::String(format!("{}-{copy}", text.as_str().expect("a ref")))
        };
        for copy in 1..=14 * CHUNK / original.len() {
            for component in &components {
                let mut component = component.clone();
                component["bom-ref"] = renamed(&component["bom-ref"], copy);
                doc["components"]
                    .as_array_mut()
                    .expect("array")
                    .push(component);
            }
            for dependency in &dependencies {
                let mut dependency = dependency.clone();
                dependency["ref"] = renamed(&dependency["ref"], copy);
                for target in dependency["dependsOn"].as_array_mut().expect("array") {
                    *target = renamed(target, copy);
                }
                doc["dependencies"]
                    .as_array_mut()
                    .expect("array")
                    .push(dependency);
            }
        }
        let mut bytes = serde_json::to_vec_pretty(&doc).expect("serialisable");
        bytes.extend(std::iter::repeat_n(b' ', 3 * CHUNK));
        bytes.push(b'\n');
        bytes
    }

    /// Streamed through the reading thread, a document of many chunks (read ahead, buffers
    /// reused, whitespace after the document) gives the SBOM the whole-file path gives and the
    /// sha256 of every byte of the file, plain and gzip'd; a refused document, or one over the
    /// cap, is left to the whole-file path.
    #[test]
    fn streamed_reads_and_hashes_every_byte() {
        let dir = scratch("stream");
        let plain = many_chunks();
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut encoder, &plain).expect("in-memory gzip");
        let gzip = encoder.finish().expect("in-memory gzip");
        for (name, bytes) in [("plain.cdx.json", &plain), ("gzip.cdx.json.gz", &gzip)] {
            let path = dir.join(name);
            fs_err::write(&path, bytes).expect("temp file writable");
            let input = streamed(&path, 1 << 30)
                .expect("no error")
                .expect("streamed");
            let whole = from_bytes(bytes.clone(), name, 1 << 30).expect("whole file parses");
            assert_eq!(
                input.sha256,
                crate::attestation::sha256_hex(bytes),
                "{name}"
            );
            assert_eq!(input.sha256, whole.sha256, "{name}");
            assert!(input.parsed.components.len() > 5_000, "{name}");
            assert_eq!(input.parsed, whole.parsed, "{name}");
            // The cap counts the file's bytes (for gzip, inflating is capped too).
            let cap = bytes.len() as u64 - 1;
            assert!(streamed(&path, cap).expect("no error").is_none(), "{name}");
        }
        let inflate_cap = plain.len() as u64 - 1;
        let path = dir.join("gzip.cdx.json.gz");
        let error = streamed(&path, inflate_cap)
            .map(|_| ())
            .expect_err("inflates past the cap");
        assert!(error.to_string().contains("gzip.cdx.json.gz"), "{error}");

        // A duplicate key in the first component: refused (the whole-file path explains).
        let mut refused = plain.clone();
        let at = refused
            .windows(9)
            .position(|w| w == b"\"bom-ref\"")
            .expect("a bom-ref");
        refused.splice(
            at..at,
            b"\"name\": \"x\", \"name\": \"y\", ".iter().copied(),
        );
        let path = dir.join("refused.cdx.json");
        fs_err::write(&path, &refused).expect("temp file writable");
        assert!(streamed(&path, 1 << 30).expect("no error").is_none());
        fs_err::remove_dir_all(&dir).expect("temp dir removable");
    }
}
