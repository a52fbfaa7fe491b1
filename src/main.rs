//! The `kevgate` binary: runs the CLI and maps its result to the exit code.
//!
//! 0: the gate passed (or a non-scan command succeeded); 1: the gate failed; 2: usage,
//! configuration, input or database error. See `docs/exit-codes.md`. This is the only place
//! that decides the exit code.

use kevgate::cli::{self, Io, Outcome, UsageError};
use kevgate::output::Console;
use std::io::Write;
use std::process::ExitCode;

/// jemalloc for every allocation (Cargo.toml says why: time and peak RSS, measured).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

// The one place that touches the process's stdout and stderr: everything else writes through
// the `Console`s, which neutralise workflow commands (`src/output.rs`).
#[allow(clippy::disallowed_methods)]
fn main() -> ExitCode {
    // A panic's message can quote input too: it goes through a console like everything else.
    std::panic::set_hook(Box::new(|info| {
        let mut err = Console::new(std::io::stderr());
        let _ = writeln!(err, "{info}");
        let _ = err.finish();
    }));
    let env = |key: &str| std::env::var(key).ok();
    let mut out: Console = Console::new(Box::new(std::io::stdout().lock()));
    let mut err: Console = Console::new(Box::new(std::io::stderr().lock()));
    let code = {
        let mut io = Io {
            env: &env,
            stdout: &mut out,
            stderr: &mut err,
            stdout_is_terminal: cli::stdout_is_terminal(),
        };
        let result = cli::run(std::env::args_os().collect(), &mut io);
        let _ = io.stdout.finish();
        match result {
            Ok(Outcome::Passed) => ExitCode::SUCCESS,
            Ok(Outcome::Failed) => ExitCode::from(1),
            Err(e) => {
                if let Some(usage) = e.downcast_ref::<UsageError>() {
                    let _ = write!(io.stderr, "{usage}");
                } else {
                    let _ = writeln!(io.stderr, "error: {}", one_line(&format!("{e:#}")));
                }
                ExitCode::from(2)
            }
        }
    };
    let _ = out.finish();
    let _ = err.finish();
    code
}

/// Errors are one line: newlines from any source become spaces.
fn one_line(s: &str) -> String {
    s.split(['\n', '\r'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
