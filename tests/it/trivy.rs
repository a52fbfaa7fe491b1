//! End to end with the real producer: trivy makes an SBOM of `tests/fixtures/trivy/project`
//! (lockfiles pinned to known-vulnerable releases), `kevgate db build` builds a database from the
//! real OSV, KEV, NVD and EPSS records trimmed into `tests/fixtures/trivy/`, and `kevgate scan`
//! must report the real findings, the KEV ones with their KEV facts, and fail the gate.
//!
//! trivy is `$KEVGATE_TRIVY`, else `.tools/bin/trivy` (installed by
//! `scripts/install-test-tools.sh`). A missing trivy fails the test: it is never skipped.
//! trivy runs offline (`--format cyclonedx` only inventories; no DB download, no version check,
//! no telemetry).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");
const KEVGATE: &str = env!("CARGO_BIN_EXE_kevgate");

/// KEV findings the scan must report: (CVE, purl prefix of the component).
pub(crate) const KEV_FINDINGS: &[(&str, &str)] = &[
    ("CVE-2020-11023", "pkg:npm/jquery@"),
    (
        "CVE-2021-44228",
        "pkg:maven/org.apache.logging.log4j/log4j-core@",
    ),
    (
        "CVE-2021-45046",
        "pkg:maven/org.apache.logging.log4j/log4j-core@",
    ),
    ("CVE-2023-44487", "pkg:golang/golang.org/x/net@"),
    // composer.lock writes `v5.2.16`: Packagist versions compare without the `v`.
    ("CVE-2016-10033", "pkg:composer/phpmailer/phpmailer@"),
    ("CVE-2019-5418", "pkg:gem/actionview@"),
];

/// Non-KEV findings the scan must report (the advisory's CVE; a finding's id or one of its
/// aliases), with no KEV facts.
const OTHER_FINDINGS: &[(&str, &str)] = &[
    ("CVE-2020-11022", "pkg:npm/jquery@"),
    ("CVE-2020-8203", "pkg:npm/lodash@"),
    ("CVE-2021-23337", "pkg:npm/lodash@"),
    ("CVE-2020-28500", "pkg:npm/lodash@"),
    ("CVE-2021-44906", "pkg:npm/minimist@"),
    (
        "CVE-2021-45105",
        "pkg:maven/org.apache.logging.log4j/log4j-core@",
    ),
    (
        "CVE-2021-44832",
        "pkg:maven/org.apache.logging.log4j/log4j-core@",
    ),
    ("CVE-2022-32149", "pkg:golang/golang.org/x/text@"),
    ("CVE-2020-28483", "pkg:golang/github.com/gin-gonic/gin@"),
    ("CVE-2020-14343", "pkg:pypi/pyyaml@"),
    ("CVE-2021-33503", "pkg:pypi/urllib3@"),
    ("CVE-2023-43804", "pkg:pypi/urllib3@"),
    ("CVE-2020-28493", "pkg:pypi/jinja2@"),
    ("CVE-2021-25900", "pkg:cargo/smallvec@"),
    ("CVE-2020-26235", "pkg:cargo/time@"),
    ("CVE-2016-10045", "pkg:composer/phpmailer/phpmailer@"),
    ("CVE-2019-5419", "pkg:gem/actionview@"),
    ("CVE-2020-8165", "pkg:gem/activesupport@"),
];

/// Advisories in the database for these components that do NOT affect the pinned version:
/// (CVE, purl prefix, why).
const NOT_AFFECTED: &[(&str, &str, &str)] = &[
    ("CVE-2019-10744", "pkg:npm/lodash@", "fixed in 4.17.12"),
    ("CVE-2019-11358", "pkg:npm/jquery@", "fixed in 3.4.0"),
    ("CVE-2020-7598", "pkg:npm/minimist@", "fixed in 1.2.3"),
    (
        "CVE-2019-20477",
        "pkg:pypi/pyyaml@",
        "fixed in 5.2b1 (PEP 440 pre-release < 5.3.1)",
    ),
    (
        "CVE-2021-28363",
        "pkg:pypi/urllib3@",
        "fixed in exactly 1.26.4; PYSEC-2021-59 also has a GIT range to skip",
    ),
    (
        "CVE-2017-5645",
        "pkg:maven/org.apache.logging.log4j/log4j-core@",
        "fixed in 2.8.2",
    ),
    (
        "CVE-2022-27664",
        "pkg:golang/golang.org/x/net@",
        "fixed in pseudo-version 0.0.0-20220906165146-f3363e06e74c",
    ),
    ("CVE-2019-15551", "pkg:cargo/smallvec@", "fixed in 0.6.10"),
    (
        "CVE-2016-0752",
        "pkg:gem/actionview@",
        "in KEV, but fixed in 4.2.5.1, before 5.2.2",
    ),
];

fn fixtures() -> PathBuf {
    Path::new(MANIFEST_DIR).join("tests/fixtures/trivy")
}

/// trivy: `$KEVGATE_TRIVY`, else `.tools/bin/trivy`; missing fails the test.
pub fn trivy() -> PathBuf {
    let path = std::env::var_os("KEVGATE_TRIVY")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(MANIFEST_DIR).join(".tools/bin/trivy"));
    assert!(
        path.is_file(),
        "trivy not found at `{}`: run `scripts/install-test-tools.sh` (or set KEVGATE_TRIVY)",
        path.display()
    );
    path
}

fn run(cmd: &mut Command) -> Output {
    let shown = format!("{cmd:?}");
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {shown}: {e}"))
}

fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A fresh scratch directory for this test, under cargo's per-target temp dir.
fn scratch() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("it-trivy");
    if dir.exists() {
        fs_err::remove_dir_all(&dir).expect("scratch dir is removable");
    }
    fs_err::create_dir_all(&dir).expect("scratch dir is creatable");
    dir
}

/// The findings array of the JSON report.
fn findings(report: &Value) -> Vec<&Value> {
    report
        .get("findings")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("JSON report has no `findings` array:\n{report:#}"))
        .iter()
        .collect()
}

/// A field of a finding, on the finding or on the finding it wraps (`{"finding": {...}}`).
fn field<'a>(finding: &'a Value, key: &str) -> &'a Value {
    finding
        .get(key)
        .or_else(|| finding.get("finding").and_then(|inner| inner.get(key)))
        .unwrap_or(&Value::Null)
}

fn purl(finding: &Value) -> &str {
    field(finding, "component")
        .get("purl")
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn mentions(finding: &Value, id: &str) -> bool {
    field(finding, "id").as_str() == Some(id)
        || field(finding, "aliases")
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(id)))
}

fn summary(found: &[&Value]) -> String {
    let mut lines: Vec<String> = found
        .iter()
        .map(|f| {
            format!(
                "{} {} {}",
                field(f, "id").as_str().unwrap_or("?"),
                purl(f),
                field(f, "aliases")
            )
        })
        .collect();
    lines.sort();
    lines.join("\n")
}

/// Real trivy, offline: the CycloneDX SBOM of the lockfiles in `project`, written to
/// `out` (its cache goes beside it).
pub fn sbom_of(project: &Path, out: &Path) {
    sbom_in_format(project, out, "cyclonedx");
}

/// Real trivy, offline: the SBOM of the lockfiles in `project` in `format` (`cyclonedx`,
/// `spdx-json`), written to `out`.
pub fn sbom_in_format(project: &Path, out: &Path, format: &str) {
    let cache = out.with_extension("trivy-cache");
    let result = run(Command::new(trivy())
        .args(["fs", "--quiet", "--cache-dir"])
        .arg(&cache)
        .args([
            "--skip-version-check",
            "--disable-telemetry",
            "--offline-scan",
            "--format",
            format,
            "--output",
        ])
        .arg(out)
        .arg(project));
    assert!(
        result.status.success(),
        "trivy failed: {}",
        describe(&result)
    );
    let _ = fs_err::remove_dir_all(&cache);
}

/// `kevgate db build` of the real records trimmed into `tests/fixtures/trivy/` (data from
/// 2025-11: scan with `KEVGATE_NOW=2025-11-04`), written to `out`.
pub fn fixture_db(out: &Path) {
    let fx = fixtures();
    let result = run(Command::new(KEVGATE)
        .args(["db", "build", "--output"])
        .arg(out)
        .arg("--osv")
        .arg(fx.join("osv"))
        .arg("--kev")
        .arg(fx.join("kev.json"))
        .arg("--nvd")
        .arg(fx.join("nvd"))
        .arg("--epss")
        .arg(fx.join("epss.csv")));
    assert!(
        result.status.success(),
        "kevgate db build failed: {}",
        describe(&result)
    );
}

#[test]
fn trivy_sbom_of_vulnerable_project_fails_the_gate_with_real_findings() {
    let tmp = scratch();
    let fx = fixtures();

    // 1. Real trivy, offline: inventory the project's lockfiles.
    let sbom = tmp.join("project.cdx.json");
    sbom_of(&fx.join("project"), &sbom);
    let doc: Value = serde_json::from_slice(&fs_err::read(&sbom).expect("trivy wrote the SBOM"))
        .expect("trivy writes JSON");
    let purls: Vec<&str> = doc["components"]
        .as_array()
        .expect("trivy SBOM has components")
        .iter()
        .filter_map(|c| c.get("purl").and_then(Value::as_str))
        .collect();
    for (_, prefix) in KEV_FINDINGS.iter().chain(OTHER_FINDINGS) {
        assert!(
            purls.iter().any(|p| p.starts_with(prefix)),
            "trivy did not inventory `{prefix}`; it found: {purls:?}"
        );
    }

    // 2. A database from the trimmed real feeds.
    let db = tmp.join("test.kvdb");
    fixture_db(&db);

    // 3. The gate.
    // The fixture data is from 2025-11; fix "today" so the database is fresh.
    let out = run(Command::new(KEVGATE)
        .env("KEVGATE_NOW", "2025-11-04")
        .arg("scan")
        .arg(&sbom)
        .arg("--db")
        .arg(&db)
        .args(["--format", "json"]));
    assert_eq!(
        out.status.code(),
        Some(1),
        "the gate must fail (exit 1): {}",
        describe(&out)
    );
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", describe(&out)));
    assert_eq!(
        report.get("verdict").and_then(Value::as_str),
        Some("fail"),
        "verdict:\n{report:#}"
    );

    let found = findings(&report);
    let all = summary(&found);
    for (cve, prefix) in KEV_FINDINGS {
        let hit = found
            .iter()
            .find(|f| mentions(f, cve) && purl(f).starts_with(prefix))
            .unwrap_or_else(|| panic!("no finding `{cve}` on `{prefix}`; findings:\n{all}"));
        let k = field(hit, "kev");
        assert!(
            k.is_object(),
            "`{cve}` on `{prefix}` is in KEV but its `kev` is {k}"
        );
        assert!(
            k.get("date_added").and_then(Value::as_str).is_some(),
            "`{cve}` kev facts lack `date_added`: {k}"
        );
    }
    for (cve, prefix) in OTHER_FINDINGS {
        let hit = found
            .iter()
            .find(|f| mentions(f, cve) && purl(f).starts_with(prefix))
            .unwrap_or_else(|| panic!("no finding `{cve}` on `{prefix}`; findings:\n{all}"));
        let k = field(hit, "kev");
        assert!(k.is_null(), "`{cve}` is not in KEV but its `kev` is {k}");
    }
    for (cve, prefix, why) in NOT_AFFECTED {
        assert!(
            !found
                .iter()
                .any(|f| mentions(f, cve) && purl(f).starts_with(prefix)),
            "`{cve}` must not be reported on `{prefix}` ({why}); findings:\n{all}"
        );
    }
    assert!(
        !found
            .iter()
            .any(|f| purl(f).starts_with("pkg:maven/org.apache.logging.log4j/log4j-api@")),
        "no advisory affects log4j-api 2.14.1; findings:\n{all}"
    );
}

#[test]
fn example_sbom_is_trivy_output_of_the_fixture_project() {
    // The committed demo SBOM must stay in step with the fixture project it was made from.
    let path = Path::new(MANIFEST_DIR).join("examples/trivy-sbom.cdx.json");
    let doc: Value = serde_json::from_slice(&fs_err::read(&path).expect("examples SBOM exists"))
        .expect("examples SBOM is JSON");
    let tool = doc.pointer("/metadata/tools/components/0/name");
    assert_eq!(tool.and_then(Value::as_str), Some("trivy"));
    let purls: Vec<&str> = doc["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter_map(|c| c.get("purl").and_then(Value::as_str))
        .collect();
    for (_, prefix) in KEV_FINDINGS.iter().chain(OTHER_FINDINGS) {
        assert!(
            purls.iter().any(|p| p.starts_with(prefix)),
            "examples/trivy-sbom.cdx.json lacks `{prefix}`: run scripts/make-example-sbom.sh"
        );
    }
}
