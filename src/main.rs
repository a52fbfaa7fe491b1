//! The `kevgate` binary: runs the CLI and maps its result to the exit code.
//!
//! 0: the gate passed (or a non-scan command succeeded); 1: the gate failed; 2: usage,
//! configuration, input or database error. See `docs/exit-codes.md`. This is the only place
//! that decides the exit code.

use kevgate::cli::{self, Io, Outcome, UsageError};
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let env = |key: &str| std::env::var(key).ok();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut out = stdout.lock();
    let mut err = stderr.lock();
    let mut io = Io {
        env: &env,
        stdout: &mut out,
        stderr: &mut err,
        stdout_is_terminal: cli::stdout_is_terminal(),
    };
    let result = cli::run(std::env::args_os().collect(), &mut io);
    let _ = out.flush();
    match result {
        Ok(Outcome::Passed) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        Err(e) => {
            if let Some(usage) = e.downcast_ref::<UsageError>() {
                let _ = write!(err, "{usage}");
            } else {
                let _ = writeln!(err, "error: {}", one_line(&format!("{e:#}")));
            }
            ExitCode::from(2)
        }
    }
}

/// Errors are one line: newlines from any source become spaces.
fn one_line(s: &str) -> String {
    s.split(['\n', '\r'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
