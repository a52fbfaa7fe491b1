//! `db build --cve-scope referenced`: a smaller database that leaves out the NVD and EPSS
//! records of CVEs no OSV advisory or KEV entry names, and scans the same.

use crate::policy::{unknown_ignore, unused_ignore};
use crate::scan::kev_hits_build;
use crate::update::records;
use crate::{TempDir, fixture, kevgate, run};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Builds the `kev-hits` data (real records for the webgoat SBOM) plus the NVD records and
/// EPSS scores of `tests/fixtures/db` (real, about CVEs no kev-hits advisory names) into
/// `dir/<name>.db`, with `extra` arguments and environment `env`. Returns the path and stderr.
fn build(dir: &Path, name: &str, extra: &[&str], env: &[(&str, &str)]) -> (PathBuf, String) {
    let out = dir.join(format!("{name}.db"));
    let mut cmd = kev_hits_build(dir, &out);
    cmd.arg("--nvd")
        .arg(fixture("db/nvd"))
        .arg("--epss")
        .arg(fixture("db/epss/epss_scores-head-vunnel.csv"))
        .args(extra);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let (code, _, stderr) = run(&mut cmd);
    assert_eq!(code, 0, "db build failed: {stderr}");
    (out, stderr)
}

fn status(dir: &Path, db: &Path) -> Value {
    let (code, out, err) = run(kevgate(dir)
        .args(["db", "status", "--format", "json", "--db"])
        .arg(db));
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("status JSON")
}

/// Scans webgoat (Maven + npm, OSV-matched KEV hits) with `db` and `config` as
/// `.kevgate.yaml`.
fn scan(dir: &Path, db: &Path, config: &str) -> Value {
    fs_err::write(dir.join(".kevgate.yaml"), config).expect("write config");
    let (code, stdout, stderr) = run(kevgate(dir)
        .arg("scan")
        .arg(fixture(
            "kev-hits/sboms/other-cdxgen-cdx1.5-webgoat-maven-npm.json",
        ))
        .arg("--db")
        .arg(db)
        .args(["--format", "json"]));
    assert_eq!(code, 0, "{stderr}");
    serde_json::from_str(&stdout).expect("JSON report")
}

fn notes(report: &Value, code: &str) -> Vec<String> {
    report["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter(|n| n["code"] == code)
        .map(|n| n["message"].as_str().expect("message").to_string())
        .collect()
}

/// Both scopes from the same real inputs: the referenced database is smaller, says so in
/// `db status`, and an OSV-matched scan gives identical findings.
#[test]
fn referenced_scope_is_smaller_and_scans_the_same() {
    let tmp = TempDir::new("cve-scope");
    let (all, _) = build(tmp.path(), "all", &[], &[]);
    let (flag, stderr) = build(tmp.path(), "flag", &["--cve-scope", "referenced"], &[]);
    assert!(
        stderr.contains("cve scope referenced: left out "),
        "{stderr}"
    );
    let (env, _) = build(
        tmp.path(),
        "env",
        &[],
        &[("KEVGATE_CVE_SCOPE", "referenced")],
    );
    // The flag wins over the environment.
    let (flag_all, _) = build(
        tmp.path(),
        "flag-all",
        &["--cve-scope", "all"],
        &[("KEVGATE_CVE_SCOPE", "referenced")],
    );
    let bytes = |p: &Path| fs_err::read(p).expect("read db");
    assert_eq!(bytes(&flag), bytes(&env));
    assert_eq!(bytes(&flag_all), bytes(&all));
    assert!(
        bytes(&flag).len() < bytes(&all).len(),
        "{} vs {}",
        bytes(&flag).len(),
        bytes(&all).len()
    );

    let (s_all, s_ref) = (status(tmp.path(), &all), status(tmp.path(), &flag));
    assert_eq!(s_all["cve_scope"], "all");
    assert_eq!(s_ref["cve_scope"], "referenced");
    // 19 NVD records (tests/fixtures/db/nvd holds kev-hits' two as well): only those two,
    // glibc's and libwebp's KEV CVEs, are named by kev-hits' KEV catalog or advisories.
    assert_eq!(records(&s_all, "nvd"), 19);
    assert_eq!(records(&s_ref, "nvd"), 2);
    assert!(records(&s_ref, "epss") < records(&s_all, "epss"));
    assert_eq!(records(&s_ref, "osv"), records(&s_all, "osv"));
    assert_eq!(records(&s_ref, "kev"), records(&s_all, "kev"));
    let (code, table, err) = run(kevgate(tmp.path())
        .args(["db", "status", "--db"])
        .arg(&flag));
    assert_eq!(code, 0, "{err}");
    assert!(table.contains("\ncve scope  referenced"), "{table}");
    let (_, table, _) = run(kevgate(tmp.path()).args(["db", "status", "--db"]).arg(&all));
    assert!(!table.contains("cve scope"), "{table}");

    let config = "fail-on: none\nfail-on-kev: false\n";
    let (r_all, r_ref) = (
        scan(tmp.path(), &all, config),
        scan(tmp.path(), &flag, config),
    );
    let findings = r_all["findings"].as_array().expect("findings");
    assert!(findings.len() > 5, "{r_all}");
    assert!(
        findings.iter().any(|f| !f["epss"].is_null()),
        "some finding is enriched: {r_all}"
    );
    assert_eq!(r_all["findings"], r_ref["findings"]);
    assert_eq!(r_all["db"].get("cve_scope"), None);
    assert_eq!(r_ref["db"]["cve_scope"], "referenced");
    assert_eq!(r_all["summary"], r_ref["summary"]);
}

/// An ignore of a CVE the database does not have is `unknown-ignore` with the full NVD, but
/// `unused-ignore` with a referenced database, which may have left the CVE out.
#[test]
fn referenced_scope_never_calls_a_cve_unknown() {
    let tmp = TempDir::new("cve-scope-ignore");
    let (all, _) = build(tmp.path(), "all", &[], &[]);
    let (referenced, _) = build(
        tmp.path(),
        "referenced",
        &["--cve-scope", "referenced"],
        &[],
    );
    // CVE-2025-4565: in tests/fixtures/db/nvd (kept by `all` only); CVE-2099-0001: nowhere.
    let config = "fail-on: none\nfail-on-kev: false\nignore:\n\
                  \x20 - id: CVE-2025-4565\n    reason: not here\n\
                  \x20 - id: CVE-2099-0001\n    reason: typo\n";
    let report = scan(tmp.path(), &all, config);
    assert_eq!(
        notes(&report, "unknown-ignore"),
        [unknown_ignore("CVE-2099-0001", 6)]
    );
    assert_eq!(
        notes(&report, "unused-ignore"),
        [unused_ignore("CVE-2025-4565", 4)]
    );
    let report = scan(tmp.path(), &referenced, config);
    assert_eq!(notes(&report, "unknown-ignore"), Vec::<String>::new());
    assert_eq!(
        notes(&report, "unused-ignore"),
        [
            unused_ignore("CVE-2025-4565", 4),
            unused_ignore("CVE-2099-0001", 6)
        ]
    );
}

/// A bad `KEVGATE_CVE_SCOPE` is one line naming it, exit 2; `--cve-scope` does not go with
/// `db update --from` (the prebuilt database's scope is its publisher's).
#[test]
fn bad_scope_is_an_error() {
    let tmp = TempDir::new("cve-scope-bad");
    let (code, _, stderr) = run(kevgate(tmp.path())
        .env("KEVGATE_CVE_SCOPE", "some")
        .args(["db", "build", "--output", "x.db", "--kev"])
        .arg(fixture("kev-hits/kev.json")));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("`KEVGATE_CVE_SCOPE` is not `all` or `referenced`: `some`"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(!tmp.path().join("x.db").exists());
    let (code, _, stderr) = run(kevgate(tmp.path()).args([
        "db",
        "update",
        "--cache-dir",
        "c",
        "--from",
        "http://127.0.0.1:9/kevgate.db",
        "--cve-scope",
        "referenced",
    ]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--cve-scope"), "{stderr}");
}
