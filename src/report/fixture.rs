//! The [`Evaluation`] every reporter test renders, built from real records (provenance of
//! each value in `tests/fixtures/report/SOURCES.md`), plus one hand-written hostile finding.

use crate::db::{Manifest, SourceInfo};
use crate::enrich::{ComponentRef, Cvss, Epss, Finding, FoundBy, Kev, Severity};
use crate::evaluation::{DbOrigin, DbOriginKind, Evaluation, Subject};
use crate::note::{Note, NoteCode};
use crate::policy::{DecidedFinding, Decision, FailOn, Policy, Reason, Verdict};

/// KEV's `requiredAction` for both KEV entries used here (cisagov/kev-data 2025-08-25).
const KEV_ACTION: &str = "Apply mitigations per vendor instructions or discontinue use of the \
                          product if mitigations are unavailable.";

fn component(
    index: usize,
    purl: &str,
    name: &str,
    version: &str,
    file: Option<&str>,
) -> ComponentRef {
    ComponentRef::new(
        index,
        Some(purl.to_owned()),
        name.to_owned(),
        Some(version.to_owned()),
        file.map(str::to_owned),
    )
}

fn cvss(score: f32, vector: &str, source: &str) -> Option<Cvss> {
    Some(Cvss {
        score,
        version: vector
            .strip_prefix("CVSS:")
            .and_then(|v| v.split('/').next())
            .unwrap_or("2.0")
            .to_owned(),
        vector: vector.to_owned(),
        source: source.to_owned(),
    })
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

fn jquery_11023(component: ComponentRef) -> Finding {
    Finding {
        id: "CVE-2020-11023".into(),
        aliases: strings(&["GHSA-jpcq-cgw6-v4j6"]),
        component,
        summary: Some("Potential XSS vulnerability in jQuery".to_owned()),
        severity: Severity::Medium,
        severity_source: None,
        cvss: cvss(6.9, "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:L/A:N", "osv"),
        kev: Some(Kev {
            cve: "CVE-2020-11023".to_owned(),
            date_added: "2025-01-23".to_owned(),
            due_date: "2025-02-13".to_owned(),
            required_action: KEV_ACTION.to_owned(),
            ransomware: false,
            name: "JQuery Cross-Site Scripting (XSS) Vulnerability".to_owned(),
        }),
        epss: Some(Epss {
            score: 0.21987,
            percentile: 0.95541,
        }),
        fixed_versions: strings(&["3.5.0"]),
        found_by: vec![FoundBy::Db],
        url: Some(
            "https://github.com/jquery/jquery/security/advisories/GHSA-jpcq-cgw6-v4j6".to_owned(),
        ),
        cwes: strings(&["CWE-79"]),
        exploit_refs: Vec::new(),
        jvn: Vec::new(),
        affected: Vec::new(),
        malicious: false,
        fix_channel: None,
    }
}

fn evaluated(
    finding: Finding,
    severity: Severity,
    decision: Decision,
    reasons: &[Reason],
) -> DecidedFinding {
    DecidedFinding {
        priority: crate::priority::of(&finding),
        finding,
        gate_severity: severity,
        decision,
        reasons: reasons.to_vec(),
        ignored_reason: None,
        change: None,
    }
}

/// The hostile component: every field an SBOM controls carries an injection attempt.
/// Hand-written (not real data).
pub(crate) const HOSTILE_NAME: &str =
    "@org/team</details><img src=x onerror=alert(1)>|`::error::pwned`\u{1b}[31m\u{202E}gpj.exe";

/// The fixture evaluation, in the order the policy sorts findings.
pub(crate) fn evaluation() -> Evaluation {
    let jquery_341 = component(
        0,
        "pkg:npm/jquery@3.4.1",
        "jquery",
        "3.4.1",
        Some("src/main/resources/webgoat/static/js/libs/package-lock.json"),
    );
    let jquery_339 = component(
        1,
        "pkg:npm/jquery@3.3.9",
        "jquery",
        "3.3.9",
        Some("package-lock.json"),
    );
    let libc6 = component(
        2,
        "pkg:deb/debian/libc6@2.31-13+deb11u4?arch=amd64&upstream=glibc&distro=debian-11",
        "libc6",
        "2.31-13+deb11u4",
        None,
    );
    let liblzma5 = component(
        3,
        "pkg:deb/debian/liblzma5@5.6.0-0.2?arch=amd64&upstream=xz-utils&distro=debian-13",
        "liblzma5",
        "5.6.0-0.2",
        None,
    );
    let libgcrypt = component(
        4,
        "pkg:deb/debian/libgcrypt20@1.10.1-3%2Bdeb12u1?arch=amd64&distro=debian-12.15",
        "libgcrypt20",
        "1.10.1-3+deb12u1",
        None,
    );
    let x_crypto = component(
        5,
        "pkg:golang/golang.org/x/crypto@0.24.0",
        "golang.org/x/crypto",
        "0.24.0",
        Some("go.mod"),
    );
    let hostile = ComponentRef::new(
        6,
        Some("pkg:npm/%40org/team@1.0.0".to_owned()),
        HOSTILE_NAME.to_owned(),
        Some("1.0.0\n::error::injected".to_owned()),
        Some("node_modules/@org/team/package.json".to_owned()),
    );

    let glibc = Finding {
        id: "CVE-2023-4911".into(),
        aliases: strings(&["DSA-5514-1"]),
        component: libc6,
        summary: Some(
            "A buffer overflow was discovered in the GNU C Library's dynamic loader ld.so while \
             processing the GLIBC_TUNABLES environment variable."
                .to_owned(),
        ),
        severity: Severity::High,
        severity_source: None,
        cvss: cvss(
            7.8,
            "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
            "nvd-secondary",
        ),
        kev: Some(Kev {
            cve: "CVE-2023-4911".to_owned(),
            date_added: "2023-11-21".to_owned(),
            due_date: "2023-12-12".to_owned(),
            required_action: KEV_ACTION.to_owned(),
            ransomware: false,
            name: "GNU C Library Buffer Overflow Vulnerability".to_owned(),
        }),
        epss: Some(Epss {
            score: 0.79513,
            percentile: 0.9904,
        }),
        fixed_versions: strings(&["2.31-13+deb11u7"]),
        found_by: vec![FoundBy::Db],
        url: Some("https://nvd.nist.gov/vuln/detail/CVE-2023-4911".to_owned()),
        cwes: strings(&["CWE-122"]),
        exploit_refs: Vec::new(),
        jvn: Vec::new(),
        affected: Vec::new(),
        malicious: false,
        fix_channel: None,
    };
    let xz = Finding {
        id: "CVE-2024-3094".into(),
        aliases: strings(&["GHSA-rxwq-x6h5-x525"]),
        component: liblzma5,
        summary: Some(
            "Malicious code was discovered in the upstream tarballs of xz, starting with version 5.6.0."
                .to_owned(),
        ),
        severity: Severity::Critical,
        severity_source: None,
        cvss: cvss(10.0, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "nvd"),
        kev: None,
        epss: None,
        fixed_versions: strings(&["5.6.1+really5.4.5-1"]),
        found_by: vec![FoundBy::Db],
        url: Some("https://nvd.nist.gov/vuln/detail/CVE-2024-3094".to_owned()),
        cwes: strings(&["CWE-506"]),
        exploit_refs: Vec::new(),
        jvn: Vec::new(),
        affected: Vec::new(),
        malicious: false,
        fix_channel: None,
    };
    let gcrypt = Finding {
        id: "CVE-2024-2236".into(),
        aliases: Vec::new(),
        component: libgcrypt,
        summary: Some(
            "A timing-based side-channel flaw was found in libgcrypt's RSA implementation."
                .to_owned(),
        ),
        severity: Severity::Medium,
        severity_source: None,
        cvss: cvss(
            5.9,
            "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N",
            "nvd-secondary",
        ),
        kev: None,
        epss: None,
        fixed_versions: Vec::new(),
        found_by: vec![FoundBy::Db],
        url: Some("https://nvd.nist.gov/vuln/detail/CVE-2024-2236".to_owned()),
        cwes: strings(&["CWE-208"]),
        exploit_refs: Vec::new(),
        jvn: Vec::new(),
        affected: Vec::new(),
        malicious: false,
        fix_channel: None,
    };
    let sbom_only = Finding {
        id: "CVE-2019-11358".into(),
        aliases: Vec::new(),
        component: jquery_339.clone(),
        summary: Some(
            "jQuery before 3.4.0, as used in Drupal, Backdrop CMS, and other products, mishandles \
             jQuery.extend(true, {}, ...) because of Object.prototype pollution."
                .to_owned(),
        ),
        severity: Severity::Medium,
        severity_source: None,
        cvss: cvss(6.1, "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", "sbom"),
        kev: None,
        epss: None,
        fixed_versions: strings(&["3.4.0"]),
        found_by: vec![FoundBy::Sbom],
        url: Some("https://avd.aquasec.com/nvd/cve-2019-11358".to_owned()),
        cwes: strings(&["CWE-79"]),
        exploit_refs: Vec::new(),
        jvn: Vec::new(),
        affected: Vec::new(),
        malicious: false,
        fix_channel: None,
    };
    let hostile_finding = Finding {
        id: "[x](javascript:alert(1))".into(),
        aliases: strings(&["<script>alert(1)</script>"]),
        component: hostile,
        summary: Some("*bold* _it_ [click](javascript:alert(1)) @org/team\n| a | b |".to_owned()),
        severity: Severity::Low,
        severity_source: Some("sbom".to_owned()),
        cvss: None,
        kev: None,
        epss: None,
        fixed_versions: strings(&["9.9.9</details>"]),
        found_by: vec![FoundBy::Sbom],
        url: Some("javascript:alert(1)".to_owned()),
        cwes: Vec::new(),
        exploit_refs: Vec::new(),
        jvn: Vec::new(),
        affected: Vec::new(),
        malicious: false,
        fix_channel: None,
    };
    let go = Finding {
        id: "CVE-2025-22869".into(),
        aliases: strings(&["GO-2025-3487"]),
        component: x_crypto,
        summary: Some("Potential denial of service in golang.org/x/crypto".to_owned()),
        severity: Severity::Unknown,
        severity_source: None,
        cvss: None,
        kev: None,
        epss: None,
        fixed_versions: strings(&["0.35.0"]),
        found_by: vec![FoundBy::Db],
        url: Some("https://pkg.go.dev/vuln/GO-2025-3487".to_owned()),
        cwes: Vec::new(),
        exploit_refs: Vec::new(),
        jvn: Vec::new(),
        affected: Vec::new(),
        malicious: false,
        fix_channel: None,
    };

    let findings = vec![
        evaluated(glibc, Severity::Critical, Decision::Fail, &[Reason::Kev]),
        evaluated(
            jquery_11023(jquery_341),
            Severity::Critical,
            Decision::Fail,
            &[Reason::Kev],
        ),
        evaluated(
            jquery_11023(jquery_339),
            Severity::Critical,
            Decision::Fail,
            &[Reason::Kev],
        ),
        evaluated(xz, Severity::Critical, Decision::Fail, &[Reason::Severity]),
        evaluated(
            sbom_only,
            Severity::Medium,
            Decision::Warn,
            &[Reason::BelowThreshold],
        ),
        evaluated(
            gcrypt,
            Severity::Medium,
            Decision::Warn,
            &[Reason::BelowThreshold],
        ),
        evaluated(
            hostile_finding,
            Severity::Low,
            Decision::Warn,
            &[Reason::BelowThreshold],
        ),
        evaluated(
            go,
            Severity::Unknown,
            Decision::Warn,
            &[Reason::BelowThreshold],
        ),
    ];

    let notes = vec![
        Note {
            code: NoteCode::UnidentifiedComponent,
            message: format!("component `{HOSTILE_NAME}` has no purl: it was not checked"),
            component: Some(6),
        },
        Note {
            code: NoteCode::UnsupportedEcosystem,
            message: "`pkg:conda/openssl@3.0.13` is in ecosystem `conda`, which the database \
                      does not cover"
                .to_owned(),
            component: None,
        },
        Note {
            code: NoteCode::SbomWarning,
            message: "2 components share `bom-ref` `pkg:npm/jquery@3.3.9`; the first is kept"
                .to_owned(),
            component: None,
        },
        Note {
            code: NoteCode::BundledDb,
            message: "the database is the demo snapshot bundled in kevgate".to_owned(),
            component: None,
        },
    ];

    let remediation = crate::remediation::plan(&findings);
    Evaluation {
        remediation,
        findings,
        notes,
        verdict: Verdict::Fail,
        policy: Policy {
            fail_on: FailOn::Critical,
            fail_on_kev: true,
            ..Policy::default()
        },
        fixed: Vec::new(),
        db: Manifest {
            format_version: 1,
            built_at: "2025-08-26T06:00:00Z".to_owned(),
            sources: vec![
                SourceInfo {
                    name: "kev".to_owned(),
                    data_date: Some("2025-08-25".to_owned()),
                    records: 1404,
                    sha256: "901b1f227941a3879a3e39fcb857bb6f7252bf9d71b63ef08d50a836d5ab1bd2"
                        .to_owned(),
                    files: strings(&["known_exploited_vulnerabilities_2025-08-25.json"]),
                },
                SourceInfo {
                    name: "epss".to_owned(),
                    data_date: Some("2025-08-20".to_owned()),
                    records: 993,
                    sha256: "b554a502d6dcabb95ca8c06aa94020ec4c0d2f1424e1f9d51e4d82d24857fad4"
                        .to_owned(),
                    files: strings(&["epss_scores-2025-08-20-kev-subset.csv.gz"]),
                },
            ],
            cve_scope: crate::db::CveScope::All,
        },
        db_origin: DbOrigin {
            kind: DbOriginKind::Bundled,
            path: None,
            age_days: Some(7),
        },
        subject: Subject {
            sbom_path: "sbom.cdx.json".to_owned(),
            name: Some("registry.example.com/shop/web:1.4.2".to_owned()),
            components: 412,
            tool: Some("trivy 0.65.0".to_owned()),
        },
        today: jiff::civil::date(2025, 9, 1),
    }
}
