//! Every SBOM format through the binary: real trivy writes CycloneDX JSON and SPDX JSON of the
//! same lockfiles, each also gzip'd, and the committed CycloneDX XML conversions of trivy's
//! and syft's output: the JSON reports must be identical but for the SBOM path. Then the
//! shapes that used to pass in silence (issue 10 item 7) and the size cap (item 12).

use crate::trivy::{KEV_FINDINGS, fixture_db, sbom_in_format};
use crate::{TempDir, fixture, kevgate, run};
use serde_json::Value;
use std::io::Write as _;
use std::path::Path;
use std::process::Stdio;

/// `kevgate scan FILE --db DB --format json` on the trivy fixture data's date.
fn scan_json(dir: &Path, sbom: &Path, db: &Path) -> (i32, Value, String) {
    let (code, stdout, stderr) = run(kevgate(dir)
        .env("KEVGATE_NOW", "2025-11-04")
        .arg("scan")
        .arg(sbom)
        .arg("--db")
        .arg(db)
        .args(["--format", "json"]));
    let mut report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{}: not JSON ({e}), exit {code}: {stderr}", sbom.display()));
    // The one field that names the file.
    report["subject"]["sbom_path"] = Value::Null;
    (code, report, stderr)
}

fn gzip_to(from: &Path, to: &Path) {
    let bytes = fs_err::read(from).expect("readable");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&bytes).expect("in-memory gzip");
    fs_err::write(to, encoder.finish().expect("in-memory gzip")).expect("writable");
}

fn finding_ids(report: &Value) -> Vec<String> {
    let mut ids: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| format!("{} {}", f["id"], f["component"]["purl"]))
        .collect();
    ids.sort();
    ids
}

/// Real trivy writes CycloneDX JSON and SPDX JSON of the fixture project; each, gzip'd too,
/// gives the same JSON report (all KEV findings included); so do the committed CycloneDX XML
/// 1.2/1.4/1.6 conversions of trivy's CycloneDX and the SPDX 3 carry-over of its SPDX 2.3,
/// and syft's own XML 1.2-1.6 and SPDX against its CycloneDX JSON.
#[test]
fn every_format_gives_the_same_findings() {
    let tmp = TempDir::new("formats");
    let dir = tmp.path();
    let db = dir.join("test.kvdb");
    fixture_db(&db);
    let project = fixture("trivy/project");
    let cdx = dir.join("project.cdx.json");
    let spdx = dir.join("project.spdx.json");
    sbom_in_format(&project, &cdx, "cyclonedx");
    sbom_in_format(&project, &spdx, "spdx-json");
    let (code, want, _) = scan_json(dir, &cdx, &db);
    assert_eq!(code, 1, "the fixture project fails the gate");
    let ids = finding_ids(&want);
    for (cve, prefix) in KEV_FINDINGS {
        assert!(
            ids.iter().any(|i| i.contains(cve) && i.contains(prefix)),
            "{cve} on {prefix}: {ids:?}"
        );
    }
    let mut others = vec![spdx.clone()];
    for (file, ext) in [(&cdx, "cdx.json.gz"), (&spdx, "spdx.json.gz")] {
        let gz = dir.join(format!("project.{ext}"));
        gzip_to(file, &gz);
        others.push(gz);
    }
    for other in &others {
        let (code, got, stderr) = scan_json(dir, other, &db);
        assert_eq!(code, 1, "{}: {stderr}", other.display());
        assert_eq!(
            got,
            want,
            "{} differs from trivy's CycloneDX JSON",
            other.display()
        );
    }

    // Committed conversions (tests/fixtures/sbom/formats/SOURCES.md).
    let formats = fixture("sbom/formats");
    for (json, xmls) in [
        (
            "trivy-fs-project.cdx.json",
            &[
                "trivy-fs-project.cdx-1.2.xml",
                "trivy-fs-project.cdx-1.4.xml",
                "trivy-fs-project.cdx-1.6.xml",
                "trivy-fs-project.spdx.json",
                "trivy-fs-project.spdx3.json",
            ][..],
        ),
        (
            "syft-fs-project.cdx.json",
            &[
                "syft-fs-project.cdx-1.2.xml",
                "syft-fs-project.cdx-1.3.xml",
                "syft-fs-project.cdx-1.4.xml",
                "syft-fs-project.cdx-1.5.xml",
                "syft-fs-project.cdx-1.6.xml",
                "syft-fs-project.spdx.json",
            ][..],
        ),
    ] {
        let (code, want, _) = scan_json(dir, &formats.join(json), &db);
        assert_eq!(code, 1, "{json}");
        assert_eq!(
            finding_ids(&want),
            ids,
            "{json}: same project, same findings"
        );
        for xml in xmls {
            let path = formats.join(xml);
            let (_, got, stderr) = scan_json(dir, &path, &db);
            assert_eq!(got, want, "{xml} differs from {json}: {stderr}");
            let gz = dir.join(format!("{xml}.gz"));
            gzip_to(&path, &gz);
            let (_, got, _) = scan_json(dir, &gz, &db);
            assert_eq!(got, want, "gzip'd {xml} differs from {json}");
        }
    }
}

/// Writes `doc` into `dir` and scans it with the trivy fixture database.
fn scan_doc(dir: &Path, name: &str, doc: &str) -> (i32, String, String) {
    let path = dir.join(name);
    fs_err::write(&path, doc).expect("writable");
    let db = dir.join("test.kvdb");
    if !db.exists() {
        fixture_db(&db);
    }
    run(kevgate(dir)
        .env("KEVGATE_NOW", "2025-11-04")
        .arg("scan")
        .arg(&path)
        .arg("--db")
        .arg(&db)
        .args(["--format", "json"]))
}

/// Issue 10 item 7, each shape through the binary: a duplicate key is exit 2 naming it; a
/// component nested under `metadata.component` is scanned (log4j's KEV hit fails the gate);
/// a lower-case `cve-` id the SBOM embeds joins KEV; a vulnerability without `affects` and an
/// SBOM without components are `sbom-warning` notes.
#[test]
fn silent_shapes_are_judged_or_said() {
    let tmp = TempDir::new("silent-shapes");
    let dir = tmp.path();

    let (code, stdout, stderr) = scan_doc(
        dir,
        "dup.json",
        r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"log4j-core","purl":"pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1","purl":"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}]}"#,
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("dup.json") && stderr.contains("duplicate key `purl`"),
        "{stderr}"
    );

    let (code, stdout, stderr) = scan_doc(
        dir,
        "nested.json",
        r#"{"bomFormat":"CycloneDX","specVersion":"1.5","metadata":{"component":{"type":"application","name":"app","components":[{"type":"library","group":"org.apache.logging.log4j","name":"log4j-core","version":"2.14.1","purl":"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}]}}}"#,
    );
    assert_eq!(code, 1, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("JSON");
    let kev: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kev"].is_object())
        .filter_map(|f| f["id"].as_str())
        .collect();
    assert!(kev.contains(&"CVE-2021-44228"), "{kev:?}");

    let (code, stdout, stderr) = scan_doc(
        dir,
        "lower.json",
        r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"bom-ref":"a","type":"library","name":"internal-lib","version":"1.0.0","purl":"pkg:npm/kevgate-internal-lib@1.0.0"}],"vulnerabilities":[{"id":"cve-2021-44228","affects":[{"ref":"a"}]},{"id":"CVE-2020-11023"}]}"#,
    );
    assert_eq!(code, 1, "a KEV id in lower case fails the gate: {stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("JSON");
    let finding = &report["findings"][0];
    assert_eq!(finding["id"], "CVE-2021-44228");
    assert!(finding["kev"].is_object(), "{finding:#}");
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("sbom-warning")
            && notes.contains("without `affects`")
            && notes.contains("CVE-2020-11023"),
        "{notes}"
    );

    let (code, stdout, stderr) = scan_doc(
        dir,
        "subject-only.json",
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"component":{"type":"application","name":"app","purl":"pkg:npm/app@1.0.0"}}}"#,
    );
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("JSON");
    let notes = report["notes"].to_string();
    assert!(notes.contains("lists no components"), "{notes}");
}

/// Issue 10 item 12: `/dev/zero` is refused at once; a stream or a file past the cap is exit 2
/// naming the cap and how to raise it; a gzip bomb stops at the cap; the flag raises it.
#[test]
fn the_sbom_read_is_capped() {
    let tmp = TempDir::new("sbom-cap");
    let dir = tmp.path();
    let scan = |path: &str| {
        let mut cmd = kevgate(dir);
        cmd.args(["scan", path, "--db"])
            .arg(crate::root().join("assets/demo.kvdb"))
            .args(["--max-db-age", "100000", "--format", "json"]);
        cmd
    };

    let (code, _, stderr) = run(&mut scan("/dev/zero"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("binary file"), "{stderr}");

    // An endless-looking stream of text: stopped at the cap.
    let mut child = scan("/dev/stdin")
        .env("KEVGATE_MAX_SBOM_SIZE", "1MiB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || {
        let chunk = vec![b' '; 1 << 16];
        for _ in 0..64 {
            if stdin.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("writer");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("larger than the size cap of 1048576 bytes")
            && stderr.contains("--max-sbom-size"),
        "{stderr}"
    );

    // A regular file past the cap, refused by its size; the flag raises the cap.
    let big = dir.join("big.cdx.json");
    let doc = format!(
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{{"type":"library","name":"a{}","purl":"pkg:npm/a@1.0.0"}}]}}"#,
        "a".repeat(2 << 20)
    );
    fs_err::write(&big, &doc).expect("writable");
    let big = big.to_string_lossy().into_owned();
    let (code, _, stderr) = run(scan(&big).env("KEVGATE_MAX_SBOM_SIZE", "1MiB"));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("big.cdx.json") && stderr.contains("size cap"),
        "{stderr}"
    );
    let (code, _, stderr) = run(scan(&big)
        .env("KEVGATE_MAX_SBOM_SIZE", "1MiB")
        .args(["--max-sbom-size", "4MiB"]));
    assert_eq!(code, 0, "{stderr}");

    // A gzip bomb: 2 MiB that inflates past the 1 MiB cap.
    let bomb = dir.join("bomb.cdx.json.gz");
    gzip_to(Path::new(&big), &bomb);
    assert!(fs_err::metadata(&bomb).expect("written").len() < 64 << 10);
    let (code, _, stderr) = run(scan(&bomb.to_string_lossy()).env("KEVGATE_MAX_SBOM_SIZE", "1MiB"));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("inflates to more than 1048576 bytes"),
        "{stderr}"
    );

    let (code, _, stderr) = run(scan(&big).env("KEVGATE_MAX_SBOM_SIZE", "lots"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("KEVGATE_MAX_SBOM_SIZE"), "{stderr}");
}

/// The action reads `INPUT_SBOM` through the same capped reader: `/dev/zero` is exit 2 at
/// once (issue 10 item 12: it used to be read until the out-of-memory killer), and
/// `KEVGATE_MAX_SBOM_SIZE` applies.
#[test]
fn the_action_caps_the_sbom_read() {
    let tmp = TempDir::new("action-sbom-cap");
    let dir = tmp.path();
    let action = |sbom: &str| {
        let mut cmd = kevgate(dir);
        cmd.arg("action")
            .env("INPUT_SBOM", sbom)
            .env("INPUT_DB", crate::root().join("assets/demo.kvdb"))
            .env("INPUT_MAX-DB-AGE", "100000")
            .env("INPUT_ALLOW-DEMO-DB", "true")
            .env("GITHUB_OUTPUT", dir.join("output.txt"))
            .env("GITHUB_STEP_SUMMARY", dir.join("summary.md"));
        cmd
    };
    let (code, stdout, stderr) = run(&mut action("/dev/zero"));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("/dev/zero") && stderr.contains("binary file"),
        "{stderr}"
    );

    let sbom = fixture("sbom/formats/trivy-fs-project.cdx.json");
    let (code, _, stderr) =
        run(action(&sbom.to_string_lossy()).env("KEVGATE_MAX_SBOM_SIZE", "4KiB"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("size cap of 4096 bytes"), "{stderr}");
}

/// The SBOM's own VEX `analysis` suppresses the same findings in CycloneDX XML as in JSON.
#[test]
fn embedded_vex_applies_in_xml_as_in_json() {
    let tmp = TempDir::new("xml-vex");
    let dir = tmp.path();
    let formats = fixture("sbom/formats");
    let json_text = fs_err::read_to_string(formats.join("trivy-golden-npm-with-vuln.cdx.json"))
        .expect("fixture");
    let mut json: Value = serde_json::from_str(&json_text).expect("JSON");
    json["vulnerabilities"][0]["analysis"] = serde_json::json!({"state": "not_affected", "justification": "code_not_reachable", "detail": "only the docs use it"});
    let xml = fs_err::read_to_string(formats.join("trivy-golden-npm-with-vuln.cdx-1.6.xml"))
        .expect("fixture")
        .replacen(
            "<affects>",
            "<analysis><state>not_affected</state><justification>code_not_reachable</justification><detail>only the docs use it</detail></analysis><affects>",
            1,
        );
    let (json_path, xml_path) = (dir.join("vex.cdx.json"), dir.join("vex.cdx.xml"));
    fs_err::write(&json_path, json.to_string()).expect("writable");
    fs_err::write(&xml_path, xml).expect("writable");
    let reports: Vec<Value> = [&json_path, &xml_path]
        .iter()
        .map(|path| {
            let (code, stdout, stderr) = run(kevgate(dir)
                .arg("scan")
                .arg(path)
                .arg("--db")
                .arg(crate::root().join("assets/demo.kvdb"))
                .args(["--max-db-age", "100000", "--format", "json"]));
            assert!(code < 2, "{stderr}");
            let mut report: Value = serde_json::from_str(&stdout).expect("JSON");
            report["subject"]["sbom_path"] = Value::Null;
            report
        })
        .collect();
    let ignored = reports[0].to_string();
    assert!(
        ignored.contains("CycloneDX VEX not_affected (code_not_reachable): only the docs use it"),
        "{ignored}"
    );
    assert_eq!(reports[0], reports[1]);
}

/// CycloneDX 1.2 has no properties, so trivy's `SrcName` is lost in a 1.2 conversion of an
/// OS image's SBOM: Debian advisories are keyed by source package (`glibc`, not `libc6`), and
/// matching by the binary's name would miss them in silence. The reader cannot recover the
/// names; the report says so. trivy's JSON, SPDX and XML 1.6 of the same rootfs name them.
#[test]
fn os_packages_without_source_names_are_a_note() {
    let tmp = TempDir::new("formats-no-source");
    let dir = tmp.path();
    let db = dir.join("test.kvdb");
    fixture_db(&db);
    let formats = fixture("sbom/formats");
    let note = |report: &Value| -> Vec<String> {
        report["notes"]
            .as_array()
            .expect("notes")
            .iter()
            .filter(|n| n["code"] == "sbom-warning")
            .filter_map(|n| n["message"].as_str())
            .filter(|m| m.contains("source package of none"))
            .map(str::to_owned)
            .collect()
    };
    let (_, report, stderr) = scan_json(dir, &formats.join("trivy-rootfs-debian.cdx-1.2.xml"), &db);
    let notes = note(&report);
    assert_eq!(notes.len(), 1, "{report:#}: {stderr}");
    assert!(
        notes[0].contains("none of its 5 Debian packages") && notes[0].contains("`bash`"),
        "{}",
        notes[0]
    );
    for named in [
        "trivy-rootfs-debian.cdx.json",
        "trivy-rootfs-debian.spdx.json",
        "trivy-rootfs-debian.cdx-1.6.xml",
        "trivy-fs-project.cdx-1.2.xml",
    ] {
        let (_, report, _) = scan_json(dir, &formats.join(named), &db);
        assert!(note(&report).is_empty(), "{named}: {:?}", note(&report));
    }
}
