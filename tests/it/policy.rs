//! Policy as code end to end: `.kevgate.yaml` / `--config` ignores with expiry and scope,
//! config errors, flags over the file, `.trivyignore`, OpenVEX and CycloneDX VEX, on real
//! SBOMs against the database built from `tests/fixtures/kev-hits` (real records).

use crate::scan::{build_kev_hits_db, scan_json};
use crate::{TempDir, fixture, kevgate, run};
use serde_json::Value;
use std::path::Path;

/// The webgoat SBOM (cdxgen, Maven + npm): jQuery 3.4.1 has CVE-2020-11023 (KEV) and
/// XStream 1.4.5 has CVE-2021-39144 (KEV).
fn webgoat() -> std::path::PathBuf {
    fixture("kev-hits/sboms/other-cdxgen-cdx1.5-webgoat-maven-npm.json")
}

/// The harp SBOM (cyclonedx-gomod): golang.org/x/net with CVE-2023-44487 (KEV) and others.
fn harp() -> std::path::PathBuf {
    fixture("kev-hits/sboms/other-cyclonedx-gomod-cdx1.4-harp-705-components.json")
}

/// Findings of `report` for `id` (or an alias) whose purl contains `purl_part`.
fn findings<'a>(report: &'a Value, id: &str, purl_part: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| {
            (f["id"] == id
                || f["aliases"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == id)))
                && f["component"]["purl"]
                    .as_str()
                    .is_some_and(|p| p.contains(purl_part))
        })
        .collect()
}

/// Ids of the findings that fail the gate.
fn failing(report: &Value) -> Vec<String> {
    let mut ids: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["decision"] == "fail")
        .map(|f| f["id"].as_str().expect("id").to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Notes of `report` with `code`.
fn notes<'a>(report: &'a Value, code: &str) -> Vec<&'a str> {
    report["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter(|n| n["code"] == code)
        .map(|n| n["message"].as_str().expect("message"))
        .collect()
}

/// A `.kevgate.yaml` ignoring webgoat's two KEV findings, the jQuery one until `expires`.
fn webgoat_config(expires: &str) -> String {
    format!(
        "fail-on: critical\n\
         ignore:\n  \
           - id: GHSA-jpcq-cgw6-v4j6\n    \
             reason: jQuery only serves the offline docs viewer\n    \
             expires: {expires}\n    \
             purl: pkg:npm/jquery\n  \
           - id: CVE-2021-39144\n    \
             reason: XStream only reads our own signed files\n"
    )
}

/// An ignore with a future expiry turns webgoat's failing scan into a pass, keeps the
/// finding visible as `ignored` with its reason; the same ignore expired fails again with an
/// `expired-ignore` note.
#[test]
fn ignore_until_expiry() {
    let tmp = TempDir::new("policy-expiry");
    let db = build_kev_hits_db(tmp.path());
    let (code, report, _) = scan_json(tmp.path(), &webgoat(), &db, &[]);
    assert_eq!(code, 1);
    assert_eq!(failing(&report), ["CVE-2020-11023", "CVE-2021-39144"]);

    fs_err::write(
        tmp.path().join(".kevgate.yaml"),
        webgoat_config("2026-01-31"),
    )
    .expect("write");
    let (code, report, stderr) = scan_json(tmp.path(), &webgoat(), &db, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["verdict"], "pass");
    let jq = findings(&report, "CVE-2020-11023", "pkg:npm/jquery@3.4.1");
    assert!(!jq.is_empty());
    for f in &jq {
        assert_eq!(f["decision"], "ignored", "{f}");
        assert_eq!(f["reasons"], serde_json::json!(["ignored"]));
        assert_eq!(
            f["ignored_reason"],
            "jQuery only serves the offline docs viewer"
        );
        assert!(f["kev"].is_object(), "still shown with its KEV facts");
    }
    // Only jQuery's findings for that vulnerability: the purl scope holds.
    for f in report["findings"].as_array().expect("findings") {
        if f["decision"] == "ignored" {
            let purl = f["component"]["purl"].as_str().unwrap_or_default();
            assert!(purl.contains("jquery") || purl.contains("xstream"), "{f}");
        } else {
            assert!(f["ignored_reason"].is_null(), "{f}");
        }
    }
    assert_eq!(report["counts"]["fail"], 0);
    assert!(report["counts"]["ignored"].as_u64().expect("ignored count") >= 2);
    assert!(notes(&report, "expired-ignore").is_empty());

    // The day after `expires`, the ignore no longer applies.
    fs_err::write(
        tmp.path().join(".kevgate.yaml"),
        webgoat_config("2025-08-25"),
    )
    .expect("write");
    let (code, report, _) = scan_json(tmp.path(), &webgoat(), &db, &[]);
    assert_eq!(code, 1);
    assert_eq!(failing(&report), ["CVE-2020-11023"]);
    let expired = notes(&report, "expired-ignore");
    assert_eq!(expired.len(), 1, "{expired:?}");
    assert!(
        expired[0].starts_with(
            "the ignore of `GHSA-jpcq-cgw6-v4j6` (`.kevgate.yaml` line 3) expired on 2025-08-25"
        ),
        "{}",
        expired[0]
    );
    // On its last day it still applies.
    fs_err::write(
        tmp.path().join(".kevgate.yaml"),
        webgoat_config("2025-08-26"),
    )
    .expect("write");
    let (code, _, _) = scan_json(tmp.path(), &webgoat(), &db, &[]);
    assert_eq!(code, 0);
}

/// The table, Markdown and SARIF show ignored findings apart, with the reason.
#[test]
fn ignored_findings_in_every_format() {
    let tmp = TempDir::new("policy-formats");
    let db = build_kev_hits_db(tmp.path());
    fs_err::write(
        tmp.path().join(".kevgate.yaml"),
        webgoat_config("2026-01-31"),
    )
    .expect("write");
    let out = |format: &str| {
        let (code, stdout, stderr) = run(kevgate(tmp.path())
            .arg("scan")
            .arg(webgoat())
            .arg("--db")
            .arg(&db)
            .args(["--format", format]));
        assert_eq!(code, 0, "{stderr}");
        stdout
    };
    let table = out("table");
    assert!(table.contains("ignored ("), "{table}");
    assert!(table.contains("reason: jQuery only serves the offline docs viewer"));
    assert!(
        table.contains(" ignored; "),
        "summary counts ignored: {table}"
    );
    let md = out("markdown");
    assert!(md.contains("ignored finding"), "{md}");
    assert!(md.contains("Ignored: jQuery only serves the offline docs viewer"));
    let sarif: Value = serde_json::from_str(&out("sarif")).expect("SARIF is JSON");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let suppressed: Vec<_> = results
        .iter()
        .filter(|r| r["suppressions"].is_array())
        .collect();
    assert!(!suppressed.is_empty());
    for r in &suppressed {
        assert_eq!(r["suppressions"][0]["kind"], "external");
        assert!(r["suppressions"][0]["justification"].is_string());
        assert_eq!(r["properties"]["decision"], "ignored");
    }
    assert!(
        suppressed
            .iter()
            .any(|r| r["suppressions"][0]["justification"]
                == "jQuery only serves the offline docs viewer")
    );
}

/// Config errors exit 2, name the file and the line, and list every problem at once.
#[test]
fn config_errors_exit_2_with_lines() {
    let tmp = TempDir::new("policy-errors");
    let sbom = webgoat();
    let config = tmp.path().join("policy.yaml");
    fs_err::write(
        &config,
        "fail-on: critical\nignore:\n  - id: CVE-2020-11023\n  - id: CVE-2021-39144\n    reason: ok\n    expires: soon\n",
    )
    .expect("write");
    let (code, stdout, stderr) = run(kevgate(tmp.path())
        .arg("scan")
        .arg(&sbom)
        .arg("--config")
        .arg(&config));
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("policy.yaml` line 3: the ignore of `CVE-2020-11023` has no `reason`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("policy.yaml` line 6: the ignore of `CVE-2021-39144` expires on `soon`"),
        "{stderr}"
    );

    // Unknown keys, in the default file.
    fs_err::write(
        tmp.path().join(".kevgate.yaml"),
        "fail-on: high\nfail-on-kevs: false\n",
    )
    .expect("write");
    let (code, _, stderr) = run(kevgate(tmp.path()).arg("scan").arg(&sbom));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("`.kevgate.yaml` line 2"), "{stderr}");
    assert!(stderr.contains("fail-on-kevs"), "{stderr}");

    // A missing `--config` file is an error too.
    let (code, _, stderr) = run(kevgate(tmp.path())
        .arg("scan")
        .arg(&sbom)
        .args(["--config", "nope.yaml"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("nope.yaml"), "{stderr}");
}

/// The `unknown-ignore` note of an ignore of `id` at `.kevgate.yaml` line `line`.
pub fn unknown_ignore(id: &str, line: u32) -> String {
    format!(
        "the ignore of `{id}` (`.kevgate.yaml` line {line}) names an id the database does not \
         know; hint: check the id for a typo, or ignore the id the finding shows"
    )
}

/// The `unused-ignore` note of an ignore of `id` at `.kevgate.yaml` line `line`.
pub fn unused_ignore(id: &str, line: u32) -> String {
    format!(
        "the ignore of `{id}` (`.kevgate.yaml` line {line}) matched no finding; hint: remove \
         it if the vulnerability is gone, or check the id and purl"
    )
}

/// Flags override the file; ignores that matched nothing are reported: `unknown-ignore` when
/// the database does not know the id at all (a CVE NVD, KEV and EPSS lack; an id no advisory
/// of the ignore's `purl` package has), else `unused-ignore` (known but not in this SBOM, or
/// an unscoped non-CVE id the database cannot look up).
#[test]
fn flags_override_file_and_unused_ignores() {
    let tmp = TempDir::new("policy-flags");
    let db = build_kev_hits_db(tmp.path());
    fs_err::write(
        tmp.path().join(".kevgate.yaml"),
        "fail-on: none\nfail-on-kev: false\nignore:\n\
         \x20 - id: CVE-1999-0001\n    reason: gone\n\
         \x20 - id: CVE-2023-4911\n    reason: no glibc here\n\
         \x20 - id: GHSA-jpcq-cgw6-v4j6\n    reason: old\n    purl: pkg:npm/jquery@9.9.9\n\
         \x20 - id: GHSA-0000-0000-0000\n    reason: typo\n    purl: pkg:npm/jquery\n\
         \x20 - id: GHSA-0000-0000-0001\n    reason: not checkable\n",
    )
    .expect("write");
    let (code, report, _) = scan_json(tmp.path(), &webgoat(), &db, &[]);
    assert_eq!(code, 0);
    assert_eq!(report["policy"]["fail_on"], "none");
    assert_eq!(report["policy"]["fail_on_kev"], false);
    assert_eq!(
        notes(&report, "unknown-ignore"),
        [
            unknown_ignore("CVE-1999-0001", 4),
            unknown_ignore("GHSA-0000-0000-0000", 11)
        ]
    );
    assert_eq!(
        notes(&report, "unused-ignore"),
        [
            unused_ignore("CVE-2023-4911", 6),
            unused_ignore("GHSA-0000-0000-0001", 14),
            unused_ignore("GHSA-jpcq-cgw6-v4j6", 8),
        ]
    );

    let (code, report, _) = scan_json(tmp.path(), &webgoat(), &db, &["--fail-on-kev"]);
    assert_eq!(code, 1);
    assert_eq!(report["policy"]["fail_on_kev"], true);
    assert_eq!(report["policy"]["fail_on"], "none");
    let (code, report, _) = scan_json(tmp.path(), &webgoat(), &db, &["--fail-on", "critical"]);
    assert_eq!(report["policy"]["fail_on"], "critical");
    assert_eq!(code, 1, "KEV counts as critical");
}

/// `.trivyignore` in the working directory suppresses what it lists (with `exp:`), and
/// nothing else.
#[test]
fn trivyignore_is_honoured() {
    let tmp = TempDir::new("policy-trivyignore");
    let db = build_kev_hits_db(tmp.path());
    fs_err::write(
        tmp.path().join(".trivyignore"),
        "# docs viewer only\nCVE-2020-11023 exp:2026-01-31\n",
    )
    .expect("write");
    let (code, report, _) = scan_json(tmp.path(), &webgoat(), &db, &[]);
    assert_eq!(code, 1, "XStream still fails");
    assert_eq!(failing(&report), ["CVE-2021-39144"]);
    for f in findings(&report, "CVE-2020-11023", "jquery") {
        assert_eq!(f["decision"], "ignored");
        assert_eq!(f["ignored_reason"], "docs viewer only");
    }
    let ignored: Vec<_> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["decision"] == "ignored")
        .collect();
    assert!(
        ignored.iter().all(|f| f["id"] == "CVE-2020-11023"),
        "{ignored:?}"
    );

    fs_err::write(
        tmp.path().join(".trivyignore.yaml"),
        "vulnerabilities:\n  - id: CVE-2021-39144\n    statement: signed input only\n    purls:\n      - pkg:maven/com.thoughtworks.xstream/xstream\n",
    )
    .expect("write");
    let (code, report, _) = scan_json(tmp.path(), &webgoat(), &db, &[]);
    assert_eq!(code, 0);
    for f in findings(&report, "CVE-2021-39144", "xstream") {
        assert_eq!(f["ignored_reason"], "signed input only");
    }
}

/// trivy's real OpenVEX is about trivy: on harp's SBOM it applies nowhere and each statement
/// gets a `vex-other-product` note. The same statements with harp as the product (no
/// version) say golang.org/x/net is not affected by CVE-2023-39325 and CVE-2023-3978: those
/// findings are ignored with the justification; CVE-2023-44487 (KEV), which they do not
/// mention, still fails. With another harp version as the product, nothing applies again.
/// The real CycloneDX VEX (`exploitable`) suppresses nothing.
#[test]
fn vex_documents_suppress_what_they_say() {
    let tmp = TempDir::new("policy-vex");
    let db = build_kev_hits_db(tmp.path());
    let (_, before, _) = scan_json(tmp.path(), &harp(), &db, &[]);
    fs_err::create_dir_all(tmp.path().join("security")).expect("mkdir");
    fs_err::copy(
        fixture("vex/trivy-project.openvex.json"),
        tmp.path().join("security/openvex.json"),
    )
    .expect("copy");
    fs_err::copy(
        fixture("sbom/other-cdx1.4-vex-log4j-affected.json"),
        tmp.path().join("security/cdx-vex.json"),
    )
    .expect("copy");
    fs_err::write(
        tmp.path().join(".kevgate.yaml"),
        "vex:\n  - security/openvex.json\n  - security/cdx-vex.json\n",
    )
    .expect("write");

    // trivy's VEX is about trivy (`pkg:golang/github.com/aquasecurity/trivy`), not harp:
    // nothing is suppressed, and each statement says so.
    let (code, report, stderr) = scan_json(tmp.path(), &harp(), &db, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report["counts"]["ignored"], 0, "{stderr}");
    let other = notes(&report, "vex-other-product");
    assert_eq!(other.len(), 3, "{other:?}");
    assert!(
        other[0].contains("is about `pkg:golang/github.com/aquasecurity/trivy`, which is neither"),
        "{other:?}"
    );

    // The same statements as harp's maintainers would publish them (product: harp, any
    // version, matching the SBOM subject `pkg:golang/github.com/elastic/harp@v0.2.10`).
    let mut vex: Value = serde_json::from_slice(
        &fs_err::read(fixture("vex/trivy-project.openvex.json")).expect("read"),
    )
    .expect("JSON");
    for statement in vex["statements"].as_array_mut().expect("statements") {
        for product in statement["products"].as_array_mut().expect("products") {
            product["@id"] = "pkg:golang/github.com/elastic/harp".into();
            product["identifiers"]["purl"] = "pkg:golang/github.com/elastic/harp".into();
        }
    }
    fs_err::write(
        tmp.path().join("security/openvex.json"),
        serde_json::to_vec(&vex).expect("JSON"),
    )
    .expect("write");
    let (code, report, stderr) = scan_json(tmp.path(), &harp(), &db, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(notes(&report, "vex-other-product"), Vec::<&str>::new());
    assert_kev_fail(&report, "CVE-2023-44487", "golang.org/x/net@");
    let mut suppressed = 0;
    for id in ["CVE-2023-39325", "CVE-2023-3978"] {
        for f in findings(&report, id, "pkg:golang/golang.org/x/net@") {
            suppressed += 1;
            assert_eq!(f["decision"], "ignored", "{f}");
            assert_eq!(f["reasons"], serde_json::json!(["vex"]));
            assert!(
                f["ignored_reason"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("VEX not_affected (")),
                "{f}"
            );
        }
    }
    assert!(suppressed > 0, "the VEX statements match real findings");
    // Nothing else changed.
    let ignored = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["decision"] == "ignored")
        .count();
    assert_eq!(ignored, suppressed);
    assert_eq!(
        before["findings"].as_array().map(Vec::len),
        report["findings"].as_array().map(Vec::len)
    );
    assert!(
        notes(&report, "unused-ignore").is_empty(),
        "no notes for VEX"
    );

    // A product version other than the scanned one is another product.
    let text = String::from_utf8(serde_json::to_vec(&vex).expect("JSON")).expect("UTF-8");
    fs_err::write(
        tmp.path().join("security/openvex.json"),
        text.replace(
            "\"pkg:golang/github.com/elastic/harp\"",
            "\"pkg:golang/github.com/elastic/harp@v0.2.9\"",
        ),
    )
    .expect("write");
    let (_, report, _) = scan_json(tmp.path(), &harp(), &db, &[]);
    assert_eq!(report["counts"]["ignored"], 0);
    assert_eq!(notes(&report, "vex-other-product").len(), 3);
}

/// A VEX statement with a status its specification does not define (OpenVEX `status`,
/// CycloneDX `analysis.state`) is not applied and gets a `vex-unknown-status` note naming the
/// file and the id when id-shaped, never the status or a hostile id; the KEV finding it is
/// about still fails.
#[test]
fn vex_unknown_status_is_a_note() {
    let tmp = TempDir::new("policy-vex-unknown-status");
    let db = build_kev_hits_db(tmp.path());
    let product = "pkg:maven/com.thoughtworks.xstream/xstream@1.4.5";
    let openvex = serde_json::json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "statements": [
            {"vulnerability": {"name": "CVE-2021-39144"}, "products": [{"@id": product}],
             "status": "::error::owned-status"},
            {"vulnerability": {"name": "::warning::owned-id"}, "products": [{"@id": product}],
             "status": "not-affected"},
        ]
    });
    let cdx = serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5",
        "vulnerabilities": [
            {"id": "CVE-2020-11023", "analysis": {"state": "##[error]owned-state"},
             "affects": [{"ref": "pkg:npm/jquery@3.4.1"}]},
        ]
    });
    fs_err::write(tmp.path().join("open.json"), openvex.to_string()).expect("write");
    fs_err::write(tmp.path().join("cdx.json"), cdx.to_string()).expect("write");
    fs_err::write(
        tmp.path().join(".kevgate.yaml"),
        "vex: [open.json, cdx.json]\n",
    )
    .expect("write");
    let (code, report, stderr) = scan_json(tmp.path(), &webgoat(), &db, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report["counts"]["ignored"], 0, "{stderr}");
    assert_eq!(failing(&report), ["CVE-2020-11023", "CVE-2021-39144"]);
    let unknown = notes(&report, "vex-unknown-status");
    assert_eq!(unknown.len(), 3, "{unknown:?}");
    assert!(
        unknown.iter().any(|n| n.starts_with(
            "CycloneDX VEX vulnerabilities[0] of `cdx.json` (`CVE-2020-11023`) has no \
             `analysis.state` kevgate knows; not applied"
        )),
        "{unknown:?}"
    );
    assert!(
        unknown
            .iter()
            .any(|n| n
                .starts_with("VEX statement 1 of `open.json` (`CVE-2021-39144`) has no `status`")),
        "{unknown:?}"
    );
    assert!(
        unknown
            .iter()
            .any(|n| n.starts_with("VEX statement 2 of `open.json` has no `status`")),
        "{unknown:?}"
    );
    let all = format!("{report}{stderr}");
    for hostile in [
        "owned-status",
        "owned-id",
        "owned-state",
        "::error::",
        "##[error]",
    ] {
        assert!(!all.contains(hostile), "{hostile} in {all}");
    }
    // The SBOM's own `analysis` with an undefined state: the same note, on the SBOM.
    fs_err::remove_file(tmp.path().join(".kevgate.yaml")).expect("remove");
    let mut sbom: Value =
        serde_json::from_slice(&fs_err::read(webgoat()).expect("read")).expect("JSON");
    sbom["vulnerabilities"] = serde_json::json!([
        {"id": "CVE-2020-11023", "analysis": {"state": "::error::owned-embedded"},
         "affects": [{"ref": "pkg:npm/jquery@3.4.1"}]},
    ]);
    let own = tmp.path().join("own.json");
    fs_err::write(&own, sbom.to_string()).expect("write");
    let (code, report, stderr) = scan_json(tmp.path(), &own, &db, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(failing(&report), ["CVE-2020-11023", "CVE-2021-39144"]);
    let unknown = notes(&report, "vex-unknown-status");
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert!(
        unknown[0].starts_with("CycloneDX VEX vulnerabilities[0] of `"),
        "{unknown:?}"
    );
    assert!(unknown[0].contains("(`CVE-2020-11023`)"), "{unknown:?}");
    let all = format!("{report}{stderr}");
    assert!(
        !all.contains("owned-embedded") && !all.contains("::error::"),
        "{all}"
    );
}

/// A top-level key of `.trivyignore.yaml` trivy does not define (a typo) is an
/// `unused-ignore` note naming the key when key-shaped, never other text; the entries under
/// it are not applied.
#[test]
fn trivyignore_yaml_unknown_key_is_a_note() {
    let tmp = TempDir::new("policy-trivyignore-key");
    let db = build_kev_hits_db(tmp.path());
    fs_err::write(
        tmp.path().join(".trivyignore.yaml"),
        "vulnerabilites:\n  - id: CVE-2021-39144\n\"::error::owned key\": 1\nsecrets: []\n",
    )
    .expect("write");
    let (code, report, stderr) = scan_json(tmp.path(), &webgoat(), &db, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(failing(&report), ["CVE-2020-11023", "CVE-2021-39144"]);
    let unused = notes(&report, "unused-ignore");
    assert_eq!(unused.len(), 2, "{unused:?}");
    assert!(
        unused.iter().any(|n| n.starts_with(
            "`.trivyignore.yaml` has an unknown top-level key `vulnerabilites`; not read"
        )),
        "{unused:?}"
    );
    assert!(
        unused
            .iter()
            .any(|n| n.starts_with("`.trivyignore.yaml` has an unknown top-level key; not read")),
        "{unused:?}"
    );
    let all = format!("{report}{stderr}");
    assert!(
        !all.contains("owned key") && !all.contains("::error::"),
        "{all}"
    );
}

fn assert_kev_fail(report: &Value, id: &str, purl_part: &str) {
    let hits = findings(report, id, purl_part);
    assert!(!hits.is_empty(), "{id} on {purl_part}");
    for f in hits {
        assert_eq!(f["decision"], "fail", "{f}");
    }
}

/// A VEX document that does not exist is an error naming it.
#[test]
fn missing_vex_is_an_error() {
    let tmp = TempDir::new("policy-vex-missing");
    fs_err::write(tmp.path().join(".kevgate.yaml"), "vex: [missing.json]\n").expect("write");
    let (code, _, stderr) = run(kevgate(tmp.path()).arg("scan").arg(Path::new(&harp())));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("missing.json"), "{stderr}");
}

/// Every finding has a priority from the documented table: jQuery's CVE-2020-11023 is in KEV
/// but needs user interaction (`UI:R`), so `attend`; KEV findings are `act` or `attend`,
/// others never `act`.
#[test]
fn priority_on_real_findings() {
    let tmp = TempDir::new("policy-priority");
    let db = build_kev_hits_db(tmp.path());
    let (_, report, _) = scan_json(tmp.path(), &webgoat(), &db, &[]);
    for f in findings(&report, "CVE-2020-11023", "pkg:npm/jquery@3.4.1") {
        assert_eq!(f["priority"], "attend", "{f}");
    }
    let (_, sorted, _) = scan_json(tmp.path(), &webgoat(), &db, &["--sort", "priority"]);
    let rank = |p: &Value| match p.as_str() {
        Some("act") => 0,
        Some("attend") => 1,
        Some("track*") => 2,
        _ => 3,
    };
    let ranks: Vec<i32> = sorted["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| rank(&f["priority"]))
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
    assert_eq!(sorted["verdict"], report["verdict"]);
    for f in report["findings"].as_array().expect("findings") {
        let p = f["priority"].as_str().expect("priority is a string");
        assert!(["act", "attend", "track*", "track"].contains(&p), "{f}");
        if f["kev"].is_null() {
            assert_ne!(p, "act", "only active exploitation is `act`: {f}");
        } else {
            assert!(p == "act" || p == "attend", "{f}");
        }
    }
}

/// The extra gate rules on webgoat's real findings (KEV data from CISA, EPSS from FIRST):
/// with the KEV rule off, KEV past due date fails again; `--fail-on-epss` fails what
/// scores at least the threshold; `only-fixable` turns failures without a fix into warnings.
#[test]
fn extra_gate_rules() {
    let tmp = TempDir::new("policy-rules");
    let db = build_kev_hits_db(tmp.path());
    let off = ["--no-fail-on-kev", "--fail-on", "none"];
    let (code, _, _) = scan_json(tmp.path(), &webgoat(), &db, &off);
    assert_eq!(code, 0);

    // jQuery's KEV due date (2025-02-13) is before 2025-08-26.
    let (code, report2, _) = scan_json(
        tmp.path(),
        &webgoat(),
        &db,
        &[&off[..], &["--fail-on-kev-past-due"]].concat(),
    );
    assert_eq!(code, 1);
    for f in findings(&report2, "CVE-2020-11023", "pkg:npm/jquery@3.4.1") {
        assert_eq!(f["decision"], "fail");
        assert_eq!(f["reasons"], serde_json::json!(["kev-past-due"]));
    }
    assert_eq!(report2["policy"]["fail_on_kev_past_due"], true);

    // EPSS: every finding at or above the threshold fails, and only those.
    let threshold = 0.5;
    let (_, report3, _) = scan_json(
        tmp.path(),
        &webgoat(),
        &db,
        &[&off[..], &["--fail-on-epss", "0.5"]].concat(),
    );
    for f in report3["findings"].as_array().expect("findings") {
        let high = f["epss"]["score"].as_f64().is_some_and(|s| s >= threshold);
        assert_eq!(f["decision"] == "fail", high, "{f}");
    }
    let (code, _, stderr) = run(kevgate(tmp.path())
        .arg("scan")
        .arg(webgoat())
        .arg("--db")
        .arg(&db)
        .args(["--fail-on-epss", "5"]));
    assert_eq!(code, 2, "{stderr}");

    // only-fixable: failures without a fixed version become `no-fix` warnings.
    fs_err::write(
        tmp.path().join(".kevgate.yaml"),
        "fail-on: low\nonly-fixable: true\n",
    )
    .expect("write");
    let (_, report4, _) = scan_json(tmp.path(), &webgoat(), &db, &[]);
    for f in report4["findings"].as_array().expect("findings") {
        let no_fix = f["fixed_versions"].as_array().is_some_and(Vec::is_empty);
        if no_fix {
            assert_ne!(f["decision"], "fail", "{f}");
        }
    }
}

/// Baseline on two real SBOMs: against itself everything is `unchanged` and nothing is
/// fixed; webgoat as the base of harp makes every harp finding `introduced` and lists every
/// webgoat finding as fixed; an earlier JSON report works as a base too, and
/// `--fail-on-new-only` fails only on what is introduced.
#[test]
fn baseline_introduced_unchanged_fixed() {
    let tmp = TempDir::new("policy-baseline");
    let db = build_kev_hits_db(tmp.path());
    let webgoat = webgoat();
    let harp = harp();
    let base_flag = |p: &Path| format!("--baseline={}", p.display());

    let (code, same, _) = scan_json(tmp.path(), &webgoat, &db, &[&base_flag(&webgoat)]);
    assert_eq!(code, 1, "a baseline alone changes no verdict");
    let all = same["findings"].as_array().expect("findings");
    assert!(!all.is_empty());
    assert!(all.iter().all(|f| f["change"] == "unchanged"), "{same}");
    assert_eq!(same["fixed_findings"], serde_json::json!([]));
    let (code, _, _) = scan_json(
        tmp.path(),
        &webgoat,
        &db,
        &[&base_flag(&webgoat), "--fail-on-new-only"],
    );
    assert_eq!(code, 0, "nothing new");

    let (_, base_report, _) = scan_json(tmp.path(), &webgoat, &db, &[]);
    let (code, head, _) = scan_json(tmp.path(), &harp, &db, &[&base_flag(&webgoat)]);
    assert_eq!(code, 1);
    let head_findings = head["findings"].as_array().expect("findings");
    assert!(head_findings.iter().all(|f| f["change"] == "introduced"));
    let fixed = head["fixed_findings"].as_array().expect("fixed_findings");
    assert_eq!(
        fixed.len(),
        base_report["findings"].as_array().map_or(0, Vec::len)
    );
    assert!(fixed.iter().any(|f| {
        f["id"] == "CVE-2020-11023"
            && f["purl"]
                .as_str()
                .is_some_and(|p| p.starts_with("pkg:npm/jquery@"))
    }));
    let note = notes(&head, "baseline");
    assert_eq!(note.len(), 1);
    assert!(note[0].contains(&format!("{} introduced, 0 unchanged", head_findings.len())));

    // An earlier JSON report as the base, without the jQuery finding: only it is new.
    let mut earlier = base_report.clone();
    earlier["findings"]
        .as_array_mut()
        .expect("findings")
        .retain(|f| f["id"] != "CVE-2020-11023");
    let earlier_path = tmp.path().join("earlier.json");
    fs_err::write(&earlier_path, earlier.to_string()).expect("write");
    let (code, report, _) = scan_json(
        tmp.path(),
        &webgoat,
        &db,
        &[&base_flag(&earlier_path), "--fail-on-new-only"],
    );
    assert_eq!(code, 1, "jQuery's KEV finding is new and fails");
    assert_eq!(failing(&report), ["CVE-2020-11023"]);
    for f in report["findings"].as_array().expect("findings") {
        let new = f["id"] == "CVE-2020-11023";
        assert_eq!(
            f["change"],
            if new { "introduced" } else { "unchanged" },
            "{f}"
        );
        if f["id"] == "CVE-2021-39144" {
            assert_eq!(f["decision"], "warn");
            assert_eq!(
                f["reasons"],
                serde_json::json!(["kev", "severity", "not-new"])
            );
        }
    }

    // Without a baseline, `change` is null; `--fail-on-new-only` alone is a usage error.
    assert!(base_report["findings"][0]["change"].is_null());
    let (code, _, _) = run(kevgate(tmp.path())
        .arg("scan")
        .arg(&webgoat)
        .arg("--fail-on-new-only"));
    assert_eq!(code, 2);
}

/// Remediation per component on webgoat: jQuery 3.4.1's findings are all fixed by one
/// upgrade, with the KEV action and due date; every plan line names its component.
#[test]
fn remediation_per_component() {
    let tmp = TempDir::new("policy-remediation");
    let db = build_kev_hits_db(tmp.path());
    let (_, report, _) = scan_json(tmp.path(), &webgoat(), &db, &[]);
    let plans = report["remediations"].as_array().expect("remediations");
    let jq = plans
        .iter()
        .find(|r| r["purl"] == "pkg:npm/jquery@3.4.1")
        .expect("a plan for jQuery 3.4.1");
    assert_eq!(jq["upgrade_to"], "3.5.0", "{jq}");
    assert!(
        jq["fixes"]
            .as_array()
            .is_some_and(|f| f.iter().any(|id| id == "CVE-2020-11023"))
    );
    assert!(jq["fixes_kev"].as_u64().is_some_and(|n| n >= 1));
    assert!(
        jq["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("upgrade jquery@3.4.1 to >= 3.5.0: fixes ")),
        "{jq}"
    );
    let action = &jq["kev_actions"][0];
    assert_eq!(action["id"], "CVE-2020-11023");
    assert_eq!(action["due_date"], "2025-02-13");
    // KEV fixes come first.
    assert!(plans[0]["fixes_kev"].as_u64().is_some_and(|n| n >= 1));
    let (_, table, _) = run(kevgate(tmp.path())
        .arg("scan")
        .arg(webgoat())
        .arg("--db")
        .arg(&db));
    assert!(table.contains("remediation:\n"), "{table}");
    assert!(table.contains("upgrade jquery@3.4.1 to >= 3.5.0: fixes "));
}

/// `kevgate policy test` runs the documented example's cases (all pass, exit 0); a wrong
/// expectation fails with the decision it got (exit 1); a config error exits 2.
#[test]
fn policy_test_command() {
    let tmp = TempDir::new("policy-test");
    let (code, stdout, stderr) = run(kevgate(tmp.path())
        .args(["policy", "test", "--config"])
        .arg(fixture("config/kevgate.yaml")));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("ok      log4j-core is ignored until the ignore expires"));
    assert!(
        stdout.ends_with("5 cases: 5 passed, 0 failed\n"),
        "{stdout}"
    );

    fs_err::write(
        tmp.path().join(".kevgate.yaml"),
        "ignore:\n  - id: CVE-2020-11023\n    reason: docs only\n    expires: 2025-01-31\n\
         tests:\n  - name: jquery stays ignored\n    finding:\n      id: CVE-2020-11023\n      kev: true\n    expect: ignored\n",
    )
    .expect("write");
    let (code, stdout, _) = run(kevgate(tmp.path()).args(["policy", "test"]));
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains(
            "FAILED  jquery stays ignored (`.kevgate.yaml` line 6): expected `ignored`, got `fail` (kev, severity)"
        ),
        "{stdout}"
    );

    // Priority cases: a wrong `expect-priority` fails with the priority it got.
    fs_err::write(
        tmp.path().join(".kevgate.yaml"),
        "tests:\n\
         \x20 - name: exploit and automatable total impact\n    finding:\n      id: CVE-1\n\
         \x20     cvss: CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\n\
         \x20     exploit-refs: [https://example.org/poc]\n    expect-priority: attend\n\
         \x20 - name: no exploit known\n    finding:\n      id: CVE-2\n\
         \x20     cvss: CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\n\
         \x20   expect: fail\n    expect-priority: attend\n",
    )
    .expect("write");
    let (code, stdout, _) = run(kevgate(tmp.path()).args(["policy", "test"]));
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("ok      exploit and automatable total impact (`.kevgate.yaml` line 2)"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "FAILED  no exploit known (`.kevgate.yaml` line 8): expected priority `attend`, got `track*`"
        ),
        "{stdout}"
    );
    // The vector's score (9.8) set the severity: `expect: fail` held.
    assert!(!stdout.contains("expected `fail`"), "{stdout}");

    fs_err::write(
        tmp.path().join(".kevgate.yaml"),
        "tests:\n  - finding:\n      id: CVE-1\n      cvss: not-a-vector\n    expect: fail\n",
    )
    .expect("write");
    let (code, _, stderr) = run(kevgate(tmp.path()).args(["policy", "test"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("has `cvss: not-a-vector`, not a CVSS vector"),
        "{stderr}"
    );

    fs_err::write(
        tmp.path().join(".kevgate.yaml"),
        "tests:\n  - finding: {}\n",
    )
    .expect("write");
    let (code, _, stderr) = run(kevgate(tmp.path()).args(["policy", "test"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("line 2"), "{stderr}");
}

/// The trivy fixture database (`tests/fixtures/trivy/`, data from 2025-11) in `dir`.
fn trivy_db(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("trivy-fixture.kvdb");
    crate::trivy::fixture_db(&db);
    db
}

/// `kevgate scan --format json` on the trivy fixture data's date.
fn scan_trivy(dir: &Path, sbom: &Path, db: &Path, extra: &[&str]) -> (i32, Value, String) {
    crate::scan::scan_json_on("2025-11-04", dir, sbom, db, extra)
}

/// `(id, package name, change)` of every finding, sorted.
fn changes(report: &Value) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["id"].as_str().expect("id").to_owned(),
                f["component"]["name"].as_str().expect("name").to_owned(),
                f["change"].as_str().unwrap_or("none").to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

/// `(id, package@version)` of the baseline's fixed findings, sorted.
fn fixed_findings(report: &Value) -> Vec<(String, String)> {
    let mut out: Vec<_> = report["fixed_findings"]
        .as_array()
        .expect("fixed_findings")
        .iter()
        .map(|f| {
            (
                f["id"].as_str().expect("id").to_owned(),
                f["package"].as_str().expect("package").to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

/// A real base/head pair: trivy makes the SBOMs of three npm projects
/// (`tests/fixtures/policy/baseline/`): `base` (jquery 3.4.1, lodash 4.17.15), `head` (adds
/// minimist 1.2.5) and `fixed` (head with lodash 4.17.21). Against the base SBOM and against
/// the base's JSON report, head's minimist finding is introduced and the rest unchanged;
/// `fixed` lists lodash's three findings as fixed. With `--fail-on-new-only` the KEV jQuery
/// finding (unchanged) stops failing, the introduced critical minimist one still fails, and
/// `fixed` against `head` passes.
#[test]
fn baseline_on_real_trivy_sboms() {
    let tmp = TempDir::new("policy-baseline-trivy");
    let dir = tmp.path();
    let db = trivy_db(dir);
    let sbom = |name: &str| {
        let out = dir.join(format!("{name}.cdx.json"));
        crate::trivy::sbom_of(&fixture(&format!("policy/baseline/{name}")), &out);
        out
    };
    let (base, head, fixed) = (sbom("base"), sbom("head"), sbom("fixed"));
    let ch =
        |id: &str, name: &str, change: &str| (id.to_owned(), name.to_owned(), change.to_owned());
    let jquery_lodash_unchanged = [
        ch("CVE-2020-11022", "jquery", "unchanged"),
        ch("CVE-2020-11023", "jquery", "unchanged"),
        ch("CVE-2020-28500", "lodash", "unchanged"),
        ch("CVE-2020-8203", "lodash", "unchanged"),
        ch("CVE-2021-23337", "lodash", "unchanged"),
        // GHSA-257q-pv89-v3xv, a "Duplicate Advisory" of GHSA-jpcq-cgw6-v4j6, is withdrawn.
    ];
    let minimist_introduced = ch("CVE-2021-44906", "minimist", "introduced");

    // The base's own JSON report, for the second kind of baseline.
    let base_report = dir.join("base-report.json");
    let (code, _, stderr) = run(kevgate(dir)
        .env("KEVGATE_NOW", "2025-11-04")
        .arg("scan")
        .arg(&base)
        .arg("--db")
        .arg(&db)
        .args(["--format", "json", "--output"])
        .arg(&base_report));
    assert_eq!(code, 1, "jQuery's KEV finding fails the base: {stderr}");

    for baseline in [&base, &base_report] {
        let b = baseline.to_str().expect("UTF-8 path");
        let (code, report, stderr) = scan_trivy(dir, &head, &db, &["--baseline", b]);
        assert_eq!(code, 1, "{stderr}");
        let mut want = jquery_lodash_unchanged.to_vec();
        want.push(minimist_introduced.clone());
        want.sort();
        assert_eq!(changes(&report), want, "baseline `{b}`");
        assert_eq!(fixed_findings(&report), [], "baseline `{b}`");
        let note = notes(&report, "baseline");
        assert!(
            note[0].ends_with(": 1 introduced, 5 unchanged, 0 fixed"),
            "{note:?}"
        );

        let (code, report, stderr) = scan_trivy(dir, &fixed, &db, &["--baseline", b]);
        assert_eq!(code, 1, "{stderr}");
        assert_eq!(
            changes(&report),
            [
                ch("CVE-2020-11022", "jquery", "unchanged"),
                ch("CVE-2020-11023", "jquery", "unchanged"),
                minimist_introduced.clone(),
            ],
            "baseline `{b}`"
        );
        assert_eq!(
            fixed_findings(&report),
            [
                ("CVE-2020-28500".to_owned(), "lodash@4.17.15".to_owned()),
                ("CVE-2020-8203".to_owned(), "lodash@4.17.15".to_owned()),
                ("CVE-2021-23337".to_owned(), "lodash@4.17.15".to_owned()),
            ],
            "baseline `{b}`"
        );

        // Only introduced findings can fail: minimist's critical one does.
        let (code, report, _) =
            scan_trivy(dir, &head, &db, &["--baseline", b, "--fail-on-new-only"]);
        assert_eq!(code, 1);
        assert_eq!(report["policy"]["fail_on_new_only"], true);
        assert_eq!(failing(&report), ["CVE-2021-44906"]);
        let jquery = findings(&report, "CVE-2020-11023", "pkg:npm/jquery@");
        assert_eq!(jquery[0]["decision"], "warn", "{}", jquery[0]);
        assert_eq!(
            jquery[0]["reasons"],
            serde_json::json!(["kev", "severity", "not-new"])
        );
    }

    // `fixed` against `head` introduces nothing: the gate passes.
    let h = head.to_str().expect("UTF-8 path");
    let (code, report, stderr) =
        scan_trivy(dir, &fixed, &db, &["--baseline", h, "--fail-on-new-only"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(failing(&report), Vec::<String>::new());
    assert!(
        changes(&report).iter().all(|(_, _, c)| c == "unchanged"),
        "{:?}",
        changes(&report)
    );
    assert_eq!(fixed_findings(&report).len(), 3);
}

/// Severity-source precedence on a real record whose sources disagree: Jinja2's
/// GHSA-q2x7-8rv6-6q7h (CVE-2024-56326, no NVD record here) has the CVSS 3.1 vector
/// `AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H` (7.8, high) and the severity word `MODERATE`. By
/// default the vector wins; `--severity-source ghsa,...` or `severity-source: [ghsa, osv]`
/// in the config makes GitHub's word win; the JSON names the order. A bad value is a config
/// error.
#[test]
fn severity_source_precedence() {
    let tmp = TempDir::new("policy-severity-source");
    let dir = tmp.path();
    let db = trivy_db(dir);
    let sbom = crate::root().join("examples/trivy-sbom.cdx.json");
    let jinja = |report: &Value| -> Value {
        let found = findings(report, "CVE-2024-56326", "pkg:pypi/jinja2@");
        assert_eq!(found.len(), 1, "{report:#}");
        found[0].clone()
    };

    let (_, report, _) = scan_trivy(dir, &sbom, &db, &[]);
    assert_eq!(
        report["policy"]["severity_source"],
        serde_json::json!(["nvd", "jvn", "osv", "sbom", "ghsa"])
    );
    let f = jinja(&report);
    assert_eq!(f["severity"], "high", "{f}");
    assert_eq!(f["severity_source"], "osv", "{f}");
    assert_eq!(f["cvss"]["score"], 7.8, "{f}");

    let (_, report, _) = scan_trivy(
        dir,
        &sbom,
        &db,
        &[
            "--severity-source",
            "ghsa,nvd,osv,sbom",
            "--fail-on",
            "high",
        ],
    );
    assert_eq!(
        report["policy"]["severity_source"],
        serde_json::json!(["ghsa", "nvd", "osv", "sbom"])
    );
    let f = jinja(&report);
    assert_eq!(f["severity"], "medium", "{f}");
    assert_eq!(f["severity_source"], "ghsa", "{f}");
    assert_eq!(
        f["decision"], "warn",
        "medium is below `--fail-on high`: {f}"
    );
    assert_eq!(
        f["cvss"]["vector"], "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
        "the vector stays shown (and feeds the priority): {f}"
    );

    fs_err::write(dir.join(".kevgate.yaml"), "severity-source: [ghsa, osv]\n").expect("write");
    let (_, report, _) = scan_trivy(dir, &sbom, &db, &[]);
    assert_eq!(
        report["policy"]["severity_source"],
        serde_json::json!(["ghsa", "osv"])
    );
    assert_eq!(jinja(&report)["severity"], "medium");
    // The flag overrides the file.
    let (_, report, _) = scan_trivy(dir, &sbom, &db, &["--severity-source", "osv"]);
    assert_eq!(jinja(&report)["severity"], "high");

    fs_err::write(dir.join(".kevgate.yaml"), "severity-source: [ghsa, cvss]\n").expect("write");
    let (code, _, stderr) = run(kevgate(dir)
        .env("KEVGATE_NOW", "2025-11-04")
        .arg("scan")
        .arg(&sbom)
        .arg("--db")
        .arg(&db));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("line 1: `severity-source` has `cvss`"),
        "{stderr}"
    );
}

/// Remediation on real advisories with release branches: log4j-core 2.14.1 needs 2.17.1
/// (fixes in 2.15.0/2.12.2, 2.16.0, 2.17.0/2.12.3, 2.17.1/2.12.4), and urllib3 1.26.4 gets
/// 1.26.19, its own branch, rather than a 2.x (CVE-2023-43804 is fixed in 1.26.17 and
/// 2.0.6, CVE-2024-37891 in 1.26.19 and 2.2.2).
#[test]
fn remediation_with_release_branches() {
    let tmp = TempDir::new("policy-remediation-branches");
    let dir = tmp.path();
    let db = trivy_db(dir);
    let sbom = crate::root().join("examples/trivy-sbom.cdx.json");
    let (_, report, _) = scan_trivy(dir, &sbom, &db, &[]);
    let plan = |name: &str| -> Value {
        report["remediations"]
            .as_array()
            .expect("remediations")
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("no remediation for `{name}`: {report:#}"))
            .clone()
    };
    let log4j = plan("log4j-core");
    assert_eq!(log4j["upgrade_to"], "2.17.1", "{log4j}");
    assert_eq!(
        log4j["summary"], "upgrade log4j-core@2.14.1 to >= 2.17.1: fixes 4, 2 in KEV",
        "{log4j}"
    );
    let urllib3 = plan("urllib3");
    assert_eq!(urllib3["upgrade_to"], "1.26.19", "{urllib3}");
}

/// A separate CycloneDX VEX built against trivy's npm SBOM (BOM-Link with its serial, its
/// bom-refs) suppresses what it says there: the KEV finding CVE-2020-11023 is ignored and the
/// gate passes. The same ids in a VEX built against another trivy SBOM (its serial, its
/// subject, its purl) suppress nothing, each with a `vex-other-product` note.
#[test]
fn cyclonedx_vex_applies_to_its_own_sbom_only() {
    let tmp = TempDir::new("policy-cdx-vex");
    let db = build_kev_hits_db(tmp.path());
    let npm = fixture("sbom/trivy-cdx1.7-golden-fs-npm-with-vuln.json");
    for name in [
        "cdx-vex-trivy-npm-golden.json",
        "cdx-vex-trivy-mixed-image.json",
    ] {
        fs_err::copy(fixture(&format!("vex/{name}")), tmp.path().join(name)).expect("copy");
    }
    let (code, before, _) = scan_json(tmp.path(), &npm, &db, &[]);
    assert_eq!(code, 1);
    assert_kev_fail(&before, "CVE-2020-11023", "pkg:npm/jquery@3.3.9");

    let scan_with_vex = |name: &str| {
        fs_err::write(tmp.path().join(".kevgate.yaml"), format!("vex: [{name}]\n")).expect("write");
        scan_json(tmp.path(), &npm, &db, &[])
    };
    let (code, report, stderr) = scan_with_vex("cdx-vex-trivy-npm-golden.json");
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(notes(&report, "vex-other-product"), Vec::<&str>::new());
    let decisions: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap_or_default(),
                f["decision"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        decisions,
        [
            ("CVE-2020-11023", "ignored"),
            ("CVE-2019-11358", "ignored"),
            ("CVE-2020-11022", "ignored"),
        ]
    );
    // GHSA-257q-pv89-v3xv and GHSA-wv67-q8rr-grjp are "Duplicate Advisory" records pointing
    // to GHSA-jpcq-cgw6-v4j6 and GHSA-6c3j-c64m-qhgq: withdrawn, mentioned in a note only.
    let withdrawn = notes(&report, "withdrawn-advisory");
    assert!(
        withdrawn
            .iter()
            .any(|n| n.contains("GHSA-257q-pv89-v3xv") && n.contains("GHSA-wv67-q8rr-grjp")),
        "{withdrawn:?}"
    );
    let kev = findings(&report, "CVE-2020-11023", "jquery");
    assert_eq!(
        kev[0]["ignored_reason"],
        "CycloneDX VEX not_affected (code_not_reachable): jQuery only renders the offline \
         help page; no untrusted HTML reaches it"
    );

    let (code, report, stderr) = scan_with_vex("cdx-vex-trivy-mixed-image.json");
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report["counts"]["ignored"], 0);
    assert_kev_fail(&report, "CVE-2020-11023", "pkg:npm/jquery@3.3.9");
    let other = notes(&report, "vex-other-product");
    assert_eq!(other.len(), 3, "{other:?}");
    assert!(
        other[0].contains("(`CVE-2020-11023`) is about `urn:cdx:c986ba94-"),
        "{other:?}"
    );
}

/// The notes of one report format, in the order it lists them: (code, line). JSON from
/// `notes[]`, Markdown from its `### Notes` section, the table from its `note[..]` lines.
fn listed_notes(format: &str, out: &str) -> Vec<(String, String)> {
    match format {
        "json" => serde_json::from_str::<Value>(out).expect("JSON")["notes"]
            .as_array()
            .expect("notes")
            .iter()
            .map(|n| {
                let code = n["code"].as_str().expect("code").to_owned();
                (code, n["message"].as_str().expect("message").to_owned())
            })
            .collect(),
        "markdown" => out
            .split_once("### Notes")
            .map_or("", |(_, notes)| notes)
            .lines()
            .filter_map(|l| l.strip_prefix("- `"))
            .filter_map(|l| l.split_once("`: "))
            .map(|(code, rest)| (code.to_owned(), rest.to_owned()))
            .collect(),
        "table" => out
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("note["))
            .filter_map(|l| l.split_once("]: "))
            .map(|(code, rest)| (code.to_owned(), rest.to_owned()))
            .collect(),
        other => panic!("no notes reader for `{other}`"),
    }
}

/// Issue 12, item 2: notes made while loading the policy files (a `.trivyignore.yaml` entry
/// scoped by `paths` only) are sorted with the policy's own notes (an unused and an unknown
/// config ignore), by code then message, in every format that lists notes: each code is one
/// group, and within `unused-ignore` the messages are in order. (They used to be appended
/// after the sort, so Markdown showed `unused-ignore` twice.) SARIF carries no notes: its
/// results are the findings alone.
#[test]
fn notes_sorted_in_every_format() {
    let tmp = TempDir::new("policy-notes-sorted");
    let db = build_kev_hits_db(tmp.path());
    fs_err::write(
        tmp.path().join(".kevgate.yaml"),
        "ignore:\n\
         \x20 - id: CVE-1999-0001\n    reason: gone\n\
         \x20 - id: CVE-2023-4911\n    reason: no glibc here\n",
    )
    .expect("write");
    fs_err::write(
        tmp.path().join(".trivyignore.yaml"),
        "vulnerabilities:\n  - id: CVE-2021-0001\n    paths:\n      - docs/viewer\n",
    )
    .expect("write");
    for format in ["json", "markdown", "table", "sarif"] {
        let (code, out, stderr) = run(kevgate(tmp.path())
            .arg("scan")
            .arg(webgoat())
            .arg("--db")
            .arg(&db)
            .args(["--format", format]));
        assert_eq!(code, 1, "{format}: {stderr}");
        if format == "sarif" {
            let sarif: Value = serde_json::from_str(&out).expect("SARIF is JSON");
            assert!(
                !sarif["runs"][0]["results"]
                    .as_array()
                    .expect("results")
                    .is_empty()
            );
            continue;
        }
        let notes = listed_notes(format, &out);
        // Each code is one group, and the groups and messages are in order.
        let keys: Vec<(usize, &str)> = notes
            .iter()
            .map(|(code, line)| {
                let rank = [
                    "unidentified-component",
                    "unsupported-ecosystem",
                    "unverified-version",
                    "bundled-db",
                    "sbom-warning",
                    "expired-ignore",
                    "unused-ignore",
                    "unknown-ignore",
                ]
                .iter()
                .position(|c| c == code)
                .unwrap_or(usize::MAX);
                (rank, line.as_str())
            })
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "{format} notes are not sorted:\n{out}");
        // The three ignores' notes, in their sorted order.
        let ignores: Vec<(&str, &str)> = notes
            .iter()
            .filter_map(|(code, line)| {
                ["CVE-2021-0001", "CVE-2023-4911", "CVE-1999-0001"]
                    .into_iter()
                    .find(|id| line.contains(id))
                    .map(|id| (code.as_str(), id))
            })
            .collect();
        assert_eq!(
            ignores,
            [
                ("unused-ignore", "CVE-2021-0001"),
                ("unused-ignore", "CVE-2023-4911"),
                ("unknown-ignore", "CVE-1999-0001"),
            ],
            "{format}:\n{out}"
        );
    }
}
