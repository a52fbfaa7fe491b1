//! `kevgate action`: the GitHub Action's entry point, with the runner's environment (`INPUT_*`
//! with hyphens kept, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, a real event payload).
//! No REST calls yet: those come with the loopback fake GitHub API.

use crate::scan::build_kev_hits_db;
use crate::{TempDir, fixture, kevgate, root, run};
use serde_json::Value;
use std::process::Command;

/// `kevgate action` in `tmp` with a pull_request `opened` event (real octokit payload).
fn action(tmp: &TempDir) -> Command {
    let mut cmd = kevgate(tmp.path());
    cmd.arg("action")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env(
            "GITHUB_EVENT_PATH",
            fixture("github/pull_request.opened.payload.json"),
        )
        .env("GITHUB_REPOSITORY", "Codertocat/Hello-World")
        .env("GITHUB_RUN_ID", "42")
        .env("GITHUB_OUTPUT", tmp.path().join("output.txt"))
        .env("GITHUB_STEP_SUMMARY", tmp.path().join("summary.md"))
        // The runner sets every declared input, empty when not given.
        .env("INPUT_DB", "")
        .env("INPUT_CONFIG", "")
        .env("INPUT_FAIL-ON", "critical")
        .env("INPUT_FAIL-ON-KEV", "true")
        .env("INPUT_MAX-DB-AGE", "7")
        .env("INPUT_COMMENT", "true")
        .env("INPUT_ALLOW-DEMO-DB", "false")
        .env("INPUT_GITHUB-TOKEN", "ghs_not_a_real_token");
    cmd
}

fn read(path: std::path::PathBuf) -> String {
    fs_err::read_to_string(path).expect("file written")
}

/// Without a database the action fails closed (exit 2) instead of gating on demo data,
/// and writes no outputs.
#[test]
fn refuses_the_demo_database() {
    let tmp = TempDir::new("action-demo");
    let (code, stdout, stderr) =
        run(action(&tmp).env("INPUT_SBOM", root().join("examples/trivy-sbom.cdx.json")));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("allow-demo-db: true"), "{stderr}");
    assert!(!tmp.path().join("output.txt").exists());
    assert!(!stderr.contains("ghs_not_a_real_token") && !stdout.contains("ghs_not_a_real_token"));
}

/// `allow-demo-db: true` runs on the bundled database, says so, and gates (exit 1).
#[test]
fn demo_database_when_allowed() {
    let tmp = TempDir::new("action-demo-ok");
    let (code, _, stderr) = run(action(&tmp)
        .env("INPUT_SBOM", root().join("examples/trivy-sbom.cdx.json"))
        .env("INPUT_ALLOW-DEMO-DB", "true"));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("DEMO database"), "{stderr}");
    assert!(read(tmp.path().join("summary.md")).contains("demo database"));
}

/// A real SBOM with KEV hits: exit 1, outputs, step summary, JSON and SARIF files; the
/// token never reaches the log.
#[test]
fn gate_outputs_and_reports() {
    let tmp = TempDir::new("action-kev");
    let db = build_kev_hits_db(tmp.path());
    let (code, stdout, stderr) = run(action(&tmp)
        .env(
            "INPUT_SBOM",
            fixture("kev-hits/sboms/other-syft-cdx-image-python-latest.json"),
        )
        .env("INPUT_DB", &db)
        .env("INPUT_JSON-FILE", "kevgate.json")
        .env("INPUT_SARIF-FILE", "kevgate.sarif"));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.contains("CVE-2023-4911"),
        "the table is in the log: {stdout}"
    );
    assert!(!stdout.contains("ghs_") && !stderr.contains("ghs_"));

    let report: Value =
        serde_json::from_str(&read(tmp.path().join("kevgate.json"))).expect("JSON report");
    assert_eq!(report["verdict"], "fail");
    let sarif: Value =
        serde_json::from_str(&read(tmp.path().join("kevgate.sarif"))).expect("SARIF log");
    assert_eq!(sarif["version"], "2.1.0");

    let outputs = read(tmp.path().join("output.txt"));
    let get = |name: &str| {
        outputs
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("output `{name}` in {outputs}"))
            .to_owned()
    };
    assert_eq!(get("verdict"), "fail");
    let kev = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kev"].is_object())
        .count();
    assert!(kev > 0);
    assert_eq!(get("kev-count"), kev.to_string());
    assert_eq!(
        get("findings"),
        report["findings"]
            .as_array()
            .expect("findings")
            .len()
            .to_string()
    );
    assert_eq!(get("json-file"), "kevgate.json");
    assert_eq!(get("sarif-file"), "kevgate.sarif");

    let summary = read(tmp.path().join("summary.md"));
    assert!(
        summary.starts_with("## :x: kevgate: gate failed"),
        "{summary}"
    );
}

/// On an event kevgate does not report on (a PR closed without merging), the gate still
/// runs and the reason is a `::warning::` in the log.
#[test]
fn unsupported_event_warns_and_gates() {
    let tmp = TempDir::new("action-closed");
    let (code, stdout, stderr) = run(action(&tmp)
        .env("INPUT_SBOM", root().join("examples/trivy-sbom.cdx.json"))
        .env("INPUT_ALLOW-DEMO-DB", "true")
        .env(
            "GITHUB_EVENT_PATH",
            fixture("github/pull_request.closed.payload.json"),
        ));
    assert_eq!(code, 1, "{stderr}");
    let warning = stdout
        .lines()
        .find(|l| l.starts_with("::warning "))
        .unwrap_or_else(|| panic!("a warning in {stdout}"));
    assert!(warning.contains("closed without merging"), "{warning}");
}

/// A missing `sbom` input is a usage error (exit 2).
#[test]
fn sbom_is_required() {
    let tmp = TempDir::new("action-nosbom");
    let (code, _, stderr) = run(action(&tmp).env("INPUT_SBOM", ""));
    assert_eq!(code, 2);
    assert!(stderr.contains("input `sbom` is required"), "{stderr}");
}

// ---- REST calls against a loopback fake GitHub API ------------------------------------

pub(crate) mod fake {
    //! A loopback HTTP/1.1 server that records every request and answers from a route table.

    use serde_json::Value;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};

    /// One recorded request.
    #[derive(Debug, Clone)]
    pub struct Recorded {
        pub method: String,
        pub path: String,
        pub authorization: String,
        pub body: Value,
    }

    /// An answer: status, JSON body, extra headers.
    pub type Answer = (u16, &'static str, Vec<(&'static str, &'static str)>);

    /// The server; requests are in `requests`.
    pub struct Fake {
        pub url: String,
        pub requests: Arc<Mutex<Vec<Recorded>>>,
    }

    /// Serves `route(method, path, times this method+path was seen before)` on 127.0.0.1.
    pub fn serve(route: impl Fn(&str, &str, usize) -> Answer + Send + 'static) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        let requests = Arc::new(Mutex::new(Vec::<Recorded>::new()));
        let log = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    continue;
                }
                let mut parts = line.split_whitespace();
                let method = parts.next().unwrap_or_default().to_owned();
                let path = parts.next().unwrap_or_default().to_owned();
                let (mut length, mut authorization) = (0usize, String::new());
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        match k.trim().to_ascii_lowercase().as_str() {
                            "content-length" => length = v.trim().parse().unwrap_or(0),
                            "authorization" => authorization = v.trim().to_owned(),
                            _ => {}
                        }
                    }
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let seen = {
                    let mut log = log.lock().expect("lock");
                    let seen = log
                        .iter()
                        .filter(|r| r.method == method && r.path == path)
                        .count();
                    log.push(Recorded {
                        method: method.clone(),
                        path: path.clone(),
                        authorization,
                        body,
                    });
                    seen
                };
                let (status, answer, headers) = route(&method, &path, seen);
                let mut response = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
                    answer.len()
                );
                for (k, v) in headers {
                    response.push_str(&format!("{k}: {v}\r\n"));
                }
                response.push_str("\r\n");
                response.push_str(answer);
                let _ = stream.write_all(response.as_bytes());
            }
        });
        Fake { url, requests }
    }
}

const SUBSET: &str = include_str!("../fixtures/github/checks-statuses-comments-pulls.subset.json");

/// Validates a recorded body against the OpenAPI request schema of its operation.
pub(crate) fn assert_valid_request(method: &str, template: &str, body: &Value) {
    let api: Value = serde_json::from_str(SUBSET).expect("OpenAPI subset is JSON");
    let schema = &api["paths"][template][method.to_ascii_lowercase()]["requestBody"]["content"]["application/json"]
        ["schema"];
    assert!(schema.is_object(), "no schema for {method} {template}");
    let validator = jsonschema::draft7::new(schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{method} {template}: {errors:#?}");
}

const REPO: &str = "/repos/Codertocat/Hello-World";
const HEAD: &str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

/// `kevgate action` on the KEV-hits SBOM against the fake API at `url`.
fn action_against(tmp: &TempDir, url: &str) -> (i32, String, String) {
    let db = build_kev_hits_db(tmp.path());
    run(action(tmp)
        .env(
            "INPUT_SBOM",
            fixture("kev-hits/sboms/other-syft-cdx-image-python-latest.json"),
        )
        .env("INPUT_DB", &db)
        .env("GITHUB_API_URL", url))
}

fn requests(fake: &fake::Fake) -> Vec<fake::Recorded> {
    fake.requests.lock().expect("lock").clone()
}

/// A PR with a token that may do everything: one check run with the verdict on the PR head,
/// and kevgate's earlier comment (found by its marker) edited in place. Every body matches
/// GitHub's schema; the token is sent only as the bearer header.
#[test]
fn check_run_and_sticky_comment() {
    let tmp = TempDir::new("action-api");
    let fake = fake::serve(|method, path, _| match (method, path) {
        ("POST", p) if p.ends_with("/check-runs") => (201, r#"{"id": 7}"#, vec![]),
        ("GET", p) if p.contains("/issues/2/comments") => (
            200,
            r#"[{"id": 1, "body": "Me too"}, {"id": 99, "body": "<!-- kevgate:comment -->\nold"}]"#,
            vec![],
        ),
        ("PATCH", p) if p.ends_with("/issues/comments/99") => (200, r#"{"id": 99}"#, vec![]),
        _ => (404, r#"{"message": "Not Found"}"#, vec![]),
    });
    let (code, stdout, stderr) = action_against(&tmp, &fake.url);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(!stdout.contains("::warning"), "{stdout}");
    assert!(!stdout.contains("ghs_") && !stderr.contains("ghs_"));

    let reqs = requests(&fake);
    let seen: Vec<(String, String)> = reqs
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            ("POST".into(), format!("{REPO}/check-runs")),
            (
                "GET".into(),
                format!("{REPO}/issues/2/comments?per_page=100&page=1")
            ),
            ("PATCH".into(), format!("{REPO}/issues/comments/99")),
        ]
    );
    for r in &reqs {
        assert_eq!(r.authorization, "Bearer ghs_not_a_real_token");
    }
    let create = &reqs[0].body;
    assert_valid_request("POST", "/repos/{owner}/{repo}/check-runs", create);
    assert_eq!(create["head_sha"], HEAD);
    assert_eq!(create["conclusion"], "failure");
    assert_eq!(create["name"], "kevgate");
    assert_eq!(
        create["details_url"],
        "https://github.com/Codertocat/Hello-World/actions/runs/42"
    );
    assert_valid_request(
        "PATCH",
        "/repos/{owner}/{repo}/issues/comments/{comment_id}",
        &reqs[2].body,
    );
    assert!(
        reqs[2].body["body"]
            .as_str()
            .is_some_and(|b| b.starts_with("<!-- kevgate:comment -->\n"))
    );
}

/// A fork PR's read-only token: the check run and the commit status are refused (403
/// "Resource not accessible by integration"), so the result stays in the step summary, with
/// warnings; the gate's exit code is unchanged. No earlier comment: kevgate tries to post one.
#[test]
fn read_only_token_falls_back() {
    let tmp = TempDir::new("action-fork");
    const DENIED: &str = r#"{"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest"}"#;
    let fake = fake::serve(|method, path, _| match (method, path) {
        ("GET", _) => (200, "[]", vec![]),
        _ => (403, DENIED, vec![]),
    });
    let (code, stdout, stderr) = action_against(&tmp, &fake.url);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let reqs = requests(&fake);
    let seen: Vec<&str> = reqs.iter().map(|r| r.method.as_str()).collect();
    assert_eq!(seen, ["POST", "POST", "GET", "POST"], "{reqs:#?}");
    assert_eq!(reqs[1].path, format!("{REPO}/statuses/{HEAD}"));
    assert_valid_request(
        "POST",
        "/repos/{owner}/{repo}/statuses/{sha}",
        &reqs[1].body,
    );
    assert_eq!(reqs[1].body["state"], "failure");
    assert_valid_request(
        "POST",
        "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        &reqs[3].body,
    );
    let warnings: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("::warning "))
        .collect();
    assert_eq!(warnings.len(), 3, "{stdout}");
    assert!(warnings[0].contains("Resource not accessible by integration"));
    assert!(warnings[1].contains("step summary only"));
    assert!(
        fs_err::read_to_string(tmp.path().join("summary.md"))
            .is_ok_and(|s| s.contains("gate failed"))
    );
}

/// A rate limit (429 with `retry-after: 0`) is retried; the second attempt succeeds, and a
/// commit status fallback that works reports through the status.
#[test]
fn rate_limit_is_retried() {
    let tmp = TempDir::new("action-429");
    let fake = fake::serve(|method, path, seen| match (method, path) {
        ("POST", p) if p.ends_with("/check-runs") && seen == 0 => (
            429,
            r#"{"message": "API rate limit exceeded"}"#,
            vec![("retry-after", "0"), ("x-ratelimit-remaining", "0")],
        ),
        ("POST", p) if p.ends_with("/check-runs") => (201, r#"{"id": 8}"#, vec![]),
        ("GET", _) => (200, "[]", vec![]),
        ("POST", p) if p.ends_with("/comments") => (201, r#"{"id": 5}"#, vec![]),
        _ => (404, r#"{"message": "Not Found"}"#, vec![]),
    });
    let (code, stdout, stderr) = action_against(&tmp, &fake.url);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(!stdout.contains("::warning"), "{stdout}");
    let reqs = requests(&fake);
    let posts = reqs
        .iter()
        .filter(|r| r.path.ends_with("/check-runs"))
        .count();
    assert_eq!(posts, 2, "{reqs:#?}");
    assert_eq!(reqs[0].body, reqs[1].body, "the retry sends the same body");
}
