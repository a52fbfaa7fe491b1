//! `kevgate action`: the GitHub Action's entry point, with the runner's environment (`INPUT_*`
//! with hyphens kept, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, a real event payload).
//! No REST calls yet: those come with the loopback fake GitHub API.

use crate::scan::build_kev_hits_db;
use crate::{TempDir, fixture, kevgate, root, run};
use serde_json::Value;
use std::process::Command;

/// `kevgate action` in `tmp` with a pull_request `opened` event (real octokit payload).
fn action(tmp: &TempDir) -> Command {
    let mut cmd = kevgate(tmp.path());
    cmd.arg("action")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env(
            "GITHUB_EVENT_PATH",
            fixture("github/pull_request.opened.payload.json"),
        )
        .env("GITHUB_REPOSITORY", "Codertocat/Hello-World")
        .env("GITHUB_RUN_ID", "42")
        .env("GITHUB_OUTPUT", tmp.path().join("output.txt"))
        .env("GITHUB_STEP_SUMMARY", tmp.path().join("summary.md"))
        // The runner sets every declared input, empty when not given.
        .env("INPUT_DB", "")
        .env("INPUT_CONFIG", "")
        .env("INPUT_FAIL-ON", "critical")
        .env("INPUT_FAIL-ON-KEV", "true")
        .env("INPUT_MAX-DB-AGE", "7")
        .env("INPUT_COMMENT", "true")
        .env("INPUT_ALLOW-DEMO-DB", "false")
        .env("INPUT_GITHUB-TOKEN", "ghs_not_a_real_token");
    cmd
}

fn read(path: std::path::PathBuf) -> String {
    fs_err::read_to_string(path).expect("file written")
}

/// Without a database the action fails closed (exit 2) instead of gating on demo data,
/// and writes no outputs.
#[test]
fn refuses_the_demo_database() {
    let tmp = TempDir::new("action-demo");
    let (code, stdout, stderr) =
        run(action(&tmp).env("INPUT_SBOM", root().join("examples/trivy-sbom.cdx.json")));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("allow-demo-db: true"), "{stderr}");
    assert!(!tmp.path().join("output.txt").exists());
    assert!(!stderr.contains("ghs_not_a_real_token") && !stdout.contains("ghs_not_a_real_token"));
}

/// `allow-demo-db: true` runs on the bundled database, says so, and gates (exit 1).
#[test]
fn demo_database_when_allowed() {
    let tmp = TempDir::new("action-demo-ok");
    let (code, _, stderr) = run(action(&tmp)
        .env("INPUT_SBOM", root().join("examples/trivy-sbom.cdx.json"))
        .env("INPUT_ALLOW-DEMO-DB", "true"));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("DEMO database"), "{stderr}");
    assert!(read(tmp.path().join("summary.md")).contains("demo database"));
}

/// A real SBOM with KEV hits: exit 1, outputs, step summary, JSON and SARIF files; the
/// token never reaches the log.
#[test]
fn gate_outputs_and_reports() {
    let tmp = TempDir::new("action-kev");
    let db = build_kev_hits_db(tmp.path());
    let (code, stdout, stderr) = run(action(&tmp)
        .env(
            "INPUT_SBOM",
            fixture("kev-hits/sboms/other-syft-cdx-image-python-latest.json"),
        )
        .env("INPUT_DB", &db)
        .env("INPUT_JSON-FILE", "kevgate.json")
        .env("INPUT_SARIF-FILE", "kevgate.sarif"));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.contains("CVE-2023-4911"),
        "the table is in the log: {stdout}"
    );
    assert!(!stdout.contains("ghs_") && !stderr.contains("ghs_"));

    let report: Value =
        serde_json::from_str(&read(tmp.path().join("kevgate.json"))).expect("JSON report");
    assert_eq!(report["verdict"], "fail");
    let sarif: Value =
        serde_json::from_str(&read(tmp.path().join("kevgate.sarif"))).expect("SARIF log");
    assert_eq!(sarif["version"], "2.1.0");

    let outputs = read(tmp.path().join("output.txt"));
    let get = |name: &str| {
        outputs
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("output `{name}` in {outputs}"))
            .to_owned()
    };
    assert_eq!(get("verdict"), "fail");
    let kev = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kev"].is_object())
        .count();
    assert!(kev > 0);
    assert_eq!(get("kev-count"), kev.to_string());
    assert_eq!(
        get("findings"),
        report["findings"]
            .as_array()
            .expect("findings")
            .len()
            .to_string()
    );
    assert_eq!(get("json-file"), "kevgate.json");
    assert_eq!(get("sarif-file"), "kevgate.sarif");

    let summary = read(tmp.path().join("summary.md"));
    assert!(
        summary.starts_with("## :x: kevgate: gate failed"),
        "{summary}"
    );
}

/// On an event kevgate does not report on (a PR closed without merging), the gate still
/// runs and the reason is a `::warning::` in the log.
#[test]
fn unsupported_event_warns_and_gates() {
    let tmp = TempDir::new("action-closed");
    let (code, stdout, stderr) = run(action(&tmp)
        .env("INPUT_SBOM", root().join("examples/trivy-sbom.cdx.json"))
        .env("INPUT_ALLOW-DEMO-DB", "true")
        .env(
            "GITHUB_EVENT_PATH",
            fixture("github/pull_request.closed.payload.json"),
        ));
    assert_eq!(code, 1, "{stderr}");
    let warning = stdout
        .lines()
        .find(|l| l.starts_with("::warning "))
        .unwrap_or_else(|| panic!("a warning in {stdout}"));
    assert!(warning.contains("closed without merging"), "{warning}");
}

/// A missing `sbom` input is a usage error (exit 2).
#[test]
fn sbom_is_required() {
    let tmp = TempDir::new("action-nosbom");
    let (code, _, stderr) = run(action(&tmp).env("INPUT_SBOM", ""));
    assert_eq!(code, 2);
    assert!(stderr.contains("input `sbom` is required"), "{stderr}");
}
