//! Unit tests of the policy file: parsing, validation, and the one `Config -> Policy`
//! conversion.

use super::*;

/// Vulnerability ids of every database kevgate reads have the shape; secrets, keys,
/// environment lines and trivy's non-vulnerability rule ids do not.
#[test]
fn vulnerability_id_shape() {
    for id in [
        "CVE-2021-44228",
        "cve-2021-44228",
        "GHSA-jpcq-cgw6-v4j6",
        "PYSEC-2021-1",
        "RUSTSEC-2022-0042",
        "MAL-2022-1",
        "GO-2022-0001",
        "RHSA-2021:1234",
        "DSA-5000-1",
        "openSUSE-SU-2024:12345-1",
        "JVNDB-2021-000001",
        "CVE-1",
        "ALSA-2024:1234",
        "SUSE-SU-2024:0001-1",
        "TEMP-0000000-ABCDEF",
        "UBUNTU-CVE-2021-44228",
        "BIT-wordpress-2019-16217",
        "CGA-2xj4-5fq2-9p6v",
    ] {
        assert!(is_vulnerability_id(id), "{id}");
    }
    for not in [
        "",
        "CVE",
        "CVE-",
        "CVE--1",
        "GITHUB_TOKEN=ghs_abc-123",
        "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0-abc",
        "aws-access-key-id",
        "-----BEGIN",
        "CVE-2021-44228;rm",
        "CVE 2021",
        "A-1",
        "<b>X-1",
        // A Slack token, an old OpenAI key, an id with a secret after `:`.
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        "sk-T3BlbkFJ0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9",
        "CVE-2099-6:ghs_SECRETf",
    ] {
        assert!(!is_vulnerability_id(not), "{not}");
    }
    assert!(!is_vulnerability_id(&format!("CVE-{}", "1".repeat(70))));
    // An `ignore` id of another shape is an error naming its line, not its text.
    let err = parse(
        b"ignore:\n  - id: GITHUB_TOKEN=ghs_secret0123\n    reason: r\n",
        ".kevgate.yaml",
    )
    .expect_err("not an id");
    assert_eq!(err.problems.len(), 1);
    assert_eq!(err.problems[0].line, Some(2));
    assert!(!err.to_string().contains("ghs_secret"), "{err}");
}

fn problems(yaml: &str) -> Vec<(Option<u64>, String)> {
    match parse(yaml.as_bytes(), ".kevgate.yaml") {
        Ok(c) => panic!("expected an error, got {c:?}"),
        Err(e) => e
            .problems
            .into_iter()
            .map(|p| (p.line, p.message))
            .collect(),
    }
}

/// The documented example (`docs/config.md` includes this very file) parses.
#[test]
fn documented_example_parses() {
    let bytes = include_bytes!("../../tests/fixtures/config/kevgate.yaml");
    let docs = include_str!("../../docs/config.md");
    let example = std::str::from_utf8(bytes).expect("UTF-8");
    assert!(
        docs.contains(example.trim()),
        "docs/config.md must show tests/fixtures/config/kevgate.yaml verbatim"
    );
    let config = parse(bytes, "kevgate.yaml").expect("the documented example is valid");
    assert_eq!(config.fail_on, Some(FailOn::Critical));
    assert_eq!(config.fail_on_kev, Some(true));
    assert_eq!(config.ignores.len(), 2);
    let log4j = &config.ignores[0];
    assert_eq!(log4j.id, "CVE-2021-44228");
    assert_eq!(log4j.expires, Some(jiff::civil::date(2027, 1, 31)));
    assert_eq!(
        log4j.purls,
        ["pkg:maven/org.apache.logging.log4j/log4j-core"]
    );
    assert!(
        log4j.origin.starts_with("`kevgate.yaml` line "),
        "{}",
        log4j.origin
    );
    assert_eq!(config.vex, ["security/openvex.json"]);
}

/// An empty file is the defaults.
#[test]
fn empty_is_default() {
    assert_eq!(parse(b"", "c").expect("valid"), Config::default());
    assert_eq!(
        parse(b"# nothing\n", "c").expect("valid"),
        Config::default()
    );
}

/// Every problem is reported at once, each with its line.
#[test]
fn every_problem_with_its_line() {
    let yaml = "\
fail-on: severe
ignore:
  - id: CVE-2021-44228
  - id: CVE-2020-11023
    reason: not reachable
    expires: next year
  - reason: no id
    purl: jquery
";
    assert_eq!(
        problems(yaml),
        [
            (
                Some(1),
                "`fail-on` is `severe`; hint: one of `critical`, `high`, `medium`, `low`, `none`"
                    .to_owned()
            ),
            (
                Some(3),
                "the ignore of `CVE-2021-44228` has no `reason`; hint: say why it is safe \
                     to ignore, e.g. `reason: not reachable, see #123`"
                    .to_owned()
            ),
            (
                Some(6),
                "the ignore of `CVE-2020-11023` expires on `next year`, which is not a date; \
                     hint: YYYY-MM-DD, e.g. `2027-01-31`"
                    .to_owned()
            ),
            (
                Some(7),
                "an `ignore` entry has no `id`; hint: the CVE, GHSA or other id to ignore"
                    .to_owned()
            ),
            (
                Some(8),
                "the ignore of `?` has `purl: jquery`, which is not a package URL; hint: \
                     e.g. `pkg:maven/org.apache.logging.log4j/log4j-core`"
                    .to_owned()
            ),
        ]
    );
}

/// Unknown keys are errors with their line, at the top level and in an ignore.
#[test]
fn unknown_keys_rejected() {
    let cases = [
        ("fail-on: high\nfail_on_kev: true\n", 2, "fail_on_kev"),
        (
            "ignore:\n  - id: CVE-1\n    reason: r\n    expiry: 2027-01-01\n",
            4,
            "expiry",
        ),
    ];
    for (yaml, line, key) in cases {
        let p = problems(yaml);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].0, Some(line), "{p:?}");
        assert!(p[0].1.contains(key), "{p:?}");
    }
}

/// Syntax and type errors stop parsing and carry their line; no input panics.
#[test]
fn malformed_inputs_are_errors() {
    let cases: [&[u8]; 6] = [
        b"fail-on: [critical\n",
        b"fail-on-kev: maybe\n",
        b"ignore: CVE-2021-44228\n",
        b"- just\n- a list\n",
        b"\xff\xfe",
        b"ignore:\n  - id: [a, b]\n    reason: r\n",
    ];
    for yaml in cases {
        let err = parse(yaml, "c.yaml").expect_err("invalid");
        assert_eq!(err.problems.len(), 1, "{err}");
        assert!(err.to_string().starts_with("config `c.yaml` is not valid"));
    }
}

/// The extra gate rules parse; `fail-on-epss` must be a score.
#[test]
fn gate_rules() {
    let c = parse(
            b"fail-on-ransomware: true\nfail-on-kev-past-due: true\nfail-on-epss: 0.5\nonly-fixable: true\n",
            "c",
        )
        .expect("valid");
    assert_eq!(c.fail_on_ransomware, Some(true));
    assert_eq!(c.fail_on_kev_past_due, Some(true));
    assert_eq!(c.fail_on_epss, Some(0.5));
    assert_eq!(c.only_fixable, Some(true));
    assert_eq!(
        problems("fail-on-epss: 50\n"),
        [(
            Some(1),
            "`fail-on-epss` is `50`; hint: an EPSS score between 0 and 1, e.g. `0.5`".to_owned()
        )]
    );
}

/// `fail-on` takes every documented value.
#[test]
fn fail_on_values() {
    for (text, want) in [
        ("critical", FailOn::Critical),
        ("HIGH", FailOn::High),
        ("medium", FailOn::Medium),
        ("low", FailOn::Low),
        ("none", FailOn::None),
    ] {
        let c = parse(format!("fail-on: {text}\n").as_bytes(), "c").expect("valid");
        assert_eq!(c.fail_on, Some(want));
    }
}

/// The one `Config -> Policy` conversion: for each setting an override wins, else the file,
/// else the default; the file's ignores come before the others; what only a scan knows
/// stays unset.
#[test]
fn to_policy_overrides_then_file_then_default() {
    use crate::enrich::SeveritySource;
    let file = parse(
        b"fail-on: high\nfail-on-kev: false\nfail-on-malicious: false\nfail-on-ransomware: true\n\
          fail-on-kev-past-due: true\nfail-on-epss: 0.3\nonly-fixable: true\n\
          severity-source: [ghsa, nvd]\nrhel-stream: eus-8.6\n\
          ignore:\n  - id: CVE-2021-44228\n    reason: r\n",
        "c",
    )
    .expect("valid");
    let empty = Config::default();
    let none = Overrides::default();
    let all = Overrides {
        fail_on: Some(FailOn::Low),
        fail_on_kev: Some(true),
        fail_on_malicious: Some(true),
        fail_on_ransomware: Some(false),
        fail_on_kev_past_due: Some(false),
        fail_on_epss: Some(0.9),
        only_fixable: Some(false),
        severity_source: Some(vec![SeveritySource::Osv]),
        rhel_stream: Some("aus-8.4".parse().expect("stream")),
    };
    type Row = (
        FailOn,
        bool,
        bool,
        bool,
        bool,
        Option<f64>,
        bool,
        Vec<SeveritySource>,
        Option<String>,
    );
    let view = |p: &Policy| -> Row {
        (
            p.fail_on,
            p.fail_on_kev,
            p.fail_on_malicious,
            p.fail_on_ransomware,
            p.fail_on_kev_past_due,
            p.fail_on_epss,
            p.only_fixable,
            p.severity_source.clone(),
            p.rhel_stream.as_ref().map(ToString::to_string),
        )
    };
    let default = Policy::default();
    let cases: [(&str, &Config, &Overrides, Row); 4] = [
        ("nothing set: the defaults", &empty, &none, view(&default)),
        (
            "the file alone",
            &file,
            &none,
            (
                FailOn::High,
                false,
                false,
                true,
                true,
                Some(0.3),
                true,
                vec![SeveritySource::Ghsa, SeveritySource::Nvd],
                Some("eus-8.6".to_owned()),
            ),
        ),
        (
            "overrides over the file",
            &file,
            &all,
            (
                FailOn::Low,
                true,
                true,
                false,
                false,
                Some(0.9),
                false,
                vec![SeveritySource::Osv],
                Some("aus-8.4".to_owned()),
            ),
        ),
        (
            "overrides over the defaults",
            &empty,
            &all,
            (
                FailOn::Low,
                true,
                true,
                false,
                false,
                Some(0.9),
                false,
                vec![SeveritySource::Osv],
                Some("aus-8.4".to_owned()),
            ),
        ),
    ];
    for (what, config, overrides, want) in cases {
        let policy = config.to_policy(overrides, Vec::new());
        assert_eq!(view(&policy), want, "{what}");
        assert!(
            policy.baseline.is_none() && !policy.fail_on_new_only,
            "{what}"
        );
        assert!(policy.added_exceptions.is_none(), "{what}");
    }
    // The file's ignores first, then the others, in order.
    let more = Ignore {
        id: "CVE-2020-11023".to_owned(),
        reason: "vex".to_owned(),
        expires: None,
        purls: Vec::new(),
        source: IgnoreSource::Config,
        origin: "other".to_owned(),
    };
    let ids: Vec<String> = file
        .to_policy(&none, vec![more])
        .ignores
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(ids, ["CVE-2021-44228", "CVE-2020-11023"]);
}
