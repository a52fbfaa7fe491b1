//! The SBOM readers against real and hostile documents.

use super::detect::decode_text;
use super::*;
use crate::purl::Purl;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sbom")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs_err::read_dir(dir)
        .expect("fixture dir exists")
        .map(|e| e.expect("readable dir entry").path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "SOURCES.md"))
        .collect();
    out.sort();
    out
}

fn name(path: &Path) -> String {
    path.file_name()
        .expect("fixture has a name")
        .to_string_lossy()
        .into_owned()
}

/// Parses one fixture. No wall-clock budget here (a timed test fails on a loaded machine and
/// proves nothing on a fast one): the hostile shapes' cost is bounded by counting work in
/// `matching::tests` and measured in `cargo bench --bench scale`; `tests/it/sboms.rs` only
/// guards against a hang.
fn parse_fixture(bytes: &[u8], _what: &str) -> Result<Sbom, SbomError> {
    parse(bytes)
}

/// An error message is one line of printable text.
fn assert_one_line(message: &str, what: &str) {
    assert!(
        !message.chars().any(char::is_control),
        "{what}: control character in {message:?}"
    );
    assert!(!message.is_empty(), "{what}: empty message");
}

/// Hostile files that are valid CycloneDX with odd content: they parse.
const HOSTILE_OK: &[&str] = &[
    "absurd-versions.json",
    "bad-purls.json",
    "control-chars-names.json",
    "cyclonedx.xml",
    "duplicate-bom-refs.json",
    "empty-object-components.json",
    "gzip-compressed.json.gz",
    // `version: 1e999` is valid JSON grammar in a field kevgate does not read.
    "huge-number.json",
    "nested-components-20.json",
    "nulls-everywhere.json",
    "spdx.json",
    "specversion-1.9-future.json",
    "specversion-number.json",
    "tools-mixed.json",
    "tools-weird-shapes.json",
    "unresolved-affects.json",
    "utf8-bom-valid.json",
    "vulnerability-missing-id.json",
];

/// The fast path reads every real SBOM exactly as the careful path does, from a string and
/// streamed from a reader alike.
#[test]
fn fast_path_agrees_with_careful_path() {
    let mut fast = 0;
    for path in files(&fixtures()) {
        let bytes = fs_err::read(&path).expect("read fixture");
        let Ok(text) = decode_text(&bytes) else {
            continue;
        };
        let careful = detect::json_value(text).and_then(|v| cyclonedx::from_value(&v));
        if let Some(sbom) = cyclonedx_stream::parse(serde_json::Deserializer::from_str(text)) {
            fast += 1;
            let streamed = cyclonedx_stream::parse(serde_json::Deserializer::from_reader(
                std::io::BufReader::with_capacity(7, text.as_bytes()),
            ));
            assert_eq!(streamed.as_ref(), Some(&sbom), "{}", path.display());
            assert_eq!(Ok(sbom), careful, "{}", path.display());
        }
    }
    assert!(fast >= 20, "the fast path took only {fast} real SBOMs");
}

/// The streaming reader resolves `dependencies` and reads `properties` as it goes, keys
/// matched without copies: every shape of them reads as the careful path reads it (refs that
/// are `null`, unknown, `urn:cdx:` or written before the components; `dependsOn` `null` or
/// empty; unknown keys; property names `null`, foreign or unusual), streamed byte by byte or
/// parsed in memory; a shape the careful path refuses is refused, for it to explain.
#[test]
fn streamed_graph_and_properties_agree() {
    let components = r#""components": [
        {"bom-ref": "app", "type": "application", "name": "package-lock.json",
         "properties": [{"name": "aquasecurity:trivy:Class", "value": "lang-pkgs"},
                        {"name": "aquasecurity:trivy:Type", "value": "npm"}]},
        {"bom-ref": "a", "type": "library", "name": "a", "version": "1.0.0",
         "purl": "pkg:npm/a@1.0.0", "hashes": [], "licenses": [{"license": {"id": "MIT"}}],
         "properties": [{"name": "aquasecurity:trivy:PkgType", "value": "npm"},
                        {"name": null, "value": "x"}, {"name": "other:PkgID", "value": "y"},
                        {"value": "z", "name": "aquasecurity:trivy:PkgID"},
                        {"name": "aquasecurity:trivy:FilePath", "value": "", "extra": 1},
                        {"name": "aquasecurity:trivy:Modularitylabel", "value": "m"},
                        {"name": "aquasecurity:trivy:SrcName", "value": null}]},
        {"bom-ref": "b", "type": "library", "name": "b", "purl": "pkg:npm/b@2.0.0",
         "unknownKey": {"deep": [1, 2]}}
    ]"#;
    let graph = r#""dependencies": [
        {"ref": "app", "dependsOn": ["a", "missing", "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#b"]},
        {"ref": "a", "dependsOn": null, "note": "x"},
        {"dependsOn": ["b"], "ref": "b"},
        {"ref": null, "dependsOn": ["a"]},
        {"ref": "missing", "dependsOn": ["a"]},
        {"ref": "b"}
    ]"#;
    let head = r#""bomFormat": "CycloneDX", "specVersion": "1.5", "metadata": {"component": {"bom-ref": "root", "type": "application", "name": "root"}}"#;
    let taken = [
        format!("{{{head}, {components}, {graph}}}"),
        format!("{{{graph}, {head}, {components}}}"),
        format!(r#"{{{head}, {components}, "depend\u0065ncies": []}}"#),
        // Duplicate bom-refs: a ref names the first (the in-order shortcut must not apply).
        format!(
            r#"{{{head}, "components": [
                {{"bom-ref": "app", "type": "application", "name": "go.mod"}},
                {{"bom-ref": "x", "type": "application", "name": "x1"}},
                {{"bom-ref": "x", "name": "x2"}}, {{"bom-ref": "y", "name": "y"}}],
              "dependencies": [{{"ref": "app", "dependsOn": ["x", "x", "y"]}},
                {{"ref": "x", "dependsOn": ["y"]}}, {{"ref": "x", "dependsOn": ["app"]}},
                {{"ref": "y", "dependsOn": []}}]}}"#
        ),
    ];
    let refused = [
        format!(
            r#"{{{head}, {components}, "dependencies": [{{"ref": "a", "dependsOn": [null]}}]}}"#
        ),
        format!(r#"{{{head}, {components}, "dependencies": [{{"ref": 1}}]}}"#),
        format!(r#"{{{head}, {components}, "dependencies": [{{"ref": "a", "ref": "b"}}]}}"#),
        format!(r#"{{{head}, {components}, "dependencies": [{{"ref": "a", "x": 1, "x": 2}}]}}"#),
        format!(r#"{{{head}, {components}, "dependencies": [{{"ref": "a", "dependsOn": "b"}}]}}"#),
        format!(
            r#"{{{head}, "components": [{{"name": "a", "properties": [{{"name": 1, "value": "x"}}]}}]}}"#
        ),
        format!(
            r#"{{{head}, "components": [{{"name": "a", "properties": [{{"name": "n", "name": "m"}}]}}]}}"#
        ),
        format!(r#"{{{head}, "components": [{{"name": "a", "hashes": [], "hashes": []}}]}}"#),
    ];
    for (text, taken) in taken
        .iter()
        .map(|t| (t, true))
        .chain(refused.iter().map(|t| (t, false)))
    {
        let in_memory = cyclonedx_stream::parse(serde_json::Deserializer::from_str(text));
        let streamed = cyclonedx_stream::parse(serde_json::Deserializer::from_reader(
            std::io::BufReader::with_capacity(1, text.as_bytes()),
        ));
        assert_eq!(streamed, in_memory, "{text}");
        assert_eq!(streamed.is_some(), taken, "{text}");
        if let Some(sbom) = streamed {
            let careful = detect::json_value(text).and_then(|v| cyclonedx::from_value(&v));
            assert_eq!(Ok(sbom), careful, "{text}");
        }
    }
}

/// Every file of the hostile corpus either parses (the [`HOSTILE_OK`] table) or fails
/// with a one-line message; none panics or takes long. The snapshot records each outcome.
#[test]
fn hostile_corpus() {
    let mut summary = String::new();
    let paths = files(&fixtures().join("hostile"));
    assert!(
        paths.len() >= 40,
        "hostile corpus has {} files",
        paths.len()
    );
    for path in paths {
        let file = name(&path);
        let bytes = fs_err::read(&path).expect("fixture readable");
        match parse_fixture(&bytes, &file) {
            Ok(sbom) => {
                assert!(
                    HOSTILE_OK.contains(&file.as_str()),
                    "{file}: unexpectedly Ok"
                );
                for warning in &sbom.warnings {
                    assert_one_line(warning, &file);
                }
                writeln!(
                    summary,
                    "{file}: ok, {} components, {} vulnerabilities, warnings: {:?}",
                    sbom.components.len(),
                    sbom.vulnerabilities.len(),
                    sbom.warnings
                )
                .expect("write to string");
            }
            Err(err) => {
                assert!(!HOSTILE_OK.contains(&file.as_str()), "{file}: {err}");
                let message = err.to_string();
                assert_one_line(&message, &file);
                writeln!(summary, "{file}: error: {message}").expect("write to string");
            }
        }
    }
    insta::assert_snapshot!(summary);
}

/// Inputs too big to commit, generated: 10^5-deep nesting, 10 MB strings, 10^5
/// duplicate bom-refs. Each is handled quickly, without a stack overflow.
#[test]
fn generated_hostile_inputs() {
    let deep = "[".repeat(100_000);
    assert_eq!(
        parse_fixture(deep.as_bytes(), "deep arrays"),
        Err(SbomError::TooDeep {
            line: 1,
            column: 128
        })
    );
    let deep = r#"{"a":"#.repeat(100_000);
    assert!(matches!(
        parse_fixture(deep.as_bytes(), "deep objects"),
        Err(SbomError::TooDeep { .. })
    ));
    let deep = format!(
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.5","components":{}"#,
        r#"[{"name":"a","components":"#.repeat(100_000)
    );
    assert!(matches!(
        parse_fixture(deep.as_bytes(), "deep components"),
        Err(SbomError::TooDeep { .. })
    ));

    let huge = "x".repeat(10_000_000);
    let doc = format!(
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{{"type":"library","name":"{huge}","version":"{huge}","purl":"pkg:npm/{huge}@1"}}]}}"#
    );
    let sbom = parse_fixture(doc.as_bytes(), "huge strings").expect("valid CycloneDX");
    assert_eq!(sbom.components[0].name.len(), huge.len());
    assert!(Purl::parse(sbom.components[0].purl.as_deref().expect("purl kept")).is_ok());

    let doc = format!(r#"{{"bomFormat":"{huge}","specVersion":"1.5"}}"#);
    let err = parse_fixture(doc.as_bytes(), "huge bomFormat").expect_err("not CycloneDX");
    assert!(err.to_string().len() < 400, "message is truncated");

    let doc = format!(
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{}],"vulnerabilities":[{{"id":"CVE-1","affects":[{}]}}]}}"#,
        vec![r#"{"bom-ref":"same","name":"a"}"#; 100_000].join(","),
        vec![r#"{"ref":"other"}"#; 100_000].join(",")
    );
    let sbom = parse_fixture(doc.as_bytes(), "many duplicates").expect("valid CycloneDX");
    assert_eq!(sbom.components.len(), 100_000);
    assert_eq!(sbom.vulnerabilities[0].affects, Vec::<usize>::new());
    assert_eq!(sbom.warnings.len(), 2 * (WARNINGS_MAX + 1));

    let doc = format!(r#"{{"bomFormat":"CycloneDX","specVersion":"1.5{huge}"}}"#);
    let err = parse_fixture(doc.as_bytes(), "huge specVersion").expect_err("unsupported");
    assert!(err.to_string().len() < 400, "message is truncated");
}

/// Messages name what the file is, escape what they quote, and say where JSON broke.
#[test]
fn error_messages() {
    let cases: [(&[u8], &str); 8] = [
        (b"", "the file is empty; hint: generate a CycloneDX SBOM with `trivy fs --format cyclonedx --output sbom.cdx.json .`"),
        (br#"{"spdxVersion":"SPDX-3.0"}"#, "SPDX version `SPDX-3.0` is not supported (kevgate reads SPDX 2.x JSON and SPDX 3 JSON-LD); hint: generate a CycloneDX SBOM with `trivy fs --format cyclonedx --output sbom.cdx.json .`"),
        (br#"{"SchemaVersion":2,"Results":[]}"#, "this is a trivy JSON report, not an SBOM; hint: generate a CycloneDX SBOM with `trivy image --format cyclonedx --output sbom.cdx.json <image>`"),
        (b"{\n\"bomFormat\": \"CycloneDX\",\n\"specVer", "the JSON ends early at line 3, column 8: the file looks truncated; hint: regenerate it, or check that the upload or download finished"),
        (br#"{"bomFormat":"\u001b[31mx`y"}"#, "`bomFormat` is `\\u{1b}[31mx'y`, not `CycloneDX`; hint: generate a CycloneDX SBOM with `trivy fs --format cyclonedx --output sbom.cdx.json .`"),
        (br#"{"bomFormat":"CycloneDX","specVersion":"1.1"}"#, "CycloneDX `specVersion` `1.1` is not supported (kevgate reads 1.2 to 1.7); hint: regenerate the SBOM with a current tool, e.g. `trivy fs --format cyclonedx`"),
        (br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"a","components":[{"version":5}]}]}"#, "field `components[0].components[0].version` has the wrong type: invalid type: integer '5', expected a string"),
        (br#"{"bomFormat":"CycloneDX","specVersion":"1.5","vulnerabilities":[{"id":"x","ratings":[{"score":"9.8"}]}]}"#, "field `vulnerabilities[0].ratings[0].score` has the wrong type: invalid type: string \"9.8\", expected f64"),
    ];
    for (input, want) in cases {
        assert_eq!(
            parse(input).map(|_| ()).map_err(|e| e.to_string()),
            Err(want.to_string())
        );
    }
}

/// Every real SBOM in the fixtures parses (SPDX and the trivy report are refused), every
/// purl in them parses, and a summary of each is snapshotted for review.
#[test]
fn real_sboms() {
    let mut summary = String::new();
    for path in files(&fixtures()) {
        let file = name(&path);
        let bytes = fs_err::read(&path).expect("fixture readable");
        let sbom = match parse_fixture(&bytes, &file) {
            Ok(sbom) => sbom,
            Err(err) => {
                let refused = matches!(err, SbomError::TrivyReport);
                assert!(refused, "{file}: {err}");
                writeln!(summary, "{file}: error: {err}\n").expect("write to string");
                continue;
            }
        };
        let mut purl_types = std::collections::BTreeMap::<String, usize>::new();
        for component in sbom.components.iter().chain(&sbom.subject) {
            if let Some(text) = &component.purl {
                let purl = Purl::parse(text).unwrap_or_else(|e| panic!("{file}: {text}: {e}"));
                *purl_types.entry(purl.ty).or_default() += 1;
            }
        }
        let trivy = sbom
            .components
            .iter()
            .filter(|c| c.trivy != TrivyProperties::default())
            .count();
        writeln!(
            summary,
            "{file}: spec {}, tools {:?}, subject {:?}, os {:?}, {} components ({trivy} with trivy properties), purls {purl_types:?}",
            sbom.spec_version,
            sbom.tools,
            sbom.subject.as_ref().map(|s| (&s.kind, &s.name)),
            sbom.os,
            sbom.components.len(),
        )
        .expect("write to string");
        for vuln in &sbom.vulnerabilities {
            let affects: Vec<_> = vuln
                .affects
                .iter()
                .map(|&i| sbom.components[i].name.as_str())
                .collect();
            let severities: Vec<_> = vuln
                .ratings
                .iter()
                .filter_map(|r| {
                    Some(format!(
                        "{}:{}",
                        r.source.as_deref()?,
                        r.severity.as_deref()?
                    ))
                })
                .collect();
            writeln!(
                summary,
                "  {} affects {affects:?} fixed {:?} state {:?} cwes {:?} ratings {severities:?}",
                vuln.id, vuln.fixed_versions, vuln.analysis_state, vuln.cwes
            )
            .expect("write to string");
        }
        for warning in &sbom.warnings {
            writeln!(summary, "  warning: {warning}").expect("write to string");
        }
        summary.push('\n');
    }
    insta::assert_snapshot!(summary);
}

/// trivy's embedded vulnerability: refs resolve to the component, the fixed version comes
/// from `recommendation`, severities are lower-cased, the rest is kept as written.
#[test]
fn trivy_vulnerability_details() {
    let bytes = fs_err::read(fixtures().join("trivy-cdx1.7-golden-fs-npm-with-vuln.json"))
        .expect("fixture readable");
    let sbom = parse(&bytes).expect("fixture parses");
    let vuln = &sbom.vulnerabilities[0];
    assert_eq!(vuln.id, "CVE-2019-11358");
    assert_eq!(vuln.affects.len(), 1);
    let jquery = &sbom.components[vuln.affects[0]];
    assert_eq!(
        (jquery.name.as_str(), jquery.version.as_deref()),
        ("jquery", Some("3.3.9"))
    );
    assert_eq!(vuln.fixed_versions, ["3.4.0"]);
    assert_eq!(vuln.cwes, [79]);
    assert_eq!(vuln.source_name.as_deref(), Some("ghsa"));
    let nvd = vuln
        .ratings
        .iter()
        .find(|r| r.method.as_deref() == Some("CVSSv31"))
        .expect("nvd v3.1 rating");
    assert_eq!(nvd.score, Some(6.1));
    assert_eq!(nvd.severity.as_deref(), Some("medium"));
    assert_eq!(
        nvd.vector.as_deref(),
        Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N")
    );
}

/// `affects[].versions[]` with status `unaffected` are fixed versions; `analysis.state`
/// is kept; BOM-Link refs resolve through their fragment; duplicate refs attach to the
/// first component.
#[test]
fn vex_and_refs() {
    let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.6",
        "components":[{"bom-ref":"a","name":"a"},{"bom-ref":"a","name":"a-dup"},{"bom-ref":"b","name":"b"}],
        "vulnerabilities":[{"id":"CVE-1","analysis":{"state":"not_affected"},
          "recommendation":"Upgrade b to version 6.0.3.1, 5.2.4.3",
          "affects":[{"ref":"urn:cdx:1234/1#b","versions":[{"version":"1.0","status":"affected"},{"version":"2.0","status":"unaffected"},{"range":"vers:npm/>=3","status":"unaffected"}]},
                     {"ref":"a"},{"ref":"b"}]}]}"#;
    let sbom = parse(doc).expect("valid");
    let vuln = &sbom.vulnerabilities[0];
    assert_eq!(vuln.affects, [2, 0]);
    assert_eq!(vuln.fixed_versions, ["2.0", "6.0.3.1", "5.2.4.3"]);
    assert_eq!(vuln.analysis_state.as_deref(), Some("not_affected"));
    assert_eq!(
        sbom.warnings,
        [
            "duplicate bom-ref `a` (components 0 and 1): vulnerabilities referring to it are attached to the first"
        ]
    );
}

/// Each package is attributed to the lockfile or binary trivy found it in, through the
/// `dependencies` graph: trivy `fs` writes no per-package `FilePath`, only one
/// `application` component per manifest that depends on its packages.
#[test]
fn manifest_from_the_dependency_graph() {
    let found_in = |file: &str| -> HashMap<String, Option<String>> {
        let sbom = parse(&fs_err::read(file).unwrap()).unwrap();
        sbom.components
            .iter()
            .filter_map(|c| Some((c.purl.clone()?.into(), c.found_in.clone().map(String::from))))
            .collect()
    };
    let example = found_in(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/trivy-sbom.cdx.json"
    ));
    let of = |purl: &str| example[purl].as_deref();
    assert_eq!(
        of("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"),
        Some("gradle.lockfile")
    );
    assert_eq!(of("pkg:npm/jquery@3.4.1"), Some("package-lock.json"));
    assert_eq!(of("pkg:golang/golang.org/x/net@v0.15.0"), Some("go.mod"));
    assert!(example.values().all(Option::is_some), "{example:?}");

    let image = found_in(
        &fixtures()
            .join("trivy-cdx1.5-image-mixed-apk-composer-go-maven-npm.json")
            .to_string_lossy(),
    );
    // OS packages hang off the operating-system component: no manifest.
    assert_eq!(image["pkg:apk/alpine/musl@1.2.3-r0?distro=3.16.0"], None);
    assert_eq!(
        image["pkg:composer/pear/log@1.13.1"].as_deref(),
        Some("app/composer/composer.lock")
    );
    assert_eq!(
        image["pkg:golang/github.com/package-url/packageurl-go@v0.1.1-0.20220203205134-d70459300c8a"].as_deref(),
        Some("app/gobinary/gobinary")
    );
    // A malformed graph is tolerated with a warning, not an error.
    let sbom = parse(br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"a"}],"dependencies":[{"ref":1}]}"#).unwrap();
    assert_eq!(sbom.components[0].found_in, None);
    assert!(
        sbom.warnings.iter().any(|w| w.contains("dependencies")),
        "{:?}",
        sbom.warnings
    );
}

/// Nested components are flattened pre-order; the OS component and trivy properties are
/// read; the subject is `metadata.component`.
#[test]
fn components_and_os() {
    let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.5","serialNumber":"urn:uuid:1",
        "metadata":{"tools":{"components":[{"name":"trivy","version":"0.73.0"}]},
          "component":{"type":"container","name":"img"}},
        "components":[
          {"type":"operating-system","name":"debian","version":"12.15"},
          {"type":"application","name":"app","components":[
             {"type":"library","name":"x","components":[{"type":"library","name":"y"}]}]},
          {"type":"library","name":"openssl","version":"3.0","purl":" pkg:deb/debian/openssl@3.0 ",
           "properties":[{"name":"aquasecurity:trivy:SrcName","value":"openssl-src"},
                         {"name":"aquasecurity:trivy:PkgType","value":"debian"},
                         {"name":"aquasecurity:trivy:SrcName","value":"second"},
                         {"name":"other","value":"z"},{"name":"aquasecurity:trivy:FilePath"}]}]}"#;
    let sbom = parse(doc).expect("valid");
    let names: Vec<_> = sbom.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["debian", "app", "x", "y", "openssl"]);
    assert_eq!(sbom.os, Some(("debian".into(), "12.15".into())));
    assert_eq!(sbom.tools, ["trivy 0.73.0"]);
    assert_eq!(sbom.serial_number.as_deref(), Some("urn:uuid:1"));
    assert_eq!(sbom.subject.as_ref().map(|s| s.name.as_str()), Some("img"));
    let openssl = &sbom.components[4];
    assert_eq!(openssl.purl.as_deref(), Some("pkg:deb/debian/openssl@3.0"));
    assert_eq!(
        openssl.trivy,
        TrivyProperties {
            pkg_type: Some("debian".into()),
            src_name: Some("openssl-src".into()),
            ..TrivyProperties::default()
        }
    );
}

fn formats() -> PathBuf {
    fixtures().join("formats")
}

fn read_format(file: &str) -> Sbom {
    let bytes = fs_err::read(formats().join(file)).expect("fixture readable");
    parse(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("in-memory gzip");
    encoder.finish().expect("in-memory gzip")
}

/// What a reader must agree on across formats: every component with its identity, kind,
/// trivy facts and manifest (sorted: writers order differently; SPDXIDs and bom-refs are
/// format-specific), the subject, the OS, the tools, and the embedded vulnerabilities with
/// what they affect.
fn essence(sbom: &Sbom, level: Level) -> String {
    let mut lines: Vec<String> = sbom
        .components
        .iter()
        .map(|c| match level {
            Level::Full => format!(
                "{} {:?} {} {:?} {:?} {:?} at={:?}",
                c.kind,
                c.group,
                c.name,
                c.version,
                c.purl,
                TrivyProperties {
                    file_path: None,
                    ..c.trivy.clone()
                },
                location(c)
            ),
            Level::Purls => format!("{:?} at={:?}", c.purl, location(c)),
        })
        .collect();
    lines.sort();
    for v in &sbom.vulnerabilities {
        let mut affects: Vec<_> = v
            .affects
            .iter()
            .map(|&i| sbom.components[i].purl.clone())
            .collect();
        affects.sort();
        // Converters reorder ratings: compare them as a set.
        let mut ratings: Vec<String> = v.ratings.iter().map(|r| format!("{r:?}")).collect();
        ratings.sort();
        lines.push(format!(
            "{} {:?} fixed={:?} ratings={ratings:?} cwes={:?} {:?} {:?}",
            v.id, affects, v.fixed_versions, v.cwes, v.source_name, v.url
        ));
    }
    lines.push(format!(
        "subject={:?} os={:?} tools={:?} warnings={:?}",
        sbom.subject.as_ref().map(|s| &s.name),
        sbom.os,
        sbom.tools,
        sbom.warnings
    ));
    lines.join("\n")
}

/// Where findings on a component point (as `enrich.rs` picks it): the file trivy recorded
/// (a CycloneDX property, SPDX `sourceInfo`), else the manifest the graph attributes it to.
fn location(c: &Component) -> Option<&str> {
    c.trivy.file_path.as_deref().or(c.found_in.as_deref())
}

#[derive(Clone, Copy)]
enum Level {
    /// Everything (both files carry trivy's properties).
    Full,
    /// Purls and manifests (CycloneDX 1.2 has no `properties`).
    Purls,
}

/// The same SBOM in every format reads the same: trivy's CycloneDX JSON of the fixture
/// project against trivy's SPDX JSON of it, its CycloneDX XML 1.2/1.4/1.6 (converted by
/// cyclonedx-python-lib, validated against the CycloneDX XSD) and gzip of each; trivy's OS
/// packages (source packages included) likewise; syft's CycloneDX JSON against its own XML
/// 1.2-1.6; a trivy SBOM with an embedded vulnerability against its XML.
#[test]
fn formats_read_alike() {
    let cases: &[(&str, &str, Level)] = &[
        (
            "trivy-fs-project.cdx.json",
            "trivy-fs-project.spdx.json",
            Level::Full,
        ),
        (
            "trivy-fs-project.cdx.json",
            "trivy-fs-project.spdx3.json",
            Level::Full,
        ),
        (
            "trivy-rootfs-debian.cdx.json",
            "trivy-rootfs-debian.spdx3.json",
            Level::Full,
        ),
        (
            "trivy-fs-project.cdx.json",
            "trivy-fs-project.cdx-1.6.xml",
            Level::Full,
        ),
        (
            "trivy-fs-project.cdx.json",
            "trivy-fs-project.cdx-1.4.xml",
            Level::Full,
        ),
        (
            "trivy-fs-project.cdx.json",
            "trivy-fs-project.cdx-1.2.xml",
            Level::Purls,
        ),
        (
            "trivy-rootfs-debian.cdx.json",
            "trivy-rootfs-debian.spdx.json",
            Level::Full,
        ),
        (
            "trivy-rootfs-debian.cdx.json",
            "trivy-rootfs-debian.cdx-1.6.xml",
            Level::Full,
        ),
        (
            "trivy-golden-npm-with-vuln.cdx.json",
            "trivy-golden-npm-with-vuln.cdx-1.6.xml",
            Level::Full,
        ),
        (
            "syft-fs-project.cdx.json",
            "syft-fs-project.cdx-1.6.xml",
            Level::Full,
        ),
        (
            "syft-fs-project.cdx.json",
            "syft-fs-project.cdx-1.5.xml",
            Level::Full,
        ),
        (
            "syft-fs-project.cdx.json",
            "syft-fs-project.cdx-1.4.xml",
            Level::Full,
        ),
        (
            "syft-fs-project.cdx.json",
            "syft-fs-project.cdx-1.3.xml",
            Level::Full,
        ),
        (
            "syft-fs-project.cdx.json",
            "syft-fs-project.cdx-1.2.xml",
            Level::Purls,
        ),
    ];
    for &(json, other, level) in cases {
        let want = read_format(json);
        let got = read_format(other);
        assert!(!want.components.is_empty(), "{json}");
        let (want_text, got_text) = (essence(&want, level), essence(&got, level));
        // CycloneDX 1.2 has no `metadata.tools` components shape with a group; compare tools
        // only where both have them.
        assert_eq!(want_text, got_text, "{json} vs {other}");
        let gz = gzip(&fs_err::read(formats().join(other)).expect("fixture readable"));
        let unzipped = parse(&gz).expect("gzip'd fixture parses");
        assert!(unzipped.gzip);
        assert_eq!(essence(&unzipped, level), got_text, "gzip'd {other}");
        assert_eq!(unzipped.format, got.format);
    }
    assert_eq!(
        read_format("trivy-fs-project.spdx.json").format,
        Format::SpdxJson
    );
    assert_eq!(
        read_format("trivy-fs-project.cdx-1.6.xml").format,
        Format::CycloneDxXml
    );
    let spdx3 = read_format("trivy-fs-project.spdx3.json");
    assert_eq!(
        (spdx3.format, spdx3.spec_version.as_str()),
        (Format::Spdx3JsonLd, "3.0.1")
    );
    // The source packages Debian advisories are keyed by come from SPDX `sourceInfo`.
    let spdx = read_format("trivy-rootfs-debian.spdx.json");
    let libssl = spdx
        .components
        .iter()
        .find(|c| c.name == "libssl3")
        .expect("libssl3");
    assert_eq!(libssl.trivy.src_name.as_deref(), Some("openssl"));
    assert_eq!(spdx.os, Some(("debian".into(), "12.11".into())));
}

/// syft's SPDX JSON names the same packages (purls) as its CycloneDX JSON.
#[test]
fn syft_spdx_has_the_same_purls() {
    let purls = |sbom: &Sbom| -> std::collections::BTreeSet<String> {
        sbom.components
            .iter()
            .filter_map(|c| c.purl.clone().map(String::from))
            .collect()
    };
    let cdx = read_format("syft-fs-project.cdx.json");
    let spdx = read_format("syft-fs-project.spdx.json");
    assert!(purls(&cdx).len() >= 15);
    assert_eq!(purls(&cdx), purls(&spdx));
}

/// A gzip bomb stops at the cap, whatever the compression ratio; gzip inside gzip and a
/// truncated stream are errors.
#[test]
fn gzip_is_bounded() {
    let doc = format!(
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{{"name":"{}"}}]}}"#,
        " ".repeat(4 << 20)
    );
    let bomb = gzip(doc.as_bytes());
    assert!(bomb.len() < 64 << 10, "compresses well: {}", bomb.len());
    assert_eq!(
        inflate(&bomb, 1 << 20).and_then(|d| parse_inflated(&d)),
        Err(SbomError::TooLarge { limit: 1 << 20 })
    );
    assert!(
        inflate(&bomb, 8 << 20)
            .and_then(|d| parse_inflated(&d))
            .is_ok()
    );
    assert_eq!(
        parse(&gzip(&gzip(b"{}"))),
        Err(SbomError::Compressed("doubly gzip"))
    );
    let mut cut = gzip(doc.as_bytes());
    cut.truncate(cut.len() / 2);
    assert!(matches!(parse(&cut), Err(SbomError::BadGzip(_))));
}

/// Reading can stop once the first bytes show the file is no SBOM (`/dev/zero`), never for
/// text or gzip.
#[test]
fn refused_early_only_for_what_parse_refuses() {
    assert!(refused_early(&[0u8; 4096]));
    assert!(refused_early(b"PK\x03\x04rest"));
    assert!(!refused_early(&gzip(b"{}")[..8]));
    assert!(!refused_early(br#"{"bomFormat":"Cyclo"#));
    assert!(!refused_element_cut());
}

/// A multi-byte character cut by the read boundary is not a reason to stop.
fn refused_element_cut() -> bool {
    refused_early(
        "{\"name\":\"é"
            .as_bytes()
            .split_last()
            .expect("non-empty")
            .1,
    )
}

/// Ids are normalised to their scheme's spelling; unknown schemes are kept as written.
#[test]
fn normalize_ids() {
    let cases = [
        ("cve-2021-44228", "CVE-2021-44228"),
        (" Cve-2021-44228 ", "CVE-2021-44228"),
        ("CVE-2021-44228", "CVE-2021-44228"),
        ("ghsa-JFH8-c2jp-5v3q", "GHSA-jfh8-c2jp-5v3q"),
        ("rustsec-2022-0042", "RUSTSEC-2022-0042"),
        ("go-2022-0969", "GO-2022-0969"),
        ("mal-2022-1", "MAL-2022-1"),
        ("dsa-5000-1", "DSA-5000-1"),
        ("suse-su-2024:1234-1", "SUSE-SU-2024:1234-1"),
        ("npm:lodash:20180130", "npm:lodash:20180130"),
        ("TEMP-0000000-A0B1C2", "TEMP-0000000-A0B1C2"),
        ("", ""),
    ];
    for (input, want) in cases {
        assert_eq!(normalize_id(input), want, "{input:?}");
    }
}

/// Issue 10 item 7: shapes that used to pass in silence.
#[test]
fn silent_shapes_are_read_or_said() {
    // Duplicate keys: refused, naming the key.
    let err = parse(br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"a","purl":"pkg:npm/a@1","purl":"pkg:npm/a@2"}]}"#)
        .expect_err("duplicate key");
    assert!(
        matches!(&err, SbomError::DuplicateKey { key, .. } if key == "purl"),
        "{err}"
    );
    // Nested under the subject: scanned.
    let sbom = parse(br#"{"bomFormat":"CycloneDX","specVersion":"1.5","metadata":{"component":{"name":"app","components":[{"name":"log4j-core","purl":"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1","components":[{"name":"x","purl":"pkg:npm/x@1"}]}]}}}"#)
        .expect("valid");
    let purls: Vec<_> = sbom
        .components
        .iter()
        .filter_map(|c| c.purl.as_deref())
        .collect();
    assert_eq!(
        purls,
        [
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            "pkg:npm/x@1"
        ]
    );
    assert_eq!(sbom.warnings, Vec::<String>::new());
    // A vulnerability without `affects`, and a lower-case id.
    let sbom = parse(br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"bom-ref":"a","name":"a","purl":"pkg:npm/a@1"}],"vulnerabilities":[{"id":"cve-2021-44228","affects":[{"ref":"a"}]},{"id":"CVE-2020-11023"}]}"#)
        .expect("valid");
    assert_eq!(sbom.vulnerabilities[0].id, "CVE-2021-44228");
    assert_eq!(
        sbom.warnings,
        [
            "1 vulnerability without `affects` name no component, so they were not attributed to any: `CVE-2020-11023`"
        ]
    );
    // Only the subject: a warning, never a silent pass.
    let sbom = parse(br#"{"bomFormat":"CycloneDX","specVersion":"1.5","metadata":{"component":{"type":"application","name":"app"}}}"#)
        .expect("valid");
    assert_eq!(
        sbom.warnings,
        [
            "the SBOM lists no components (only its subject `app`): nothing was checked; hint: check that the SBOM tool found the lockfiles or packages"
        ]
    );
}

/// SPDX 3: elements spelled with `@type`/`@id` read like `type`/`spdxId`; vulnerabilities are
/// not read but counted in a warning; a document without `@graph` is refused.
#[test]
fn spdx3_shapes() {
    let doc = br#"{"@context":["https://spdx.org/rdf/3.0.1/spdx-context.jsonld"],"@graph":[
        {"@type":"CreationInfo","@id":"_:c","specVersion":"3.0.1"},
        {"@type":"software_Package","@id":"urn:a","name":"org.apache.logging.log4j:log4j-core","software_packageVersion":"2.14.1",
         "externalIdentifier":[{"type":"ExternalIdentifier","externalIdentifierType":"packageUrl","identifier":"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"}]},
        {"type":"security_Vulnerability","spdxId":"urn:v","name":"CVE-2021-44228"}]}"#;
    let sbom = parse(doc).expect("valid SPDX 3");
    let c = &sbom.components[0];
    assert_eq!(
        (c.group.as_deref(), c.name.as_str(), c.purl.as_deref()),
        (
            Some("org.apache.logging.log4j"),
            "log4j-core",
            Some("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")
        )
    );
    assert_eq!(
        sbom.warnings,
        [
            "1 SPDX 3 `security_Vulnerability` element was not read: kevgate checks the packages against its database instead"
        ]
    );
    assert!(matches!(
        parse(br#"{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","type":"software_Package"}"#),
        Err(SbomError::UnsupportedSpdxVersion(_))
    ));
    assert!(matches!(
        parse(br#"{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[1]}"#),
        Err(SbomError::WrongType { .. })
    ));
}

/// SPDX 2.2 has no `primaryPackagePurpose`: trivy 0.36's SPDX of the sbomqs project names
/// its go.mod package `SPDXRef-Application-…`, read as the application its CycloneDX calls
/// `go.mod` (a manifest, not a package to check) rather than a library without a purl.
/// Table: SPDXID -> kind, for ids with and without trivy's kind prefix.
#[test]
fn spdx_2_2_kind_from_trivy_ids() {
    for (id, kind) in [
        (Some("SPDXRef-Application-ee084b72decaa988"), "application"),
        (
            Some("SPDXRef-OperatingSystem-5e80f354941db0f7"),
            "operating-system",
        ),
        (Some("SPDXRef-Package-52009b16c3a413ae"), "library"),
        (Some("SPDXRef-Filesystem-d9846e3b5059be5"), "library"),
        (Some("SPDXRef-Application"), "library"),
        (Some("Application-1"), "library"),
        (None, "library"),
    ] {
        assert_eq!(super::spdx::kind_from_spdx_id(id), kind, "{id:?}");
    }
    let bytes = fs_err::read(fixtures().join("spdx2.2-trivy-fs-sbomqs.json")).expect("fixture");
    let spdx = parse(&bytes).expect("valid SPDX 2.2");
    let bytes =
        fs_err::read(fixtures().join("trivy-cdx1.4-fs-sbomqs-golang.json")).expect("fixture");
    let cdx = parse(&bytes).expect("valid CycloneDX 1.4");
    let kinds = |sbom: &Sbom| {
        let mut k: Vec<(String, bool)> = sbom
            .components
            .iter()
            .map(|c| (c.kind.to_string(), c.purl.is_some()))
            .collect();
        k.sort();
        k
    };
    assert_eq!(kinds(&spdx), kinds(&cdx));
    assert!(
        spdx.components
            .iter()
            .any(|c| c.name == "gomod" && c.kind == "application" && c.purl.is_none())
    );
}

/// A document streamed from a reader reads as the same document in memory, plain and gzip'd;
/// inflating past the cap is the size error; what the streaming reader does not take (XML,
/// SPDX, a byte-order mark, broken JSON) is `None`, for the whole-file path to read or explain.
#[test]
fn streamed_reader_agrees_and_defers() {
    let path = fixtures().join("trivy-cdx1.7-image-python-backend-debian-pypi.json");
    let bytes = fs_err::read(&path).expect("fixture readable");
    let in_memory = parse(&bytes).expect("valid");
    let streamed = parse_reader(std::io::BufReader::with_capacity(13, &bytes[..]), 1 << 30)
        .expect("no size error")
        .expect("streamed");
    assert_eq!(streamed, in_memory);

    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut encoder, &bytes).expect("in-memory gzip");
    let gz = encoder.finish().expect("in-memory gzip");
    let streamed = parse_reader(&gz[..], 1 << 30)
        .expect("no size error")
        .expect("streamed");
    assert_eq!(streamed, parse(&gz).expect("valid gzip"));
    assert!(streamed.gzip);
    assert_eq!(
        parse_reader(&gz[..], bytes.len() as u64 - 1),
        Err(SbomError::TooLarge {
            limit: bytes.len() as u64 - 1
        })
    );

    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice(&bytes);
    for other in [
        &bom[..],
        &bytes[..bytes.len() / 2],
        br#"<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5"/>"#,
        br#"{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT"}"#,
        br#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [{"name": "a", "name": "b"}]}"#,
    ] {
        assert_eq!(parse_reader(other, 1 << 30), Ok(None));
    }
}

/// SBOM names by suffix, any case, gzip'd too; other assets are not SBOMs.
#[test]
fn sbom_names() {
    for (name, want) in [
        ("app.cdx.json", true),
        ("APP.CDX.JSON", true),
        ("app.cdx.json.gz", true),
        ("app.spdx.json", true),
        ("app.spdx.jsonld.gz", true),
        ("app.cdx.xml", true),
        ("app.json", false),
        ("app.tar.gz", false),
        ("app.cdx.json.sig", false),
        ("cdx.json.zip", false),
    ] {
        assert_eq!(super::is_sbom_file_name(name), want, "{name}");
    }
}
