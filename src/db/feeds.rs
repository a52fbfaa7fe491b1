//! Reading the feeds as published: walking input directories, unpacking `.gz` and `.zip`,
//! and one lenient parser per feed (`osv`, `nvd`, `kev`, `epss`, `jvn`) turning the feed's own
//! shapes (private DTOs) into the model types.
//!
//! Each parser gets a [`Doc`] (one file, or one member of an archive, already decompressed)
//! and says whether it read it, or skipped it as a *known* non-feed file (a JSON schema, an
//! Alpine secdb file, a CVE 5 record, ...): files kevgate recognises as something else are
//! skipped with a warning, while a file that claims to be the feed's format (`.json`) but is
//! not is an error, so a typo'd input path fails loudly instead of building an empty db.

pub mod epss;
pub mod jvn;
pub mod kev;
pub mod nvd;
pub mod osv;
mod withdrawn;

use crate::db::DbError;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// What a document is, by its (inner) file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// `.json`: one JSON value.
    Json,
    /// `.jsonl` / `.ndjson`: one JSON value per line.
    Jsonl,
    /// `.csv`.
    Csv,
    /// Anything else (skipped with a warning by the callers).
    Other,
}

impl DocKind {
    fn of(name: &str) -> DocKind {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".json") {
            DocKind::Json
        } else if lower.ends_with(".jsonl") || lower.ends_with(".ndjson") {
            DocKind::Jsonl
        } else if lower.ends_with(".csv") {
            DocKind::Csv
        } else {
            DocKind::Other
        }
    }
}

/// Caps on what reading the feeds may decompress (issue 10, item 6): a 3 MB zip bomb
/// inflates to gigabytes. Each document is held in memory whole, so the entry cap bounds
/// memory; the file cap bounds the work one archive can cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes one document may hold: a plain file, a `.gz`'s content, one zip member.
    /// Default 256 MiB (the largest real feed document, an NVD 1.1 yearly feed, is ~100 MB).
    pub max_entry_bytes: u64,
    /// Most bytes one input file may decompress to in all (every member of a zip). Default
    /// 8 GiB.
    pub max_file_bytes: u64,
}

impl Default for Limits {
    /// 256 MiB per document, 8 GiB per file.
    fn default() -> Limits {
        Limits {
            max_entry_bytes: 256 << 20,
            max_file_bytes: 8 << 30,
        }
    }
}

impl Limits {
    /// Why a document of `n` bytes passes `max_entry_bytes`, if it does.
    pub fn entry_too_big(&self, n: u64) -> Option<String> {
        (n > self.max_entry_bytes).then(|| {
            format!(
                "decompresses to more than {} bytes, the cap per document \
                 (`KEVGATE_MAX_ENTRY_BYTES`)",
                self.max_entry_bytes
            )
        })
    }

    /// Reads `reader` whole, or fails once it passes `max_entry_bytes` or, counting `total`
    /// (the file's bytes so far, updated), `max_file_bytes`. The error is one line naming
    /// the cap and the environment variable that raises it.
    pub fn read(&self, reader: impl Read, total: &mut u64) -> Result<Vec<u8>, String> {
        let room = self
            .max_entry_bytes
            .min(self.max_file_bytes.saturating_sub(*total));
        let mut bytes = Vec::new();
        reader
            .take(room.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| e.to_string())?;
        let n = bytes.len() as u64;
        if let Some(why) = self.entry_too_big(n) {
            return Err(why);
        }
        if total.saturating_add(n) > self.max_file_bytes {
            return Err(format!(
                "decompresses to more than {} bytes, the cap per feed file \
                 (`KEVGATE_MAX_FEED_BYTES`)",
                self.max_file_bytes
            ));
        }
        *total += n;
        Ok(bytes)
    }
}

/// One document: a file, or a member of a `.zip`, decompressed.
#[derive(Debug)]
pub struct Doc {
    /// For messages: the input path (relative to the input root's parent), plus `!member`
    /// for archive members.
    pub name: String,
    /// Its kind.
    pub kind: DocKind,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

impl Doc {
    /// A parse error about this document.
    pub fn error(&self, reason: impl std::fmt::Display) -> DbError {
        DbError::Parse {
            path: self.name.clone(),
            reason: one_line(&reason.to_string()),
        }
    }

    /// A parse error about one line of this document.
    pub fn line_error(&self, line: usize, reason: impl std::fmt::Display) -> DbError {
        DbError::Parse {
            path: format!("{}:{line}", self.name),
            reason: one_line(&reason.to_string()),
        }
    }

    /// The non-empty lines of a JSON-lines document with their 1-based numbers.
    pub fn lines(&self) -> impl Iterator<Item = (usize, &[u8])> {
        self.bytes
            .split(|&b| b == b'\n')
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim_ascii()))
            .filter(|(_, l)| !l.is_empty())
    }
}

/// Where a document parsed alone sits in the JSON-lines document it was cut from
/// ([`split_lines`]): `db build` parses one document's lines on several threads (issue 14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// Lines of the whole document before this part (messages number lines in the whole).
    pub lines_before: usize,
    /// No non-blank line of the whole document comes before this part.
    pub first: bool,
}

impl Part {
    /// A whole document.
    pub const WHOLE: Part = Part {
        lines_before: 0,
        first: true,
    };
}

/// Hands `doc` to `each` in parts of whole lines, each about `target` bytes (a line longer
/// than that is a part of its own), in order; a document no longer than `target` whole.
pub fn split_lines<E>(
    doc: Doc,
    target: usize,
    mut each: impl FnMut(Doc, Part) -> Result<(), E>,
) -> Result<(), E> {
    let len = doc.bytes.len();
    if len <= target {
        return each(doc, Part::WHOLE);
    }
    let mut part = Part::WHOLE;
    let mut start = 0;
    while start < len {
        let cut = (start + target.max(1)).min(len);
        let end = doc.bytes[cut..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(len, |i| cut + i + 1);
        let bytes = doc.bytes[start..end].to_vec();
        let next = Part {
            lines_before: part.lines_before + bytes.iter().filter(|&&b| b == b'\n').count(),
            first: part.first && bytes.iter().all(u8::is_ascii_whitespace),
        };
        let piece = Doc {
            name: doc.name.clone(),
            kind: doc.kind,
            bytes,
        };
        each(piece, part)?;
        part = next;
        start = end;
    }
    Ok(())
}

/// What a parser did with a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Read; this many records.
    Read(usize),
    /// Recognised as something else and skipped; why.
    Skipped(String),
}

/// One input file found under an input root.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// Where it is.
    pub path: PathBuf,
    /// How the manifest and messages name it: relative to the root's parent, `/`-separated,
    /// so the manifest does not depend on where the inputs sit.
    pub display: String,
}

/// The files under `root` (itself if it is a file), sorted by name, hidden files skipped.
pub fn walk(root: &Path) -> Result<Vec<InputFile>, DbError> {
    let base = root.file_name().map(|n| n.to_string_lossy().into_owned());
    let base = base.unwrap_or_else(|| root.display().to_string());
    let meta = fs_err::metadata(root)?;
    if !meta.is_dir() {
        return Ok(vec![InputFile {
            path: root.to_path_buf(),
            display: base,
        }]);
    }
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), base)];
    while let Some((dir, display)) = stack.pop() {
        let mut entries = fs_err::read_dir(&dir)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<Vec<_>, _>>()?;
        entries.sort();
        for path in entries {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with('.') {
                continue;
            }
            let child = format!("{display}/{name}");
            if fs_err::metadata(&path)?.is_dir() {
                stack.push((path, child));
            } else {
                out.push(InputFile {
                    path,
                    display: child,
                });
            }
        }
    }
    out.sort_by(|a, b| a.display.cmp(&b.display));
    Ok(out)
}

/// Reads `file` (hashing its bytes as stored into `hasher`), unpacks `.gz` / `.zip` within
/// `limits`, and hands every document to `each`.
pub fn open(
    file: &InputFile,
    limits: &Limits,
    hasher: &mut Sha256,
    mut each: impl FnMut(Doc) -> Result<(), DbError>,
) -> Result<(), DbError> {
    let lower = file.display.to_ascii_lowercase();
    let archive = lower.ends_with(".gz") || lower.ends_with(".zip");
    let size = fs_err::metadata(&file.path)?.len();
    if !archive && size > limits.max_entry_bytes {
        return Err(DbError::Parse {
            path: file.display.clone(),
            reason: format!(
                "{size} bytes, more than {} bytes, the cap per document \
                 (`KEVGATE_MAX_ENTRY_BYTES`)",
                limits.max_entry_bytes
            ),
        });
    }
    let mut total = 0u64;
    if let Some(inner) = lower.strip_suffix(".gz") {
        // Decompressed as it is read and hashed; never held compressed and whole.
        let mut reader = Hashing {
            inner: std::io::BufReader::new(fs_err::File::open(&file.path)?),
            hasher,
        };
        let bytes = limits
            .read(flate2::read::MultiGzDecoder::new(&mut reader), &mut total)
            .map_err(|e| DbError::Parse {
                path: file.display.clone(),
                reason: format!("bad gzip data: {e}"),
            })?;
        std::io::copy(&mut reader, &mut std::io::sink())?;
        return each(Doc {
            name: file.display.clone(),
            kind: DocKind::of(inner),
            bytes,
        });
    }
    if lower.ends_with(".zip") {
        // Hashed in one streaming pass, then read member by member from the file: an
        // `all.zip` of hundreds of MB is never held whole (issue 14).
        let mut reader = Hashing {
            inner: fs_err::File::open(&file.path)?,
            hasher,
        };
        std::io::copy(&mut reader, &mut std::io::sink())?;
        let bad = |e: &dyn std::fmt::Display| DbError::Parse {
            path: file.display.clone(),
            reason: format!("bad zip archive: {e}"),
        };
        let zip_file = std::io::BufReader::new(fs_err::File::open(&file.path)?);
        let mut archive = zip::ZipArchive::new(zip_file).map_err(|e| bad(&e))?;
        let mut names: Vec<String> = archive.file_names().map(str::to_owned).collect();
        names.sort();
        for member in names {
            if member.ends_with('/') {
                continue;
            }
            let entry = archive.by_name(&member).map_err(|e| bad(&e))?;
            let bytes = limits.read(entry, &mut total).map_err(|e| DbError::Parse {
                path: format!("{}!{member}", file.display),
                reason: format!("bad zip member: {e}"),
            })?;
            each(Doc {
                name: format!("{}!{member}", file.display),
                kind: DocKind::of(&member),
                bytes,
            })?;
        }
        return Ok(());
    }
    let raw = fs_err::read(&file.path)?;
    hasher.update(&raw);
    each(Doc {
        name: file.display.clone(),
        kind: DocKind::of(&lower),
        bytes: raw,
    })
}

/// A reader that hashes what passes through it.
struct Hashing<'a, R> {
    inner: R,
    hasher: &'a mut Sha256,
}

impl<R: Read> Read for Hashing<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Collapses whitespace runs (newlines included) to one space.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `s` on one line, cut to at most `max` characters at a word boundary when possible, with
/// `…` when cut.
pub fn trim_text(s: &str, max: usize) -> Option<String> {
    let s = one_line(s);
    if s.is_empty() {
        return None;
    }
    if s.chars().count() <= max {
        return Some(s);
    }
    let cut: String = s.chars().take(max).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > max / 2 => cut[..i].trim_end().to_string(),
        _ => cut,
    };
    Some(format!("{cut}…"))
}

/// A sort key for the timestamps the feeds write (`2022-01-25T14:49Z`,
/// `2025-11-04T22:16:43.413`, `2024-01-01T00:00:00.123456Z`): the digits, padded, so that
/// different precisions compare by time. Time zones are ignored (all feeds write UTC).
pub fn time_key(ts: &str) -> String {
    let mut digits: String = ts.chars().filter(char::is_ascii_digit).take(20).collect();
    while digits.len() < 20 {
        digits.push('0');
    }
    digits
}

/// The `YYYY-MM-DD` of a timestamp, if it starts with one.
pub fn date_of(ts: &str) -> Option<String> {
    crate::db::parse_date(ts).map(|d| d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_keys_compare_across_precisions() {
        let cases = [
            ("2022-01-25T14:49Z", "2022-01-25T14:49:01Z"),
            ("2025-11-04T22:16:43.413", "2025-11-04T22:16:43.5"),
            ("2024-01-01T00:00:00Z", "2024-01-02"),
            ("2019-12-31T23:59:59.999999Z", "2020-01-01T00:00:00Z"),
        ];
        for (older, newer) in cases {
            assert!(time_key(older) < time_key(newer), "{older} < {newer}");
        }
    }

    /// The caps: a document of exactly the entry cap reads, one byte more fails naming
    /// `KEVGATE_MAX_ENTRY_BYTES`; documents adding up past the file cap fail naming
    /// `KEVGATE_MAX_FEED_BYTES`; a gzip bomb stops after reading at most cap + 1 bytes.
    #[test]
    fn limits_cap_documents_and_files() {
        let limits = Limits {
            max_entry_bytes: 10,
            max_file_bytes: 25,
        };
        let mut total = 0;
        assert_eq!(
            limits.read(&[1u8; 10][..], &mut total).map(|b| b.len()),
            Ok(10)
        );
        let err = limits.read(&[1u8; 11][..], &mut total).unwrap_err();
        assert!(err.contains("`KEVGATE_MAX_ENTRY_BYTES`"), "{err}");
        assert_eq!(
            limits.read(&[1u8; 10][..], &mut total).map(|b| b.len()),
            Ok(10)
        );
        let err = limits.read(&[1u8; 6][..], &mut total).unwrap_err();
        assert!(err.contains("`KEVGATE_MAX_FEED_BYTES`"), "{err}");
        assert_eq!(total, 20);

        // 64 MiB of zeros, gzip'd: read stops at 1 MiB + 1.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            std::io::Write::write_all(&mut gz, &zeros).expect("gzip");
        }
        let bomb = gz.finish().expect("gzip");
        let limits = Limits {
            max_entry_bytes: 1 << 20,
            ..Limits::default()
        };
        let counted = std::cell::Cell::new(0u64);
        struct Counting<'a, R>(R, &'a std::cell::Cell<u64>);
        impl<R: Read> Read for Counting<'_, R> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.read(buf)?;
                self.1.set(self.1.get() + n as u64);
                Ok(n)
            }
        }
        let reader = Counting(flate2::read::GzDecoder::new(&bomb[..]), &counted);
        assert!(limits.read(reader, &mut 0).is_err());
        assert_eq!(counted.get(), (1 << 20) + 1);
    }

    #[test]
    fn trims_text() {
        assert_eq!(trim_text("  a\n b  ", 10).as_deref(), Some("a b"));
        assert_eq!(trim_text("", 10), None);
        assert_eq!(
            trim_text("alpha beta gamma delta", 12).as_deref(),
            Some("alpha beta…")
        );
        assert_eq!(trim_text("ééééé", 3).as_deref(), Some("ééé…"));
    }
}
