//! `kevgate scan` on real SBOMs against a database built from trimmed real records.

use crate::{TempDir, fixture, kevgate, root, run};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Builds the database of `tests/fixtures/kev-hits` (real OSV, KEV, NVD, EPSS records) into
/// `dir` with the real `kevgate db build`.
pub fn build_kev_hits_db(dir: &Path) -> PathBuf {
    let out = dir.join("kev-hits.db");
    let (code, _, stderr) = run(&mut kev_hits_build(dir, &out));
    assert_eq!(code, 0, "db build failed: {stderr}");
    out
}

/// The `kevgate db build` command of [`build_kev_hits_db`], writing `out`, for more arguments.
pub fn kev_hits_build(dir: &Path, out: &Path) -> std::process::Command {
    let src = fixture("kev-hits");
    db_build(
        dir,
        out,
        &[
            ("--osv", src.join("osv.jsonl")),
            ("--kev", src.join("kev.json")),
            ("--nvd", src.join("nvd")),
            ("--epss", src.join("epss.csv")),
        ],
    )
}

/// `kevgate db build --output out` from `sources` (flag, path), built at 2025-08-26.
pub fn build_db(out: &Path, sources: &[(&str, PathBuf)]) -> PathBuf {
    let dir = out.parent().expect("a file in a directory");
    let (code, _, stderr) = run(&mut db_build(dir, out, sources));
    assert_eq!(code, 0, "db build failed: {stderr}");
    out.to_path_buf()
}

/// The `kevgate db build` command, run in `dir`, writing `out` from `sources` (flag, path).
fn db_build(dir: &Path, out: &Path, sources: &[(&str, PathBuf)]) -> std::process::Command {
    let mut cmd = kevgate(dir);
    cmd.args([
        "db",
        "build",
        "--built-at",
        "2025-08-26T00:00:00Z",
        "--output",
    ])
    .arg(out);
    for (flag, path) in sources {
        cmd.arg(flag).arg(path);
    }
    cmd
}

/// A fixture SBOM by file name, wherever it sits below `tests/fixtures/sbom`.
pub fn sbom_fixture(name: &str) -> PathBuf {
    fn find(dir: &Path, name: &str) -> Option<PathBuf> {
        for entry in fs_err::read_dir(dir).ok()? {
            let path = entry.ok()?.path();
            if path.is_dir() {
                if let Some(p) = find(&path, name) {
                    return Some(p);
                }
            } else if path.file_name().is_some_and(|n| n == name) {
                return Some(path);
            }
        }
        None
    }
    find(&fixture("sbom"), name).unwrap_or_else(|| panic!("fixture SBOM `{name}` not found"))
}

/// Scans `sbom` with `db` and returns (exit code, JSON report, stderr).
pub fn scan_json(dir: &Path, sbom: &Path, db: &Path, extra: &[&str]) -> (i32, Value, String) {
    scan_json_on("2025-08-26", dir, sbom, db, extra)
}

/// [`scan_json`] on another date (`KEVGATE_NOW`), for databases of other data dates.
pub fn scan_json_on(
    today: &str,
    dir: &Path,
    sbom: &Path,
    db: &Path,
    extra: &[&str],
) -> (i32, Value, String) {
    let (code, stdout, stderr) = run(kevgate(dir)
        .env("KEVGATE_NOW", today)
        .arg("scan")
        .arg(sbom)
        .arg("--db")
        .arg(db)
        .args(["--format", "json"])
        .args(extra));
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (code, json, stderr)
}

/// The findings for `id` whose component purl contains `purl_part`.
fn findings<'a>(report: &'a Value, id: &str, purl_part: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .expect("findings[]")
        .iter()
        .filter(|f| {
            f["id"] == id
                && f["component"]["purl"]
                    .as_str()
                    .is_some_and(|p| p.contains(purl_part))
        })
        .collect()
}

fn assert_kev_hit(report: &Value, id: &str, purl_part: &str) {
    let hits = findings(report, id, purl_part);
    assert!(
        !hits.is_empty(),
        "no finding {id} for `{purl_part}`; findings: {:?}",
        report["findings"].as_array().map(|a| a
            .iter()
            .map(|f| format!("{} {}", f["id"], f["component"]["purl"]))
            .collect::<Vec<_>>())
    );
    for f in hits {
        assert!(f["kev"].is_object(), "{id} is in KEV: {f}");
        assert!(f["kev"]["due_date"].is_string(), "{f}");
        assert_eq!(f["severity"], "critical", "KEV counts as critical: {f}");
        assert_eq!(f["decision"], "fail", "{f}");
        assert!(
            f["found_by"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x == "db")),
            "{f}"
        );
    }
}

/// The real KEV hits of three real SBOMs: Debian 11 glibc (CVE-2023-4911, through the
/// Debian CVE record and DSA-5514-1), libwebp (CVE-2023-4863), nghttp2 and
/// golang.org/x/net (CVE-2023-44487, HTTP/2 Rapid Reset), jQuery < 3.5.0 (CVE-2020-11023),
/// XStream (CVE-2021-39144).
#[test]
fn real_kev_hits_are_found() {
    let tmp = TempDir::new("kev-hits");
    let db = build_kev_hits_db(tmp.path());

    let (code, report, stderr) = scan_json(
        tmp.path(),
        &fixture("kev-hits/sboms/other-syft-cdx-image-python-latest.json"),
        &db,
        &[],
    );
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report["verdict"], "fail");
    assert_kev_hit(&report, "CVE-2023-4911", "pkg:deb/debian/libc6@");
    assert_kev_hit(&report, "CVE-2023-4863", "pkg:deb/debian/libwebp6@");
    assert_kev_hit(&report, "CVE-2023-44487", "pkg:deb/debian/libnghttp2-14@");
    let glibc = findings(&report, "CVE-2023-4911", "pkg:deb/debian/libc6@")[0];
    assert!(
        glibc["fixed_versions"]
            .as_array()
            .is_some_and(|v| v.iter().any(|x| x == "2.31-13+deb11u7")),
        "Debian 11 fix: {glibc}"
    );
    assert!(
        glibc["aliases"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == "DSA-5514-1")),
        "the DSA joins through `related`: {glibc}"
    );

    let (code, report, stderr) = scan_json(
        tmp.path(),
        &fixture("kev-hits/sboms/other-cyclonedx-gomod-cdx1.4-harp-705-components.json"),
        &db,
        &[],
    );
    assert_eq!(code, 1, "{stderr}");
    assert_kev_hit(&report, "CVE-2023-44487", "pkg:golang/golang.org/x/net@");

    let (code, report, stderr) = scan_json(
        tmp.path(),
        &fixture("kev-hits/sboms/other-cdxgen-cdx1.5-webgoat-maven-npm.json"),
        &db,
        &[],
    );
    assert_eq!(code, 1, "{stderr}");
    assert_kev_hit(&report, "CVE-2020-11023", "pkg:npm/jquery@3.4.1");
    assert_kev_hit(
        &report,
        "CVE-2021-39144",
        "pkg:maven/com.thoughtworks.xstream/xstream@1.4.5",
    );
    // jQuery 3.7.1 (a webjar, Maven) and the fixed npm versions are not affected.
    assert!(findings(&report, "CVE-2020-11023", "jquery@3.7.1").is_empty());
}

/// KEV findings fail the gate by default; `--no-fail-on-kev --fail-on none` lets them pass
/// while still reporting them.
#[test]
fn kev_rule_can_be_turned_off() {
    let tmp = TempDir::new("kev-off");
    let db = build_kev_hits_db(tmp.path());
    let sbom = fixture("kev-hits/sboms/other-cdxgen-cdx1.5-webgoat-maven-npm.json");
    let (code, report, _) = scan_json(
        tmp.path(),
        &sbom,
        &db,
        &["--no-fail-on-kev", "--fail-on", "none"],
    );
    assert_eq!(code, 0);
    assert_eq!(report["verdict"], "pass");
    let jq = &findings(&report, "CVE-2020-11023", "pkg:npm/jquery@3.4.1")[0];
    assert_eq!(jq["decision"], "warn");
    assert!(jq["kev"].is_object());
}

/// A database older than `--max-db-age` fails closed (exit 2) with a hint.
#[test]
fn stale_database_fails_closed() {
    let tmp = TempDir::new("stale");
    let db = build_kev_hits_db(tmp.path());
    let sbom = fixture("kev-hits/sboms/other-cdxgen-cdx1.5-webgoat-maven-npm.json");
    let (code, stdout, stderr) = run(kevgate(tmp.path())
        .env("KEVGATE_NOW", "2025-10-01")
        .arg("scan")
        .arg(&sbom)
        .arg("--db")
        .arg(&db));
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("kev-hits.db") && stderr.contains("hint:"),
        "{stderr}"
    );
    // The same database with a wider window is accepted.
    let (code, _, stderr) = run(kevgate(tmp.path())
        .env("KEVGATE_NOW", "2025-10-01")
        .arg("scan")
        .arg(&sbom)
        .arg("--db")
        .arg(&db)
        .args(["--max-db-age", "60"]));
    assert_eq!(code, 1, "{stderr}");
}

/// The README's run command: the example SBOM against the bundled demo database shows real
/// KEV hits, exits 1, and says loudly that the demo database was used, once: the table on
/// stdout carries the banner, so stderr does not repeat it. With JSON on stdout, the warning
/// goes to stderr.
#[test]
fn example_with_bundled_database() {
    let tmp = TempDir::new("example");
    let (code, stdout, stderr) = run(kevgate(tmp.path())
        .arg("scan")
        .arg(root().join("examples/trivy-sbom.cdx.json")));
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.contains("CVE-2020-11023"), "{stdout}");
    let said = format!("{stdout}{stderr}").to_lowercase();
    assert_eq!(said.matches("demo database").count(), 1, "{said}");
    assert!(stdout.contains("demo database"), "{stdout}");

    let (code, stdout, stderr) = run(kevgate(tmp.path())
        .arg("scan")
        .arg(root().join("examples/trivy-sbom.cdx.json"))
        .args(["--format", "json"]));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("DEMO database"), "{stderr}");
    assert!(!stdout.contains("DEMO database"), "{stdout}");
}

/// The four report formats of one real scan (trivy's golden npm SBOM, jQuery 3.3.9, against
/// the demo database), end to end through the CLI in one run, snapshotted. Formats pair with
/// outputs in order; the one left over goes to stdout.
#[test]
fn every_format_of_one_scan() {
    let tmp = TempDir::new("formats");
    let out = |name: &str| tmp.path().join(name);
    let (code, table, stderr) = run(kevgate(&root())
        .args([
            "scan",
            "tests/fixtures/sbom/trivy-cdx1.7-golden-fs-npm-with-vuln.json",
            "--db",
            "assets/demo.kvdb",
            "--max-db-age",
            "100000",
            "--format",
            "json",
            "--format",
            "markdown",
            "--format",
            "sarif",
            "--format",
            "table",
            "--output",
        ])
        .arg(out("report.json"))
        .arg("--output")
        .arg(out("report.md"))
        .arg("--output")
        .arg(out("report.sarif")));
    assert_eq!(code, 1, "jQuery 3.3.9 has CVE-2020-11023 (KEV): {stderr}");
    assert!(
        stderr.is_empty(),
        "a table on stdout and no warnings: {stderr}"
    );
    let read = |name: &str| fs_err::read_to_string(out(name)).expect("report written");
    let json: Value = serde_json::from_str(&read("report.json")).expect("JSON report");
    assert_eq!(json["verdict"], "fail");
    let sarif: Value = serde_json::from_str(&read("report.sarif")).expect("SARIF report");
    assert_eq!(sarif["version"], "2.1.0");
    insta::assert_snapshot!("golden-npm-table", table);
    insta::assert_snapshot!("golden-npm-json", read("report.json"));
    insta::assert_snapshot!("golden-npm-markdown", read("report.md"));
    insta::assert_snapshot!("golden-npm-sarif", read("report.sarif"));
}

/// Issue 10: 100,000 vulnerabilities on one component, one of them listing 200,000
/// `unaffected` versions (73 s and 374 s before; the algorithmic bounds are unit tests in
/// `matching.rs`, the timings `benches/scale.rs`). The scan finishes with every finding and
/// the listed fix.
#[test]
fn hundred_thousand_vulnerabilities_on_one_component() {
    let tmp = crate::TempDir::new("scan-100k");
    let db = build_kev_hits_db(tmp.path());
    let purl = "pkg:npm/left-pad@1.0.0";
    let mut vulnerabilities: Vec<Value> = (0..100_000)
        .map(|i| serde_json::json!({"id": format!("CVE-2099-{i:06}"), "affects": [{"ref": purl}]}))
        .collect();
    let versions: Vec<Value> = (0..200_000)
        .rev()
        .map(|i| serde_json::json!({"version": format!("2.{i}.0"), "status": "unaffected"}))
        .collect();
    vulnerabilities[0]["affects"][0]["versions"] = versions.into();
    let sbom = tmp.path().join("100k.cdx.json");
    fs_err::write(
        &sbom,
        serde_json::json!({
            "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "components": [{"bom-ref": purl, "type": "library", "name": "left-pad",
                            "version": "1.0.0", "purl": purl}],
            "vulnerabilities": vulnerabilities,
        })
        .to_string(),
    )
    .expect("write SBOM");
    let (code, report, stderr) = scan_json(tmp.path(), &sbom, &db, &[]);
    assert_eq!(code, 0, "{stderr}");
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 100_000);
    let first = findings
        .iter()
        .find(|f| f["id"] == "CVE-2099-000000")
        .expect("the finding with 200,000 fixes");
    let fixed = first["fixed_versions"].as_array().expect("fixed_versions");
    assert_eq!(fixed.len(), 200_000);
    assert_eq!(
        (fixed[0].as_str(), fixed[199_999].as_str()),
        (Some("2.0.0"), Some("2.199999.0"))
    );
}
