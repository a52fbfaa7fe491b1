//! `kevgate report`: the weekly report over a fake repository with a few months of tracking
//! issues (state blocks as `kevgate track` writes them), read through a loopback fake GitHub
//! API whose answers and requests are checked against GitHub's OpenAPI description.

use crate::action::fake;
use crate::notify::{WEBHOOK_PATH, assert_valid_slack};
use crate::{TempDir, kevgate, run};
use jiff::civil::Date;
use kevgate::track::state::{
    self, Class, FixedBy, Notified, TrackState, Transition, TransitionKind,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const ISSUES_API: &str = include_str!("../fixtures/github/issues.subset.json");
const TOKEN: &str = "ghs_not_a_real_report_token";

fn api() -> Value {
    serde_json::from_str(ISSUES_API).expect("OpenAPI subset is JSON")
}

/// OpenAPI 3.0's `nullable: true` as JSON Schema: `null` joins the `type` (JSON Schema
/// validators ignore `nullable`, and GitHub's examples hold `null`s).
fn nullable(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if o.get("nullable") == Some(&Value::Bool(true))
                && let Some(Value::String(t)) = o.get("type").cloned()
            {
                o.insert("type".into(), json!([t, "null"]));
            }
            if o.get("nullable") == Some(&Value::Bool(true))
                && let Some(Value::Array(all)) = o.get("allOf").cloned()
            {
                o.remove("allOf");
                o.insert("anyOf".into(), json!([{"allOf": all}, {"type": "null"}]));
            }
            o.values_mut().for_each(nullable);
        }
        Value::Array(a) => a.iter_mut().for_each(nullable),
        _ => {}
    }
}

/// Validates `body` against `schema` with the description's components.
fn assert_schema(schema: &Value, body: &Value, what: &str) {
    let mut schema = json!({"allOf": [schema], "components": api()["components"]});
    nullable(&mut schema);
    let validator = jsonschema::draft7::new(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

fn assert_valid_request(method: &str, template: &str, body: &Value) {
    let schema = api()["paths"][template][method.to_ascii_lowercase()]["requestBody"]["content"]
        ["application/json"]["schema"]
        .clone();
    assert!(schema.is_object(), "no schema for {method} {template}");
    assert_schema(&schema, body, &format!("{method} {template}"));
}

fn d(s: &str) -> Date {
    s.parse().expect("date")
}

/// A tracking issue's state: `steps` are (kind, day) in order.
fn tracked(
    package: &str,
    vuln: &str,
    class: Class,
    due: Option<&str>,
    steps: &[(TransitionKind, &str)],
    fixed_by: Option<(u64, &str, &[&str])>,
) -> TrackState {
    TrackState {
        v: 1,
        key: format!("pkg:npm/{package} {vuln}"),
        package: format!("pkg:npm/{package}"),
        name: package.to_owned(),
        vulnerability: vuln.to_owned(),
        aliases: vec![],
        class,
        first_seen: d(steps[0].1),
        due: due.map(d),
        places: BTreeMap::new(),
        transitions: steps
            .iter()
            .enumerate()
            .map(|(i, (kind, at))| Transition {
                id: i as u32 + 1,
                kind: *kind,
                at: d(at),
                place: "default-branch".into(),
                revision: "a".repeat(40),
                reason: None,
            })
            .collect(),
        notified: Notified::default(),
        fixed_by: fixed_by.map(|(pr, author, commits)| FixedBy {
            pr,
            author: author.into(),
            commit_authors: commits.iter().map(|c| (*c).to_owned()).collect(),
            merged_at: None,
            sha: "b".repeat(40),
            upgrade: Some("1.0.0 → 1.0.1".into()),
        }),
    }
}

/// An issue as GitHub lists it: the OpenAPI example with number, state, body and URL set.
fn listed(number: u64, open: bool, body: &str) -> Value {
    let mut i = api()["components"]["examples"]["issue-items"]["value"][0].clone();
    i["number"] = number.into();
    i["state"] = if open { "open" } else { "closed" }.into();
    i["body"] = body.into();
    i["html_url"] = format!("https://github.com/Codertocat/Hello-World/issues/{number}").into();
    i.as_object_mut().expect("an issue").remove("pull_request");
    i
}

/// The fake repository, today 2025-08-26 (`KEVGATE_NOW`):
/// - #1 KEV log4j, opened 07-01, fixed 08-21 by @octocat's PR 7 (commits @hubot, @octocat)
/// - #2 KEV jquery, opened 08-01, open, due 08-15 (overdue)
/// - #3 critical lodash, opened 08-22, open, due 09-05
/// - #4 critical minimist, opened 08-10, fixed 08-24 by @hubot's PR 9
/// - #5 high qs, opened 06-01, fixed 06-11 (no credit)
/// - #6 KEV axios, opened 05-01, fixed 05-11 (over 90 days ago), reopened 08-25, due 05-22
/// - #7 critical tar, opened 08-05, fixed 08-08 (before the period)
/// - #8 a pull request with the label, #9 a garbled state, #10 someone else's issue.
fn issues() -> Vec<Value> {
    use TransitionKind::{Fixed, Opened, Reopened};
    let states = [
        (
            1,
            false,
            tracked(
                "log4j",
                "CVE-2021-44228",
                Class::Kev,
                Some("2025-07-22"),
                &[(Opened, "2025-07-01"), (Fixed, "2025-08-21")],
                Some((7, "octocat", &["hubot", "octocat"])),
            ),
        ),
        (
            2,
            true,
            tracked(
                "jquery",
                "CVE-2020-11023",
                Class::Kev,
                Some("2025-08-15"),
                &[(Opened, "2025-08-01")],
                None,
            ),
        ),
        (
            3,
            true,
            tracked(
                "lodash",
                "CVE-2021-23337",
                Class::Critical,
                Some("2025-09-05"),
                &[(Opened, "2025-08-22")],
                None,
            ),
        ),
        (
            4,
            false,
            tracked(
                "minimist",
                "CVE-2021-44906",
                Class::Critical,
                Some("2025-08-24"),
                &[(Opened, "2025-08-10"), (Fixed, "2025-08-24")],
                Some((9, "hubot", &["hubot"])),
            ),
        ),
        (
            5,
            false,
            tracked(
                "qs",
                "CVE-2022-24999",
                Class::High,
                None,
                &[(Opened, "2025-06-01"), (Fixed, "2025-06-11")],
                None,
            ),
        ),
        (
            6,
            true,
            tracked(
                "axios",
                "CVE-2023-45857",
                Class::Kev,
                Some("2025-05-22"),
                &[
                    (Opened, "2025-05-01"),
                    (Fixed, "2025-05-11"),
                    (Reopened, "2025-08-25"),
                ],
                None,
            ),
        ),
        (
            7,
            false,
            tracked(
                "tar",
                "CVE-2024-28863",
                Class::Critical,
                Some("2025-08-19"),
                &[(Opened, "2025-08-05"), (Fixed, "2025-08-08")],
                None,
            ),
        ),
    ];
    let mut out: Vec<Value> = states
        .iter()
        .map(|(n, open, s)| {
            let body = format!(
                "{}\n\nCVE in a package <b>&</b>\n\n{}",
                state::key_marker(&s.key),
                state::render(s)
            );
            assert!(matches!(state::parse(&body), state::Parsed::Tracked(_)));
            listed(*n, *open, &body)
        })
        .collect();
    let mut pr = listed(8, true, "a pull request");
    pr["pull_request"] =
        api()["components"]["examples"]["issue-items"]["value"][0]["pull_request"].clone();
    assert!(pr["pull_request"].is_object());
    out.push(pr);
    out.push(listed(
        9,
        true,
        &format!(
            "{}\n<!-- kevgate:state\n{{\"v\": 1}}\n-->",
            state::key_marker("pkg:npm/x CVE-1")
        ),
    ));
    out.push(listed(10, true, "not kevgate's"));
    out
}

/// A fake GitHub: the issues above on one page; the report issue missing (then created,
/// number 11); GraphQL answering the pin.
fn github() -> fake::Fake {
    let list = Value::from(issues());
    assert_schema(
        &api()["paths"]["/repos/{owner}/{repo}/issues"]["get"]["responses"]["200"]["content"]["application/json"]
            ["schema"],
        &list,
        "the fake's issue list",
    );
    let list: &'static str = Box::leak(list.to_string().into_boxed_str());
    let mut created = api()["components"]["examples"]["issue"]["value"].clone();
    created["number"] = 11.into();
    let created: &'static str = Box::leak(created.to_string().into_boxed_str());
    fake::serve(move |method, path, _| match (method, path) {
        ("GET", p) if p.starts_with("/repos/Codertocat/Hello-World/issues?labels=kevgate&") => {
            (200, list, vec![])
        }
        ("GET", p)
            if p.starts_with("/repos/Codertocat/Hello-World/issues?labels=kevgate-report&") =>
        {
            (200, "[]", vec![])
        }
        ("POST", "/repos/Codertocat/Hello-World/issues") => (201, created, vec![]),
        ("POST", "/graphql") => (
            200,
            r#"{"data": {"pinIssue": {"issue": {"number": 11}}}}"#,
            vec![],
        ),
        _ => (404, r#"{"message": "Not Found"}"#, vec![]),
    })
}

fn report(tmp: &TempDir, url: &str) -> std::process::Command {
    let mut cmd = kevgate(tmp.path());
    cmd.args([
        "report",
        "--repo",
        "Codertocat/Hello-World",
        "--since",
        "7d",
    ])
    .env("GITHUB_API_URL", url)
    .env("GITHUB_TOKEN", TOKEN);
    cmd
}

/// Counts, credits, overdue order, medians and the weekly series, from the JSON report.
#[test]
fn report_counts_credits_and_medians() {
    let gh = github();
    let tmp = TempDir::new("weekly-json");
    let (code, stdout, stderr) =
        run(report(&tmp, &gh.url).args(["--format", "json", "--chart", "chart.svg"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));
    assert!(stderr.contains("issue #9 is left out"), "{stderr}");
    let w: Value = serde_json::from_str(&stdout).expect("JSON report");
    assert_eq!(w["schema_version"], 1);
    assert_eq!(
        (w["since"].as_str(), w["until"].as_str()),
        (Some("2025-08-20"), Some("2025-08-26"))
    );
    let issues = |key: &str| -> Vec<u64> {
        w[key]
            .as_array()
            .expect("a list")
            .iter()
            .map(|e| e["issue"].as_u64().expect("issue"))
            .collect()
    };
    assert_eq!(issues("opened"), [3, 6]);
    assert_eq!(issues("fixed"), [1, 4]);
    assert_eq!(
        issues("open"),
        [6, 2, 3],
        "overdue first, most overdue first"
    );
    assert_eq!(w["open"][0]["overdue_days"], 96);
    assert_eq!(w["open"][1]["age_days"], 25);
    assert_eq!(w["open_by_class"], json!({"kev": 2, "critical": 1}));
    assert_eq!(w["fixed"][0]["fixed_by"]["author"], "octocat");
    assert_eq!(w["fixed"][0]["days_to_fix"], 51);
    assert_eq!(
        w["thanks"],
        json!([{"login": "hubot", "fixes": 2, "prs": [7, 9]}, {"login": "octocat", "fixes": 1, "prs": [7]}])
    );
    assert_eq!(
        w["time_to_fix"],
        json!({
            "critical": {"fixes": 2, "median_days": 8.5, "p90_days": 14},
            "high": {"fixes": 1, "median_days": 10.0, "p90_days": 10},
            "kev": {"fixes": 1, "median_days": 51.0, "p90_days": 51},
        })
    );
    let weeks = w["weeks"].as_array().expect("weeks");
    assert_eq!(weeks.len(), 12);
    assert_eq!(
        weeks[11],
        json!({"end": "2025-08-26", "open": {"critical": 1, "high": 0, "kev": 2, "malicious": 0}, "fixed": 2})
    );
    assert_eq!(weeks[10]["end"], "2025-08-19");
    assert_eq!(weeks[10]["fixed"], 0, "08-13 to 08-19 has no fix");
    assert_eq!(weeks[9]["fixed"], 1, "#7, fixed 08-08");
    assert_eq!(weeks[9]["open"]["critical"], 1, "#4 open since 08-10");

    // The chart is an SVG document: it parses as XML, with a line per class.
    let svg = fs_err::read_to_string(tmp.path().join("chart.svg")).expect("chart written");
    let doc = roxmltree::Document::parse(&svg).expect("the chart is XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    assert!(
        doc.descendants()
            .filter(|n| n.has_tag_name("polyline"))
            .count()
            >= 4,
        "{svg}"
    );
    for label in ["open kev", "open critical", "fixed that week", "08-26"] {
        assert!(svg.contains(label), "{label}");
    }

    // The listing is the tracking issues' (label, all states, paginated).
    let reqs = gh.requests.lock().expect("lock").clone();
    assert_eq!(reqs.len(), 1);
    assert!(
        reqs[0]
            .path
            .contains("labels=kevgate&state=all&per_page=100&page=1"),
        "{:?}",
        reqs[0]
    );
    assert_eq!(reqs[0].authorization, format!("Bearer {TOKEN}"));
}

/// Markdown: the thank-you list (logins shown, not mentioned), overdue marked, hostile text
/// escaped; `--post` creates the report issue with its label and marker, pins it, and sends
/// the Slack digest; no secret in the output.
#[test]
fn report_markdown_and_post() {
    let gh = github();
    let hook = fake::serve(|_, _, _| (200, "ok", vec![]));
    let tmp = TempDir::new("weekly-post");
    let (code, stdout, stderr) = run(report(&tmp, &gh.url).arg("--post").env(
        "KEVGATE_SLACK_WEBHOOK",
        format!("{}{WEBHOOK_PATH}", hook.url),
    ));
    assert_eq!(code, 0, "{stderr}");
    for out in [&stdout, &stderr] {
        assert!(!out.contains(TOKEN) && !out.contains(WEBHOOK_PATH), "{out}");
    }
    insta::assert_snapshot!("weekly-markdown", stdout);
    assert!(
        stdout.contains("**2** opened, **2** fixed, **3** open (2 overdue)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("@&#8203;hubot — 2 fixes (#7, #9)"),
        "{stdout}"
    );
    assert!(stdout.contains("days overdue"), "{stdout}");
    assert!(stdout.contains("| critical | 2 | 8.5 | 14 |"), "{stdout}");
    assert!(stderr.contains("weekly report in issue #11"), "{stderr}");
    assert!(stderr.contains("weekly digest sent to Slack"), "{stderr}");

    let reqs = gh.requests.lock().expect("lock").clone();
    let post = reqs
        .iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/issues"))
        .expect("created");
    assert_valid_request("POST", "/repos/{owner}/{repo}/issues", &post.body);
    assert_eq!(post.body["title"], "kevgate weekly report");
    assert_eq!(post.body["labels"], json!(["kevgate-report"]));
    assert!(
        post.body["body"]
            .as_str()
            .expect("body")
            .starts_with("<!-- kevgate:weekly-report -->")
    );
    let pin = reqs.iter().find(|r| r.path == "/graphql").expect("pinned");
    assert!(
        pin.body["query"]
            .as_str()
            .expect("query")
            .contains("pinIssue")
    );
    let slack = hook.requests.lock().expect("lock").clone();
    assert_eq!(slack.len(), 1);
    assert_valid_slack(&slack[0].body);
    assert!(slack[0].body.to_string().contains("Thank you"));
}

/// An existing report issue (label and marker) is edited in place, not duplicated.
#[test]
fn report_issue_is_edited_in_place() {
    let list = Value::from(issues()).to_string();
    let list: &'static str = Box::leak(list.into_boxed_str());
    let existing = Value::from(vec![listed(
        11,
        true,
        "<!-- kevgate:weekly-report -->\nlast week",
    )])
    .to_string();
    let existing: &'static str = Box::leak(existing.into_boxed_str());
    let gh = fake::serve(move |method, path, _| match (method, path) {
        ("GET", p) if p.contains("labels=kevgate&") => (200, list, vec![]),
        ("GET", p) if p.contains("labels=kevgate-report&") => (200, existing, vec![]),
        ("PATCH", "/repos/Codertocat/Hello-World/issues/11") => (200, "{}", vec![]),
        _ => (404, r#"{"message": "Not Found"}"#, vec![]),
    });
    let tmp = TempDir::new("weekly-edit");
    let (code, _, stderr) = run(report(&tmp, &gh.url).arg("--post"));
    assert_eq!(code, 0, "{stderr}");
    let reqs = gh.requests.lock().expect("lock").clone();
    let methods: Vec<&str> = reqs.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(methods, ["GET", "GET", "PATCH"], "{reqs:?}");
    assert_valid_request(
        "PATCH",
        "/repos/{owner}/{repo}/issues/{issue_number}",
        &reqs[2].body,
    );
    assert!(stderr.contains("issue #11"), "{stderr}");
}

/// GitHub unreachable: exit 2 with a one-line error.
#[test]
fn report_without_github_is_an_error() {
    let tmp = TempDir::new("weekly-down");
    let (code, _, stderr) = run(&mut report(&tmp, "http://127.0.0.1:9"));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("cannot read the tracking issues"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}
