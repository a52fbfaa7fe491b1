//! What users read about a finding (issue 11, items 5–8), end to end on real advisories:
//! laravel/framework 5.5.40, drupal/core 8.5.0 and golang.org/x/net v0.8.0 against their real
//! osv.dev / Go vulndb records and KEV entries (`tests/fixtures/findings`).

use crate::{TempDir, fixture, kevgate, run};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The fixture's data date is KEV's (2025-08-25).
const TODAY: &str = "2025-08-26";

/// Builds the database of `tests/fixtures/findings` into `dir`.
fn db(dir: &Path) -> PathBuf {
    let out = dir.join("findings.kvdb");
    let (code, _, stderr) = run(kevgate(dir)
        .args(["db", "build", "--output"])
        .arg(&out)
        .arg("--osv")
        .arg(fixture("findings/osv.jsonl"))
        .arg("--kev")
        .arg(fixture("findings/kev.json")));
    assert_eq!(code, 0, "{stderr}");
    out
}

/// `kevgate scan` of the fixture SBOM in `format`: (exit code, stdout).
fn scan(dir: &Path, format: &str) -> (i32, String) {
    let db = db(dir);
    let (code, stdout, stderr) = run(kevgate(dir)
        .env("KEVGATE_NOW", TODAY)
        .arg("scan")
        .arg(fixture("findings/sbom.cdx.json"))
        .arg("--db")
        .arg(&db)
        .args(["--format", format, "--color", "never"]));
    assert_eq!(code, 1, "KEV findings fail the gate: {stderr}");
    (code, stdout)
}

fn finding<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no finding `{id}`"))
}

fn remediation<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["remediations"]
        .as_array()
        .expect("remediations")
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no remediation for `{name}`"))
}

/// Severity, score and link of real findings. CVE-2024-52301 (GHSA-gv7v-rgg6-548h): its
/// v3.1 vector has no impact (0.0), its v4.0 vector scores 8.7, so it is high, from v4.0.
/// Links are the canonical page of the finding's own id: GHSA-x7p5-p2c9-phvg's first
/// reference is another advisory (GHSA-3p32-j457-pg5x), never shown.
#[test]
fn severity_score_and_link() {
    let tmp = TempDir::new("findings-severity");
    let (_, stdout) = scan(tmp.path(), "json");
    let report: Value = serde_json::from_str(&stdout).expect("json");
    let cases = [
        // (id, severity, score, CVSS version, link)
        (
            "CVE-2024-52301",
            "high",
            Some(8.7),
            Some("4.0"),
            "https://nvd.nist.gov/vuln/detail/CVE-2024-52301",
        ),
        (
            "GHSA-x7p5-p2c9-phvg",
            "high",
            Some(7.2),
            Some("3.1"),
            "https://github.com/advisories/GHSA-x7p5-p2c9-phvg",
        ),
        // GitHub's word only (no vector).
        (
            "GHSA-6jvx-8ch9-j2jr",
            "high",
            None,
            None,
            "https://github.com/advisories/GHSA-6jvx-8ch9-j2jr",
        ),
        (
            "CVE-2018-15133",
            "critical",
            Some(8.1),
            Some("3.1"),
            "https://nvd.nist.gov/vuln/detail/CVE-2018-15133",
        ),
    ];
    for (id, severity, score, version, url) in cases {
        let f = finding(&report, id);
        assert_eq!(f["severity"], severity, "{id}: {f:#}");
        assert_eq!(
            f["cvss"]["score"]
                .as_f64()
                .map(|s| (s * 10.0).round() / 10.0),
            score,
            "{id}"
        );
        assert_eq!(f["cvss"]["version"].as_str(), version, "{id}");
        assert_eq!(f["url"], url, "{id}");
    }
    // No link of any finding names an advisory other than its own ids.
    for f in report["findings"].as_array().expect("findings") {
        let url = f["url"].as_str().expect("url");
        let own = std::iter::once(&f["id"])
            .chain(f["aliases"].as_array().expect("aliases"))
            .filter_map(Value::as_str)
            .any(|id| url.ends_with(id));
        assert!(own, "{} links to {url}", f["id"]);
    }
}

/// Remediation per component: laravel's CVE-2018-15133 has only `last_affected` ranges
/// (through 5.5.40, 5.6.0–5.6.29) and counts as fixed by 6.20.45, outside both; Go fixes keep
/// the installed version's `v`; drupal/core 8.5.0 needs 10.2.11 for everything, 8.9.19 on 8.x.
#[test]
fn remediation_per_component() {
    let tmp = TempDir::new("findings-remediation");
    let (_, stdout) = scan(tmp.path(), "json");
    let report: Value = serde_json::from_str(&stdout).expect("json");
    let cases = [
        // (name, upgrade_to, summary)
        (
            "laravel/framework",
            "6.20.45",
            "upgrade laravel/framework@5.5.40 to >= 6.20.45: fixes 10, 1 in KEV; 1 without a fix; \
             on 5.x: >= 5.8.17 fixes 4",
        ),
        (
            "drupal/core",
            "10.2.11",
            "upgrade drupal/core@8.5.0 to >= 10.2.11: fixes 41, 4 in KEV; on 8.x: >= 8.9.19 fixes 31",
        ),
        (
            "golang.org/x/net",
            "v0.56.0",
            "upgrade golang.org/x/net@v0.8.0 to >= v0.56.0: fixes 16",
        ),
    ];
    for (name, upgrade_to, summary) in cases {
        let r = remediation(&report, name);
        assert_eq!(r["upgrade_to"], upgrade_to, "{r:#}");
        assert_eq!(r["summary"], summary, "{r:#}");
    }
    let laravel = remediation(&report, "laravel/framework");
    let fixes: Vec<&str> = laravel["fixes"]
        .as_array()
        .expect("fixes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(fixes.contains(&"CVE-2018-15133"), "{laravel:#}");
    assert_eq!(laravel["fixes_kev"], 1);
    // GHSA-364w-9g92-3grq is affected through 8.70.2: 6.20.45 does not clear it.
    assert_eq!(
        laravel["unfixable"],
        serde_json::json!(["GHSA-364w-9g92-3grq"])
    );
    let drupal = &remediation(&report, "drupal/core")["branch_upgrade"];
    assert_eq!(drupal["line"], "8");
    assert_eq!(drupal["upgrade_to"], "8.9.19");
    assert!(
        remediation(&report, "golang.org/x/net")
            .get("branch_upgrade")
            .is_none()
    );
    assert_eq!(
        finding(&report, "CVE-2023-39325")["fixed_versions"],
        serde_json::json!(["v0.17.0"])
    );
}

/// The words in the terminal table, the Markdown summary and SARIF: "affected up to" for a
/// `last_affected` range, the Go `v`, and no ".;" before the ransomware flag.
#[test]
fn wording_in_every_report() {
    let tmp = TempDir::new("findings-wording");
    let (_, table) = scan(tmp.path(), "table");
    let (_, markdown) = scan(tmp.path(), "markdown");
    let (_, sarif) = scan(tmp.path(), "sarif");
    let cases: [(&str, &str, &str); 6] = [
        (
            "table",
            &table,
            "fix: affected up to 5.5.40; no fixed version known",
        ),
        ("table", &table, "fix: upgrade golang.org/x/net to v0.17.0"),
        (
            "table",
            &table,
            "kev: due 2022-05-03: Apply updates per vendor instructions; ransomware: Known",
        ),
        (
            "markdown",
            &markdown,
            "Affected up to 5.5.40; no fixed version known.",
        ),
        ("markdown", &markdown, "Upgrade to v0.17.0."),
        (
            "sarif",
            &sarif,
            "Affected up to 5.5.40; no fixed version is known.",
        ),
    ];
    for (format, out, want) in cases {
        assert!(out.contains(want), "{format} lacks `{want}`:\n{out}");
    }
    assert!(!table.contains(".;"), "{table}");
}
