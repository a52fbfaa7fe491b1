//! The workspace: where files kevgate reads because a repository says so must stay, and where
//! the reports it writes must land (issue 10, items 2 and 12).
//!
//! Whoever opens a pull request controls the files in the checkout, symlinks included. A
//! `.trivyignore` that is a symlink to `/proc/self/environ` would otherwise put the runner's
//! environment (tokens included) into the notes kevgate publishes; one to `/dev/zero` or a
//! FIFO would hang it or exhaust memory; a `kevgate.json` that is a symlink would make
//! kevgate overwrite a file elsewhere. So:
//!
//! - A file named by the repository (the policy files, VEX documents a config names, the
//!   action's `config`, `json-file` and `sarif-file` inputs) is resolved with symlinks
//!   followed only while the result stays inside the workspace: the canonical path must lie
//!   below the canonical workspace root.
//! - A path given on the command line that lies outside the workspace (an absolute path
//!   elsewhere, or one climbing out with `..`) is the user's choice and is not confined; one
//!   that lies inside it is confined like a repository's (the repository controls what is
//!   there, whoever typed the name).
//! - Whatever is read must be a regular file (not a directory, FIFO or device; checked before
//!   opening, so a FIFO cannot block) and at most a cap of bytes, read with a bound.
//! - Reports are written to a temporary file in the (confined) directory and renamed over the
//!   target: a symlink at the target is replaced, never written through.
//!
//! Errors are one line naming the file as given, never its target or its content.

use anyhow::{Context as _, bail};
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Default cap on a policy file (`.kevgate.yaml`, `.trivyignore`, `.trivyignore.yaml`, a VEX
/// document, a baseline, one fetched from the base commit): 10 MiB.
pub const POLICY_FILE_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// Who named a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedBy {
    /// The repository (a default file name, a config's `vex` entry, an action input).
    Repository,
    /// The command line: outside the workspace it is the user's choice.
    User,
}

/// The directory files must stay in: `GITHUB_WORKSPACE` for `action`, the working directory
/// for `scan`.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// As given, absolute (may contain symlinks).
    given: PathBuf,
    /// Canonical.
    root: PathBuf,
    /// The working directory relative paths are resolved against.
    cwd: PathBuf,
}

impl Workspace {
    /// The workspace rooted at `dir` (relative to the working directory).
    pub fn new(dir: &Path) -> anyhow::Result<Workspace> {
        let cwd = std::env::current_dir().context("cannot read the working directory")?;
        let given = normalize(&cwd.join(dir));
        let root = fs_err::canonicalize(&given).map_err(|e| anyhow::anyhow!("workspace: {e}"))?;
        Ok(Workspace { given, root, cwd })
    }

    /// The workspace of `action`: `GITHUB_WORKSPACE`, else the working directory.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Workspace> {
        match env("GITHUB_WORKSPACE").filter(|v| !v.trim().is_empty()) {
            Some(dir) => Workspace::new(Path::new(&dir)),
            None => Workspace::new(Path::new(".")),
        }
    }

    /// The file `name` at the workspace root, as a path to read: `name` itself when the
    /// working directory is the root (messages then show just the name), else the root
    /// joined with it (the action run from another directory still reads the workspace's
    /// `.kevgate.yaml`).
    pub fn file(&self, name: &str) -> PathBuf {
        if self.cwd == self.given || self.cwd == self.root {
            PathBuf::from(name)
        } else {
            self.given.join(name)
        }
    }

    /// `path` made absolute and normalized (no `.` or `..`), without touching the disk.
    fn absolute(&self, path: &Path) -> PathBuf {
        normalize(&self.cwd.join(path))
    }

    /// Whether `path` (as written, before symlinks) lies in the workspace.
    fn contains_lexically(&self, path: &Path) -> bool {
        let abs = self.absolute(path);
        abs.starts_with(&self.given) || abs.starts_with(&self.root)
    }

    /// Whether something (a file, a directory, a symlink, even a dangling one) is at `path`.
    pub fn exists(&self, path: &Path) -> bool {
        fs_err::symlink_metadata(self.absolute(path)).is_ok()
    }

    /// The repository path of `path` (relative to the workspace root, `/`-separated), when it
    /// lies in the workspace as written: the name to ask GitHub for at another commit.
    pub fn repository_path(&self, path: &Path) -> Option<String> {
        let abs = self.absolute(path);
        let rel = abs
            .strip_prefix(&self.given)
            .or_else(|_| abs.strip_prefix(&self.root))
            .ok()?;
        let parts: Vec<&str> = rel
            .components()
            .map(|c| match c {
                Component::Normal(s) => s.to_str(),
                _ => None,
            })
            .collect::<Option<_>>()?;
        (!parts.is_empty()).then(|| parts.join("/"))
    }

    /// Whether `path`, named by `by`, must stay in the workspace: always for the repository's
    /// names, and for the user's when it lies in the workspace as written.
    pub fn confines(&self, path: &Path, by: NamedBy) -> bool {
        by == NamedBy::Repository || self.contains_lexically(path)
    }

    /// Where `path` really is, refusing a symlink that leads out of the workspace (for a path
    /// the repository named, or one in the workspace).
    fn resolve(&self, path: &Path, by: NamedBy) -> anyhow::Result<PathBuf> {
        let confined = self.confines(path, by);
        let shown = path.display();
        if confined && !self.contains_lexically(path) {
            bail!(
                "`{shown}` is outside the workspace `{}`; hint: name a file in the repository",
                self.given.display()
            );
        }
        let real = fs_err::canonicalize(self.absolute(path)).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound if self.exists(path) => anyhow::anyhow!(
                "`{shown}` is a symlink to nothing; hint: policy files must be regular files"
            ),
            _ => anyhow::anyhow!("{e}"),
        })?;
        if confined && !real.starts_with(&self.root) {
            bail!(
                "`{shown}` is a symlink that leads out of the workspace; hint: files kevgate \
                 reads and writes must stay in the repository"
            );
        }
        Ok(real)
    }

    /// Reads `path`: a regular file (after symlinks, confined as [`NamedBy`] says) of at most
    /// `max` bytes.
    pub fn read(&self, path: &Path, by: NamedBy, max: u64) -> anyhow::Result<Vec<u8>> {
        let shown = path.display();
        let real = self.resolve(path, by)?;
        // Checked before opening: opening a FIFO blocks until someone writes to it.
        let meta = fs_err::metadata(&real).map_err(|e| anyhow::anyhow!("{e}"))?;
        if !meta.is_file() {
            bail!(
                "`{shown}` is not a regular file (a directory, FIFO, device or socket); hint: \
                 give a regular file"
            );
        }
        let file = fs_err::File::open(&real).map_err(|e| anyhow::anyhow!("{e}"))?;
        if !file.metadata().is_ok_and(|m| m.is_file()) {
            bail!("`{shown}` is not a regular file");
        }
        let mut bytes = Vec::new();
        file.take(max.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| anyhow::anyhow!("`{shown}`: {e}"))?;
        if bytes.len() as u64 > max {
            bail!("`{shown}` is larger than {max} bytes; hint: policy files are small text files");
        }
        Ok(bytes)
    }

    /// Where to write a report named `path`: the file name in its real directory, which must
    /// stay in the workspace (as [`NamedBy`] says). Write with a temporary file and a rename,
    /// so that a symlink at the target is replaced rather than written through.
    pub fn output_path(&self, path: &Path, by: NamedBy) -> anyhow::Result<PathBuf> {
        let abs = self.absolute(path);
        let (Some(parent), Some(name)) = (abs.parent(), abs.file_name()) else {
            bail!("`{}` is not a file path", path.display());
        };
        let dir = self.resolve(parent, by).map_err(|_| {
            anyhow::anyhow!(
                "cannot write `{}`: its directory does not exist or leads out of the \
                 workspace; hint: write reports inside the repository",
                path.display()
            )
        })?;
        Ok(dir.join(name))
    }
}

/// `path` without `.` and with `..` applied lexically.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Paths as written: `..` climbs, `.` vanishes, repository paths use `/`.
    #[test]
    fn lexical_paths() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(normalize(Path::new("/a/../../c")), PathBuf::from("/c"));
        let ws = Workspace {
            given: PathBuf::from("/ws"),
            root: PathBuf::from("/real/ws"),
            cwd: PathBuf::from("/ws"),
        };
        assert!(ws.contains_lexically(Path::new("sub/.kevgate.yaml")));
        assert!(!ws.contains_lexically(Path::new("../x")));
        assert!(!ws.contains_lexically(Path::new("/etc/passwd")));
        assert_eq!(
            ws.repository_path(Path::new("./sub/../cfg/k.yaml")),
            Some("cfg/k.yaml".to_owned())
        );
        assert_eq!(ws.repository_path(Path::new("../x")), None);
        assert_eq!(ws.repository_path(Path::new(".")), None);
    }
}
