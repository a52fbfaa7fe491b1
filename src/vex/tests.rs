use super::*;

fn summary(ignores: &[Ignore]) -> Vec<(String, Vec<String>, String)> {
    ignores
        .iter()
        .map(|i| (i.id.clone(), i.purls.clone(), i.reason.clone()))
        .collect()
}

/// trivy's own OpenVEX (real, trimmed to two statements): every id of a `not_affected`
/// statement, scoped to its subcomponents, with justification and impact statement.
#[test]
fn openvex_trivy_subcomponents() {
    let bytes = include_bytes!("../../tests/fixtures/vex/trivy-project.openvex.json");
    let trivy = Scanned {
        subject: Some("pkg:golang/github.com/aquasecurity/trivy@v0.53.0"),
        components: Vec::new(),
        ..Scanned::default()
    };
    let parsed = parse(bytes, "t.json", &trivy).expect("valid");
    assert_eq!(parsed.other_products, Vec::<String>::new());
    let ignores = parsed.ignores;
    let first = &ignores[0];
    assert_eq!(first.id, "GO-2024-2575");
    assert_eq!(first.purls, ["pkg:golang/helm.sh/helm/v3"]);
    assert_eq!(
        first.reason,
        "VEX not_affected (vulnerable_code_not_in_execute_path): Govulncheck determined \
             that the vulnerable code isn't called"
    );
    assert!(
        ignores
            .iter()
            .any(|i| i.id == "CVE-2023-39325" && i.purls == ["pkg:golang/golang.org/x/net"])
    );
    assert!(ignores.iter().all(|i| i.source == IgnoreSource::Vex));
    // The product as a component (any version: the product has none) applies too.
    let as_component = Scanned {
        subject: Some("pkg:golang/github.com/elastic/harp@v0.2.10"),
        components: vec!["pkg:golang/github.com/aquasecurity/trivy@v0.40.0"],
        ..Scanned::default()
    };
    assert_eq!(
        parse(bytes, "t.json", &as_component)
            .expect("valid")
            .ignores,
        ignores
    );
    // Another product: nothing applies, one note per statement.
    let harp = Scanned {
        subject: Some("pkg:golang/github.com/elastic/harp@v0.2.10?type=module#cmd/harp"),
        components: vec![
            "pkg:golang/golang.org/x/net@v0.17.0",
            "pkg:golang/helm.sh/helm/v3@v3.14.0",
        ],
        ..Scanned::default()
    };
    let other = parse(bytes, "t.json", &harp).expect("valid");
    assert_eq!(other.ignores, []);
    assert_eq!(
        other.other_products[0],
        "VEX statement 1 of `t.json` (`GO-2024-2575`) is about \
             `pkg:golang/github.com/aquasecurity/trivy`, which is neither the scanned SBOM's \
             subject nor one of its components: not applied"
    );
    assert_eq!(other.other_products.len(), 3);
}

/// vexctl's samples: `fixed` suppresses, `under_investigation` does not, v0.0.1 string
/// forms parse, and a product that is the scanned subject covers every component.
#[test]
fn openvex_statuses_and_versions() {
    let two = include_bytes!("../../tests/fixtures/vex/vexctl-sample-2vulns.openvex.json");
    let nginx =
        "pkg:oci/nginx@sha256%3A13d22ec63300e16014d4a42aed735207a8b33c223cff19627dd3042e5a10a3a0";
    let subject = Scanned {
        subject: Some(nginx),
        components: Vec::new(),
        ..Scanned::default()
    };
    let ignores = parse(two, "v.json", &subject).expect("valid").ignores;
    let ids: Vec<_> = ignores.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "CVE-2023-27103",
            "SNYK-DEBIAN12-LIBDE265-3361563",
            "CVE-2007-5686",
            "SNYK-DEBIAN12-SHADOW-1559391"
        ]
    );
    assert!(ignores.iter().all(|i| i.purls.is_empty()));
    assert_eq!(
        ignores[2].reason,
        "VEX fixed: This is a sample OpenVEX file, it is not a real security assessment."
    );
    // The image as a component, not the subject: the statement covers it only.
    let component = Scanned {
        subject: None,
        components: vec![nginx],
        ..Scanned::default()
    };
    let scoped = parse(two, "v.json", &component).expect("valid").ignores;
    assert_eq!(scoped[0].purls, [nginx]);
    // Not scanned at all: another product.
    let none = parse(two, "v.json", &Scanned::default()).expect("valid");
    assert_eq!((none.ignores.len(), none.other_products.len()), (0, 2));

    for file in [
        &include_bytes!("../../tests/fixtures/vex/vexctl-v001-1.vex.json")[..],
        &include_bytes!("../../tests/fixtures/vex/vexctl-v020-1.vex.json")[..],
    ] {
        assert_eq!(
            parse(file, "v.json", &Scanned::default()).expect("valid"),
            Parsed::default()
        );
    }
    let demo = include_bytes!("../../tests/fixtures/vex/vexctl-demo.vex.json");
    // Qualifiers are not compared; the version is.
    let git = |purl| Scanned {
        subject: None,
        components: vec![purl],
        ..Scanned::default()
    };
    let older = parse(
        demo,
        "d.json",
        &git("pkg:apk/distro/git@2.38.0-r0?arch=x86_64"),
    );
    assert_eq!(older.expect("valid").other_products.len(), 1);
    let scanned = git("pkg:apk/distro/git@2.39.0-r1?arch=x86_64&distro=alpine-3.17");
    assert_eq!(
        summary(&parse(demo, "d.json", &scanned).expect("valid").ignores),
        [(
            "CVE-2014-123456".to_owned(),
            vec![
                "pkg:apk/distro/git@2.39.0-r1?arch=armv7".to_owned(),
                "pkg:apk/distro/git@2.39.0-r1?arch=x86_64".to_owned()
            ],
            "VEX fixed".to_owned()
        )]
    );
}

/// The real CycloneDX VEX says `exploitable`: nothing is suppressed.
#[test]
fn cyclonedx_exploitable_suppresses_nothing() {
    let bytes = include_bytes!("../../tests/fixtures/sbom/other-cdx1.4-vex-log4j-affected.json");
    assert_eq!(
        parse(bytes, "c.json", &Scanned::default()).expect("valid"),
        Parsed::default()
    );
    let sbom = crate::sbom::parse(bytes).expect("a CycloneDX SBOM");
    assert_eq!(from_sbom(&sbom, "c.json").ignores, []);
}

/// Hand-written CycloneDX VEX: states that suppress and states that do not; refs resolve
/// through bom-refs (nested too) or are purls; a BOM-Link to another BOM covers nothing.
#[test]
fn cyclonedx_states_and_refs() {
    let doc = br#"{
          "bomFormat": "CycloneDX", "specVersion": "1.5",
          "components": [{"bom-ref": "app", "purl": "pkg:npm/app@1",
                          "components": [{"bom-ref": "jq", "purl": "pkg:npm/jquery@3.4.1"}]}],
          "vulnerabilities": [
            {"id": "CVE-2020-11023", "references": [{"id": "GHSA-jpcq-cgw6-v4j6"}],
             "analysis": {"state": "not_affected", "justification": "code_not_reachable",
                          "detail": "only the docs use it"},
             "affects": [{"ref": "jq"}]},
            {"id": "CVE-1", "analysis": {"state": "in_triage"}, "affects": [{"ref": "jq"}]},
            {"id": "CVE-2", "analysis": {"state": "exploitable"}, "affects": [{"ref": "jq"}]},
            {"id": "CVE-3", "analysis": {"state": "resolved"}, "affects": [{"ref": "pkg:npm/x@1"}]},
            {"id": "CVE-4", "analysis": {"state": "false_positive"},
             "affects": [{"ref": "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#other"}]},
            {"id": "CVE-5", "affects": [{"ref": "jq"}]}
          ]
        }"#;
    let scanned = Scanned {
        components: vec!["pkg:npm/jquery@3.4.1", "pkg:npm/x@1"],
        ..Scanned::default()
    };
    let parsed = parse(doc, "c.json", &scanned).expect("valid");
    assert_eq!(
        parsed.other_products,
        [
            "CycloneDX VEX vulnerabilities[4] of `c.json` (`CVE-4`) is about \
              `urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#other`, which is neither the \
              scanned SBOM's subject nor one of its components: not applied"
        ]
    );
    let ignores = parsed.ignores;
    assert_eq!(
        summary(&ignores),
        [
            (
                "CVE-2020-11023".to_owned(),
                vec!["pkg:npm/jquery@3.4.1".to_owned()],
                "CycloneDX VEX not_affected (code_not_reachable): only the docs use it".to_owned()
            ),
            (
                "GHSA-jpcq-cgw6-v4j6".to_owned(),
                vec!["pkg:npm/jquery@3.4.1".to_owned()],
                "CycloneDX VEX not_affected (code_not_reachable): only the docs use it".to_owned()
            ),
            (
                "CVE-3".to_owned(),
                vec!["pkg:npm/x@1".to_owned()],
                "CycloneDX VEX resolved".to_owned()
            ),
        ]
    );
    // As the scanned SBOM's own analysis: the refs are the SBOM reader's, resolved through its
    // bom-refs (`jq`, nested); `pkg:npm/x@1` names no component of it, so CVE-3 covers nothing.
    let sbom = crate::sbom::parse(doc).expect("a CycloneDX SBOM");
    assert_eq!(
        summary(&from_sbom(&sbom, "c.json").ignores),
        summary(&ignores[..2])
    );
}

/// A separate CycloneDX VEX built against trivy's npm SBOM applies to it: a BOM-Link with
/// its serial (percent-encoded bom-ref), a plain bom-ref, the subject's bom-ref (every
/// component). Built against another SBOM, or with refs this SBOM lacks, nothing applies
/// and each statement is noted, even when the BOM-Link's bom-ref exists here too.
#[test]
fn cyclonedx_separate_vex_matches_the_scanned_sbom() {
    let bytes =
        include_bytes!("../../tests/fixtures/sbom/trivy-cdx1.7-golden-fs-npm-with-vuln.json");
    let sbom = crate::sbom::parse(bytes).expect("valid SBOM");
    let scanned = Scanned::of(&sbom);
    let ours = include_bytes!("../../tests/fixtures/vex/cdx-vex-trivy-npm-golden.json");
    let parsed = parse(ours, "v.json", &scanned).expect("valid");
    assert_eq!(parsed.other_products, Vec::<String>::new());
    let jq = vec!["pkg:npm/jquery@3.3.9".to_owned()];
    assert_eq!(
        summary(&parsed.ignores),
        [
            (
                "CVE-2020-11023".to_owned(),
                jq.clone(),
                "CycloneDX VEX not_affected (code_not_reachable): jQuery only renders the \
                     offline help page; no untrusted HTML reaches it"
                    .to_owned()
            ),
            (
                "GHSA-jpcq-cgw6-v4j6".to_owned(),
                jq.clone(),
                "CycloneDX VEX not_affected (code_not_reachable): jQuery only renders the \
                     offline help page; no untrusted HTML reaches it"
                    .to_owned()
            ),
            (
                "CVE-2019-11358".to_owned(),
                jq,
                "CycloneDX VEX false_positive".to_owned()
            ),
            (
                "CVE-2020-11022".to_owned(),
                Vec::new(),
                "CycloneDX VEX resolved: patched in the vendored copy".to_owned()
            ),
        ]
    );

    let other = include_bytes!("../../tests/fixtures/vex/cdx-vex-trivy-mixed-image.json");
    let parsed = parse(other, "o.json", &scanned).expect("valid");
    assert_eq!(parsed.ignores, []);
    assert_eq!(
        parsed.other_products.len(),
        3,
        "{:?}",
        parsed.other_products
    );
    assert!(
        parsed.other_products[0].starts_with(
            "CycloneDX VEX vulnerabilities[0] of `o.json` (`CVE-2020-11023`) is about \
                 `urn:cdx:c986ba94-e37d-49c8-9e30-96daccd0415b/1#pkg%3Anpm%2Fjquery%403.3.9`"
        ),
        "{:?}",
        parsed.other_products
    );
    // The same document against the SBOM it was built for: BOM-Link and subject resolve.
    let mixed = include_bytes!(
        "../../tests/fixtures/sbom/trivy-cdx1.5-image-mixed-apk-composer-go-maven-npm.json"
    );
    let mixed = crate::sbom::parse(mixed).expect("valid SBOM");
    let parsed = parse(other, "o.json", &Scanned::of(&mixed)).expect("valid");
    assert_eq!(
        parsed.other_products.len(),
        1,
        "{:?}",
        parsed.other_products
    );
    assert_eq!(
        parsed
            .ignores
            .iter()
            .map(|i| (i.id.as_str(), i.purls.len()))
            .collect::<Vec<_>>(),
        [("CVE-2019-11358", 0), ("CVE-2020-11022", 1)]
    );
}

/// Malformed documents are errors, never panics.
#[test]
fn malformed() {
    let cases: [&[u8]; 5] = [
        b"",
        b"not json",
        b"[]",
        b"{\"statements\": 3}",
        b"{\"hello\": 1}",
    ];
    for bytes in cases {
        assert!(
            parse(bytes, "x.json", &Scanned::default()).is_err(),
            "{bytes:?}"
        );
    }
    // Statements without a vulnerability or products suppress nothing.
    let odd = br#"{"statements": [{"status": "not_affected"}, {"vulnerability": 7}]}"#;
    assert!(parse(odd, "x.json", &Scanned::default()).is_err());
    let empty =
        br#"{"statements": [{"status": "not_affected", "vulnerability": {"name": "CVE-1"}}]}"#;
    assert_eq!(
        parse(empty, "x.json", &Scanned::default()).expect("valid"),
        Parsed::default()
    );
}

/// A status the specification does not define is a note quoting the id (when id-shaped)
/// and the file, never the status; the defined statuses that do not suppress are silent.
#[test]
fn unknown_status_is_noted() {
    let doc = br#"{"statements": [
            {"vulnerability": {"name": "CVE-2021-44228"}, "status": "not_affectd"},
            {"vulnerability": {"name": "::error::x"}, "status": "::warning::owned"},
            {"vulnerability": {"name": "CVE-2"}},
            {"vulnerability": {"name": "CVE-3"}, "status": "under_investigation"},
            {"vulnerability": {"name": "CVE-4"}, "status": "affected"}]}"#;
    let parsed = parse(doc, "v.json", &Scanned::default()).expect("valid");
    assert_eq!(parsed.ignores, []);
    assert_eq!(
        parsed.unknown_status.len(),
        3,
        "{:?}",
        parsed.unknown_status
    );
    assert!(
        parsed.unknown_status[0]
            .starts_with("VEX statement 1 of `v.json` (`CVE-2021-44228`) has no `status`"),
        "{:?}",
        parsed.unknown_status
    );
    assert!(parsed.unknown_status[1].starts_with("VEX statement 2 of `v.json` has no"));
    assert!(parsed.unknown_status.iter().all(|m| !m.contains("::")));
    let cdx = br###"{"bomFormat": "CycloneDX", "vulnerabilities": [
            {"id": "CVE-2021-44228", "analysis": {"state": "##[error]x"}, "affects": [{"ref": "a"}]},
            {"id": "CVE-1", "analysis": {"state": "in_triage"}, "affects": [{"ref": "a"}]},
            {"id": "CVE-2", "affects": [{"ref": "a"}]}]}"###;
    let parsed = parse(cdx, "c.json", &Scanned::default()).expect("valid");
    assert_eq!(
        parsed.unknown_status,
        [
            "CycloneDX VEX vulnerabilities[0] of `c.json` (`CVE-2021-44228`) has no \
              `analysis.state` kevgate knows; not applied; hint: one of `not_affected`, \
              `false_positive`, `resolved`, `resolved_with_pedigree`, `exploitable`, `in_triage`"
        ]
    );
}
