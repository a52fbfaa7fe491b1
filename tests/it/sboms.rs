//! Every SBOM fixture, real and hostile, through the whole binary: a result or a clear exit 2,
//! never a panic, a hang, or an error of more than one line.

use crate::{TempDir, fixture, kevgate, root};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `cmd`, killing it after `limit`. Returns (exit code, stdout, stderr).
fn run_bounded(cmd: &mut Command, limit: Duration) -> (i32, String, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kevgate");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("kevgate took longer than {limit:?}: {cmd:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let out = child.wait_with_output().expect("collect output");
    (
        out.status
            .code()
            .expect("exit code (not killed by a signal)"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs_err::read_dir(dir)
        .expect("read fixture dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e != "md"))
        .collect();
    v.sort();
    v
}

/// Scans one file with the demo database as `--db`; checks the exit-code contract and returns
/// a one-line summary for the snapshot.
fn scan_summary(dir: &Path, sbom: &Path) -> String {
    let name = sbom
        .file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned();
    let (code, stdout, stderr) = run_bounded(
        kevgate(dir)
            .arg("scan")
            .arg(sbom)
            .arg("--db")
            .arg(root().join("assets/demo.kvdb"))
            .args(["--format", "json", "--max-db-age", "100000"]),
        Duration::from_secs(20),
    );
    match code {
        0 | 1 => {
            let report: Value = serde_json::from_str(&stdout)
                .unwrap_or_else(|e| panic!("{name}: stdout is not JSON ({e}): {stderr}"));
            let verdict = report["verdict"].as_str().expect("verdict");
            assert_eq!(
                verdict == "fail",
                code == 1,
                "{name}: exit code follows the verdict"
            );
            let mut ids: Vec<String> = report["findings"]
                .as_array()
                .expect("findings")
                .iter()
                .map(|f| {
                    format!(
                        "{}{}",
                        f["id"].as_str().expect("id"),
                        if f["kev"].is_object() { "(KEV)" } else { "" }
                    )
                })
                .collect();
            ids.dedup();
            let notes: Vec<&str> = report["notes"]
                .as_array()
                .expect("notes")
                .iter()
                .map(|n| n["code"].as_str().expect("code"))
                .collect();
            format!(
                "{name}: exit {code}, {} findings [{}], notes {:?}",
                report["findings"].as_array().map_or(0, Vec::len),
                ids.join(" "),
                notes
            )
        }
        2 => {
            let lines: Vec<&str> = stderr.lines().collect();
            assert_eq!(lines.len(), 1, "{name}: one line on stderr, got: {stderr}");
            assert!(lines[0].starts_with("error: "), "{name}: {stderr}");
            assert!(
                lines[0].contains(&name),
                "{name}: the error names the file: {stderr}"
            );
            assert!(stdout.is_empty(), "{name}: nothing on stdout on error");
            format!(
                "{name}: exit 2, {}",
                lines[0].replace(&*sbom.to_string_lossy(), "[SBOM]")
            )
        }
        other => panic!("{name}: exit code {other} (a panic is 101): {stderr}"),
    }
}

/// The real SBOMs of `../shared/data/sboms` (trimmed copies): CycloneDX 1.2-1.7 from trivy,
/// syft, cdxgen, cyclonedx-npm/-gomod/-maven/-dotnet give a report; SPDX and trivy's own
/// JSON report are refused with a hint. The snapshot is the reviewed result per file.
#[test]
fn real_sboms_give_a_result_or_a_clear_error() {
    let tmp = TempDir::new("sboms");
    let mut summary = String::new();
    for path in files(&fixture("sbom")) {
        writeln!(summary, "{}", scan_summary(tmp.path(), &path)).expect("write");
    }
    insta::assert_snapshot!("real-sboms", summary);
    assert!(summary.contains("spdx2.2-trivy-fs-sbomqs.json: exit 0"));
    assert!(summary.contains("trivy-json-report-ubuntu-latest.json: exit 2"));
}

/// At least 40 malformed or hostile files: each is exit 2 with one line naming the file, or a
/// report; never a panic or a hang.
#[test]
fn hostile_sboms_never_panic() {
    let tmp = TempDir::new("hostile");
    let paths = files(&fixture("sbom/hostile"));
    assert!(paths.len() >= 40, "{} hostile files", paths.len());
    let mut summary = String::new();
    for path in paths {
        writeln!(summary, "{}", scan_summary(tmp.path(), &path)).expect("write");
    }
    insta::assert_snapshot!("hostile-sboms", summary);
}

/// The example SBOM by its fixture name (keeps `sbom_fixture` honest for other tests).
#[test]
fn sbom_fixture_finds_nested_names() {
    let p = crate::scan::sbom_fixture("trivy-cdx1.7-golden-fs-npm-with-vuln.json");
    assert!(p.starts_with(fixture("sbom")));
}
