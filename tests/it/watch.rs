//! `kevgate watch` (releases through a fake GitHub API, and local SBOMs), the action's
//! `mode: watch`, and `kevgate summarize`.
//!
//! The database is built from the real kev-hits fixtures: CISA added CVE-2023-4863 (libwebp)
//! on 2023-09-13, CVE-2023-44487 (nghttp2) on 2023-10-10 and CVE-2023-4911 (glibc) on
//! 2023-11-21, so a release of the python image published on 2023-09-01 was clean by KEV that
//! day (proved with a database whose KEV catalog stops at that day) and carries all three now.
//! The fake's requests and answers are checked against GitHub's OpenAPI description of the
//! releases endpoints (`tests/fixtures/github/releases.subset.json`).

use crate::action::TOKEN;
use crate::action::fake::{self, BytesAnswer, Recorded};
use crate::scan::{build_db, build_kev_hits_db};
use crate::{TempDir, fixture, kevgate, run};
use serde_json::Value;
use std::path::{Path, PathBuf};

const RELEASES: &str = include_str!("../fixtures/github/releases.subset.json");
const LIST: &str = "/repos/{owner}/{repo}/releases";
const ASSET: &str = "/repos/{owner}/{repo}/releases/assets/{asset_id}";
const REPO: &str = "/repos/Codertocat/Hello-World";

fn api() -> Value {
    serde_json::from_str(RELEASES).expect("OpenAPI subset is JSON")
}

/// OpenAPI 3.0's `nullable: true` as JSON Schema (`type: [T, "null"]`), so draft 7 validates.
fn nullable_to_types(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.remove("nullable") == Some(Value::Bool(true)) {
                if let Some(Value::String(t)) = map.get("type").cloned() {
                    map.insert("type".into(), serde_json::json!([t, "null"]));
                } else if let Some(all) = map.remove("allOf") {
                    map.insert(
                        "anyOf".into(),
                        serde_json::json!([{"allOf": all}, {"type": "null"}]),
                    );
                }
            }
            map.values_mut().for_each(nullable_to_types);
        }
        Value::Array(a) => a.iter_mut().for_each(nullable_to_types),
        _ => {}
    }
}

/// Checks the fake's release list against the schema of `GET /repos/{owner}/{repo}/releases`.
fn assert_valid_list(body: &Value) {
    let mut api = api();
    nullable_to_types(&mut api);
    let mut schema =
        api["paths"][LIST]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            .clone();
    schema["components"] = api["components"].clone();
    let validator = jsonschema::draft7::new(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(body).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "releases: {errors:#?}");
}

/// Checks a recorded GET against the operation `template`: it exists, the path fills it, and
/// the query uses only parameters it declares.
fn assert_valid_get(template: &str, r: &Recorded) {
    let api = api();
    let op = &api["paths"][template]["get"];
    assert!(op.is_object(), "no GET {template}");
    assert_eq!(r.method, "GET");
    let (path, query) = r.path.split_once('?').unwrap_or((r.path.as_str(), ""));
    let fixed = template
        .replace("{owner}", "Codertocat")
        .replace("{repo}", "Hello-World");
    match fixed.split_once("{asset_id}") {
        Some((prefix, _)) => {
            let id = path
                .strip_prefix(prefix)
                .unwrap_or_else(|| panic!("{path}"));
            assert!(
                id.bytes().all(|b| b.is_ascii_digit()) && !id.is_empty(),
                "{path}"
            );
        }
        None => assert_eq!(path, fixed),
    }
    let declared: Vec<String> = op["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .map(|p| {
            let name = p["$ref"]
                .as_str()
                .expect("a $ref")
                .rsplit('/')
                .next()
                .expect("name");
            api["components"]["parameters"][name].clone()
        })
        .filter(|p| p["in"] == "query")
        .map(|p| p["name"].as_str().expect("name").to_owned())
        .collect();
    for pair in query.split('&').filter(|q| !q.is_empty()) {
        let name = pair.split('=').next().unwrap_or_default();
        assert!(
            declared.iter().any(|d| d == name),
            "query `{name}` of {template}"
        );
    }
}

/// A release as GitHub lists it: the OpenAPI example with tag, dates, flags and assets
/// (id, name, size) replaced.
fn release(
    id: u64,
    tag: &str,
    published: Option<&str>,
    draft: bool,
    assets: &[(u64, &str, usize)],
) -> Value {
    let mut r = api()["components"]["examples"]["release-items"]["value"][0].clone();
    r["id"] = id.into();
    r["tag_name"] = tag.into();
    r["name"] = tag.into();
    r["draft"] = draft.into();
    r["published_at"] = published.map_or(Value::Null, Value::from);
    let template = r["assets"][0].clone();
    r["assets"] = assets
        .iter()
        .map(|(id, name, size)| {
            let mut a = template.clone();
            a["id"] = (*id).into();
            a["name"] = (*name).into();
            a["size"] = (*size).into();
            a
        })
        .collect();
    r
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

fn sbom(name: &str) -> PathBuf {
    fixture("kev-hits/sboms").join(name)
}

fn python() -> PathBuf {
    sbom("other-syft-cdx-image-python-latest.json")
}

fn webgoat() -> PathBuf {
    sbom("other-cdxgen-cdx1.5-webgoat-maven-npm.json")
}

/// The tag of the release without an SBOM: hostile, as anything the API returns may be.
const HOSTILE_TAG: &str = "v1.1.0|<img src=x>](https://evil.example) @octo/team ::error::boom";

/// A storage host (a second loopback origin) serving the python image SBOM for asset 301
/// (the second and later requests get `later` instead, when given: a rebuilt asset).
fn storage(later: Option<&'static [u8]>) -> fake::Fake {
    let python = fs_err::read(python()).expect("python SBOM");
    fake::serve_bytes(move |_, path, seen| {
        if path.starts_with("/release-assets/301?") {
            let h = vec![(
                "content-type".to_owned(),
                "application/octet-stream".to_owned(),
            )];
            let body = match later {
                Some(b) if seen > 0 => b.to_vec(),
                _ => python.clone(),
            };
            (200, body, h)
        } else {
            (404, b"{}".to_vec(), Vec::new())
        }
    })
}

/// The fake API's release routes: newest first, a draft; `v2.1.0` (2025-02-01) with the
/// WebGoat SBOM gzip'd, streamed by the API; `v2.0.0` (2023-09-01) with the python image SBOM
/// behind a redirect to `storage`; a release without an SBOM asset ([`HOSTILE_TAG`]);
/// `v1.0.0` whose asset declares 1,000 bytes and streams 300 KiB.
fn releases_route(storage: &str) -> impl Fn(&str, &str, usize) -> BytesAnswer + Send + 'static {
    let webgoat_gz = gzip(&fs_err::read(webgoat()).expect("webgoat SBOM"));
    let list = Value::from(vec![
        release(50, "v3.0.0", None, true, &[(501, "app.cdx.json", 10)]),
        release(
            40,
            "v2.1.0",
            Some("2025-02-01T12:00:00Z"),
            false,
            &[
                (400, "app.tar.gz", 10),
                (401, "webgoat.cdx.json.gz", webgoat_gz.len()),
            ],
        ),
        release(
            30,
            "v2.0.0",
            Some("2023-09-01T09:00:00Z"),
            false,
            &[(301, "python.cdx.json", 154_731)],
        ),
        release(
            20,
            HOSTILE_TAG,
            Some("2023-08-01T00:00:00Z"),
            false,
            &[(200, "source.tar.gz", 10)],
        ),
        release(
            10,
            "v1.0.0",
            Some("2023-01-01T00:00:00Z"),
            false,
            &[(101, "big.cdx.json", 1000)],
        ),
    ]);
    assert_valid_list(&list);
    let list = list.to_string().into_bytes();
    let location = format!("{storage}/release-assets/301?X-Amz-Signature=abc");
    let octet = || {
        vec![(
            "content-type".to_owned(),
            "application/octet-stream".to_owned(),
        )]
    };
    move |_, path, _| match path {
        p if p == format!("{REPO}/releases?per_page=100&page=1") => (200, list.clone(), Vec::new()),
        p if p == format!("{REPO}/releases/assets/401") => (200, webgoat_gz.clone(), octet()),
        p if p == format!("{REPO}/releases/assets/301") => (
            302,
            Vec::new(),
            vec![("location".to_owned(), location.clone())],
        ),
        p if p == format!("{REPO}/releases/assets/101") => {
            let mut body = b"{\"bomFormat\": \"CycloneDX\", \"x\": \"".to_vec();
            body.resize(300 * 1024, b'a');
            (200, body, octet())
        }
        _ => (404, br#"{"message": "Not Found"}"#.to_vec(), Vec::new()),
    }
}

/// The fake API with [`releases_route`], and its storage host.
fn github() -> (fake::Fake, fake::Fake) {
    let storage = storage(None);
    let api = fake::serve_bytes(releases_route(&storage.url));
    (api, storage)
}

fn watch(tmp: &TempDir, api: &str, db: &Path, n: &str) -> std::process::Command {
    let mut cmd = kevgate(tmp.path());
    cmd.args([
        "watch",
        "--releases",
        n,
        "--repo",
        "Codertocat/Hello-World",
        "--db",
    ])
    .arg(db)
    .env("GITHUB_TOKEN", TOKEN)
    .env("GITHUB_API_URL", api)
    .env("GITHUB_STEP_SUMMARY", tmp.path().join("summary.md"));
    cmd
}

fn recorded(f: &fake::Fake) -> Vec<Recorded> {
    f.requests.lock().expect("lock").clone()
}

/// The three latest published releases (the draft skipped): `v2.0.0`, clean by KEV on the day
/// it shipped, reports the nine findings of the three CVEs CISA added after it; `v2.1.0`
/// fails on KEV entries known before it shipped, so none is "after"; the release without an
/// SBOM is a note. Exit 1. Requests follow GitHub's OpenAPI description, carry the token to
/// the API only: the storage host reached through the redirect sees no `Authorization`.
#[test]
fn releases_report_what_became_kev_after_them() {
    let tmp = TempDir::new("watch-releases");
    let db = build_kev_hits_db(tmp.path());
    let (api, storage) = github();
    let (code, stdout, stderr) = run(watch(&tmp, &api.url, &db, "3").args(["--format", "json"]));
    assert_eq!(code, 1, "{stderr}\n{stdout}");
    let doc: Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(doc["kind"], "kevgate-watch");
    assert_eq!(doc["outcome"], "fail");
    let releases = doc["releases"].as_array().expect("releases");
    let tags: Vec<&str> = releases
        .iter()
        .map(|r| r["release"].as_str().expect("tag"))
        .collect();
    assert_eq!(tags, ["v2.1.0", "v2.0.0", HOSTILE_TAG]);

    let v21 = &releases[0];
    assert_eq!(v21["sbom"], "webgoat.cdx.json.gz");
    assert_eq!(v21["status"], "fail");
    assert_eq!(v21["report"]["verdict"], "fail");
    assert!(v21["report"]["counts"]["kev"].as_u64().expect("kev") > 0);
    assert_eq!(v21["became_kev_after_release"], Value::Array(Vec::new()));

    let v20 = &releases[1];
    assert_eq!(v20["status"], "fail");
    assert_eq!(v20["published_at"], "2023-09-01T09:00:00Z");
    let mut late: Vec<(String, String)> = v20["became_kev_after_release"]
        .as_array()
        .expect("late")
        .iter()
        .map(|l| {
            (
                l["cve"].as_str().expect("cve").to_owned(),
                l["kev_date_added"].as_str().expect("date").to_owned(),
            )
        })
        .collect();
    assert_eq!(late.len(), 9, "{late:?}");
    late.dedup();
    assert_eq!(
        late,
        [
            ("CVE-2023-44487".to_owned(), "2023-10-10".to_owned()),
            ("CVE-2023-4863".to_owned(), "2023-09-13".to_owned()),
            ("CVE-2023-4911".to_owned(), "2023-11-21".to_owned()),
        ]
    );
    assert_eq!(v20["report"]["counts"]["kev"], 9);

    assert_eq!(releases[2]["status"], "no-sbom");
    assert_eq!(releases[2]["report"], Value::Null);

    // The same release, scanned with the database of its release day (KEV up to 2023-09-01),
    // passed: what fails it now is only what KEV added later.
    let kev: Value =
        serde_json::from_str(&fs_err::read_to_string(fixture("kev-hits/kev.json")).expect("kev"))
            .expect("JSON");
    let mut then = kev.clone();
    then["vulnerabilities"] = kev["vulnerabilities"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|v| v["dateAdded"].as_str().expect("date") <= "2023-09-01")
        .cloned()
        .collect();
    let kev_then = tmp.path().join("kev-2023-09-01.json");
    fs_err::write(&kev_then, then.to_string()).expect("write");
    let src = fixture("kev-hits");
    let db_then = build_db(
        &tmp.path().join("then.db"),
        &[
            ("--osv", src.join("osv.jsonl")),
            ("--kev", kev_then),
            ("--nvd", src.join("nvd")),
            ("--epss", src.join("epss.csv")),
        ],
    );
    let (code, _, stderr) = run(kevgate(tmp.path())
        .arg("scan")
        .arg(python())
        .arg("--db")
        .arg(&db_then));
    assert_eq!(code, 0, "{stderr}");

    // Requests: the list and two assets on the API, all with the token; the redirect's
    // target on the storage host without it.
    let api_requests = recorded(&api);
    assert_eq!(api_requests.len(), 3, "{api_requests:#?}");
    assert_valid_get(LIST, &api_requests[0]);
    for r in &api_requests {
        assert_eq!(r.authorization, format!("Bearer {TOKEN}"));
    }
    for r in &api_requests[1..] {
        assert_valid_get(ASSET, r);
        assert_eq!(r.header("accept"), Some("application/octet-stream"));
    }
    let stored = recorded(&storage);
    assert_eq!(stored.len(), 1, "{stored:#?}");
    assert!(stored[0].path.starts_with("/release-assets/301?"));
    assert_eq!(stored[0].header("authorization"), None);
    assert!(
        !stored
            .iter()
            .any(|r| r.headers.iter().any(|(_, v)| v.contains(TOKEN)))
    );
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));

    // The job summary: one section and table per release, hostile text escaped.
    let summary = fs_err::read_to_string(tmp.path().join("summary.md")).expect("summary");
    assert!(summary.contains("### v2.0.0 — fail"), "{summary}");
    assert!(
        summary.contains("9 findings became KEV after this release"),
        "{summary}"
    );
    assert!(
        summary.contains("CVE-2023-4911 (KEV after release)"),
        "{summary}"
    );
    assert!(summary.contains("has no SBOM asset"), "{summary}");
    for raw in ["<img", "](https", "@octo/team", "|<"] {
        assert!(!summary.contains(raw), "`{raw}` in {summary}");
    }
    assert_eq!(summary.matches("| Vulnerability |").count(), 2, "{summary}");
}

/// An asset that streams more than the SBOM size cap (its declared size lied) is an error for
/// its release, the others are still reported, and the watch exits 2.
#[test]
fn oversize_asset_is_an_error() {
    let tmp = TempDir::new("watch-oversize");
    let db = build_kev_hits_db(tmp.path());
    let (api, _storage) = github();
    let (code, stdout, stderr) =
        run(watch(&tmp, &api.url, &db, "4").args(["--max-sbom-size", "200KiB"]));
    assert_eq!(code, 2, "{stderr}\n{stdout}");
    assert!(
        stdout.contains("v1.0.0 (big.cdx.json), published 2023-01-01: error"),
        "{stdout}"
    );
    assert!(
        stdout.contains("larger than the SBOM size cap of 204800 bytes"),
        "{stdout}"
    );
    assert!(
        stdout.contains("v2.0.0 (python.cdx.json), published 2023-09-01: fail"),
        "{stdout}"
    );
    assert!(
        stderr.contains("1 of 4 watched SBOMs could not be checked"),
        "{stderr}"
    );
    // The hostile tag cannot start a workflow command on its own line.
    assert!(!stdout.lines().any(|l| l.starts_with("::")), "{stdout}");
}

/// A repository whose only release has no SBOM is an error (exit 2), never a pass.
#[test]
fn no_sbom_anywhere_is_an_error() {
    let tmp = TempDir::new("watch-nosbom");
    let db = build_kev_hits_db(tmp.path());
    let list = Value::from(vec![release(
        1,
        "v1",
        Some("2024-01-01T00:00:00Z"),
        false,
        &[(2, "app.zip", 10)],
    )]);
    assert_valid_list(&list);
    let list: &'static str = Box::leak(list.to_string().into_boxed_str());
    let api = fake::serve(move |_, _, _| (200, list, Vec::new()));
    let (code, stdout, stderr) = run(&mut watch(&tmp, &api.url, &db, "1"));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stdout.contains("v1 (-), published 2024-01-01: no SBOM"),
        "{stdout}"
    );
    assert!(
        stderr.contains("none of the 1 watched releases has an SBOM"),
        "{stderr}"
    );
}

/// Local SBOMs: named by `--as`, dated by `--published`; a file without a date gets a note
/// instead of a guess; exit 1 when one fails, 0 when all pass.
#[test]
fn local_files() {
    let tmp = TempDir::new("watch-files");
    let db = build_kev_hits_db(tmp.path());
    let (code, stdout, stderr) = run(kevgate(tmp.path())
        .arg("watch")
        .arg(python())
        .args(["--as", "app 1.0", "--published", "2023-09-01"])
        .arg(webgoat())
        .arg("--db")
        .arg(&db));
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.contains("app 1.0 (")
            && stdout
                .contains("other-syft-cdx-image-python-latest.json), published 2023-09-01: fail"),
        "{stdout}"
    );
    assert!(stdout.contains("became KEV after the release:"), "{stdout}");
    assert!(
        stdout.contains("CVE-2023-4911 in libc6 2.31-13+deb11u4 (KEV since 2023-11-21"),
        "{stdout}"
    );
    assert!(stdout.contains("publication date unknown"), "{stdout}");

    // With `--fail-on none --no-fail-on-kev` nothing fails, and nothing was added after 2024.
    let (code, stdout, stderr) = run(kevgate(tmp.path())
        .arg("watch")
        .arg(python())
        .args([
            "--published",
            "2024-01-01",
            "--fail-on",
            "none",
            "--no-fail-on-kev",
            "--db",
        ])
        .arg(&db));
    assert_eq!(code, 0, "{stderr}\n{stdout}");
    assert!(!stdout.contains("became KEV after"), "{stdout}");

    let (code, _, stderr) = run(kevgate(tmp.path())
        .arg("watch")
        .arg(python())
        .args(["--published", "last tuesday"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`--published last tuesday` is not a date"),
        "{stderr}"
    );
}

/// Hostile release names in the Markdown summary (`--format markdown` and the job summary):
/// no table break, link, image, HTML or mention survives.
#[test]
fn markdown_escapes_hostile_names() {
    let tmp = TempDir::new("watch-md");
    let db = build_kev_hits_db(tmp.path());
    let name =
        "x|y <script>alert(1)</script> [a](https://evil.example) ![i](https://e/i.png) @org/team";
    let (code, stdout, stderr) = run(kevgate(tmp.path())
        .arg("watch")
        .arg(python())
        .args([
            "--as",
            name,
            "--published",
            "2023-09-01",
            "--format",
            "markdown",
            "--db",
        ])
        .arg(&db)
        .env("GITHUB_STEP_SUMMARY", tmp.path().join("summary.md")));
    assert_eq!(code, 1, "{stderr}");
    let summary = fs_err::read_to_string(tmp.path().join("summary.md")).expect("summary");
    assert_eq!(summary, stdout);
    for raw in ["x|y", "<script>", "](https", "![", "@org/team"] {
        assert!(!stdout.contains(raw), "`{raw}` in {stdout}");
    }
    // Every table row has the header's seven cell borders.
    for line in stdout.lines().filter(|l| l.starts_with('|')) {
        assert_eq!(line.matches('|').count(), 7, "{line}");
    }
}

/// `mode: watch` in the action: the releases of `GITHUB_REPOSITORY` with the action's
/// token, the table in the log, the JSON document in `json-file`, `verdict` output, exit 1.
#[test]
fn action_mode_watch() {
    let tmp = TempDir::new("watch-action");
    let db = build_kev_hits_db(tmp.path());
    let (api, storage) = github();
    let (code, stdout, stderr) = run(kevgate(tmp.path())
        .arg("action")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", "schedule")
        .env("GITHUB_REPOSITORY", "Codertocat/Hello-World")
        .env("GITHUB_API_URL", &api.url)
        .env("GITHUB_OUTPUT", tmp.path().join("output.txt"))
        .env("GITHUB_STEP_SUMMARY", tmp.path().join("summary.md"))
        .env("INPUT_MODE", "watch")
        .env("INPUT_WATCH-RELEASES", "2")
        .env("INPUT_SBOM", "")
        .env("INPUT_DB", &db)
        .env("INPUT_JSON-FILE", "watch.json")
        .env("INPUT_ALLOW-DEMO-DB", "false")
        .env("INPUT_GITHUB-TOKEN", TOKEN));
    assert_eq!(code, 1, "{stderr}\n{stdout}");
    crate::action::assert_token_masked(&stdout, &stderr);
    assert!(
        stdout.contains("v2.0.0 (python.cdx.json), published 2023-09-01: fail"),
        "{stdout}"
    );
    let doc: Value = serde_json::from_str(
        &fs_err::read_to_string(tmp.path().join("watch.json")).expect("json-file"),
    )
    .expect("JSON");
    assert_eq!(doc["releases"].as_array().map(Vec::len), Some(2));
    let outputs = fs_err::read_to_string(tmp.path().join("output.txt")).expect("outputs");
    assert_eq!(crate::output(&outputs, "verdict"), "fail");
    assert_eq!(recorded(&storage)[0].header("authorization"), None);

    // `sbom` has no use in this mode: an error, not ignored.
    let (code, _, stderr) = run(kevgate(tmp.path())
        .arg("action")
        .env("INPUT_MODE", "watch")
        .env("INPUT_SBOM", "x.json"));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("input `sbom` has no use with `mode: watch`"),
        "{stderr}"
    );
}

/// `summarize` over a watch document, a scan report and a file that is no report: one
/// table, failing and unreadable rows first, exit 2 (unreadable); without it, exit 1.
#[test]
fn summarize_reports() {
    let tmp = TempDir::new("watch-summarize");
    let db = build_kev_hits_db(tmp.path());
    let (code, _, stderr) = run(kevgate(tmp.path())
        .arg("watch")
        .arg(python())
        .args([
            "--as",
            "svc-a",
            "--published",
            "2023-09-01",
            "--format",
            "json",
        ])
        .args(["--output", "svc-a.json", "--db"])
        .arg(&db));
    assert_eq!(code, 1, "{stderr}");
    let (code, _, stderr) = run(kevgate(tmp.path())
        .arg("scan")
        .arg(python())
        .args(["--fail-on", "none", "--no-fail-on-kev", "--format", "json"])
        .args(["--output", "svc-b.json", "--db"])
        .arg(&db));
    assert_eq!(code, 0, "{stderr}");
    fs_err::write(tmp.path().join("svc-c.json"), "{\"verdict\": \"pass\"}").expect("write");

    let (code, stdout, stderr) =
        run(kevgate(tmp.path()).args(["summarize", "svc-b.json", "svc-a.json"]));
    assert_eq!(code, 1, "{stderr}");
    let rows: Vec<&str> = stdout.lines().filter(|l| l.starts_with("| svc")).collect();
    assert_eq!(
        rows,
        [
            "| svc-a | fail | 9 | 9 | 9 | 9 | 9 |",
            "| svc-b | pass | 0 | 9 | 0 | 9 | 9 |"
        ],
        "{stdout}"
    );

    let (code, stdout, stderr) =
        run(kevgate(tmp.path()).args(["summarize", "svc-a.json", "svc-b.json", "svc-c.json"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stdout
            .lines()
            .nth(4)
            .is_some_and(|l| l.starts_with("| svc-c | error: ")),
        "{stdout}"
    );
    assert!(
        stderr.contains("1 of 3 reports could not be read"),
        "{stderr}"
    );
}

/// With `--track kev`, each evaluated release is a place `release:<tag>` of the tracking
/// issues (the stateful fake of tests/it/track.rs beside the releases): the python image's
/// KEV findings open issues present at `release:v2.0.0`, WebGoat's at `release:v2.1.0`. When
/// `v2.0.0`'s SBOM asset no longer holds them (rebuilt), a second watch takes the place away
/// and, no place holding them any more, closes those issues; WebGoat's stay open.
#[test]
fn tracking_issues_gain_and_lose_release_places() {
    use std::sync::{Arc, Mutex};
    let tmp = TempDir::new("watch-track");
    let db = build_kev_hits_db(tmp.path());
    const EMPTY: &[u8] =
        br#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": []}"#;
    let storage = storage(Some(EMPTY));
    let releases = releases_route(&storage.url);
    let state = Arc::new(Mutex::new(crate::track::Repo::default()));
    let issues = crate::track::route(Arc::clone(&state));
    let api = fake::serve_recorded(move |r, seen| {
        if r.path.starts_with(&format!("{REPO}/releases")) {
            releases(&r.method, &r.path, seen)
        } else {
            let (status, body, headers) = issues(r, seen);
            (status, body.into_bytes(), headers)
        }
    });
    let places = |state: &Arc<Mutex<crate::track::Repo>>| -> Vec<(String, String, Vec<String>)> {
        let st = state.lock().expect("lock");
        let mut out: Vec<(String, String, Vec<String>)> = st
            .issues
            .iter()
            .map(|i| {
                let s = crate::track::state_of(i["body"].as_str().expect("body"));
                let places = s["places"]
                    .as_object()
                    .map(|p| p.keys().cloned().collect())
                    .unwrap_or_default();
                (
                    i["title"].as_str().expect("title").to_owned(),
                    i["state"].as_str().expect("state").to_owned(),
                    places,
                )
            })
            .collect();
        out.sort();
        out
    };
    let watch_track = || {
        let mut cmd = watch(&tmp, &api.url, &db, "2");
        cmd.args(["--track", "kev"])
            .env("KEVGATE_GITHUB_SPACING_MS", "0");
        cmd
    };
    let (code, stdout, stderr) = run(&mut watch_track());
    assert_eq!(code, 1, "{stderr}\n{stdout}");
    let first = places(&state);
    let glibc = first
        .iter()
        .find(|(t, _, _)| t.starts_with("CVE-2023-4911 in libc6"))
        .unwrap_or_else(|| panic!("{first:#?}"));
    assert_eq!(glibc.1, "open");
    assert_eq!(glibc.2, ["release:v2.0.0"]);
    let jquery = first
        .iter()
        .find(|(t, _, _)| t.contains("jquery"))
        .unwrap_or_else(|| panic!("{first:#?}"));
    assert_eq!(jquery.2, ["release:v2.1.0"]);
    assert!(!stderr.contains("warning"), "{stderr}");

    let (code, stdout, stderr) = run(&mut watch_track());
    assert_eq!(code, 1, "{stderr}\n{stdout}");
    let second = places(&state);
    for (title, state, places) in &second {
        if first
            .iter()
            .any(|(t, _, p)| t == title && p == &["release:v2.0.0"])
        {
            assert_eq!(state, "closed", "{title}: {places:?}");
            assert!(places.is_empty(), "{title}: {places:?}");
        } else {
            assert_eq!(state, "open", "{title}");
        }
    }
    assert!(second.iter().any(|(_, s, _)| s == "open"));
}
