//! `kevgate track` (issue 13 item 1, issue 15 item 3): tracking issues against a stateful
//! loopback fake of GitHub's issues, labels, comments and pulls API. Every request body is
//! checked against GitHub's OpenAPI description (`tests/fixtures/github/issues.subset.json`
//! and the checks subset), with no property the operation does not declare, and every GET
//! against the query parameters it declares; the fake's answers are built from the
//! description's own examples and checked against its response schemas.

use crate::action::TOKEN;
use crate::action::fake::{self, OwnedAnswer, Recorded};
use crate::scan::build_kev_hits_db;
use crate::{TempDir, fixture, kevgate, run};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::{Arc, Mutex};

const REPO: &str = "/repos/Codertocat/Hello-World";
const SHA1: &str = "1111111111111111111111111111111111111111";
const SHA2: &str = "2222222222222222222222222222222222222222";
const SHA3: &str = "3333333333333333333333333333333333333333";

/// The fake repository's issues, labels and comments.
#[derive(Default)]
pub(crate) struct Repo {
    /// Answer the first `POST /issues` with a secondary rate limit (403, `retry-after: 1`).
    rate_limit_first_create: bool,
    pub(crate) issues: Vec<Value>,
    labels: Vec<String>,
    comments: Vec<(u64, String)>,
}

fn example(template: &str, name: &str) -> Value {
    fake::api_for(template)["components"]["examples"][name]["value"].clone()
}

/// An issue object as GitHub answers (the OpenAPI `issue` example with our fields).
fn issue_object(number: u64, title: &str, body: &str, labels: &[String], open: bool) -> Value {
    let mut i = example("/repos/{owner}/{repo}/issues", "issue");
    i["number"] = number.into();
    i["id"] = (1000 + number).into();
    i["title"] = title.into();
    i["body"] = body.into();
    i["state"] = if open { "open" } else { "closed" }.into();
    // The example's `closed_at: null` is OpenAPI 3.0 `nullable`, which the draft-7 validator
    // cannot read; kevgate does not read the field.
    i["closed_at"] = "2011-04-22T13:33:48Z".into();
    i["html_url"] = format!("https://github.com/Codertocat/Hello-World/issues/{number}").into();
    let label = example("/repos/{owner}/{repo}/labels", "label");
    i["labels"] = labels
        .iter()
        .map(|n| {
            let mut l = label.clone();
            l["name"] = n.as_str().into();
            l
        })
        .collect::<Vec<_>>()
        .into();
    if let Some(o) = i.as_object_mut() {
        o.remove("pull_request");
    }
    i
}

/// The path template of a request, with the query split off.
fn template(path: &str) -> (String, &str) {
    let (p, q) = path.split_once('?').unwrap_or((path, ""));
    let rest = p.strip_prefix(REPO).unwrap_or(p);
    let segs: Vec<&str> = rest.split('/').collect();
    let t = match segs.as_slice() {
        ["", "issues"] => "/issues".to_owned(),
        ["", "issues", _] => "/issues/{issue_number}".to_owned(),
        ["", "issues", _, "comments"] => "/issues/{issue_number}/comments".to_owned(),
        ["", "labels"] => "/labels".to_owned(),
        ["", "commits", _, "pulls"] => "/commits/{commit_sha}/pulls".to_owned(),
        ["", "pulls", _, "commits"] => "/pulls/{pull_number}/commits".to_owned(),
        _ => rest.to_owned(),
    };
    (format!("/repos/{{owner}}/{{repo}}{t}"), q)
}

/// Checks a request against the OpenAPI description: the operation exists, a GET uses only
/// declared query parameters, a body matches the request schema and has no undeclared key.
fn check_request(r: &Recorded) {
    let (t, query) = template(&r.path);
    let api = fake::api_for(&t);
    let op = &api["paths"][&t][r.method.to_ascii_lowercase()];
    assert!(op.is_object(), "no {} {t} in GitHub's API", r.method);
    assert_eq!(r.authorization, format!("Bearer {TOKEN}"));
    let declared: Vec<String> = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| match p["$ref"].as_str() {
            Some(rf) => {
                api["components"]["parameters"][rf.rsplit('/').next().unwrap_or("")]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            }
            None => p["name"].as_str().unwrap_or_default().to_owned(),
        })
        .collect();
    for pair in query.split('&').filter(|q| !q.is_empty()) {
        let name = pair.split('=').next().unwrap_or_default();
        assert!(declared.iter().any(|d| d == name), "query `{name}` of {t}");
    }
    if r.method != "GET" {
        fake::assert_valid_request(&r.method, &t, &r.body);
        let schema = &op["requestBody"]["content"]["application/json"]["schema"]["properties"];
        for key in r.body.as_object().expect("a JSON object body").keys() {
            assert!(
                schema.get(key).is_some(),
                "{} {t}: undeclared `{key}`",
                r.method
            );
        }
    }
}

/// The fake GitHub: issues (plus one pull request carrying the label, which kevgate must
/// skip), labels, comments, and the merged PR #7 of `SHA2`.
fn serve(state: Arc<Mutex<Repo>>) -> fake::Fake {
    fake::serve_with(route(state))
}

/// The fake's route over `state` (also served beside the releases of tests/it/watch.rs).
pub(crate) fn route(
    state: Arc<Mutex<Repo>>,
) -> impl Fn(&Recorded, usize) -> OwnedAnswer + Send + 'static {
    move |r: &Recorded, seen| -> OwnedAnswer {
        check_request(r);
        let mut st = state.lock().expect("lock");
        let (t, query) = template(&r.path);
        let t = t.trim_start_matches("/repos/{owner}/{repo}");
        let number = || -> u64 {
            r.path.split('?').next().unwrap_or_default()[REPO.len()..]
                .split('/')
                .nth(2)
                .and_then(|n| n.parse().ok())
                .expect("an issue number")
        };
        // Every answer is checked against the operation's response schema.
        let method = r.method.clone();
        let full = template(&r.path).0;
        let json = |status: u16, v: Value| {
            // GitHub's own `pull-request-simple` and `commit` examples have OpenAPI 3.0
            // `nullable` nulls (`milestone`, `verification.signature`, …) that a draft-7
            // validator refuses; those answers are the examples with a few fields set.
            if !full.ends_with("/pulls") && !full.ends_with("/commits") {
                fake::assert_valid_response(&method, &full, status, &v);
            }
            (status, v.to_string(), Vec::new())
        };
        match (r.method.as_str(), t) {
            ("GET", "/issues") => {
                assert!(query.contains("labels=kevgate") && query.contains("state=all"));
                let page: usize = query
                    .split('&')
                    .find_map(|q| q.strip_prefix("page="))
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(1);
                // Pages of 2 here (kevgate asks for 100 and stops on a short page, so the
                // fake pages by what it was asked: per_page=100 gives one page).
                let mut all = st.issues.clone();
                // A pull request whose body mimics a tracking issue: listed, and skipped.
                let mut pr = issue_object(
                    99,
                    "Bump lodash",
                    "<!-- kevgate:key pkg:npm/lodash CVE-2021-23337 -->",
                    &["kevgate".into()],
                    true,
                );
                let pulls = "https://github.com/Codertocat/Hello-World/pull/99";
                pr["pull_request"] = json!({"url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/99", "html_url": pulls, "diff_url": format!("{pulls}.diff"), "patch_url": format!("{pulls}.patch")});
                all.push(pr);
                let list: Vec<Value> = all.into_iter().skip((page - 1) * 100).take(100).collect();
                json(200, Value::from(list))
            }
            ("POST", "/issues") if seen == 0 && st.rate_limit_first_create => (
                403,
                r#"{"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}"#.to_owned(),
                vec![("retry-after".to_owned(), "1".to_owned())],
            ),
            ("POST", "/issues")
                if r.body["assignees"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|u| u == "ghost"))
                => {
                    let mut v = json!({"message": "Validation Failed", "errors": [{"value": "ghost", "resource": "Issue", "field": "assignees", "code": "invalid"}], "documentation_url": "https://docs.github.com/rest/issues/issues#create-an-issue"});
                    v["status"] = "422".into();
                    (422, v.to_string(), Vec::new())
                }
            ("POST", "/issues") => {
                let n = 100 + st.issues.len() as u64;
                let labels: Vec<String> = r.body["labels"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|l| l.as_str().map(str::to_owned))
                    .collect();
                let mut i = issue_object(
                    n,
                    r.body["title"].as_str().unwrap_or_default(),
                    r.body["body"].as_str().unwrap_or_default(),
                    &labels,
                    true,
                );
                i["assignees"] = r.body["assignees"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|a| {
                        let mut u = i["user"].clone();
                        u["login"] = a;
                        u
                    })
                    .collect::<Vec<_>>()
                    .into();
                st.issues.push(i.clone());
                json(201, i)
            }
            ("PATCH", "/issues/{issue_number}") => {
                let n = number();
                let i = st
                    .issues
                    .iter_mut()
                    .find(|i| i["number"] == n)
                    .expect("a known issue");
                for key in ["title", "body", "state", "state_reason"] {
                    if let Some(v) = r.body.get(key) {
                        i[key] = v.clone();
                    }
                }
                if let Some(labels) = r.body["labels"].as_array() {
                    let names: Vec<String> = labels
                        .iter()
                        .filter_map(|l| l.as_str().map(str::to_owned))
                        .collect();
                    let title = i["title"].as_str().unwrap_or_default().to_owned();
                    let body = i["body"].as_str().unwrap_or_default().to_owned();
                    let open = i["state"] == "open";
                    let fresh = issue_object(n, &title, &body, &names, open);
                    i["labels"] = fresh["labels"].clone();
                }
                json(200, i.clone())
            }
            ("POST", "/issues/{issue_number}/comments") => {
                let n = number();
                st.comments
                    .push((n, r.body["body"].as_str().unwrap_or_default().to_owned()));
                json(201, example(&full, "issue-comment"))
            }
            ("GET", "/labels") => {
                let label = example("/repos/{owner}/{repo}/labels", "label");
                let list: Vec<Value> = st
                    .labels
                    .iter()
                    .map(|n| {
                        let mut l = label.clone();
                        l["name"] = n.as_str().into();
                        l
                    })
                    .collect();
                json(200, Value::from(list))
            }
            ("POST", "/labels") => {
                let name = r.body["name"].as_str().expect("a label name").to_owned();
                st.labels.push(name.clone());
                let mut l = example("/repos/{owner}/{repo}/labels", "label");
                l["name"] = name.into();
                json(201, l)
            }
            ("GET", "/commits/{commit_sha}/pulls") => {
                let mut pr = example(&full, "pull-request-simple-items")[0].clone();
                if r.path.contains(SHA2) {
                    pr["number"] = 7.into();
                    pr["user"]["login"] = "fixer".into();
                    pr["merged_at"] = "2025-08-27T10:00:00Z".into();
                    pr["merge_commit_sha"] = SHA2.into();
                    json(200, json!([pr]))
                } else {
                    json(200, json!([]))
                }
            }
            ("GET", "/pulls/{pull_number}/commits") => {
                let c = example(&full, "commit-items")[0].clone();
                let (mut a, mut b) = (c.clone(), c);
                a["author"]["login"] = "fixer".into();
                b["author"]["login"] = "helper".into();
                json(200, json!([a, b]))
            }
            ("POST", "/check-runs") => json(201, example(&full, "check-run")),
            (m, p) => panic!("unexpected {m} {p}"),
        }
    }
}

/// `kevgate track REPORT` against the fake at `url` for commit `sha`.
fn track(dir: &Path, url: &str, report: &Path, sha: &str) -> std::process::Command {
    let mut cmd = kevgate(dir);
    cmd.args(["track"])
        .arg(report)
        .args(["--repo", "Codertocat/Hello-World", "--sha", sha])
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", url)
        .env("KEVGATE_GITHUB_SPACING_MS", "0");
    cmd
}

/// A real report: the webgoat cdxgen SBOM (jquery at three versions and xstream, all KEV)
/// scanned with the KEV-hits database, with trivy-style lockfile paths added to the jquery
/// findings (cdxgen writes none) so CODEOWNERS applies.
fn webgoat_report(tmp: &TempDir) -> Value {
    let db = build_kev_hits_db(tmp.path());
    let out = tmp.path().join("scan.json");
    let (code, _, stderr) = run(kevgate(tmp.path())
        .arg("scan")
        .arg(fixture(
            "kev-hits/sboms/other-cdxgen-cdx1.5-webgoat-maven-npm.json",
        ))
        .arg("--db")
        .arg(&db)
        .args(["--format", "json", "--output"])
        .arg(&out));
    assert_eq!(code, 1, "{stderr}");
    let mut report: Value =
        serde_json::from_slice(&fs_err::read(&out).expect("report")).expect("JSON");
    for f in report["findings"].as_array_mut().expect("findings") {
        if f["component"]["name"] == "jquery" {
            f["component"]["file_path"] = "pkg/iac/web/package-lock.json".into();
        }
    }
    report
}

fn write_json(path: &Path, v: &Value) {
    fs_err::write(path, serde_json::to_vec_pretty(v).expect("JSON")).expect("write");
}

fn writes(fake: &fake::Fake) -> Vec<Recorded> {
    fake.requests
        .lock()
        .expect("lock")
        .iter()
        .filter(|r| r.method != "GET")
        .cloned()
        .collect()
}

fn clear(fake: &fake::Fake) {
    fake.requests.lock().expect("lock").clear();
}

/// The state block of an issue body, parsed.
pub(crate) fn state_of(body: &str) -> Value {
    let start = body.find("<!-- kevgate:state\n").expect("a state block") + 19;
    let end = body[start..].find("\n-->").expect("closed") + start;
    serde_json::from_str(&body[start..end]).expect("state JSON")
}

/// The lifecycle against the fake GitHub: a KEV report opens one issue per (package,
/// vulnerability) — jquery's three versions share one — with labels (created when
/// missing), assignees from CODEOWNERS and from `owners:` (which wins, and cc's a team), and
/// KEV due dates; a pull request carrying the label and a hand-forged issue are left alone;
/// an identical second run writes nothing; a report without jquery closes its issue as
/// completed, crediting the PR that merged the commit and its commit authors with the
/// upgrade; jquery's return reopens it with a comment.
#[test]
fn lifecycle() {
    let tmp = TempDir::new("track-life");
    let dir = tmp.path();
    fs_err::create_dir_all(dir.join(".github")).expect("mkdir");
    fs_err::copy(
        fixture("codeowners/aquasecurity-trivy.CODEOWNERS"),
        dir.join(".github/CODEOWNERS"),
    )
    .expect("copy");
    fs_err::write(
        dir.join(".kevgate.yaml"),
        "owners:\n  - purl: \"pkg:maven/com.thoughtworks.xstream/\"\n    users: [octocat, acme/appsec]\n\
         sla: {critical: 10d}\nrunbooks: {kev: \"https://wiki.example/kev\"}\n",
    )
    .expect("config");
    let report = webgoat_report(&tmp);
    let full = dir.join("full.json");
    write_json(&full, &report);

    let state = Arc::new(Mutex::new(Repo::default()));
    // Someone forged a kevgate issue for xstream by hand: kevgate must leave it alone and
    // not open a second one for its key.
    let forged = "<!-- kevgate:key pkg:npm/jquery CVE-2020-11023 -->\n<!-- kevgate:state\n{\"v\": 1, \"key\": \"pkg:npm/jquery CVE-2020-11023\"}\n-->\n";
    state.lock().expect("lock").issues.push(issue_object(
        5,
        "forged",
        forged,
        &["kevgate".into()],
        false,
    ));
    let gh = serve(Arc::clone(&state));

    // Run 1.
    let (code, stdout, stderr) = run(&mut track(dir, &gh.url, &full, SHA1));
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("issue #5 is left alone"), "{stderr}");
    assert!(
        !stderr.contains("#99"),
        "the pull request is skipped: {stderr}"
    );
    assert!(stderr.contains("1 created"), "{stderr}");
    let created: Vec<Recorded> = writes(&gh)
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == format!("{REPO}/issues"))
        .collect();
    // jquery's key is held by the forged issue: only xstream is opened.
    assert_eq!(created.len(), 1, "{stdout}");
    assert!(!writes(&gh).iter().any(|r| r.path.ends_with("/issues/5")));

    // Without the forged issue the key is free: a fresh repository.
    let state = Arc::new(Mutex::new(Repo::default()));
    let gh = serve(Arc::clone(&state));
    let (code, _, stderr) = run(&mut track(dir, &gh.url, &full, SHA1));
    assert_eq!(code, 0, "{stderr}");
    let st = state.lock().expect("lock");
    assert_eq!(st.issues.len(), 2, "{stderr}");
    let by_title = |t: &str| {
        st.issues
            .iter()
            .find(|i| i["title"].as_str().is_some_and(|x| x.starts_with(t)))
            .unwrap_or_else(|| panic!("an issue {t}"))
            .clone()
    };
    let jq = by_title("CVE-2020-11023 in jquery");
    assert_eq!(jq["title"], "CVE-2020-11023 in jquery — KEV, critical");
    let jq_state = state_of(jq["body"].as_str().expect("body"));
    assert_eq!(jq_state["key"], "pkg:npm/jquery CVE-2020-11023");
    assert_eq!(
        jq_state["places"]["default-branch"]["versions"],
        json!(["1.10.2", "2.1.4", "3.4.1"])
    );
    assert_eq!(jq_state["due"], "2025-02-13", "KEV's due date");
    assert_eq!(
        jq["assignees"][0]["login"], "nikpivkin",
        "CODEOWNERS pkg/iac/"
    );
    let labels: Vec<&str> = jq["labels"]
        .as_array()
        .expect("labels")
        .iter()
        .filter_map(|l| l["name"].as_str())
        .collect();
    for l in ["kevgate", "kev", "severity:critical", "overdue"] {
        assert!(labels.contains(&l), "{labels:?}");
    }
    assert!(
        labels.iter().any(|l| l.starts_with("priority:")),
        "{labels:?}"
    );
    let xs = by_title("CVE-2021-39144 in");
    assert_eq!(xs["assignees"][0]["login"], "octocat", "owners: wins");
    assert!(
        xs["body"]
            .as_str()
            .expect("body")
            .contains("cc @acme/appsec")
    );
    assert!(
        xs["body"]
            .as_str()
            .expect("body")
            .contains("[runbook](https://wiki.example/kev)")
    );
    drop(st);
    let labels_made: Vec<String> = state.lock().expect("lock").labels.clone();
    assert!(
        labels_made.contains(&"kevgate".to_owned()),
        "{labels_made:?}"
    );

    // Run 2: the same report writes nothing, even after someone edited an issue in the
    // web editor (which saves CRLF line ends).
    {
        let mut st = state.lock().expect("lock");
        let body = st.issues[0]["body"]
            .as_str()
            .expect("body")
            .replace('\n', "\r\n");
        st.issues[0]["body"] = body.into();
    }
    clear(&gh);
    let (code, _, stderr) = run(&mut track(dir, &gh.url, &full, SHA1));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(writes(&gh).len(), 0, "{:#?}", writes(&gh));

    // Run 3: jquery upgraded to 3.5.0 on SHA2 (merged by PR #7): closed as completed with
    // the credit and the upgrade; xstream stays open and untouched.
    let mut fixed = report.clone();
    fixed["findings"]
        .as_array_mut()
        .expect("findings")
        .retain(|f| f["component"]["name"] != "jquery");
    let fixed_path = dir.join("fixed.json");
    write_json(&fixed_path, &fixed);
    let sbom = dir.join("sbom.cdx.json");
    write_json(
        &sbom,
        &json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": [
            {"type": "library", "name": "jquery", "version": "3.5.0", "purl": "pkg:npm/jquery@3.5.0"}
        ]}),
    );
    clear(&gh);
    let (code, _, stderr) = run(track(dir, &gh.url, &fixed_path, SHA2)
        .arg("--sbom")
        .arg(&sbom));
    assert_eq!(code, 0, "{stderr}");
    let n = jq["number"].as_u64().expect("number");
    let w = writes(&gh);
    assert_eq!(w.len(), 2, "a comment and a close: {w:#?}");
    let comment = w[0].body["body"].as_str().expect("comment");
    assert!(
        comment.contains("Fixed by @fixer in #7 (jquery 1.10.2, 2.1.4, 3.4.1 → 3.5.0)"),
        "{comment}"
    );
    assert!(comment.contains("@helper"), "{comment}");
    assert_eq!(w[1].path, format!("{REPO}/issues/{n}"));
    assert_eq!(w[1].body["state"], "closed");
    assert_eq!(w[1].body["state_reason"], "completed");
    let closed = state_of(w[1].body["body"].as_str().expect("body"));
    assert_eq!(closed["fixed_by"]["pr"], 7);
    assert_eq!(
        closed["fixed_by"]["commit_authors"],
        json!(["fixer", "helper"])
    );
    assert_eq!(closed["transitions"][1]["kind"], "fixed");
    assert!(closed["places"].as_object().expect("places").is_empty());

    // Run 4: jquery is back: reopened with a comment.
    clear(&gh);
    let (code, _, stderr) = run(&mut track(dir, &gh.url, &full, SHA3));
    assert_eq!(code, 0, "{stderr}");
    let w = writes(&gh);
    assert_eq!(w.len(), 2, "{w:#?}");
    assert!(
        w[0].body["body"]
            .as_str()
            .expect("c")
            .starts_with("Found again")
    );
    assert_eq!(w[1].body["state"], "open");
    let reopened = state_of(w[1].body["body"].as_str().expect("body"));
    assert_eq!(reopened["transitions"][2]["kind"], "reopened");
    assert_eq!(reopened["fixed_by"], Value::Null);
}

/// `--max-new` caps the issues created; the rest are counted. A secondary rate limit on a
/// create (403 with `retry-after`) is waited out and the create retried.
#[test]
fn max_new() {
    let tmp = TempDir::new("track-max");
    let report = webgoat_report(&tmp);
    let path = tmp.path().join("r.json");
    write_json(&path, &report);
    let state = Arc::new(Mutex::new(Repo {
        rate_limit_first_create: true,
        ..Repo::default()
    }));
    let gh = serve(Arc::clone(&state));
    let started = std::time::Instant::now();
    let (code, _, stderr) = run(track(tmp.path(), &gh.url, &path, SHA1).args(["--max-new", "1"]));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(state.lock().expect("lock").issues.len(), 1);
    assert!(stderr.contains("1 more not created"), "{stderr}");
    let creates = writes(&gh)
        .iter()
        .filter(|r| r.method == "POST" && r.path == format!("{REPO}/issues"))
        .count();
    assert_eq!(creates, 2, "the refused create is retried");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "retry-after honoured"
    );
}

/// On a pull request run nothing is requested, and kevgate says why.
#[test]
fn pull_request_does_nothing() {
    let tmp = TempDir::new("track-pr");
    let path = tmp.path().join("r.json");
    write_json(&path, &webgoat_report(&tmp));
    let state = Arc::new(Mutex::new(Repo::default()));
    let gh = serve(Arc::clone(&state));
    let (code, _, stderr) = run(track(tmp.path(), &gh.url, &path, SHA1)
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env(
            "GITHUB_EVENT_PATH",
            fixture("github/pull_request.opened.payload.json"),
        )
        .env("GITHUB_REPOSITORY", "Codertocat/Hello-World"));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("nothing to do: a pull request run"),
        "{stderr}"
    );
    assert!(gh.requests.lock().expect("lock").is_empty());
}

/// Hostile SBOM text (HTML, mentions, links, a comment terminator) is escaped in the
/// issue body, cannot end the state block, and a rerun still reads the state (no writes).
#[test]
fn hostile_text_is_escaped() {
    let tmp = TempDir::new("track-hostile");
    let mut report = webgoat_report(&tmp);
    let evil = "x --> <img src=x onerror=alert(1)> @channel [a](https://evil.example) `b`";
    for f in report["findings"].as_array_mut().expect("findings") {
        if f["component"]["name"] == "jquery" {
            f["component"]["name"] = evil.into();
            f["component"]["file_path"] = format!("{evil}/package-lock.json").into();
            f["summary"] = evil.into();
        }
    }
    let path = tmp.path().join("r.json");
    write_json(&path, &report);
    let state = Arc::new(Mutex::new(Repo::default()));
    let gh = serve(Arc::clone(&state));
    let (code, _, stderr) = run(&mut track(tmp.path(), &gh.url, &path, SHA1));
    assert_eq!(code, 0, "{stderr}");
    let body = state
        .lock()
        .expect("lock")
        .issues
        .iter()
        .filter_map(|i| i["body"].as_str())
        .find(|b| b.contains("pkg:npm/jquery"))
        .expect("jquery's issue")
        .to_owned();
    assert!(body.contains("x --&gt; &lt;img"), "{body}");
    // What GitHub renders: everything before the state block (a hidden comment).
    let shown = &body[..body.find("<!-- kevgate:state").expect("state block")];
    assert!(!body.contains("<img"), "{body}");
    assert!(!shown.contains("[a](https"), "{body}");
    assert!(!shown.contains(" @channel"), "{body}");
    // Only kevgate's three comment ends: the key marker, the places marker, the state block.
    assert_eq!(body.matches("-->").count(), 3, "{body}");
    clear(&gh);
    let (code, _, stderr) = run(&mut track(tmp.path(), &gh.url, &path, SHA1));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(writes(&gh).len(), 0, "{stderr}");
}

/// The action with `track: kev` on a push to the default branch: the gate fails (exit 1)
/// as before, the tracking issues are opened, and the step summary says so. With a token
/// that may not write issues (403), the gate's exit code is unchanged and the failure is a
/// warning.
#[test]
fn action_tracks_on_the_default_branch() {
    let tmp = TempDir::new("track-action");
    let db = build_kev_hits_db(tmp.path());
    let sbom = tmp.path().join("sbom.json");
    fs_err::copy(
        fixture("kev-hits/sboms/other-cdxgen-cdx1.5-webgoat-maven-npm.json"),
        &sbom,
    )
    .expect("copy");
    let state = Arc::new(Mutex::new(Repo::default()));
    let gh = serve(Arc::clone(&state));
    let action = |url: &str| {
        let mut cmd = crate::action::action(&tmp);
        cmd.env("GITHUB_WORKSPACE", tmp.path())
            .env("GITHUB_EVENT_NAME", "push")
            .env(
                "GITHUB_EVENT_PATH",
                fixture("github/push.with-new-branch.payload.json"),
            )
            .env("GITHUB_REF", "refs/heads/master")
            .env("GITHUB_API_URL", url)
            .env("KEVGATE_GITHUB_SPACING_MS", "0")
            .env("INPUT_SBOM", "sbom.json")
            .env("INPUT_DB", &db)
            .env("INPUT_TRACK", "kev");
        cmd
    };
    let (code, stdout, stderr) = run(&mut action(&gh.url));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert_eq!(
        state.lock().expect("lock").issues.len(),
        2,
        "{stdout}{stderr}"
    );
    let summary = fs_err::read_to_string(tmp.path().join("summary.md")).expect("summary");
    assert!(summary.contains("### kevgate tracking issues"), "{summary}");
    assert!(summary.contains("2 created"), "{summary}");

    // A pull request run: the gate as always, no issue request, and the summary says why.
    clear(&gh);
    let (code, stdout, stderr) = run(action(&gh.url)
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env(
            "GITHUB_EVENT_PATH",
            fixture("github/pull_request.opened.payload.json"),
        )
        .env("INPUT_COMMENT", "false"));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        !gh.requests
            .lock()
            .expect("lock")
            .iter()
            .any(|r| r.path.contains("/issues") || r.path.contains("/labels")),
        "{stderr}"
    );
    let summary = fs_err::read_to_string(tmp.path().join("summary.md")).expect("summary");
    assert!(
        summary.contains("Nothing to do: a pull request run"),
        "{summary}"
    );

    let refusing = fake::serve(|method, path, _| {
        if path.contains("/check-runs") {
            (201, "{}", vec![])
        } else {
            let _ = method;
            (
                403,
                r#"{"message": "Resource not accessible by integration"}"#,
                vec![],
            )
        }
    });
    let (code, stdout, stderr) = run(&mut action(&refusing.url));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("::warning title=kevgate tracking issues::cannot list the tracking issues"),
        "{stdout}"
    );
}

/// An owner GitHub cannot assign (422 on create) does not lose the issue: it is created
/// without assignees and the run says so.
#[test]
fn unassignable_owner() {
    let tmp = TempDir::new("track-ghost");
    fs_err::write(
        tmp.path().join(".kevgate.yaml"),
        "owners:\n  - purl: \"pkg:\"\n    users: [ghost]\n",
    )
    .expect("config");
    let path = tmp.path().join("r.json");
    write_json(&path, &webgoat_report(&tmp));
    let state = Arc::new(Mutex::new(Repo::default()));
    let gh = serve(Arc::clone(&state));
    let (code, _, stderr) = run(&mut track(tmp.path(), &gh.url, &path, SHA1));
    assert_eq!(code, 0, "{stderr}");
    let st = state.lock().expect("lock");
    assert_eq!(st.issues.len(), 2, "{stderr}");
    assert!(
        st.issues
            .iter()
            .all(|i| i["assignees"].as_array().is_none_or(Vec::is_empty))
    );
    assert!(
        stderr.contains("GitHub refused the assignees ghost"),
        "{stderr}"
    );
}

/// `--dry-run` lists what it would write on stdout and writes nothing.
#[test]
fn dry_run_writes_nothing() {
    let tmp = TempDir::new("track-dry");
    let path = tmp.path().join("r.json");
    write_json(&path, &webgoat_report(&tmp));
    let state = Arc::new(Mutex::new(Repo::default()));
    let gh = serve(Arc::clone(&state));
    let (code, stdout, stderr) = run(track(tmp.path(), &gh.url, &path, SHA1).arg("--dry-run"));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("would open an issue for pkg:npm/jquery CVE-2020-11023"),
        "{stdout}"
    );
    assert!(stderr.contains("(dry run): 2 created"), "{stderr}");
    assert!(writes(&gh).is_empty());
}
