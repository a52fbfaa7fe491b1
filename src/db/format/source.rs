//! Where a database file's bytes come from: memory, or an open file read part by part.

use super::FormatError;
use std::borrow::Cow;

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
