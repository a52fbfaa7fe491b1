//! Table-driven unit tests of the pure core, [`crate::evaluate`], on fixture inputs: the
//! real SBOMs and the database built from `tests/fixtures/kev-hits` (trimmed real records,
//! see its SOURCES.md), with policies and inputs varied per case. Every case also checks the
//! evaluation's invariants: notes sorted by code then message without repeats, the verdict
//! read from the decisions, the remediation plan of the decided findings, the subject and the
//! database age decided inside the core (issue 12, items 2 and 7).

use crate::evaluation::{DbOriginKind, Evaluation, FindingOrder};
use crate::note::{Note, NoteCode};
use crate::policy::{Decision, Ignore, IgnoreSource, Policy, Verdict};
use crate::{Inputs, db, sbom};
use std::path::PathBuf;
use std::sync::OnceLock;

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/kev-hits")
        .join(rel)
}

/// The kev-hits database (OSV, KEV, NVD, EPSS), built once at 2025-08-26.
fn kev_hits_db() -> &'static db::VulnDb {
    static DB: OnceLock<db::VulnDb> = OnceLock::new();
    DB.get_or_init(|| {
        let inputs = db::BuildInputs {
            osv: vec![fixture("osv.jsonl")],
            kev: vec![fixture("kev.json")],
            nvd: vec![fixture("nvd")],
            epss: vec![fixture("epss.csv")],
            ..db::BuildInputs::default()
        };
        let built_at = "2025-08-26T06:00:00Z".parse().expect("timestamp");
        let bytes = db::build(&inputs, built_at).expect("the fixtures build");
        db::VulnDb::from_bytes(bytes).expect("the built database loads")
    })
}

fn sbom(name: &str) -> sbom::Sbom {
    let bytes = fs_err::read(fixture(&format!("sboms/{name}"))).expect("read the SBOM");
    sbom::parse(&bytes).expect("the SBOM parses")
}

const WEBGOAT: &str = "other-cdxgen-cdx1.5-webgoat-maven-npm.json";
const HARP: &str = "other-cyclonedx-gomod-cdx1.4-harp-705-components.json";
const PYTHON: &str = "other-syft-cdx-image-python-latest.json";

fn today() -> jiff::civil::Date {
    jiff::civil::date(2025, 8, 26)
}

fn ignore(id: &str, source: IgnoreSource) -> Ignore {
    Ignore {
        id: id.to_owned(),
        reason: "triaged".to_owned(),
        expires: None,
        purls: Vec::new(),
        source,
        origin: "`.kevgate.yaml` line 3".to_owned(),
    }
}

fn note(code: NoteCode, message: &str) -> Note {
    Note {
        code,
        message: message.to_owned(),
        component: None,
    }
}

/// The ids (shown id) of findings with `decision`, sorted, without repeats.
fn ids(ev: &Evaluation, decision: Decision) -> Vec<&str> {
    let mut ids: Vec<&str> = ev
        .findings
        .iter()
        .filter(|e| e.decision == decision)
        .map(|e| e.finding.id.as_str())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// What holds for every evaluation, whatever the inputs.
fn assert_invariants(name: &str, ev: &Evaluation, sbom: &sbom::Sbom, db: &db::VulnDb) {
    let keys: Vec<_> = ev.notes.iter().map(|n| (n.code, &n.message)).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        keys, sorted,
        "{name}: notes sorted by code then message, no repeats"
    );
    let fails = ev.findings.iter().any(|e| e.decision == Decision::Fail);
    assert_eq!(ev.verdict == Verdict::Fail, fails, "{name}: verdict");
    assert_eq!(
        ev.remediation,
        crate::remediation::plan(&ev.findings),
        "{name}: remediation"
    );
    assert_eq!(ev.subject.components, sbom.components.len(), "{name}");
    assert_eq!(ev.db_origin.age_days, db.age_days(ev.today), "{name}");
    assert_eq!(&ev.db, db.manifest(), "{name}");
}

struct Case {
    name: &'static str,
    sbom: &'static str,
    policy: Policy,
    origin: DbOriginKind,
    notes: Vec<Note>,
    verdict: Verdict,
    /// A subset of the failing ids.
    fail: &'static [&'static str],
    /// A subset of the ignored ids.
    ignored: &'static [&'static str],
    /// Note codes that must be present.
    codes: &'static [NoteCode],
}

fn case(name: &'static str, sbom: &'static str) -> Case {
    Case {
        name,
        sbom,
        policy: Policy::default(),
        origin: DbOriginKind::Flag,
        notes: Vec::new(),
        verdict: Verdict::Fail,
        fail: &[],
        ignored: &[],
        codes: &[],
    }
}

/// The policy decides on real findings: KEV hits fail by default (jQuery and XStream in
/// webgoat, golang.org/x/net's HTTP/2 rapid reset in harp, glibc's Looney Tunables and
/// libwebp in the python image); with KEV and severity off nothing fails; ignores suppress
/// what they name and report what they did not match; notes from the policy files and the
/// bundled-db note are sorted with the others.
#[test]
fn evaluate_cases() {
    let db = kev_hits_db();
    let cases = vec![
        Case {
            fail: &["CVE-2020-11023", "CVE-2021-39144"],
            ..case("webgoat, default policy", WEBGOAT)
        },
        Case {
            fail: &["CVE-2023-44487"],
            ..case("harp, default policy", HARP)
        },
        Case {
            fail: &["CVE-2023-4863", "CVE-2023-4911"],
            ..case("python image, default policy", PYTHON)
        },
        Case {
            policy: Policy {
                fail_on: crate::policy::FailOn::None,
                fail_on_kev: false,
                ..Policy::default()
            },
            verdict: Verdict::Pass,
            ..case("webgoat, nothing fails", WEBGOAT)
        },
        Case {
            policy: Policy {
                fail_on: crate::policy::FailOn::None,
                ignores: vec![
                    ignore("CVE-2021-39144", IgnoreSource::Config),
                    ignore("GHSA-jpcq-cgw6-v4j6", IgnoreSource::Trivyignore),
                    ignore("CVE-1999-0001", IgnoreSource::Config),
                ],
                ..Policy::default()
            },
            verdict: Verdict::Pass,
            ignored: &["CVE-2020-11023", "CVE-2021-39144"],
            codes: &[NoteCode::UnknownIgnore],
            ..case("webgoat, KEV hits ignored by id and alias", WEBGOAT)
        },
        Case {
            origin: DbOriginKind::Bundled,
            notes: vec![
                note(NoteCode::UnusedIgnore, "b: from `.trivyignore.yaml`"),
                note(NoteCode::UnusedIgnore, "a: from `.trivyignore.yaml`"),
                note(NoteCode::UnusedIgnore, "a: from `.trivyignore.yaml`"),
                note(
                    NoteCode::VexOtherProduct,
                    "a VEX statement about another product",
                ),
            ],
            policy: Policy {
                ignores: vec![
                    ignore("CVE-1999-0001", IgnoreSource::Config),
                    ignore("CVE-2023-4911", IgnoreSource::Config),
                ],
                ..Policy::default()
            },
            fail: &["CVE-2021-39144"],
            codes: &[
                NoteCode::BundledDb,
                NoteCode::UnusedIgnore,
                NoteCode::UnknownIgnore,
                NoteCode::VexOtherProduct,
            ],
            ..case("webgoat, policy-file notes and the bundled db", WEBGOAT)
        },
    ];
    for c in cases {
        let parsed = sbom(c.sbom);
        let ev = crate::evaluate(Inputs {
            db_origin: c.origin,
            sbom_path: c.sbom.to_owned(),
            notes: c.notes.clone(),
            ..Inputs::new(&parsed, db, &c.policy, today())
        })
        .expect("the fixture database decodes");
        assert_invariants(c.name, &ev, &parsed, db);
        assert_eq!(ev.verdict, c.verdict, "{}", c.name);
        let fail = ids(&ev, Decision::Fail);
        for id in c.fail {
            assert!(
                fail.contains(id),
                "{}: `{id}` fails; failing: {fail:?}",
                c.name
            );
        }
        let ignored = ids(&ev, Decision::Ignored);
        assert!(
            c.ignored.iter().all(|id| ignored.contains(id)),
            "{}: ignored {ignored:?}",
            c.name
        );
        if c.ignored.is_empty() {
            assert!(ignored.is_empty(), "{}: ignored {ignored:?}", c.name);
        }
        for code in c.codes {
            assert!(
                ev.notes.iter().any(|n| n.code == *code),
                "{}: a `{code:?}` note in {:?}",
                c.name,
                ev.notes
            );
        }
        for n in &c.notes {
            assert!(ev.notes.contains(n), "{}: input note {n:?} kept", c.name);
        }
        assert_eq!(ev.db_origin.kind, c.origin, "{}", c.name);
        assert_eq!(ev.subject.sbom_path, c.sbom, "{}", c.name);
        let bundled = ev.notes.iter().any(|n| n.code == NoteCode::BundledDb);
        assert_eq!(bundled, c.origin == DbOriginKind::Bundled, "{}", c.name);
    }
}

/// `FindingOrder::Priority` orders the same findings by priority, ties in the default order;
/// the verdict, notes and plan's components do not change.
#[test]
fn priority_order_keeps_the_decisions() {
    let db = kev_hits_db();
    let parsed = sbom(WEBGOAT);
    let policy = Policy::default();
    let by_severity = crate::evaluate(Inputs::new(&parsed, db, &policy, today())).expect("decodes");
    let by_priority = crate::evaluate(Inputs {
        order: FindingOrder::Priority,
        ..Inputs::new(&parsed, db, &policy, today())
    })
    .expect("decodes");
    assert_invariants("priority", &by_priority, &parsed, db);
    let mut expected = by_severity.findings.clone();
    expected.sort_by_key(|e| e.priority);
    assert_eq!(by_priority.findings, expected);
    assert_eq!(by_priority.verdict, by_severity.verdict);
    assert_eq!(by_priority.notes, by_severity.notes);
    let components = |ev: &Evaluation| {
        let mut c: Vec<usize> = ev.remediation.iter().map(|r| r.component.index).collect();
        c.sort();
        c
    };
    assert_eq!(components(&by_priority), components(&by_severity));
}

/// A vulnerability the SBOM embeds, on a package the database knows nothing of, is still a
/// finding, and its fixed versions come in the ecosystem's version order (`1.9.0` before
/// `1.10.0`): the component's package is kept for it although no database record matched.
#[test]
fn embedded_vulnerability_without_records_sorts_its_fixes() {
    let doc = serde_json::json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "components": [
            {"type": "library", "bom-ref": "c1", "name": "not-in-the-db",
             "version": "1.0.0", "purl": "pkg:npm/not-in-the-db@1.0.0"}
        ],
        "vulnerabilities": [
            {"id": "CVE-2099-0001", "affects": [{"ref": "c1"}],
             "ratings": [{"severity": "high"}]}
        ]
    });
    let bytes = serde_json::to_vec(&doc).expect("json");
    let mut parsed = sbom::parse(&bytes).expect("the SBOM parses");
    // Fixed versions as a producer may list them: in string order.
    assert_eq!(
        parsed.vulnerabilities.len(),
        1,
        "the embedded vulnerability is read"
    );
    parsed.vulnerabilities[0].fixed_versions = vec!["1.10.0".into(), "1.9.0".into()];
    let db = kev_hits_db();
    let policy = Policy::default();
    let ev = crate::evaluate(Inputs::new(&parsed, db, &policy, today())).expect("decodes");
    let finding = ev
        .findings
        .iter()
        .find(|e| e.finding.id.as_str() == "CVE-2099-0001")
        .expect("the embedded vulnerability is a finding");
    assert_eq!(finding.finding.fixed_versions, ["1.9.0", "1.10.0"]);
}
