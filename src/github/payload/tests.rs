//! Payload tests: every body validates against GitHub's OpenAPI request-body schema
//! (octokit/openapi, `tests/fixtures/github/checks-statuses-comments-pulls.subset.json`).

use super::*;
use crate::report::fixture;
use serde_json::Value;

const SUBSET: &str =
    include_str!("../../../tests/fixtures/github/checks-statuses-comments-pulls.subset.json");

/// The request-body schema of `method path`, with `$ref`s into `components` inlined.
pub(crate) fn request_schema(method: &str, path: &str) -> Value {
    let api: Value = serde_json::from_str(SUBSET).expect("the OpenAPI subset is JSON");
    let schema =
        api["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"].clone();
    assert!(schema.is_object(), "no request body for {method} {path}");
    inline_refs(schema, &api, 0)
}

fn inline_refs(v: Value, api: &Value, depth: usize) -> Value {
    assert!(depth < 32, "recursive $ref");
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                let pointer = r.strip_prefix('#').expect("a local $ref");
                let target = api.pointer(pointer).expect("the $ref resolves").clone();
                return inline_refs(target, api, depth + 1);
            }
            Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, inline_refs(v, api, depth)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| inline_refs(v, api, depth))
                .collect(),
        ),
        other => other,
    }
}

/// Keys of `body` that the schema does not declare (GitHub ignores unknown fields, so a
/// typo would pass the schema silently; this catches it).
fn undeclared(body: &Value, schema: &Value, at: &str, out: &mut Vec<String>) {
    match body {
        Value::Object(map) => {
            let props = &schema["properties"];
            for (k, v) in map {
                match props.get(k) {
                    Some(s) => undeclared(v, s, &format!("{at}.{k}"), out),
                    None => out.push(format!("{at}.{k}")),
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                undeclared(v, &schema["items"], &format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Validates `body` against the request schema of `method path`; panics with every error.
pub(crate) fn assert_valid(method: &str, path: &str, body: &Value) {
    let schema = request_schema(method, path);
    let validator = jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the request schema compiles");
    let mut errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    undeclared(body, &schema, "", &mut errors);
    assert!(errors.is_empty(), "{method} {path}: {errors:#?}");
}

const CREATE: (&str, &str) = ("post", "/repos/{owner}/{repo}/check-runs");
const UPDATE: (&str, &str) = ("patch", "/repos/{owner}/{repo}/check-runs/{check_run_id}");
const STATUS: (&str, &str) = ("post", "/repos/{owner}/{repo}/statuses/{sha}");
const COMMENT_CREATE: (&str, &str) = (
    "post",
    "/repos/{owner}/{repo}/issues/{issue_number}/comments",
);
const COMMENT_UPDATE: (&str, &str) = (
    "patch",
    "/repos/{owner}/{repo}/issues/comments/{comment_id}",
);

fn target() -> Target<'static> {
    Target {
        check_name: DEFAULT_CHECK_NAME,
        sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
        run_url: Some("https://github.com/o/r/actions/runs/1"),
    }
}

fn json<T: Serialize>(t: &T) -> Value {
    serde_json::to_value(t).expect("payloads serialize")
}

/// The evaluation with `n` findings (copies of the fixture's, distinct ids).
fn with_findings(n: usize) -> Evaluation {
    let mut ev = fixture::evaluation();
    let base = ev.findings.clone();
    ev.findings = (0..n)
        .map(|i| {
            let mut e = base[i % base.len()].clone();
            e.finding.id = format!("CVE-2099-{i:05}").into();
            e
        })
        .collect();
    ev.remediation = crate::remediation::plan(&ev.findings);
    ev
}

/// The validator rejects what GitHub would: the schemas really are applied.
#[test]
fn schema_rejects_bad_bodies() {
    let run = check_run(&fixture::evaluation(), target());
    let good = json(&run.create);
    assert_valid(CREATE.0, CREATE.1, &good);
    let schema = request_schema(CREATE.0, CREATE.1);
    let validator = jsonschema::draft7::new(&schema).expect("compiles");
    let mut bad = good.clone();
    bad["conclusion"] = "fatal".into();
    assert!(!validator.is_valid(&bad));
    let mut bad = good.clone();
    bad.as_object_mut().expect("object").remove("conclusion");
    assert!(!validator.is_valid(&bad), "completed needs a conclusion");
    let mut bad = good;
    bad["output"]["annotations"][0]["annotation_level"] = "error".into();
    assert!(!validator.is_valid(&bad));
}

/// The fixture's payloads, all validated; the check run carries the verdict.
#[test]
fn fixture_payloads_validate() {
    let ev = fixture::evaluation();
    let run = check_run(&ev, target());
    let create = json(&run.create);
    assert_valid(CREATE.0, CREATE.1, &create);
    assert!(run.updates.is_empty());
    assert_eq!(create["conclusion"], "failure");
    assert_eq!(create["name"], "kevgate");
    assert_eq!(
        create["head_sha"],
        "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
    );
    assert_eq!(
        create["output"]["annotations"].as_array().map(Vec::len),
        Some(ev.findings.len())
    );
    insta::assert_json_snapshot!("check_run_create", create);

    let status = json(&commit_status(&ev, target()));
    assert_valid(STATUS.0, STATUS.1, &status);
    insta::assert_json_snapshot!(status, @r#"
    {
      "context": "kevgate",
      "description": "gate failed: 8 findings, 4 failing",
      "state": "failure",
      "target_url": "https://github.com/o/r/actions/runs/1"
    }
    "#);

    let c = json(&comment(&ev, target().run_url));
    assert_valid(COMMENT_CREATE.0, COMMENT_CREATE.1, &c);
    assert_valid(COMMENT_UPDATE.0, COMMENT_UPDATE.1, &c);
    let body = c["body"].as_str().expect("body");
    assert!(body.starts_with("<!-- kevgate:comment -->\n"));
    assert!(is_kevgate_comment(body));
    assert!(!is_kevgate_comment("Me too"));
}

/// Conclusion per verdict: `failure` or `success`, never `neutral`.
#[test]
fn conclusion_per_verdict() {
    let mut ev = fixture::evaluation();
    for (verdict, want) in [(Verdict::Fail, "failure"), (Verdict::Pass, "success")] {
        ev.verdict = verdict;
        let run = check_run(&ev, target());
        assert_eq!(run.create.conclusion, want);
        assert_eq!(commit_status(&ev, target()).state, want);
        assert_valid(CREATE.0, CREATE.1, &json(&run.create));
    }
    // No findings at all: success, no annotations, still valid.
    let mut ev = with_findings(0);
    ev.verdict = Verdict::Pass;
    let run = check_run(&ev, target());
    assert_eq!(run.create.conclusion, "success");
    assert!(run.create.output.annotations.is_empty());
    assert_valid(CREATE.0, CREATE.1, &json(&run.create));
}

/// 120 findings: 50 annotations with the create, then two PATCHes of 50 and 20; every
/// request validates (`maxItems: 50`).
#[test]
fn annotations_in_batches_of_50() {
    let ev = with_findings(120);
    let run = check_run(&ev, target());
    let sizes: Vec<usize> = std::iter::once(run.create.output.annotations.len())
        .chain(run.updates.iter().map(|u| u.output.annotations.len()))
        .collect();
    assert_eq!(sizes, [50, 50, 20]);
    assert_valid(CREATE.0, CREATE.1, &json(&run.create));
    for u in &run.updates {
        assert_valid(UPDATE.0, UPDATE.1, &json(u));
    }
    // Every finding is annotated exactly once, in order.
    let titles: Vec<&str> = std::iter::once(&run.create.output)
        .chain(run.updates.iter().map(|u| &u.output))
        .flat_map(|o| o.annotations.iter().map(|a| a.title.as_str()))
        .collect();
    assert_eq!(titles.len(), 120);
    assert!(titles[119].starts_with("CVE-2099-00119 in "));
}

/// 50,000 findings (issue 10): 1,000 annotations in 20 requests, failing ones first, the
/// last counting the 49,001 left out; the report sent once (with the last batch; `finish`
/// holds it alone), one-line summaries before; every body valid; under 1.5 MB in all.
#[test]
fn fifty_thousand_findings_are_bounded() {
    let n = 50_000;
    let ev = with_findings(n);
    let run = check_run(&ev, target());
    let outputs: Vec<&Output> = std::iter::once(&run.create.output)
        .chain(run.updates.iter().map(|u| &u.output))
        .collect();
    assert_eq!(outputs.len(), 20);
    let annotations: Vec<&Annotation> = outputs.iter().flat_map(|o| &o.annotations).collect();
    assert_eq!(annotations.len(), MAX_ANNOTATIONS);
    let levels: Vec<&str> = annotations.iter().map(|a| a.annotation_level).collect();
    let first_other = levels
        .iter()
        .position(|l| *l != "failure")
        .unwrap_or(levels.len());
    assert!(
        levels[first_other..999].iter().all(|l| *l != "failure"),
        "failures first"
    );
    assert_eq!(
        annotations[999].title,
        format!("{} more findings not annotated", n - 999)
    );
    let long: Vec<usize> = (0..outputs.len())
        .filter(|&i| outputs[i].summary.len() > 500)
        .collect();
    assert_eq!(long, [19]);
    assert_eq!(outputs[19].summary, run.finish.output.summary);
    assert!(run.finish.output.annotations.is_empty());
    assert!(outputs[19].summary.len() <= 65_535);
    assert!(outputs[19].summary.ends_with(&format!(
        "999 of {n} findings are annotated; {} more are not (kevgate annotates at most 1000 \
         per run, failing findings first).",
        n - 999
    )));
    let bytes = json(&run.create).to_string().len()
        + run
            .updates
            .iter()
            .map(|u| json(u).to_string().len())
            .sum::<usize>();
    assert!(bytes < 1_500_000, "{bytes}");
    assert_valid(CREATE.0, CREATE.1, &json(&run.create));
    for u in run.updates.iter().chain([&run.finish]) {
        assert_valid(UPDATE.0, UPDATE.1, &json(u));
    }
}

/// A summary that would exceed 65,535 bytes is cut below it and links the full report;
/// the comment stays under its own limit with the marker first.
#[test]
fn summary_truncation() {
    let ev = with_findings(3000);
    let run = check_run(&ev, target());
    let summary = &run.updates.last().expect("updates").output.summary;
    assert!(summary.len() <= 65_535, "{}", summary.len());
    assert!(
        summary.contains("https://github.com/o/r/actions/runs/1"),
        "no link to the full report"
    );
    assert_valid(CREATE.0, CREATE.1, &json(&run.create));
    let c = comment(&ev, target().run_url);
    assert!(c.body.len() <= COMMENT_MAX_BYTES);
    assert!(c.body.starts_with(DEFAULT_MARKER));
}

/// Hostile SBOM text (the fixture's `HOSTILE_NAME`: HTML, a mention, a table break, a
/// workflow command, ANSI and bidi controls, newlines) cannot inject anything: annotations
/// are single-line-safe plain text, the Markdown bodies escape it.
#[test]
fn hostile_text_is_inert() {
    let mut ev = fixture::evaluation();
    let mut e = ev.findings[0].clone();
    e.finding.component.name = fixture::HOSTILE_NAME.to_owned();
    e.finding.component.file_path = Some("a\n::error::pwned\u{1b}[31m".to_owned());
    e.finding.summary = Some("</details>\n\n::set-output name=verdict::pass\n<script>".into());
    e.finding.id = "CVE-1\r\n::add-mask::x".into();
    ev.findings.insert(0, e);
    let run = check_run(&ev, target());
    let a = &run.create.output.annotations[0];
    for s in [&a.path, &a.title] {
        assert!(!s.contains(['\n', '\r', '\u{1b}', '\u{202E}']), "{s:?}");
    }
    // The message has one line of ours between the facts and the summary, no others.
    assert_eq!(a.message.lines().count(), 2, "{:?}", a.message);
    assert!(!a.message.contains(['\r', '\u{1b}', '\u{202E}']));
    assert!(a.message.lines().all(|l| !l.starts_with("::")));
    assert_valid(CREATE.0, CREATE.1, &json(&run.create));

    for body in [run.create.output.summary.clone(), comment(&ev, None).body] {
        assert!(!body.contains("<img"), "{body}");
        assert!(!body.contains("</details><"), "{body}");
        assert!(!body.contains("<script>"), "{body}");
        assert!(!body.contains("@org/team"), "{body}");
        assert!(!body.contains('\u{1b}'));
        assert!(body.lines().all(|l| !l.starts_with("::")), "{body}");
    }
}

/// A known-malicious finding (issue 10, item 4) is a `failure` annotation whose message says
/// so, and the check summary carries the caution headline.
#[test]
fn malicious_finding_is_a_failure_annotation() {
    let mut ev = fixture::evaluation();
    ev.findings.truncate(1);
    let e = &mut ev.findings[0];
    e.finding.malicious = true;
    e.decision = crate::policy::Decision::Fail;
    e.reasons = vec![crate::policy::Reason::Malicious];
    ev.remediation = crate::remediation::plan(&ev.findings);
    let run = check_run(&ev, target());
    let a = &run.create.output.annotations[0];
    assert_eq!(a.annotation_level, "failure");
    assert!(
        a.message.contains("known-malicious package"),
        "{}",
        a.message
    );
    assert!(a.message.contains("Malicious: "), "{}", a.message);
    assert!(
        run.create
            .output
            .summary
            .contains("known-malicious package version"),
        "{}",
        run.create.output.summary
    );
    assert_valid(CREATE.0, CREATE.1, &json(&run.create));
}

/// The annotation and the SARIF result say the same thing about a finding (one message
/// builder, issue 12 item 5): the annotation is that message plus the summary line, so KEV's
/// required action and known ransomware use reach the annotation too.
#[test]
fn annotation_message_is_the_sarif_message() {
    let mut ev = fixture::evaluation();
    let i = ev
        .findings
        .iter()
        .position(|e| e.finding.kev.is_some())
        .expect("the fixture has a KEV finding");
    ev.findings[i]
        .finding
        .kev
        .as_mut()
        .expect("a KEV finding")
        .ransomware = true;
    let e = &ev.findings[i];
    let message = crate::report::finding_message(e);
    assert!(
        message.ends_with(" Known ransomware campaign use."),
        "{message}"
    );
    let run = check_run(&ev, target());
    let a = run
        .create
        .output
        .annotations
        .iter()
        .find(|a| a.message.starts_with(&message))
        .expect("the KEV finding's annotation");
    assert!(
        a.message.contains("KEV required action (due "),
        "{}",
        a.message
    );
    let mut sarif = Vec::new();
    crate::report::sarif::write(&ev, &mut sarif).expect("writes");
    let sarif = String::from_utf8(sarif).expect("utf-8");
    assert!(
        sarif.contains(&serde_json::to_string(&message).expect("a string")),
        "the SARIF result carries the same message"
    );
}
