//! The command line itself: help, usage errors, exit codes.

use crate::{TempDir, kevgate, run};

/// `--help` is part of the interface: snapshot it so changes are reviewed.
#[test]
fn help_is_stable() {
    let tmp = TempDir::new("help");
    let (code, stdout, _) = run(kevgate(tmp.path()).arg("--help"));
    assert_eq!(code, 0);
    insta::assert_snapshot!("help", stdout);
    let (code, stdout, _) = run(kevgate(tmp.path()).args(["scan", "--help"]));
    assert_eq!(code, 0);
    insta::assert_snapshot!("scan-help", stdout);
}

/// A usage error exits 2, never 0 or 1.
#[test]
fn usage_errors_exit_2() {
    let tmp = TempDir::new("usage");
    let (code, _, stderr) =
        run(kevgate(tmp.path()).args(["scan", "x.json", "--fail-on", "severe"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("severe"), "{stderr}");
    let (code, _, _) = run(kevgate(tmp.path()).arg("frobnicate"));
    assert_eq!(code, 2);
}

/// A missing SBOM is an error naming the file, one line, exit 2.
#[test]
fn missing_sbom_names_the_file() {
    let tmp = TempDir::new("missing");
    let (code, stdout, stderr) = run(kevgate(tmp.path()).args(["scan", "nope.cdx.json"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("nope.cdx.json"), "{stderr}");
}

/// More outputs than formats, or two formats on stdout, are usage errors.
#[test]
fn formats_pair_with_outputs() {
    let tmp = TempDir::new("pairs");
    let (code, _, stderr) =
        run(kevgate(tmp.path()).args(["scan", "x.json", "--format", "json", "--format", "sarif"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("stdout"), "{stderr}");
    let (code, _, stderr) =
        run(kevgate(tmp.path()).args(["scan", "x.json", "--output", "a", "--output", "b"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("--output"), "{stderr}");
}
