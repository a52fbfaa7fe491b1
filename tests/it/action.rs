//! `kevgate action`: the GitHub Action's entry point, with the runner's environment (`INPUT_*`
//! with hyphens kept, `GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, real event payloads), reporting
//! to a loopback fake GitHub API ([`fake`]) whose every request body is checked against
//! GitHub's OpenAPI description.

use crate::scan::build_kev_hits_db;
use crate::{TempDir, fixture, kevgate, root, run};
use serde_json::Value;
use std::process::Command;

/// `kevgate action` in `tmp` with a pull_request `opened` event (real octokit payload).
pub(crate) fn action(tmp: &TempDir) -> Command {
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
        .env("INPUT_FAIL-ON", "")
        .env("INPUT_FAIL-ON-KEV", "")
        .env("INPUT_MAX-DB-AGE", "7")
        .env("INPUT_COMMENT", "true")
        .env("INPUT_ALLOW-DEMO-DB", "false")
        .env("INPUT_GITHUB-TOKEN", TOKEN);
    cmd
}

fn read(path: std::path::PathBuf) -> String {
    fs_err::read_to_string(path).expect("file written")
}

pub(crate) const TOKEN: &str = "ghs_not_a_real_token";

/// The token is masked on the first line of the log and appears nowhere else.
pub(crate) fn assert_token_masked(stdout: &str, stderr: &str) {
    assert_eq!(
        stdout.lines().next(),
        Some(format!("::add-mask::{TOKEN}").as_str()),
        "{stdout}"
    );
    assert_eq!(stdout.matches(TOKEN).count(), 1, "{stdout}");
    assert!(!stderr.contains(TOKEN), "{stderr}");
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
    assert_token_masked(&stdout, &stderr);
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
    assert_token_masked(&stdout, &stderr);

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

/// On an event kevgate cannot report on (a PR closed without merging), the action stops
/// with a one-line error (exit 2) before scanning: no outputs, no summary.
#[test]
fn unsupported_event_is_an_error() {
    let tmp = TempDir::new("action-closed");
    let (code, _, stderr) = run(action(&tmp)
        .env("INPUT_SBOM", root().join("examples/trivy-sbom.cdx.json"))
        .env("INPUT_ALLOW-DEMO-DB", "true")
        .env(
            "GITHUB_EVENT_PATH",
            fixture("github/pull_request.closed.payload.json"),
        ));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("closed without merging"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(!tmp.path().join("output.txt").exists());
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
    //! A loopback HTTP/1.1 server (plain, or TLS with the test CA) that records every request
    //! and answers from a route table; [`assert_valid_request`] checks a recorded body
    //! against GitHub's OpenAPI description. Other test modules (the container test) use it.

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
        /// All headers, names lower-cased, in order.
        pub headers: Vec<(String, String)>,
    }

    impl Recorded {
        /// The first header `name` (lower case), if sent.
        pub fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        }
    }

    /// An answer: status, JSON body, extra headers.
    pub type Answer = (u16, &'static str, Vec<(&'static str, &'static str)>);

    /// The server; requests are in `requests`.
    pub struct Fake {
        pub url: String,
        pub requests: Arc<Mutex<Vec<Recorded>>>,
    }

    /// An answer built at run time: status, JSON body, extra headers.
    pub type OwnedAnswer = (u16, String, Vec<(String, String)>);

    /// Serves `route(method, path, times this method+path was seen before)` on 127.0.0.1.
    pub fn serve(route: impl Fn(&str, &str, usize) -> Answer + Send + 'static) -> Fake {
        start(None, owned(route))
    }

    /// Serves `route(request, times its method+path was seen before)`: a fake that keeps
    /// state from the request bodies (the tracking issues' fake in tests/it/track.rs).
    pub fn serve_with(route: impl Fn(&Recorded, usize) -> OwnedAnswer + Send + 'static) -> Fake {
        start(None, move |r: &Recorded, seen| {
            let (status, body, headers) = route(r, seen);
            (status, body.into_bytes(), headers)
        })
    }

    /// As [`serve_with`], answering with bytes.
    pub fn serve_recorded(
        route: impl Fn(&Recorded, usize) -> BytesAnswer + Send + 'static,
    ) -> Fake {
        start(None, route)
    }

    /// An answer with a binary body (release assets) and owned headers.
    pub type BytesAnswer = (u16, Vec<u8>, Vec<(String, String)>);

    /// As [`serve`], answering with bytes (a `content-type` among the headers replaces
    /// `application/json`).
    pub fn serve_bytes(route: impl Fn(&str, &str, usize) -> BytesAnswer + Send + 'static) -> Fake {
        start(None, move |r: &Recorded, seen| {
            route(&r.method, &r.path, seen)
        })
    }

    fn owned(
        route: impl Fn(&str, &str, usize) -> Answer + Send + 'static,
    ) -> impl Fn(&Recorded, usize) -> BytesAnswer + Send + 'static {
        move |r: &Recorded, seen| {
            let (status, body, headers) = route(&r.method, &r.path, seen);
            let headers = headers
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            (status, body.as_bytes().to_vec(), headers)
        }
    }

    /// As [`serve`], over TLS with `tests/fixtures/github/tls/server.pem` (signed by the
    /// test CA `ca.pem`, for 127.0.0.1): a GitHub Enterprise Server with a private CA.
    pub fn serve_tls(route: impl Fn(&str, &str, usize) -> Answer + Send + 'static) -> Fake {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let dir = crate::fixture("github/tls");
        let certs = CertificateDer::pem_file_iter(dir.join("server.pem"))
            .expect("server.pem")
            .collect::<Result<Vec<_>, _>>()
            .expect("certificates");
        let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).expect("server.key");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocols")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server certificate");
        start(Some(Arc::new(config)), owned(route))
    }

    fn start(
        tls: Option<Arc<rustls::ServerConfig>>,
        route: impl Fn(&Recorded, usize) -> BytesAnswer + Send + 'static,
    ) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}", listener.local_addr().expect("local addr"));
        let requests = Arc::new(Mutex::new(Vec::<Recorded>::new()));
        let log = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                match &tls {
                    None => answer(stream, &route, &log),
                    Some(config) => {
                        let Ok(conn) = rustls::ServerConnection::new(Arc::clone(config)) else {
                            continue;
                        };
                        answer(rustls::StreamOwned::new(conn, stream), &route, &log);
                    }
                }
            }
        });
        Fake { url, requests }
    }

    /// Reads one request from `stream`, records it, writes the route's answer.
    fn answer(
        mut stream: impl Read + Write,
        route: &impl Fn(&Recorded, usize) -> BytesAnswer,
        log: &Mutex<Vec<Recorded>>,
    ) {
        let mut reader = BufReader::new(&mut stream);
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let (mut length, mut headers) = (0usize, Vec::new());
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_owned());
                if k == "content-length" {
                    length = v.parse().unwrap_or(0);
                }
                headers.push((k, v));
            }
        }
        let mut body = vec![0; length];
        let _ = reader.read_exact(&mut body);
        drop(reader);
        let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let seen = {
            let mut log = log.lock().expect("lock");
            let seen = log
                .iter()
                .filter(|r| r.method == method && r.path == path)
                .count();
            let authorization = headers
                .iter()
                .find(|(k, _)| k == "authorization")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            log.push(Recorded {
                method: method.clone(),
                path: path.clone(),
                authorization,
                body,
                headers,
            });
            (seen, log.last().expect("just pushed").clone())
        };
        let (seen, recorded) = seen;
        let (status, answer, extra) = route(&recorded, seen);
        let mut response = format!(
            "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
            answer.len()
        );
        if !extra
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            response.push_str("content-type: application/json\r\n");
        }
        for (k, v) in extra {
            response.push_str(&format!("{k}: {v}\r\n"));
        }
        response.push_str("\r\n");
        let mut response = response.into_bytes();
        response.extend_from_slice(&answer);
        let _ = stream.write_all(&response);
        let _ = stream.flush();
    }

    const SUBSET: &str =
        include_str!("../fixtures/github/checks-statuses-comments-pulls.subset.json");
    /// `GET /user` and what it references, from the same OpenAPI description.
    const USERS: &str = include_str!("../fixtures/github/users.subset.json");

    /// Issues, labels and a PR's commits (the tracking issues), from the same description.
    const ISSUES: &str = include_str!("../fixtures/github/issues.subset.json");

    /// The OpenAPI description holding `template`.
    pub fn api_for(template: &str) -> Value {
        let text = match template {
            "/user" => USERS,
            "/repos/{owner}/{repo}/issues"
            | "/repos/{owner}/{repo}/issues/{issue_number}"
            | "/repos/{owner}/{repo}/labels"
            | "/repos/{owner}/{repo}/pulls/{pull_number}/commits" => ISSUES,
            _ => SUBSET,
        };
        serde_json::from_str(text).expect("OpenAPI subset is JSON")
    }

    /// An example value from the OpenAPI description (`components/examples/{name}`).
    pub fn example(template: &str, name: &str) -> Value {
        api_for(template)["components"]["examples"][name]["value"].clone()
    }

    /// Validates a body the fake answers with against the OpenAPI response schema of its
    /// operation and status (`$ref`s resolved in the description's components).
    pub fn assert_valid_response(method: &str, template: &str, status: u16, body: &Value) {
        let api = api_for(template);
        let mut answer =
            &api["paths"][template][method.to_ascii_lowercase()]["responses"][status.to_string()];
        if let Some(r) = answer["$ref"].as_str() {
            let name = r.rsplit('/').next().expect("a $ref names a component");
            answer = &api["components"]["responses"][name];
        }
        let mut schema = answer["content"]["application/json"]["schema"].clone();
        assert!(
            schema.is_object(),
            "no schema for {method} {template} {status}"
        );
        let wrapped = schema.get("$ref").is_some();
        if wrapped {
            schema = serde_json::json!({"allOf": [schema]});
        }
        schema["components"] = api["components"].clone();
        let validator = jsonschema::draft7::new(&schema).expect("schema compiles");
        let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
        assert!(
            errors.is_empty(),
            "{method} {template} {status}: {errors:#?}"
        );
    }

    /// Validates a recorded body against the OpenAPI request schema of its operation.
    pub fn assert_valid_request(method: &str, template: &str, body: &Value) {
        let api = api_for(template);
        let schema = &api["paths"][template][method.to_ascii_lowercase()]["requestBody"]["content"]
            ["application/json"]["schema"];
        assert!(schema.is_object(), "no schema for {method} {template}");
        let validator = jsonschema::draft7::new(schema).expect("schema compiles");
        let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{method} {template}: {errors:#?}");
    }

    const CONTENTS: &str = include_str!("../fixtures/github/contents.subset.json");

    /// Checks a recorded GET against GitHub's OpenAPI description of `template` (the contents
    /// API): the operation exists, the request fills its path and uses only the query
    /// parameters it declares.
    pub fn assert_valid_get(template: &str, recorded: &Recorded) {
        let api: Value = serde_json::from_str(CONTENTS).expect("OpenAPI subset is JSON");
        let op = &api["paths"][template]["get"];
        assert!(op.is_object(), "no GET {template}");
        assert_eq!(recorded.method, "GET");
        let (path, query) = recorded
            .path
            .split_once('?')
            .unwrap_or((recorded.path.as_str(), ""));
        let prefix = template.split('{').next().expect("a prefix");
        let fixed = template
            .replace("{owner}", "Codertocat")
            .replace("{repo}", "Hello-World");
        let fixed = fixed.trim_end_matches("{path}");
        assert!(
            path.starts_with(fixed) && path.len() > fixed.len() && path.starts_with(prefix),
            "{path} is not {template}"
        );
        let declared: Vec<&str> = op["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().expect("name"))
            .collect();
        for pair in query.split('&').filter(|q| !q.is_empty()) {
            let name = pair.split('=').next().unwrap_or_default();
            assert!(declared.contains(&name), "query `{name}` of {template}");
        }
    }

    /// A `content-file` answer for `path` holding `bytes`, checked against the schema of the
    /// contents API's 200 answer (leaked: the fake's answers are `'static`).
    pub fn content_file(path: &str, bytes: &[u8]) -> &'static str {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
        // GitHub wraps the base64 at 60 characters.
        let wrapped: Vec<&str> = encoded
            .as_bytes()
            .chunks(60)
            .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
            .collect();
        let sha = "3d21ec53a331a6f037a91c368710b99387d012c1";
        let repo = "https://api.github.com/repos/Codertocat/Hello-World";
        let url = format!("{repo}/contents/{path}");
        let git = format!("{repo}/git/blobs/{sha}");
        let html = format!("https://github.com/Codertocat/Hello-World/blob/master/{path}");
        let raw = format!("https://raw.githubusercontent.com/Codertocat/Hello-World/master/{path}");
        let body = serde_json::json!({
            "type": "file", "encoding": "base64", "size": bytes.len(), "name": path,
            "path": path, "content": wrapped.join("\n"), "sha": sha,
            "url": url, "git_url": git, "html_url": html, "download_url": raw,
            "_links": {"git": git, "html": html, "self": url}
        });
        let api: Value = serde_json::from_str(CONTENTS).expect("OpenAPI subset is JSON");
        let schema = serde_json::json!({
            "$ref": "#/components/schemas/content-file",
            "components": api["components"],
        });
        let validator = jsonschema::draft7::new(&schema).expect("schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(&body)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "content-file: {errors:#?}");
        Box::leak(body.to_string().into_boxed_str())
    }
}

pub(crate) use fake::assert_valid_request;

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

/// The requests that report (check runs, statuses, comments): without the contents API
/// reads of the base commit's policy files, which [`exceptions_the_pr_adds`] checks.
fn requests(fake: &fake::Fake) -> Vec<fake::Recorded> {
    fake.requests
        .lock()
        .expect("lock")
        .iter()
        .filter(|r| !r.path.contains("/contents/"))
        .cloned()
        .collect()
}

/// A comment as GitHub lists it (the OpenAPI example, with `id`, `body` and the author's
/// `login` and `type` replaced).
fn listed_comment(id: u64, body: &str, login: &str, kind: &str) -> Value {
    let mut c = fake::example(
        "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        "issue-comment-items",
    )[0]
    .clone();
    c["id"] = id.into();
    c["body"] = body.into();
    c["user"]["login"] = login.into();
    c["user"]["type"] = kind.into();
    c
}

/// A comment list the fake answers with, checked against GitHub's schema.
fn comment_list(comments: &[Value]) -> &'static str {
    let list = Value::from(comments.to_vec());
    fake::assert_valid_response(
        "GET",
        "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        200,
        &list,
    );
    Box::leak(list.to_string().into_boxed_str())
}

/// `GET /user` refused, as it is for the workflow's `GITHUB_TOKEN`.
const USER_FORBIDDEN: &str = r#"{"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest/reference/users#get-the-authenticated-user"}"#;

/// A PR with a token that may do everything: one check run with the verdict on the PR head,
/// and kevgate's earlier comment (found by its marker, written by `github-actions[bot]`, the
/// identity of the Actions token, whose `GET /user` is forbidden) edited in place. Every body
/// matches GitHub's schema; the token is sent only as the bearer header.
#[test]
fn check_run_and_sticky_comment() {
    let tmp = TempDir::new("action-api");
    fake::assert_valid_response(
        "GET",
        "/user",
        403,
        &serde_json::from_str(USER_FORBIDDEN).expect("JSON"),
    );
    let comments = comment_list(&[
        listed_comment(1, "Me too", "octocat", "User"),
        listed_comment(
            99,
            "<!-- kevgate:comment -->\nold",
            "github-actions[bot]",
            "Bot",
        ),
    ]);
    let fake = fake::serve(move |method, path, _| match (method, path) {
        ("POST", p) if p.ends_with("/check-runs") => (201, r#"{"id": 7}"#, vec![]),
        ("GET", p) if p.contains("/issues/2/comments") => (200, comments, vec![]),
        ("GET", "/user") => (403, USER_FORBIDDEN, vec![]),
        ("PATCH", p) if p.ends_with("/issues/comments/99") => (200, r#"{"id": 99}"#, vec![]),
        _ => (404, r#"{"message": "Not Found"}"#, vec![]),
    });
    let (code, stdout, stderr) = action_against(&tmp, &fake.url);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(!stdout.contains("::warning"), "{stdout}");
    assert_token_masked(&stdout, &stderr);

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
            ("GET".into(), "/user".into()),
            ("PATCH".into(), format!("{REPO}/issues/comments/99")),
        ]
    );
    for r in &reqs {
        assert_eq!(r.authorization, format!("Bearer {TOKEN}"));
        assert_eq!(r.header("x-github-api-version"), Some("2022-11-28"));
        assert_eq!(r.header("accept"), Some("application/vnd.github+json"));
        assert!(
            r.header("user-agent")
                .is_some_and(|ua| ua.starts_with("kevgate/")),
            "{r:?}"
        );
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
        &reqs[3].body,
    );
    assert!(
        reqs[3].body["body"]
            .as_str()
            .is_some_and(|b| b.starts_with("<!-- kevgate:comment -->\n"))
    );
}

/// Another user's comment that starts with kevgate's marker is never edited: with the
/// Actions token (`GET /user` forbidden) kevgate edits only `github-actions[bot]`'s comment
/// and, when there is none, posts its own; with a personal token it edits only the comment
/// of the user `GET /user` names.
#[test]
fn sticky_comment_is_only_ever_its_own() {
    let marker = "<!-- kevgate:comment -->\n## :white_check_mark: kevgate: gate passed";
    // Someone else's comments with the marker: a user, and a user named like the bot.
    let others = [
        listed_comment(50, marker, "mallory", "User"),
        listed_comment(51, marker, "github-actions[bot]", "User"),
    ];
    let mut user = fake::example(
        "/user",
        "private-user-response-with-public-and-private-profile-information",
    );
    fake::assert_valid_response("GET", "/user", 200, &user);
    assert_eq!(user["login"], "octocat");
    user["login"] = "kevgate-bot".into();
    let user: &'static str = Box::leak(user.to_string().into_boxed_str());
    let cases: [(&str, Vec<Value>, &str, &str); 3] = [
        // Actions token, only others' marked comments: a new comment.
        ("actions", others.to_vec(), "POST", "/issues/2/comments"),
        // Actions token, the bot's own comment after the others': that one.
        (
            "actions",
            [
                others.to_vec(),
                vec![listed_comment(60, marker, "github-actions[bot]", "Bot")],
            ]
            .concat(),
            "PATCH",
            "/issues/comments/60",
        ),
        // Personal token: its user's comment, not the bot's nor mallory's.
        (
            "personal",
            [
                others.to_vec(),
                vec![
                    listed_comment(60, marker, "github-actions[bot]", "Bot"),
                    listed_comment(61, marker, "kevgate-bot", "User"),
                ],
            ]
            .concat(),
            "PATCH",
            "/issues/comments/61",
        ),
    ];
    for (token, comments, method, path) in cases {
        let tmp = TempDir::new("action-comment-author");
        let list = comment_list(&comments);
        let fake = fake::serve(move |m, p, _| match (m, p) {
            ("POST", p) if p.ends_with("/check-runs") => (201, r#"{"id": 7}"#, vec![]),
            ("GET", p) if p.contains("/issues/2/comments") => (200, list, vec![]),
            ("GET", "/user") if token == "actions" => (403, USER_FORBIDDEN, vec![]),
            ("GET", "/user") => (200, user, vec![]),
            ("PATCH", p) if p.contains("/issues/comments/") => (200, r#"{"id": 1}"#, vec![]),
            ("POST", p) if p.ends_with("/comments") => (201, r#"{"id": 2}"#, vec![]),
            _ => (404, r#"{"message": "Not Found"}"#, vec![]),
        });
        let (code, stdout, stderr) = action_against(&tmp, &fake.url);
        assert_eq!(code, 1, "{stdout}{stderr}");
        assert!(!stdout.contains("::warning"), "{token}: {stdout}");
        let reqs = requests(&fake);
        let writes: Vec<(String, String)> = reqs
            .iter()
            .filter(|r| r.path.contains("/issues/") && r.method != "GET")
            .map(|r| (r.method.clone(), r.path.clone()))
            .collect();
        assert_eq!(
            writes,
            [(method.to_owned(), format!("{REPO}{path}"))],
            "{token}: {reqs:#?}"
        );
        assert_eq!(
            reqs.iter().filter(|r| r.path == "/user").count(),
            1,
            "whom the token acts as is asked once"
        );
        let template = if method == "POST" {
            "/repos/{owner}/{repo}/issues/{issue_number}/comments"
        } else {
            "/repos/{owner}/{repo}/issues/comments/{comment_id}"
        };
        let write = reqs
            .iter()
            .find(|r| r.path.contains("/issues/") && r.method != "GET")
            .expect("a comment written");
        assert_valid_request(method, template, &write.body);
    }
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

/// The database of `tests/fixtures/github/many-findings`: 141 real Debian OSV records for
/// imagemagick, three of them in CISA KEV.
fn build_many_findings_db(dir: &std::path::Path) -> std::path::PathBuf {
    let src = fixture("github/many-findings");
    crate::scan::build_db(
        &dir.join("many.db"),
        &[
            ("--osv", src.join("osv.jsonl")),
            ("--kev", src.join("kev.json")),
        ],
    )
}

/// `kevgate action` on the many-findings SBOM with its database `db`.
fn many_findings(tmp: &TempDir, db: &std::path::Path) -> Command {
    let mut cmd = action(tmp);
    cmd.env("INPUT_SBOM", fixture("github/many-findings/sbom.cdx.json"))
        .env("INPUT_DB", db);
    cmd
}

/// A route for a token that may do everything: check runs are created (id 7) and updated,
/// comments listed (none) and posted, commits resolved.
fn all_allowed(method: &str, path: &str, _: usize) -> fake::Answer {
    match (method, path) {
        ("POST", p) if p.ends_with("/check-runs") => (201, r#"{"id": 7}"#, vec![]),
        ("PATCH", p) if p.ends_with("/check-runs/7") => (200, r#"{"id": 7}"#, vec![]),
        ("GET", p) if p.contains("/comments") => (200, "[]", vec![]),
        ("POST", p) if p.ends_with("/comments") => (201, r#"{"id": 5}"#, vec![]),
        ("GET", p) if p.ends_with("/commits/release/1.x") => (
            200,
            r#"{"sha": "0123456789abcdef0123456789abcdef01234567"}"#,
            vec![],
        ),
        _ => (404, r#"{"message": "Not Found"}"#, vec![]),
    }
}

/// 141 findings: one check run created with the first 50 annotations, then two PATCHes
/// with 50 and 41, all on the same run, in order; conclusion `failure` (KEV); every body
/// valid against GitHub's OpenAPI description; the annotations are on the SBOM.
#[test]
fn annotations_in_batches_of_50() {
    let tmp = TempDir::new("action-batches");
    let db = build_many_findings_db(tmp.path());
    let fake = fake::serve(all_allowed);
    let (code, stdout, stderr) = run(many_findings(&tmp, &db)
        .env("INPUT_COMMENT", "false")
        .env("GITHUB_API_URL", &fake.url));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(!stdout.contains("::warning"), "{stdout}");
    let reqs = requests(&fake);
    let seen: Vec<(&str, &str)> = reqs
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    let create = format!("{REPO}/check-runs");
    let update = format!("{REPO}/check-runs/7");
    assert_eq!(
        seen,
        [
            ("POST", create.as_str()),
            ("PATCH", update.as_str()),
            ("PATCH", update.as_str())
        ]
    );
    assert_valid_request("POST", "/repos/{owner}/{repo}/check-runs", &reqs[0].body);
    for r in &reqs[1..] {
        assert_valid_request(
            "PATCH",
            "/repos/{owner}/{repo}/check-runs/{check_run_id}",
            &r.body,
        );
    }
    let batch = |i: usize| {
        reqs[i].body["output"]["annotations"]
            .as_array()
            .expect("annotations")
            .clone()
    };
    assert_eq!(
        [batch(0).len(), batch(1).len(), batch(2).len()],
        [50, 50, 41]
    );
    assert_eq!(reqs[0].body["conclusion"], "failure");
    assert_eq!(reqs[0].body["head_sha"], HEAD);
    let all: Vec<Value> = (0..3).flat_map(batch).collect();
    let titles: std::collections::BTreeSet<&str> =
        all.iter().filter_map(|a| a["title"].as_str()).collect();
    assert_eq!(titles.len(), 141, "each finding annotated once");
    assert!(all.iter().all(|a| {
        a["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("many-findings/sbom.cdx.json"))
    }));
    let kev = all
        .iter()
        .filter(|a| {
            a["message"]
                .as_str()
                .is_some_and(|m| m.contains("CISA KEV"))
        })
        .count();
    assert_eq!(kev, 3);
}

/// 50,000 findings (one component, 50,000 vulnerabilities embedded in the SBOM) through
/// `kevgate action` (issue 10: 1,000 requests and 96 MB before): at most 1,000 annotations in
/// 20 requests, failing findings first, the last saying how many more were left out; the
/// report (the ~65 KB summary) is sent once, with the last batch; all check-run bodies
/// together stay under 1.5 MB.
#[test]
fn fifty_thousand_findings_send_a_bounded_run() {
    let tmp = TempDir::new("action-50k");
    let db = build_many_findings_db(tmp.path());
    let n = 50_000;
    let purl = "pkg:npm/left-pad@1.0.0";
    let vulnerabilities: Vec<Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "id": format!("CVE-2099-{i:05}"),
                "ratings": [{"severity": if i % 2 == 0 { "critical" } else { "medium" }}],
                "description": "x".repeat(200),
                "affects": [{"ref": purl}],
            })
        })
        .collect();
    let sbom = tmp.path().join("many.cdx.json");
    fs_err::write(
        &sbom,
        serde_json::json!({
            "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "components": [{"bom-ref": purl, "type": "library", "name": "left-pad",
                            "version": "1.0.0", "purl": purl}],
            "vulnerabilities": vulnerabilities,
        })
        .to_string(),
    )
    .expect("write SBOM");
    let fake = fake::serve(all_allowed);
    let (code, stdout, stderr) = run(action(&tmp)
        .env("INPUT_SBOM", &sbom)
        .env("INPUT_DB", &db)
        .env("INPUT_COMMENT", "false")
        .env("GITHUB_API_URL", &fake.url));
    assert_eq!(code, 1, "{stdout}{stderr}");
    let reqs = requests(&fake);
    let runs: Vec<_> = reqs
        .iter()
        .filter(|r| r.path.contains("/check-runs"))
        .collect();
    assert_eq!(runs.len(), 20, "create + 19 PATCHes");
    assert_eq!(reqs.len(), 20, "nothing else");
    let bytes: usize = runs
        .iter()
        .map(|r| serde_json::to_vec(&r.body).expect("JSON").len())
        .sum();
    assert!(bytes < 1_500_000, "{bytes} bytes sent");
    let annotations: Vec<&Value> = runs
        .iter()
        .flat_map(|r| {
            r.body["output"]["annotations"]
                .as_array()
                .expect("annotations")
        })
        .collect();
    assert_eq!(annotations.len(), 1000);
    // Failing (critical) findings first; the last annotation counts what was left out.
    assert!(
        annotations[..999]
            .iter()
            .all(|a| a["annotation_level"] == "failure")
    );
    let more = annotations[999];
    assert_eq!(
        more["title"],
        format!("{} more findings not annotated", n - 999)
    );
    // The report once, in the last request; the others carry one line.
    let summaries: Vec<&str> = runs
        .iter()
        .map(|r| r.body["output"]["summary"].as_str().expect("summary"))
        .collect();
    let long: Vec<usize> = summaries
        .iter()
        .enumerate()
        .filter(|(_, s)| s.len() > 1000)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        long,
        [19],
        "{:?}",
        summaries.iter().map(|s| s.len()).collect::<Vec<_>>()
    );
    assert!(
        summaries[19].contains("999 of 50000 findings are annotated"),
        "{}",
        summaries[19]
    );
    for (i, r) in runs.iter().enumerate() {
        let (method, path) = if i == 0 {
            ("POST", "/repos/{owner}/{repo}/check-runs")
        } else {
            ("PATCH", "/repos/{owner}/{repo}/check-runs/{check_run_id}")
        };
        assert_valid_request(method, path, &r.body);
    }
}

/// The commit each event reports on, through the binary: the check run's `head_sha` on the
/// real webhook payloads. A PR closed without merging, a branch deletion and an unsupported
/// event stop with exit 2 before any request.
#[test]
fn head_sha_per_event() {
    let tmp = TempDir::new("action-events");
    let db = build_many_findings_db(tmp.path());
    let payloads = tmp.path().join("payloads");
    fs_err::create_dir_all(&payloads).expect("mkdir");
    let write = |name: &str, v: Value| {
        let path = payloads.join(name);
        fs_err::write(&path, v.to_string()).expect("write payload");
        path
    };
    let dispatch_sha = write(
        "dispatch-sha.json",
        serde_json::json!({"inputs": {"ref": "5a47c3f3c22f54f37a3297f2f1c98d860fba4489", "sbom": "x"}, "ref": "refs/heads/main"}),
    );
    let dispatch_branch = write(
        "dispatch-branch.json",
        serde_json::json!({"inputs": {"ref": "release/1.x", "sbom": "x"}, "ref": "refs/heads/main"}),
    );
    let mut fork_run: Value = serde_json::from_str(&read(fixture(
        "github/workflow_run.completed.with-pull-requests.payload.json",
    )))
    .expect("JSON");
    fork_run["workflow_run"]["pull_requests"] = serde_json::json!([]);
    let fork_run = write("fork-run.json", fork_run);
    let gh = |name: &str| fixture(&format!("github/{name}.payload.json"));
    let github_sha = "1111111111111111111111111111111111111111";
    // (event, payload, expected head_sha or error text, PR number commented on)
    type Case = (
        &'static str,
        std::path::PathBuf,
        Result<&'static str, &'static str>,
        Option<u64>,
    );
    let cases: Vec<Case> = vec![
        ("pull_request", gh("pull_request.opened"), Ok(HEAD), Some(2)),
        (
            "pull_request",
            gh("pull_request.synchronize"),
            Ok(HEAD),
            Some(2),
        ),
        (
            "pull_request",
            gh("pull_request.reopened"),
            Ok(HEAD),
            Some(2),
        ),
        (
            "pull_request",
            gh("pull_request.closed.MERGED"),
            Ok("5a47c3f3c22f54f37a3297f2f1c98d860fba4489"),
            None,
        ),
        (
            "push",
            gh("push.with-new-branch"),
            Ok("6113728f27ae82c7b1a177c8d03f9e96e0adf246"),
            None,
        ),
        (
            "workflow_dispatch",
            gh("workflow_dispatch"),
            Ok(github_sha),
            None,
        ),
        (
            "workflow_dispatch",
            dispatch_sha,
            Ok("5a47c3f3c22f54f37a3297f2f1c98d860fba4489"),
            None,
        ),
        (
            "workflow_dispatch",
            dispatch_branch,
            Ok("0123456789abcdef0123456789abcdef01234567"),
            None,
        ),
        (
            "merge_group",
            gh("merge_group.checks_requested"),
            Ok("2ffea6db159f6b6c47a24e778fb9ef40cf6b1c7d"),
            None,
        ),
        (
            "workflow_run",
            gh("workflow_run.completed.with-pull-requests"),
            Ok("3484a3fb816e0859fd6e1cea078d76385ff50625"),
            Some(2),
        ),
        (
            "workflow_run",
            fork_run,
            Ok("3484a3fb816e0859fd6e1cea078d76385ff50625"),
            None,
        ),
        (
            "pull_request",
            gh("pull_request.closed"),
            Err("closed without merging"),
            None,
        ),
        (
            "push",
            gh("push"),
            Err("the push deleted `refs/tags/simple-tag`"),
            None,
        ),
        (
            "issue_comment",
            gh("pull_request.opened"),
            Err("event `issue_comment` (action `opened`) is not supported"),
            None,
        ),
    ];
    for (event, payload, want, pr) in cases {
        let fake = fake::serve(all_allowed);
        let (code, stdout, stderr) = run(many_findings(&tmp, &db)
            .env("GITHUB_EVENT_NAME", event)
            .env("GITHUB_EVENT_PATH", &payload)
            .env("GITHUB_SHA", github_sha)
            .env("GITHUB_API_URL", &fake.url));
        let reqs = requests(&fake);
        let case = format!("{event} {}", payload.display());
        match want {
            Ok(sha) => {
                assert_eq!(code, 1, "{case}: {stdout}{stderr}");
                assert!(!stdout.contains("::warning"), "{case}: {stdout}");
                let create = reqs
                    .iter()
                    .find(|r| r.method == "POST" && r.path.ends_with("/check-runs"))
                    .unwrap_or_else(|| panic!("{case}: no check run in {reqs:#?}"));
                assert_eq!(create.body["head_sha"], sha, "{case}");
                let commented = reqs
                    .iter()
                    .find(|r| r.method == "POST" && r.path.ends_with("/comments"))
                    .map(|r| r.path.clone());
                assert_eq!(
                    commented,
                    pr.map(|n| format!("{REPO}/issues/{n}/comments")),
                    "{case}"
                );
            }
            Err(text) => {
                assert_eq!(code, 2, "{case}: {stdout}{stderr}");
                assert!(stderr.contains(text), "{case}: {stderr}");
                assert!(reqs.is_empty(), "{case}: {reqs:#?}");
            }
        }
    }
}

/// The `config` input is the policy file `scan --config` reads; `fail-on` and `fail-on-kev`
/// left empty (action.yml's defaults) keep it in force; given, they override it, even with
/// the value that is kevgate's default.
#[test]
fn config_input() {
    let tmp = TempDir::new("action-config");
    let db = build_many_findings_db(tmp.path());
    fs_err::write(
        tmp.path().join("policy.yaml"),
        "fail-on: none\nfail-on-kev: false\n",
    )
    .expect("write config");
    let scan = |extra: &[(&str, &str)]| {
        let mut cmd = many_findings(&tmp, &db);
        cmd.env("INPUT_GITHUB-TOKEN", "")
            .env("INPUT_CONFIG", "policy.yaml");
        for (k, v) in extra {
            cmd.env(k, v);
        }
        run(&mut cmd)
    };
    let (code, stdout, stderr) = scan(&[]);
    assert_eq!(code, 0, "the config turns KEV off: {stdout}{stderr}");
    // Empty inputs (the runner's value for inputs the workflow does not give) keep the config.
    let (code, _, stderr) = scan(&[("INPUT_FAIL-ON-KEV", ""), ("INPUT_FAIL-ON", "")]);
    assert_eq!(code, 0, "empty inputs leave the config in force: {stderr}");
    let (code, _, stderr) = scan(&[("INPUT_FAIL-ON-KEV", "false"), ("INPUT_FAIL-ON", "low")]);
    assert_eq!(code, 1, "`fail-on: low` overrides the config: {stderr}");
    // A given input wins even when it names kevgate's default.
    let (code, _, stderr) = scan(&[("INPUT_FAIL-ON-KEV", "true")]);
    assert_eq!(
        code, 1,
        "`fail-on-kev: true` overrides the config: {stderr}"
    );
    let (code, _, stderr) = scan(&[("INPUT_CONFIG", "missing.yaml")]);
    assert_eq!(code, 2);
    assert!(stderr.contains("missing.yaml"), "{stderr}");
    fs_err::write(tmp.path().join("bad.yaml"), "fail-on: sometimes\n").expect("write");
    let (code, _, stderr) = scan(&[("INPUT_CONFIG", "bad.yaml")]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("bad.yaml"), "{stderr}");
}

/// GitHub Enterprise Server: `GITHUB_API_URL` with its `/api/v3` path, over TLS with a
/// private CA trusted through `SSL_CERT_FILE`. Without the CA file the TLS handshake fails:
/// no request arrives, a warning says why, and the gate's exit code is unchanged.
#[test]
fn ghes_base_url_and_private_ca() {
    let tmp = TempDir::new("action-ghes");
    let db = build_many_findings_db(tmp.path());
    let fake = fake::serve_tls(all_allowed);
    let ghes = format!("{}/api/v3", fake.url);
    let scan = |ca: Option<std::path::PathBuf>| {
        let mut cmd = many_findings(&tmp, &db);
        cmd.env("INPUT_COMMENT", "false")
            .env("GITHUB_API_URL", &ghes)
            .env("GITHUB_SERVER_URL", "https://ghes.test");
        if let Some(ca) = ca {
            cmd.env("SSL_CERT_FILE", ca);
        }
        run(&mut cmd)
    };
    let (code, stdout, stderr) = scan(None);
    assert_eq!(code, 1, "{stderr}");
    assert!(requests(&fake).is_empty());
    let warning = stdout
        .lines()
        .find(|l| l.starts_with("::warning "))
        .unwrap_or_else(|| panic!("a warning in {stdout}"));
    assert!(warning.contains("cannot create the check run"), "{warning}");

    let (code, stdout, stderr) = scan(Some(fixture("github/tls/ca.pem")));
    assert_eq!(code, 1, "{stderr}");
    assert!(!stdout.contains("::warning"), "{stdout}");
    let reqs = requests(&fake);
    assert_eq!(reqs.len(), 3, "{reqs:#?}");
    assert_eq!(
        reqs[0].path,
        "/api/v3/repos/Codertocat/Hello-World/check-runs"
    );
    assert_eq!(reqs[0].authorization, format!("Bearer {TOKEN}"));
    assert_eq!(
        reqs[0].body["details_url"],
        "https://ghes.test/Codertocat/Hello-World/actions/runs/42"
    );
}

/// An SBOM with hostile component names and file paths (workflow commands, HTML, links,
/// table breaks, mentions) and so many findings (30 components x 141) that every report
/// is cut: the check run summary and the PR comment to GitHub's 65,535 characters, the step
/// summary under 1 MiB, each pointing to the full report. Nothing hostile gets through as
/// a command, a tag or a link.
#[test]
fn hostile_names_and_truncation() {
    let tmp = TempDir::new("action-hostile");
    let db = build_many_findings_db(tmp.path());
    let hostile = "x\n::error::pwned\r\n%0A::warning::pwned <img src=x onerror=alert(1)> \
                   [click](https://evil.example) | @everyone </details>";
    let components: Vec<Value> = (0..30)
        .map(|i| {
            let purl = format!("pkg:deb/debian/imagemagick@8:6.9.6.2+dfsg-1?distro=debian-11&n={i}");
            serde_json::json!({
                "bom-ref": purl,
                "type": "library",
                "name": format!("{hostile} {i} {}", "A".repeat(150)),
                "version": "8:6.9.6.2+dfsg-1",
                "purl": purl,
                "properties": [{"name": "aquasecurity:trivy:FilePath", "value": format!("{hostile}/{i}")}],
            })
        })
        .collect();
    let sbom = tmp.path().join("hostile.cdx.json");
    fs_err::write(
        &sbom,
        serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": components})
            .to_string(),
    )
    .expect("write SBOM");
    let fake = fake::serve(all_allowed);
    let (code, stdout, stderr) = run(action(&tmp)
        .env("INPUT_SBOM", &sbom)
        .env("INPUT_DB", &db)
        .env("GITHUB_API_URL", &fake.url));
    assert_eq!(code, 1, "{stderr}");
    let commands: Vec<&str> = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("::"))
        .collect();
    assert_eq!(commands, [format!("::add-mask::{TOKEN}")], "{stdout}");
    assert!(!stderr.contains("::error::pwned"), "{stderr}");

    let summary = read(tmp.path().join("summary.md"));
    let reqs = requests(&fake);
    let create = reqs
        .iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/check-runs"))
        .expect("check run");
    assert_valid_request("POST", "/repos/{owner}/{repo}/check-runs", &create.body);
    // The report rides with the last batch of annotations.
    let last = reqs
        .iter()
        .rfind(|r| r.path.contains("/check-runs"))
        .expect("check run");
    let check_summary = last.body["output"]["summary"].as_str().expect("summary");
    let comment = reqs
        .iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/comments"))
        .expect("comment");
    assert_valid_request(
        "POST",
        "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        &comment.body,
    );
    let comment = comment.body["body"].as_str().expect("comment body");
    assert!(
        check_summary.chars().count() <= 65_535,
        "{}",
        check_summary.len()
    );
    assert!(comment.chars().count() <= 65_536, "{}", comment.len());
    assert!(summary.len() < 1024 * 1024, "{}", summary.len());
    for (name, md) in [
        ("check run", check_summary),
        ("comment", comment),
        ("step summary", summary.as_str()),
    ] {
        assert!(
            md.contains("more findings not shown; see [the full report]("),
            "{name} is cut with a pointer"
        );
        assert!(!md.contains("<img"), "{name}");
        assert!(!md.contains("</details> "), "{name}");
        assert!(!md.contains("[click](https://evil"), "{name}");
        assert!(!md.contains("@everyone"), "{name}: a mention");
        assert!(
            !md.lines().any(|l| l.trim_start().starts_with("::")),
            "{name}: a workflow command"
        );
    }
    // 30 x 141 findings, capped at 1,000 annotations: 20 requests of 50; titles and paths
    // are one line each.
    let patches = reqs.iter().filter(|r| r.method == "PATCH").count();
    assert_eq!(patches, 19);
    for r in reqs.iter().filter(|r| r.path.contains("/check-runs")) {
        for a in r.body["output"]["annotations"]
            .as_array()
            .expect("annotations")
        {
            for field in ["title", "path"] {
                let v = a[field].as_str().expect(field);
                assert!(!v.contains('\n') && !v.contains('\r'), "{field}: {v:?}");
            }
        }
    }
}

/// Each workflow in the README is, byte for byte, its file in `docs/examples/workflows/`
/// (the files are what `scripts/lint-action.sh` lints), and every file is in the README.
#[test]
fn readme_workflows_are_the_linted_files() {
    let readme = read(root().join("README.md"));
    let mut shown = Vec::new();
    let mut rest = readme.as_str();
    while let Some(at) = rest.find("<!-- docs/examples/workflows/") {
        let after = &rest[at + "<!-- ".len()..];
        let (file, after) = after
            .split_once(" -->\n```yaml\n")
            .expect("marker, then a yaml block");
        let (block, after) = after.split_once("```\n").expect("the block ends");
        assert_eq!(
            block,
            read(root().join(file)),
            "README block for {file} differs from the file"
        );
        shown.push(
            file.trim_start_matches("docs/examples/workflows/")
                .to_owned(),
        );
        rest = after;
    }
    let mut files: Vec<String> = fs_err::read_dir(root().join("docs/examples/workflows"))
        .expect("examples")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    shown.sort();
    assert_eq!(shown, files);
    assert_eq!(files.len(), 10);
}

/// A CONNECT proxy on 127.0.0.1 that records each `CONNECT` target and relays bytes.
fn connect_proxy() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = std::sync::Arc::clone(&seen);
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { continue };
            let mut reader = BufReader::new(client.try_clone().expect("clone"));
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                    break;
                }
            }
            let target = line
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_owned();
            log.lock().expect("lock").push(line.trim().to_owned());
            let Ok(upstream) = std::net::TcpStream::connect(&target) else {
                continue;
            };
            let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
            let (mut up_read, mut up_write) = (upstream.try_clone().expect("clone"), upstream);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut reader, &mut up_write);
                let _ = up_write.shutdown(std::net::Shutdown::Write);
            });
            let _ = std::io::copy(&mut up_read, &mut client);
        }
    });
    (url, seen)
}

/// `HTTPS_PROXY` tunnels the API calls through the proxy (CONNECT to the API host);
/// `NO_PROXY` naming the host bypasses it.
#[test]
fn https_proxy_and_no_proxy() {
    let tmp = TempDir::new("action-proxy");
    let db = build_many_findings_db(tmp.path());
    let fake = fake::serve_tls(all_allowed);
    let host = fake.url.trim_start_matches("https://").to_owned();
    let (proxy, connects) = connect_proxy();
    let scan = |no_proxy: &str| {
        run(many_findings(&tmp, &db)
            .env("INPUT_COMMENT", "false")
            .env("GITHUB_API_URL", &fake.url)
            .env("SSL_CERT_FILE", fixture("github/tls/ca.pem"))
            .env("HTTPS_PROXY", &proxy)
            .env("NO_PROXY", no_proxy))
    };
    let (code, stdout, stderr) = scan("");
    assert_eq!(code, 1, "{stderr}");
    assert!(!stdout.contains("::warning"), "{stdout}");
    assert_eq!(requests(&fake).len(), 3);
    let all = fake.requests.lock().expect("lock").len();
    let seen = connects.lock().expect("lock").clone();
    assert_eq!(seen.len(), all, "one tunnel per request: {seen:?}");
    assert!(
        seen.iter()
            .all(|l| l == &format!("CONNECT {host} HTTP/1.1")),
        "{seen:?}"
    );

    let (code, stdout, stderr) = scan("example.com,127.0.0.1");
    assert_eq!(code, 1, "{stderr}");
    assert!(!stdout.contains("::warning"), "{stdout}");
    assert_eq!(requests(&fake).len(), 6);
    assert_eq!(connects.lock().expect("lock").len(), all, "bypassed");
}

// ---- Policy files a pull request controls (issue 10, items 2 and 13) ------------------

/// A fake secret, shaped like the tokens the runner's environment holds.
pub(crate) const SECRET: &str = "ghs_kevgateFakeSecret0123456789abcdefAB";

/// A file outside the workspace holding "secrets", as `/proc/self/environ` would.
pub(crate) fn secret_file(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("environ");
    fs_err::write(
        &path,
        format!(
            "GITHUB_TOKEN={SECRET}\nACTIONS_RUNTIME_TOKEN=eyJ0eXAiOiJKV1Qi.{SECRET}\n{SECRET}\n"
        ),
    )
    .expect("write secret");
    path
}

/// The base commit of the `pull_request.opened` fixture.
const BASE: &str = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e";

/// `.trivyignore` symlinked to a file outside the workspace: exit 2 before anything is
/// published, naming the file, and the secret is nowhere (log, outputs, request bodies).
/// The same lines in a `.trivyignore` inside the workspace are not ids: the notes name their
/// lines, and nothing kevgate writes or sends quotes them.
#[test]
fn policy_symlink_out_of_the_workspace_is_refused() {
    let tmp = TempDir::new("action-symlink");
    let outside = TempDir::new("action-symlink-outside");
    let secret = secret_file(outside.path());
    std::os::unix::fs::symlink(&secret, tmp.path().join(".trivyignore")).expect("symlink");
    let fake = fake::serve(all_allowed);
    let db = build_kev_hits_db(tmp.path());
    let (code, stdout, stderr) = run(action(&tmp)
        .env(
            "INPUT_SBOM",
            fixture("kev-hits/sboms/other-syft-cdx-image-python-latest.json"),
        )
        .env("INPUT_DB", &db)
        .env("INPUT_JSON-FILE", "kevgate.json")
        .env("GITHUB_API_URL", &fake.url));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("`.trivyignore` is a symlink that leads out of the workspace"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));
    assert!(!tmp.path().join("kevgate.json").exists());
    assert!(fake.requests.lock().expect("lock").is_empty());

    // The same text as a regular file in the workspace: read, and never quoted.
    fs_err::remove_file(tmp.path().join(".trivyignore")).expect("rm");
    fs_err::copy(&secret, tmp.path().join(".trivyignore")).expect("copy");
    let (code, stdout, stderr) = run(action(&tmp)
        .env(
            "INPUT_SBOM",
            fixture("kev-hits/sboms/other-syft-cdx-image-python-latest.json"),
        )
        .env("INPUT_DB", &db)
        .env("INPUT_JSON-FILE", "kevgate.json")
        .env("INPUT_SARIF-FILE", "kevgate.sarif")
        .env("GITHUB_API_URL", &fake.url));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.contains("`.trivyignore` line 1 is not a vulnerability id"),
        "{stdout}"
    );
    let mut seen = vec![stdout, stderr];
    for f in ["kevgate.json", "kevgate.sarif", "summary.md", "output.txt"] {
        seen.push(read(tmp.path().join(f)));
    }
    let bodies = fake.requests.lock().expect("lock").clone();
    assert!(bodies.len() >= 3, "{bodies:#?}");
    seen.extend(bodies.iter().map(|r| format!("{} {}", r.path, r.body)));
    for text in &seen {
        assert!(!text.contains(SECRET), "the secret leaked: {text}");
        assert!(!text.contains("ACTIONS_RUNTIME_TOKEN"), "{text}");
    }
}

/// A symlink to `/dev/zero` and a FIFO as policy files: a bounded exit 2, naming the file.
#[test]
fn device_and_fifo_policy_files_are_refused() {
    let tmp = TempDir::new("action-devzero");
    /// Makes a policy file that is not a regular file at the path.
    type Make = dyn Fn(&std::path::Path);
    let cases: [(&str, &Make); 2] = [
        (".kevgate.yaml", &|p| {
            std::os::unix::fs::symlink("/dev/zero", p).expect("symlink")
        }),
        (".trivyignore.yaml", &|p| {
            let ok = Command::new("mkfifo").arg(p).status().expect("mkfifo");
            assert!(ok.success());
        }),
    ];
    for (name, make) in cases {
        let path = tmp.path().join(name);
        make(&path);
        let start = std::time::Instant::now();
        let (code, _, stderr) = run(action(&tmp)
            .env("INPUT_SBOM", root().join("examples/trivy-sbom.cdx.json"))
            .env("INPUT_ALLOW-DEMO-DB", "true")
            .env("INPUT_GITHUB-TOKEN", ""));
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(stderr.contains(&format!("`{name}`")), "{stderr}");
        assert!(start.elapsed() < std::time::Duration::from_secs(60));
        fs_err::remove_file(&path).expect("rm");
    }
}

/// Reports the action writes never go through a symlink: one at `json-file` is replaced (the
/// file it pointed to outside the workspace is untouched), and a directory that leads out of
/// the workspace is refused (exit 2).
#[test]
fn report_outputs_do_not_follow_symlinks_out() {
    let tmp = TempDir::new("action-outlink");
    let outside = TempDir::new("action-outlink-outside");
    let victim = outside.path().join("victim");
    fs_err::write(&victim, "precious\n").expect("write");
    std::os::unix::fs::symlink(&victim, tmp.path().join("kevgate.json")).expect("symlink");
    let (code, _, stderr) = run(action(&tmp)
        .env("INPUT_SBOM", root().join("examples/trivy-sbom.cdx.json"))
        .env("INPUT_ALLOW-DEMO-DB", "true")
        .env("INPUT_GITHUB-TOKEN", "")
        .env("INPUT_JSON-FILE", "kevgate.json"));
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(read(victim.clone()), "precious\n");
    let meta = fs_err::symlink_metadata(tmp.path().join("kevgate.json")).expect("written");
    assert!(meta.is_file(), "the symlink was replaced by the report");

    std::os::unix::fs::symlink(outside.path(), tmp.path().join("out")).expect("symlink");
    let (code, _, stderr) = run(action(&tmp)
        .env("INPUT_SBOM", root().join("examples/trivy-sbom.cdx.json"))
        .env("INPUT_ALLOW-DEMO-DB", "true")
        .env("INPUT_GITHUB-TOKEN", "")
        .env("INPUT_SARIF-FILE", "out/kevgate.sarif"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("`out/kevgate.sarif`"), "{stderr}");
    assert!(!outside.path().join("kevgate.sarif").exists());
}

/// A route like [`all_allowed`] whose base commit has the files `base` (path, content);
/// every other path is absent there (404).
fn with_base(
    base: &'static [(&'static str, &'static str)],
) -> impl Fn(&str, &str, usize) -> fake::Answer + Send + 'static {
    move |method, path, seen| {
        let prefix = format!("{REPO}/contents/");
        if method == "GET"
            && let Some(rest) = path.strip_prefix(&prefix)
        {
            let (file, query) = rest.split_once('?').unwrap_or((rest, ""));
            if query == format!("ref={BASE}")
                && let Some((_, text)) = base.iter().find(|(p, _)| *p == file)
            {
                return (200, fake::content_file(file, text.as_bytes()), vec![]);
            }
            return (404, r#"{"message": "Not Found"}"#, vec![]);
        }
        all_allowed(method, path, seen)
    }
}

/// On a pull request, the exceptions its policy files add compared with the base commit's
/// (read through the contents API; each request valid against GitHub's OpenAPI) are listed
/// under their own heading in the check run summary, the PR comment and the step summary;
/// one the base already has is not.
#[test]
fn exceptions_the_pr_adds() {
    let tmp = TempDir::new("action-added");
    fs_err::write(
        tmp.path().join(".trivyignore"),
        "# not reachable: glibc tunables unused\nCVE-2023-4911\nCVE-2019-1010022\n",
    )
    .expect("write");
    let fake = fake::serve(with_base(&[(".trivyignore", "CVE-2019-1010022\n")]));
    let (code, stdout, stderr) = run(action(&tmp)
        .env(
            "INPUT_SBOM",
            fixture("kev-hits/sboms/other-syft-cdx-image-python-latest.json"),
        )
        .env("INPUT_DB", build_kev_hits_db(tmp.path()))
        .env("INPUT_JSON-FILE", "kevgate.json")
        .env("GITHUB_API_URL", &fake.url));
    assert_ne!(code, 2, "{stdout}{stderr}");
    let report: Value =
        serde_json::from_str(&read(tmp.path().join("kevgate.json"))).expect("JSON report");
    let added = &report["policy"]["added_exceptions"];
    assert_eq!(added.as_array().map(Vec::len), Some(1), "{added}");
    assert_eq!(added[0]["id"], "CVE-2023-4911");
    assert_eq!(added[0]["source"], "trivyignore");
    assert_eq!(added[0]["origin"], "`.trivyignore` line 2");
    let all = fake.requests.lock().expect("lock").clone();
    let reads: Vec<&fake::Recorded> = all
        .iter()
        .filter(|r| r.path.contains("/contents/"))
        .collect();
    let paths: Vec<&str> = reads.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            format!("{REPO}/contents/.kevgate.yaml?ref={BASE}"),
            format!("{REPO}/contents/.trivyignore?ref={BASE}"),
            format!("{REPO}/contents/.trivyignore.yaml?ref={BASE}"),
        ]
    );
    for r in &reads {
        fake::assert_valid_get("/repos/{owner}/{repo}/contents/{path}", r);
        assert_eq!(r.authorization, format!("Bearer {TOKEN}"));
    }
    let summary = read(tmp.path().join("summary.md"));
    let check = all
        .iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/check-runs"))
        .expect("a check run");
    let check = check.body["output"]["summary"].as_str().expect("summary");
    let comment = all
        .iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/comments"))
        .expect("a comment");
    let comment = comment.body["body"].as_str().expect("body");
    for md in [&summary[..], check, comment] {
        let at = md
            .find("### Exceptions this pull request adds (1)")
            .unwrap_or_else(|| panic!("no exceptions heading in {md}"));
        let section = &md[at..];
        let section = &section[..section[4..].find("###").map_or(section.len(), |i| i + 4)];
        assert!(section.contains("`CVE-2023-4911`"), "{section}");
        assert!(section.contains("glibc tunables unused"), "{section}");
        assert!(!section.contains("CVE-2019-1010022"), "{section}");
    }
}

/// `policy-from: base` gates with the base commit's policy: its `.kevgate.yaml` turns the
/// gate off, whatever the pull request's own files say; the head's `.trivyignore` (a symlink
/// out of the workspace) is not read at all. On an event without a base commit, or when the
/// base's files cannot be read, it is an error (exit 2), never the head's policy.
#[test]
fn policy_from_base() {
    let tmp = TempDir::new("action-policy-base");
    let fake = fake::serve(with_base(&[(
        ".kevgate.yaml",
        "fail-on: none\nfail-on-kev: false\n",
    )]));
    let (code, stdout, stderr) = action_against(&tmp, &fake.url);
    assert_eq!(code, 1, "the head has no policy: {stdout}{stderr}");
    let outside = TempDir::new("action-policy-base-outside");
    std::os::unix::fs::symlink(secret_file(outside.path()), tmp.path().join(".trivyignore"))
        .expect("symlink");
    let db = tmp.path().join("kev-hits.db");
    let sbom = fixture("kev-hits/sboms/other-syft-cdx-image-python-latest.json");
    let base = |extra: &[(&str, &str)]| {
        let mut cmd = action(&tmp);
        cmd.env("INPUT_SBOM", &sbom)
            .env("INPUT_DB", &db)
            .env("GITHUB_API_URL", &fake.url)
            .env("INPUT_POLICY-FROM", "base");
        for (k, v) in extra {
            cmd.env(k, v);
        }
        run(&mut cmd)
    };
    let (code, stdout, stderr) = base(&[]);
    assert_eq!(code, 0, "the base's policy: {stdout}{stderr}");
    assert!(stderr.contains("base commit"), "{stderr}");

    let (code, _, stderr) = base(&[
        ("GITHUB_EVENT_NAME", "push"),
        (
            "GITHUB_EVENT_PATH",
            fixture("github/push.with-new-branch.payload.json")
                .to_str()
                .expect("UTF-8"),
        ),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("`policy-from: base` needs a pull request"),
        "{stderr}"
    );

    let (code, _, stderr) = base(&[("INPUT_GITHUB-TOKEN", "")]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = base(&[("INPUT_POLICY-FROM", "main")]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("input `policy-from`"), "{stderr}");
}

/// The workspace is `GITHUB_WORKSPACE`, wherever the action runs from: its `.trivyignore` is
/// read (and refused when it leads out), and a `json-file` outside it is refused.
#[test]
fn workspace_is_github_workspace() {
    let tmp = TempDir::new("action-ghws");
    let outside = TempDir::new("action-ghws-outside");
    let ws = tmp.path().join("ws");
    fs_err::create_dir_all(&ws).expect("mkdir");
    std::os::unix::fs::symlink(secret_file(outside.path()), ws.join(".trivyignore"))
        .expect("symlink");
    let demo = |extra: &[(&str, &str)]| {
        let mut cmd = action(&tmp);
        cmd.env("INPUT_SBOM", root().join("examples/trivy-sbom.cdx.json"))
            .env("INPUT_ALLOW-DEMO-DB", "true")
            .env("INPUT_GITHUB-TOKEN", "")
            .env("GITHUB_WORKSPACE", &ws);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        run(&mut cmd)
    };
    let (code, _, stderr) = demo(&[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(".trivyignore` is a symlink that leads out"),
        "{stderr}"
    );
    assert!(!stderr.contains(SECRET));
    fs_err::remove_file(ws.join(".trivyignore")).expect("rm");
    let (code, _, stderr) = demo(&[]);
    assert_eq!(code, 1, "{stderr}");
    let (code, _, stderr) = demo(&[("INPUT_JSON-FILE", "kevgate.json")]);
    assert_eq!(
        code, 2,
        "the working directory is outside the workspace: {stderr}"
    );
    assert!(!tmp.path().join("kevgate.json").exists());
}

/// Input `attestation` writes the gate attestation into the workspace; the outputs carry what
/// `actions/attest` takes: the predicate (the same as in the file), the subject's name and
/// digest, and the predicate type.
#[test]
fn attestation_input_and_outputs() {
    let tmp = TempDir::new("action-attest");
    let (code, _, stderr) = run(action(&tmp)
        .env(
            "INPUT_SBOM",
            fixture("sbom/trivy-cdx1.7-image-python-backend-debian-pypi.json"),
        )
        .env("INPUT_ALLOW-DEMO-DB", "true")
        .env("INPUT_ATTESTATION", "gate.intoto.json"));
    assert!(code == 0 || code == 1, "{stderr}");
    let statement: Value =
        serde_json::from_str(&read(tmp.path().join("gate.intoto.json"))).expect("statement");
    assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
    let outputs = read(tmp.path().join("output.txt"));
    let predicate: Value =
        serde_json::from_str(&crate::output(&outputs, "attestation-predicate")).expect("JSON");
    assert_eq!(predicate, statement["predicate"]);
    assert_eq!(
        predicate["verdict"],
        if code == 0 { "pass" } else { "fail" }
    );
    assert_eq!(
        crate::output(&outputs, "attestation-predicate-type"),
        statement["predicateType"].as_str().expect("type")
    );
    assert_eq!(
        crate::output(&outputs, "attestation-subject-name"),
        "index.docker.io/cloud-native-devops-platform/backend"
    );
    assert_eq!(
        crate::output(&outputs, "attestation-subject-digest"),
        "sha256:bbbe815b64509393a26931d87925ab32c2e1c99f04693140f6fadd3f9f6e6163"
    );
}
