//! End to end in the container: the image `scripts/container-image.sh` builds from the
//! Dockerfile's `FROM scratch` runtime stage runs `kevgate action` the way the runner starts a
//! container action — workspace, event payload and file-command files mounted under
//! `/github`, `GITHUB_*` and `INPUT_*` variables, the working directory the workspace — on the
//! SBOM real trivy makes of `tests/fixtures/trivy/project`, against the loopback fake GitHub
//! API of `action.rs` (`--network host`).
//!
//! The image is `$KEVGATE_IMAGE` (default `localhost/kevgate:test`), run with
//! `$KEVGATE_PODMAN` (default `<target dir>/container/podman`, the wrapper the script
//! writes). A missing image or podman fails the tests: they are never skipped.

use crate::action::{TOKEN, assert_token_masked, assert_valid_request, fake};
use crate::trivy::{KEV_FINDINGS, fixture_db, sbom_of};
use crate::{TempDir, fixture, output, run};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

const REPO: &str = "/repos/Codertocat/Hello-World";

/// The target directory (`CARGO_TARGET_TMPDIR` is `<target>/tmp`).
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR has a parent")
        .to_path_buf()
}

/// The podman wrapper, checked to exist.
fn podman() -> Command {
    let path = std::env::var_os("KEVGATE_PODMAN")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("container/podman"));
    assert!(
        path.is_file(),
        "podman wrapper not found at `{}`: run `scripts/container-image.sh` (or set KEVGATE_PODMAN)",
        path.display()
    );
    Command::new(path)
}

/// The image under test, checked to exist.
fn image() -> String {
    let image =
        std::env::var("KEVGATE_IMAGE").unwrap_or_else(|_| "localhost/kevgate:test".to_owned());
    let (code, _, stderr) = run(podman().args(["image", "exists", &image]));
    assert_eq!(
        code, 0,
        "container image `{image}` not found: run `scripts/container-image.sh` (or set KEVGATE_IMAGE) {stderr}"
    );
    image
}

/// A runner-like layout: `workspace/` (the SBOM of the fixture project by real trivy, a
/// database from the trimmed real feeds), `workflow/event.json` (a real `pull_request`
/// opened payload), `file_commands/` with the output and summary files the runner creates
/// (mode 0644, as the runner's umask leaves them), `home/`.
struct Runner {
    tmp: TempDir,
}

impl Runner {
    fn new(name: &str) -> Runner {
        let tmp = TempDir::new(name);
        let dir = |rel: &str| {
            let path = tmp.path().join(rel);
            fs_err::create_dir_all(&path).expect("create dir");
            fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .expect("chmod dir");
        };
        for rel in ["workspace", "workflow", "file_commands", "home"] {
            dir(rel);
        }
        let ws = tmp.path().join("workspace");
        sbom_of(&fixture("trivy/project"), &ws.join("sbom.cdx.json"));
        fixture_db(&ws.join("kevgate.kvdb"));
        fs_err::copy(
            fixture("github/pull_request.opened.payload.json"),
            tmp.path().join("workflow/event.json"),
        )
        .expect("copy event payload");
        for file in ["file_commands/set_output_1", "file_commands/step_summary_1"] {
            let path = tmp.path().join(file);
            fs_err::write(&path, "").expect("create file-command file");
            fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
                .expect("chmod file");
        }
        Runner { tmp }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// `podman run` of the image as the runner does `docker run` for a container action
    /// (as `user` when given, else as the image's user).
    fn docker_run(&self, image: &str, user: Option<&str>, env: &[(&str, &str)]) -> Command {
        let mut cmd = podman();
        cmd.args([
            "run",
            "--rm",
            "--network",
            "host",
            "--workdir",
            "/github/workspace",
        ]);
        if let Some(user) = user {
            cmd.args(["--user", user]);
        }
        for (dir, at) in [
            ("workspace", "/github/workspace"),
            ("workflow", "/github/workflow"),
            ("file_commands", "/github/file_commands"),
            ("home", "/github/home"),
        ] {
            cmd.arg("-v")
                .arg(format!("{}:{at}", self.path(dir).display()));
        }
        let runner_env = [
            ("HOME", "/github/home"),
            ("CI", "true"),
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_WORKSPACE", "/github/workspace"),
            ("GITHUB_OUTPUT", "/github/file_commands/set_output_1"),
            (
                "GITHUB_STEP_SUMMARY",
                "/github/file_commands/step_summary_1",
            ),
            ("GITHUB_REPOSITORY", "Codertocat/Hello-World"),
            ("GITHUB_RUN_ID", "42"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            // The fixture feeds are from 2025-11: "today" keeps the database fresh.
            ("KEVGATE_NOW", "2025-11-04"),
            // Every declared input, empty when not given, as the runner sets them.
            ("INPUT_SBOM", "sbom.cdx.json"),
            ("INPUT_DB", "kevgate.kvdb"),
            ("INPUT_FAIL-ON", ""),
            ("INPUT_FAIL-ON-KEV", ""),
            ("INPUT_MAX-DB-AGE", "7"),
            ("INPUT_CONFIG", ""),
            ("INPUT_CHECK-NAME", "kevgate"),
            ("INPUT_COMMENT", "true"),
            ("INPUT_ALLOW-DEMO-DB", "false"),
        ];
        for (k, v) in runner_env.iter().chain(env) {
            cmd.arg("-e").arg(format!("{k}={v}"));
        }
        cmd.arg(image).arg("action");
        cmd
    }

    fn read(&self, rel: &str) -> String {
        fs_err::read_to_string(self.path(rel)).expect("file written")
    }
}

/// The whole action in its image: exit 1 (KEV findings), a check run on the PR head SHA with
/// conclusion `failure` and annotations on the lockfiles trivy found the packages in, the
/// sticky comment, outputs, step summary, and JSON and SARIF reports in the workspace. The
/// token reaches the API only as the bearer header, never the log.
#[test]
fn action_in_the_image_reports_a_pull_request() {
    let image = image();
    let runner = Runner::new("container-action");
    let fake = fake::serve(|method, path, _| match (method, path) {
        ("POST", p) if p.ends_with("/check-runs") => (201, r#"{"id": 7}"#, vec![]),
        ("PATCH", p) if p.contains("/check-runs/") => (200, r#"{"id": 7}"#, vec![]),
        ("GET", p) if p.contains("/issues/2/comments") => (200, "[]", vec![]),
        ("POST", p) if p.ends_with("/issues/2/comments") => (201, r#"{"id": 5}"#, vec![]),
        _ => (404, r#"{"message": "Not Found"}"#, vec![]),
    });
    let (code, stdout, stderr) = run(&mut runner.docker_run(
        &image,
        None,
        &[
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_EVENT_PATH", "/github/workflow/event.json"),
            ("GITHUB_API_URL", &fake.url),
            ("INPUT_SARIF-FILE", "kevgate.sarif"),
            ("INPUT_JSON-FILE", "kevgate.json"),
            ("INPUT_GITHUB-TOKEN", TOKEN),
        ],
    ));
    assert_eq!(
        code, 1,
        "the gate fails on KEV findings\n{stdout}\n{stderr}"
    );
    assert!(!stdout.contains("::warning"), "{stdout}");
    assert_token_masked(&stdout, &stderr);
    for (cve, _) in KEV_FINDINGS {
        assert!(
            stdout.contains(cve),
            "the table in the log lists {cve}:\n{stdout}"
        );
    }

    // The check run: on the PR head, failed, annotated on the manifests.
    let payload: Value = serde_json::from_str(&runner.read("workflow/event.json")).expect("JSON");
    let head = payload["pull_request"]["head"]["sha"]
        .as_str()
        .expect("head sha");
    let reqs = fake.requests.lock().expect("lock").clone();
    for r in &reqs {
        assert_eq!(
            r.authorization,
            format!("Bearer {TOKEN}"),
            "{} {}",
            r.method,
            r.path
        );
    }
    let checks: Vec<_> = reqs
        .iter()
        .filter(|r| r.path.contains("/check-runs"))
        .collect();
    let create = checks.first().expect("a check run was created");
    assert_eq!(
        (create.method.as_str(), create.path.as_str()),
        ("POST", &*format!("{REPO}/check-runs"))
    );
    assert_valid_request("POST", "/repos/{owner}/{repo}/check-runs", &create.body);
    assert_eq!(create.body["head_sha"], head);
    assert_eq!(create.body["name"], "kevgate");
    let conclusion = checks.iter().rev().find_map(|r| r.body.get("conclusion"));
    assert_eq!(
        conclusion.and_then(Value::as_str),
        Some("failure"),
        "the check run concludes `failure`: {checks:#?}"
    );
    let annotations: Vec<&Value> = checks
        .iter()
        .filter_map(|r| r.body["output"]["annotations"].as_array())
        .flatten()
        .collect();
    let report: Value = serde_json::from_str(&runner.read("workspace/kevgate.json")).expect("JSON");
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(
        annotations.len(),
        findings.len(),
        "one annotation per finding"
    );
    // An annotation goes on the manifest the package came from: `trivy fs` 0.76 names each
    // lockfile as an application component that depends on its packages (no per-package
    // `FilePath`), so every finding of this project lands on one of its lockfiles.
    let files: Vec<String> = fs_err::read_dir(fixture("trivy/project"))
        .expect("project dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    for a in &annotations {
        let path = a["path"].as_str().expect("annotation path");
        assert!(
            files.iter().any(|l| l == path),
            "annotation on `{path}`, not on a project manifest {files:?}"
        );
    }
    assert!(
        annotations
            .iter()
            .any(|a| a["annotation_level"] == "failure"
                && a["path"] == "package-lock.json"
                && a["title"]
                    .as_str()
                    .is_some_and(|t| t.contains("CVE-2020-11023") && t.contains("jquery"))),
        "the jQuery KEV finding is a failure annotation on package-lock.json: {annotations:#?}"
    );

    // The sticky comment: none yet, so one is posted.
    let comment = reqs
        .iter()
        .find(|r| r.method == "POST" && r.path == format!("{REPO}/issues/2/comments"))
        .expect("the PR comment is posted");
    assert_valid_request(
        "POST",
        "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        &comment.body,
    );

    // Outputs, summary and reports, written as root into runner-owned places.
    let outputs = runner.read("file_commands/set_output_1");
    let get = |name: &str| output(&outputs, name);
    assert_eq!(get("verdict"), "fail");
    assert_eq!(get("findings"), findings.len().to_string());
    assert_eq!(get("kev-count"), KEV_FINDINGS.len().to_string());
    assert_eq!(get("sarif-file"), "kevgate.sarif");
    assert_eq!(get("json-file"), "kevgate.json");
    let summary = runner.read("file_commands/step_summary_1");
    assert!(
        summary.starts_with("## :x: kevgate: gate failed"),
        "{summary}"
    );
    assert!(summary.contains("CVE-2021-44228"), "{summary}");
    let sarif: Value =
        serde_json::from_str(&runner.read("workspace/kevgate.sarif")).expect("SARIF");
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), findings.len());
}

/// The image is the static binary and nothing else: one layer holding `/kevgate`, the
/// entrypoint; no shell to run (so nothing in an SBOM can reach one), the default user.
#[test]
fn image_holds_only_the_binary() {
    let image = image();
    let (code, inspect, stderr) = run(podman().args(["image", "inspect", &image]));
    assert_eq!(code, 0, "{stderr}");
    let inspect: Value = serde_json::from_str(&inspect).expect("inspect is JSON");
    let config = &inspect[0]["Config"];
    assert_eq!(config["Entrypoint"], serde_json::json!(["/kevgate"]));
    assert!(
        config["User"].as_str().unwrap_or("").is_empty(),
        "the action runs as the default user (root): {config:#}"
    );
    assert_eq!(
        inspect[0]["RootFS"]["Layers"].as_array().map(Vec::len),
        Some(1)
    );

    let tmp = TempDir::new("container-export");
    let (code, id, stderr) = run(podman().args(["create", &image]));
    assert_eq!(code, 0, "{stderr}");
    let id = id.trim();
    let tar = tmp.path().join("rootfs.tar");
    let (code, _, stderr) = run(podman().args(["export", "--output"]).arg(&tar).arg(id));
    let _ = run(podman().args(["rm", id]));
    assert_eq!(code, 0, "{stderr}");
    let (code, listing, stderr) = run(Command::new("tar").arg("-tf").arg(&tar));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        listing.lines().collect::<Vec<_>>(),
        ["kevgate"],
        "{listing}"
    );

    let (code, _, stderr) = run(podman().args([
        "run",
        "--rm",
        "--entrypoint",
        "/bin/sh",
        &image,
        "-c",
        "true",
    ]));
    assert_ne!(code, 0, "the image has no shell: {stderr}");
}

/// Why the image runs as root: the runner creates the file-command files (and checks out
/// the workspace) as its own user with mode 0644 / 0755, so any other uid in the container —
/// 65532, distroless's "nonroot" — cannot write the step summary or the outputs, and GitHub's
/// docs require Docker actions to run as the default user. The failure is a clean exit 2
/// naming the file, not a panic.
#[test]
fn a_non_root_user_cannot_write_the_runner_files() {
    let image = image();
    let runner = Runner::new("container-nonroot");
    let (code, stdout, stderr) = run(&mut runner.docker_run(&image, Some("65532:65532"), &[]));
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("/github/file_commands/step_summary_1")
            && stderr.contains("Permission denied"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(runner.read("file_commands/step_summary_1").is_empty());

    // The same run as the image's user writes both files.
    let (code, stdout, stderr) = run(&mut runner.docker_run(&image, None, &[]));
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        runner
            .read("file_commands/set_output_1")
            .contains("verdict=fail")
    );
}
