//! Distribution streams and withdrawn advisories, end to end: the real `kevgate db build` on
//! real records (`tests/fixtures/distro/osv.jsonl`: Ubuntu Pro, Red Hat main and EUS
//! streams, a GHSA withdrawn in its text), then `kevgate scan` on trivy-shaped SBOMs.

use crate::scan::{build_db, scan_json};
use crate::{TempDir, fixture, kevgate, run};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn distro_db(dir: &Path) -> PathBuf {
    build_db(
        &dir.join("distro.db"),
        &[("--osv", fixture("distro/osv.jsonl"))],
    )
}

fn sbom(name: &str) -> PathBuf {
    fixture(&format!("distro/sboms/{name}"))
}

/// The findings whose id or aliases contain `id`, on a component whose purl contains `purl`.
fn findings<'a>(report: &'a Value, id: &str, purl: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .expect("findings[]")
        .iter()
        .filter(|f| {
            let ids =
                std::iter::once(&f["id"]).chain(f["aliases"].as_array().into_iter().flatten());
            ids.into_iter().any(|i| i == id)
                && f["component"]["purl"]
                    .as_str()
                    .is_some_and(|p| p.contains(purl))
        })
        .collect()
}

fn notes<'a>(report: &'a Value, code: &str) -> Vec<&'a str> {
    report["notes"]
        .as_array()
        .expect("notes[]")
        .iter()
        .filter(|n| n["code"] == code)
        .map(|n| n["message"].as_str().expect("message"))
        .collect()
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Ubuntu 16.04 (xenial): Canonical publishes its advisories only as `Ubuntu:Pro:16.04:LTS`
/// records. They apply to the release (the packages are affected, Pro or not) and say where
/// a fix would come from; the per-CVE id joins its CVE. Pro:FIPS streams are not used.
#[test]
fn ubuntu_pro_records_apply_to_their_release() {
    let tmp = TempDir::new("distro-pro");
    let db = distro_db(tmp.path());
    let xenial = sbom("trivy-ubuntu-16.04-xenial.cdx.json");
    let (code, report, stderr) = scan_json(tmp.path(), &xenial, &db, &["--fail-on", "low"]);
    assert_eq!(code, 1, "low findings fail with --fail-on low: {stderr}");
    for (cve, record, purl) in [
        (
            "CVE-2022-3219",
            "UBUNTU-CVE-2022-3219",
            "pkg:deb/ubuntu/gnupg@",
        ),
        (
            "CVE-2024-56433",
            "UBUNTU-CVE-2024-56433",
            "pkg:deb/ubuntu/login@",
        ),
    ] {
        let hits = findings(&report, cve, purl);
        assert_eq!(hits.len(), 1, "{cve} on {purl}: {report}");
        let f = hits[0];
        assert_eq!(f["id"], cve, "the CVE is the id shown: {f}");
        assert!(strings(&f["aliases"]).contains(&record), "{f}");
        assert_eq!(f["fix_available_with"], "Ubuntu Pro (ESM)", "{f}");
        // Canonical lists no fixed version for these, even in ESM.
        assert_eq!(strings(&f["fixed_versions"]), Vec::<&str>::new(), "{f}");
    }
    // The terminal report says it too.
    let (_, table, _) = run(kevgate(tmp.path())
        .arg("scan")
        .arg(&xenial)
        .arg("--db")
        .arg(&db));
    assert!(
        table.contains("fix: no fixed version known, even with Ubuntu Pro (ESM)"),
        "{table}"
    );
}

/// A RHEL 8.10 image is on the main stream: the EUS streams' gmp fixes (`el8_6.1`,
/// `el8_8.1`, which 8.10 cannot install) do not apply, and the main stream's fix is already
/// installed. No finding, no failure.
#[test]
fn rhel_main_stream_ignores_extended_streams() {
    let tmp = TempDir::new("distro-rhel-main");
    let db = distro_db(tmp.path());
    let (code, report, stderr) = scan_json(
        tmp.path(),
        &sbom("trivy-rhel-8.10-ubi8.cdx.json"),
        &db,
        &["--fail-on", "low"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["findings"], Value::Array(Vec::new()), "{report}");
    assert!(notes(&report, "unverified-version").is_empty(), "{report}");
}

/// A RHEL 8.6 system: on the main stream the main stream's fix applies; told it is on EUS
/// 8.6 (flag or config), the EUS 8.6 record applies instead, and no other stream's.
#[test]
fn rhel_extended_stream_applies_to_a_system_on_it() {
    let tmp = TempDir::new("distro-rhel-eus");
    let db = distro_db(tmp.path());
    let rhel86 = sbom("trivy-rhel-8.6-ubi8.cdx.json");
    let gmp_fix = |report: &Value| -> Vec<String> {
        let hits = findings(report, "CVE-2021-43618", "pkg:rpm/redhat/gmp@");
        assert_eq!(hits.len(), 1, "{report}");
        strings(&hits[0]["fixed_versions"])
            .into_iter()
            .map(str::to_owned)
            .collect()
    };

    let (_, main, stderr) = scan_json(tmp.path(), &rhel86, &db, &[]);
    assert_eq!(gmp_fix(&main), ["1:6.1.2-11.el8"], "{stderr}");
    let hit = &findings(&main, "CVE-2021-43618", "gmp@")[0];
    assert!(
        strings(&hit["aliases"]).contains(&"RHSA-2024:3214"),
        "{hit}"
    );

    let (_, eus, stderr) = scan_json(tmp.path(), &rhel86, &db, &["--rhel-stream", "eus-8.6"]);
    assert_eq!(gmp_fix(&eus), ["1:6.1.2-11.el8_6.1"], "{stderr}");
    let hit = &findings(&eus, "CVE-2021-43618", "gmp@")[0];
    assert_eq!(strings(&hit["aliases"]), ["RHSA-2024:1102"], "{hit}");

    // The same from `.kevgate.yaml`.
    let config = tmp.path().join("kevgate.yaml");
    fs_err::write(&config, "rhel-stream: eus-8.6\n").expect("write config");
    let (_, from_config, _) = scan_json(
        tmp.path(),
        &rhel86,
        &db,
        &["--config", config.to_str().expect("utf-8 path")],
    );
    assert_eq!(gmp_fix(&from_config), ["1:6.1.2-11.el8_6.1"]);

    // A stream of another major release is not applied, and a note says so.
    let (_, other, _) = scan_json(tmp.path(), &rhel86, &db, &["--rhel-stream", "eus-9.2"]);
    assert_eq!(gmp_fix(&other), ["1:6.1.2-11.el8"]);
    let unused = notes(&other, "unused-rhel-stream");
    assert_eq!(unused.len(), 1, "{other}");
    assert!(unused[0].contains("`eus-9.2`"), "{unused:?}");

    // Not a stream: a usage error naming the value.
    let (code, stdout, stderr) = run(kevgate(tmp.path())
        .arg("scan")
        .arg(&rhel86)
        .arg("--db")
        .arg(&db)
        .args(["--rhel-stream", "els-8"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("els-8") && stderr.contains("hint:"),
        "{stderr}"
    );
    fs_err::write(&config, "rhel-stream: eus8.6\n").expect("write config");
    let (code, _, stderr) = run(kevgate(tmp.path())
        .arg("scan")
        .arg(&rhel86)
        .arg("--db")
        .arg(&db)
        .arg("--config")
        .arg(&config));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("rhel-stream") && stderr.contains("line 1"),
        "{stderr}"
    );
}

/// GHSA-cg28-v4wq-whv5 ("Withdrawn Advisory: Symfony's VarDumper vulnerable to unsafe
/// deserialization", no `withdrawn` field) no longer fails the gate: it is withdrawn, and a
/// note says an advisory that would match was not counted.
#[test]
fn advisories_withdrawn_in_their_text_do_not_count() {
    let tmp = TempDir::new("distro-withdrawn");
    let db = distro_db(tmp.path());
    let (code, report, stderr) = scan_json(
        tmp.path(),
        &sbom("trivy-fs-composer-var-dumper.cdx.json"),
        &db,
        &["--fail-on", "low"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["findings"], Value::Array(Vec::new()), "{report}");
    let withdrawn = notes(&report, "withdrawn-advisory");
    assert_eq!(withdrawn.len(), 1, "{report}");
    assert!(
        withdrawn[0].contains("GHSA-cg28-v4wq-whv5") && withdrawn[0].contains("var-dumper"),
        "{withdrawn:?}"
    );
}
