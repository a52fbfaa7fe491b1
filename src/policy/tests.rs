use super::*;

fn ignore(source: IgnoreSource, id: &str, purls: &[&str], expires: Option<&str>) -> Ignore {
    Ignore {
        id: id.to_owned(),
        reason: "r".to_owned(),
        expires: expires.map(|d| d.parse().expect("date")),
        purls: purls.iter().map(|p| (*p).to_owned()).collect(),
        source,
        origin: "`f` line 1".to_owned(),
    }
}

/// The fixture's first KEV finding (real KEV and EPSS values) as CVE-2020-11023 in
/// jQuery 3.4.1, with `edit` applied.
fn kev_finding(edit: impl Fn(&mut Finding)) -> Finding {
    let mut f = crate::report::fixture::evaluation()
        .findings
        .into_iter()
        .map(|e| e.finding)
        .find(|f| f.kev.is_some())
        .expect("the fixture has a KEV finding");
    f.id = "CVE-2020-11023".into();
    f.aliases.clear();
    f.component.purl = Some("pkg:npm/jquery@3.4.1".to_owned());
    edit(&mut f);
    f
}

/// Each rule of the gate on one finding: the decision and its reasons, in the order
/// `decide` gives them; the verdict follows the decision.
#[test]
fn apply_rules() {
    use Reason::{
        BelowThreshold, Epss, Ignored, Kev, KevPastDue, KevRansomware, Malicious, NoFix, Vex,
    };
    let db = crate::db::VulnDb::from_bytes(
        crate::db::build(
            &crate::db::BuildInputs::default(),
            "2025-08-26T00:00:00Z".parse().expect("timestamp"),
        )
        .expect("an empty database builds"),
    )
    .expect("loads");
    let today = jiff::civil::date(2025, 9, 1);
    let quiet = Policy {
        fail_on: FailOn::None,
        fail_on_kev: false,
        ..Policy::default()
    };
    let not_kev = |f: &mut Finding| {
        f.kev = None;
        f.severity = Severity::Low;
    };
    let cases: Vec<(&str, Finding, Policy, Decision, Vec<Reason>)> = vec![
        (
            "KEV counts as critical",
            kev_finding(|_| {}),
            Policy::default(),
            Decision::Fail,
            vec![Kev, Reason::Severity],
        ),
        (
            "KEV and severity off",
            kev_finding(|_| {}),
            quiet.clone(),
            Decision::Warn,
            vec![BelowThreshold],
        ),
        (
            "malicious fails on its own",
            kev_finding(|f| {
                not_kev(f);
                f.malicious = true;
            }),
            Policy::default(),
            Decision::Fail,
            vec![Malicious],
        ),
        (
            "malicious opted out",
            kev_finding(|f| {
                not_kev(f);
                f.malicious = true;
            }),
            Policy {
                fail_on_malicious: false,
                ..Policy::default()
            },
            Decision::Warn,
            vec![BelowThreshold],
        ),
        (
            "ransomware with KEV off",
            kev_finding(|f| {
                if let Some(k) = &mut f.kev {
                    k.ransomware = true;
                }
            }),
            Policy {
                fail_on_ransomware: true,
                ..quiet.clone()
            },
            Decision::Fail,
            vec![KevRansomware],
        ),
        (
            "KEV past its due date",
            kev_finding(|f| {
                if let Some(k) = &mut f.kev {
                    k.due_date = "2025-08-31".into();
                }
            }),
            Policy {
                fail_on_kev_past_due: true,
                ..quiet.clone()
            },
            Decision::Fail,
            vec![KevPastDue],
        ),
        (
            "KEV due today is not past due",
            kev_finding(|f| {
                if let Some(k) = &mut f.kev {
                    k.due_date = "2025-09-01".into();
                }
            }),
            Policy {
                fail_on_kev_past_due: true,
                ..quiet.clone()
            },
            Decision::Warn,
            vec![BelowThreshold],
        ),
        (
            "EPSS at the threshold",
            kev_finding(|f| {
                not_kev(f);
                f.epss = Some(crate::enrich::Epss {
                    score: 0.5,
                    percentile: 0.9,
                });
            }),
            Policy {
                fail_on_epss: Some(0.5),
                ..Policy::default()
            },
            Decision::Fail,
            vec![Epss],
        ),
        (
            "only fixable, no fix known",
            kev_finding(|f| f.fixed_versions.clear()),
            Policy {
                only_fixable: true,
                ..Policy::default()
            },
            Decision::Warn,
            vec![Kev, Reason::Severity, NoFix],
        ),
        (
            "low severity under fail-on high",
            kev_finding(not_kev),
            Policy {
                fail_on: FailOn::High,
                ..Policy::default()
            },
            Decision::Warn,
            vec![BelowThreshold],
        ),
        (
            "ignored by an alias",
            kev_finding(|f| f.aliases = vec!["GHSA-jpcq-cgw6-v4j6".into()]),
            Policy {
                ignores: vec![ignore(
                    IgnoreSource::Config,
                    "ghsa-JPCQ-cgw6-v4j6",
                    &[],
                    None,
                )],
                ..Policy::default()
            },
            Decision::Ignored,
            vec![Ignored],
        ),
        (
            "VEX statement",
            kev_finding(|_| {}),
            Policy {
                ignores: vec![ignore(
                    IgnoreSource::Vex,
                    "CVE-2020-11023",
                    &["pkg:npm/jquery"],
                    None,
                )],
                ..Policy::default()
            },
            Decision::Ignored,
            vec![Vex],
        ),
        (
            "expired ignore no longer applies",
            kev_finding(|_| {}),
            Policy {
                ignores: vec![ignore(
                    IgnoreSource::Config,
                    "CVE-2020-11023",
                    &[],
                    Some("2025-08-31"),
                )],
                ..Policy::default()
            },
            Decision::Fail,
            vec![Kev, Reason::Severity],
        ),
    ];
    for (name, finding, policy, decision, reasons) in cases {
        let decided = apply(vec![finding], &db, &policy, today).expect("an empty db decodes");
        let e = &decided.findings[0];
        assert_eq!((e.decision, &e.reasons), (decision, &reasons), "{name}");
        let verdict = if decision == Decision::Fail {
            Verdict::Fail
        } else {
            Verdict::Pass
        };
        assert_eq!(decided.verdict, verdict, "{name}");
        assert_eq!(
            e.gate_severity == Severity::Critical,
            e.finding.kev.is_some(),
            "{name}"
        );
    }
}

/// An exception is added when the base has none with the same source, id (any case),
/// purl scope and expiry; a new reason alone adds nothing, a later expiry does.
#[test]
fn added_exceptions_against_the_base() {
    use IgnoreSource::{Config, Trivyignore, Vex};
    let base = [
        ignore(Config, "CVE-2021-44228", &[], Some("2025-01-01")),
        ignore(Trivyignore, "CVE-2023-4911", &[], None),
        ignore(Vex, "CVE-2022-1", &["pkg:npm/a", "pkg:npm/b"], None),
    ];
    let mut same_reason = base[1].clone();
    same_reason.reason = "another reason".to_owned();
    let head = [
        ignore(Config, "CVE-2021-44228", &[], Some("2030-01-01")),
        ignore(Trivyignore, "cve-2023-4911", &[], None),
        same_reason,
        ignore(Vex, "CVE-2022-1", &["pkg:npm/b", "pkg:npm/a"], None),
        ignore(Config, "CVE-2023-4911", &[], None),
        ignore(Config, "CVE-2023-4911", &[], None),
        ignore(
            Trivyignore,
            "CVE-2023-4911",
            &["pkg:deb/debian/libc6"],
            None,
        ),
    ];
    let added = added_exceptions(&head, &base);
    let added: Vec<(IgnoreSource, &str)> =
        added.iter().map(|i| (i.source, i.id.as_str())).collect();
    assert_eq!(
        added,
        [
            (Config, "CVE-2021-44228"),
            (Config, "CVE-2023-4911"),
            (Trivyignore, "CVE-2023-4911"),
        ]
    );
    assert!(added_exceptions(&base, &base).is_empty());
}
