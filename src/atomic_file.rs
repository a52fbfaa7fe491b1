//! The one temp-file-and-rename writer: a reader of the file (a scan reading the cache's
//! database, a CI step reading a report) sees the old bytes or the new ones, never half.
//!
//! Used by the CLI for reports, attestations and `db build`, and by `db/` for the cache's
//! database and state. The temporary file sits beside the target (`.NAME.tmpPID`), so the
//! rename stays on one file system; it is created with `create_new`, so a file or symlink
//! planted at that name is an error, never opened and written through (`docs/security.md`,
//! "Files a repository names stay in the workspace").

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The temporary name beside `path`: `.NAME.tmpPID` in the same directory.
pub fn temp_path(path: &Path) -> std::io::Result<PathBuf> {
    let file_name = path.file_name().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("`{}` is not a file path", path.display()),
        )
    })?;
    let mut name = OsString::from(".");
    name.push(file_name);
    name.push(format!(".tmp{}", std::process::id()));
    Ok(match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => dir.join(name),
        None => PathBuf::from(name),
    })
}

/// Writes `bytes` to the temporary file beside `path` and syncs it; returns its path for the
/// caller to rename into place (`db update` swaps directories between the two steps). On
/// error nothing is left behind.
pub fn write_temp(path: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let tmp = temp_path(path)?;
    let result = (|| -> std::io::Result<()> {
        let mut file = fs_err::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    match result {
        Ok(()) => Ok(tmp),
        // Only a file this call created is removed: not one that was already there.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(e),
        Err(e) => {
            let _ = fs_err::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, synced, then renamed
/// over it.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = write_temp(path, bytes)?;
    fs_err::rename(&tmp, path).inspect_err(|_| {
        let _ = fs_err::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file is replaced whole, no temporary file is left, and a symlink planted at the
    /// temporary name is refused, never written through.
    #[test]
    fn replaces_whole_and_leaves_nothing() {
        let dir = std::env::temp_dir().join(format!("kevgate-atomic-{}", std::process::id()));
        let _ = fs_err::remove_dir_all(&dir);
        fs_err::create_dir_all(&dir).expect("mkdir");
        let target = dir.join("out.json");
        write(&target, b"old").expect("write");
        write(&target, b"new").expect("rewrite");
        assert_eq!(fs_err::read(&target).expect("read"), b"new");
        let victim = dir.join("victim");
        fs_err::write(&victim, b"keep").expect("write victim");
        let planted = temp_path(&target).expect("name");
        std::os::unix::fs::symlink(&victim, &planted).expect("symlink");
        assert!(write(&target, b"evil").is_err());
        assert_eq!(fs_err::read(&victim).expect("read"), b"keep");
        assert_eq!(fs_err::read(&target).expect("read"), b"new");
        fs_err::remove_file(&planted).expect("unplant");
        let mut names: Vec<_> = fs_err::read_dir(&dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["out.json", "victim"]);
        assert!(write(Path::new("/"), b"x").is_err());
        let _ = fs_err::remove_dir_all(&dir);
    }
}
