//! End-to-end tests: the `kevgate` binary on fixtures, as users run it.
//!
//! Each test runs the real binary in a temporary working directory with a controlled
//! environment (no `HOME` cache, `KEVGATE_NOW` fixed), and checks stdout, stderr and the exit
//! code. Snapshots filter the temporary paths.

mod action;
mod attestation;
mod cli;
mod container;
mod cve_scope;
mod db_corrupt;
mod demo_db;
mod distro;
mod findings;
mod formats;
mod jvn;
mod malware;
mod notify;
mod policy;
mod release;
mod runner;
mod sboms;
mod scan;
mod track;
mod trivy;
mod update;
mod watch;
mod weekly;
mod workspace;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (fixtures are relative to it).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path below `tests/fixtures`.
pub fn fixture(rel: &str) -> PathBuf {
    root().join("tests/fixtures").join(rel)
}

/// A fresh temporary directory, removed at drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates `target/it-tmp/<name>-<pid>-<n>`.
    pub fn new(name: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = root().join("target/it-tmp").join(format!(
            "{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs_err::remove_dir_all(&dir);
        fs_err::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs_err::remove_dir_all(&self.0);
    }
}

/// `kevgate` with a clean environment: no cache, fixed date, no colour.
pub fn kevgate(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kevgate"));
    cmd.current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KEVGATE_NOW", "2025-08-26")
        .env("KEVGATE_CACHE_DIR", cwd.join("no-cache"))
        .env("NO_COLOR", "1");
    cmd
}

/// The value of step output `name` in a `$GITHUB_OUTPUT` file (`name=value` lines).
pub fn output(outputs: &str, name: &str) -> String {
    outputs
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("output `{name}` in {outputs}"))
        .to_owned()
}

/// Runs a command, returning (exit code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("run kevgate");
    (
        status.code().expect("exit code (not killed by a signal)"),
        String::from_utf8(stdout).expect("stdout is UTF-8"),
        String::from_utf8(stderr).expect("stderr is UTF-8"),
    )
}
