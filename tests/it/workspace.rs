//! Files a repository names stay in the workspace (issue 10, items 2 and 12): `kevgate scan`
//! in a working directory whose policy files are symlinks out of it, devices, FIFOs or
//! huge, and whose report paths are symlinks. The action's side is in `action.rs`.

use crate::action::{SECRET, secret_file};
use crate::scan::build_kev_hits_db;
use crate::{TempDir, fixture, kevgate, run};
use std::os::unix::fs::symlink;
use std::path::Path;

/// The webgoat SBOM: jQuery 3.4.1 with CVE-2020-11023 (KEV).
fn webgoat() -> std::path::PathBuf {
    fixture("kev-hits/sboms/other-cdxgen-cdx1.5-webgoat-maven-npm.json")
}

/// `kevgate scan` in `dir` writing the table to stdout and JSON, SARIF and Markdown files.
fn scan_all(dir: &Path, db: &Path, extra: &[&str]) -> (i32, String, String) {
    run(kevgate(dir)
        .arg("scan")
        .arg(webgoat())
        .arg("--db")
        .arg(db)
        .args([
            "--format", "table", "--format", "json", "--output", "r.json",
        ])
        .args(["--format", "sarif", "--output", "r.sarif"])
        .args(["--format", "markdown", "--output", "r.md"])
        .args(extra))
}

/// `.trivyignore`, `.trivyignore.yaml` and `.kevgate.yaml` symlinked to a file of secrets
/// outside the working directory: exit 2 with one line naming the file, no report written,
/// no secret anywhere. The same text in a regular `.trivyignore` is read, and its lines are
/// "not a vulnerability id" by number in every report, never quoted.
#[test]
fn policy_files_symlinked_out_are_refused() {
    let tmp = TempDir::new("ws-symlink");
    let outside = TempDir::new("ws-symlink-outside");
    let secret = secret_file(outside.path());
    let db = build_kev_hits_db(tmp.path());
    for name in [".trivyignore", ".trivyignore.yaml", ".kevgate.yaml"] {
        let link = tmp.path().join(name);
        symlink(&secret, &link).expect("symlink");
        let (code, stdout, stderr) = scan_all(tmp.path(), &db, &[]);
        assert_eq!(code, 2, "{name}: {stdout}{stderr}");
        assert!(
            stderr.contains(&format!(
                "`{name}` is a symlink that leads out of the workspace"
            )),
            "{stderr}"
        );
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));
        assert!(!tmp.path().join("r.json").exists());
        fs_err::remove_file(&link).expect("rm");
    }

    fs_err::copy(&secret, tmp.path().join(".trivyignore")).expect("copy");
    let (code, stdout, stderr) = scan_all(tmp.path(), &db, &[]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let json = fs_err::read_to_string(tmp.path().join("r.json")).expect("json");
    assert!(json.contains("`.trivyignore` line 3 is not a vulnerability id"));
    for text in [
        stdout,
        stderr,
        json,
        fs_err::read_to_string(tmp.path().join("r.sarif")).expect("sarif"),
        fs_err::read_to_string(tmp.path().join("r.md")).expect("markdown"),
    ] {
        assert!(!text.contains(SECRET), "the secret leaked: {text}");
        assert!(!text.contains("GITHUB_TOKEN"), "{text}");
    }
}

/// A symlink that stays inside the workspace is followed; a `--config` outside it is the
/// user's choice; a `--config` inside it that leads out, and a config's `vex` path that
/// climbs out, are refused.
#[test]
fn confinement_follows_the_workspace() {
    let tmp = TempDir::new("ws-inside");
    let outside = TempDir::new("ws-inside-outside");
    let db = build_kev_hits_db(tmp.path());
    fs_err::create_dir_all(tmp.path().join("policy")).expect("mkdir");
    fs_err::write(
        tmp.path().join("policy/kevgate.yaml"),
        "fail-on: none\nfail-on-kev: false\n",
    )
    .expect("write");
    symlink("policy/kevgate.yaml", tmp.path().join(".kevgate.yaml")).expect("symlink");
    let (code, _, stderr) = scan_all(tmp.path(), &db, &[]);
    assert_eq!(code, 0, "the symlink inside is followed: {stderr}");
    fs_err::remove_file(tmp.path().join(".kevgate.yaml")).expect("rm");

    let cfg = outside.path().join("kevgate.yaml");
    fs_err::write(&cfg, "fail-on: none\nfail-on-kev: false\n").expect("write");
    let (code, _, stderr) = scan_all(tmp.path(), &db, &["--config", cfg.to_str().expect("UTF-8")]);
    assert_eq!(code, 0, "an explicit path outside is the user's: {stderr}");

    symlink(&cfg, tmp.path().join("link.yaml")).expect("symlink");
    let (code, _, stderr) = scan_all(tmp.path(), &db, &["--config", "link.yaml"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("`link.yaml` is a symlink that leads out"),
        "{stderr}"
    );

    fs_err::copy(
        fixture("vex/trivy-project.openvex.json"),
        outside.path().join("vex.json"),
    )
    .expect("copy");
    let name = outside
        .path()
        .file_name()
        .and_then(|n| n.to_str())
        .expect("name");
    fs_err::write(
        tmp.path().join(".kevgate.yaml"),
        format!("vex:\n  - ../{name}/vex.json\n"),
    )
    .expect("write");
    let (code, _, stderr) = scan_all(tmp.path(), &db, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("is outside the workspace"), "{stderr}");
}

/// A policy file that is `/dev/zero`, a FIFO, a directory or over 10 MiB, and a `--baseline`
/// that is a FIFO: a bounded exit 2 naming the file.
#[test]
fn devices_fifos_and_huge_files_are_refused() {
    let tmp = TempDir::new("ws-devices");
    let db = build_kev_hits_db(tmp.path());
    let fifo = tmp.path().join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo")
            .success()
    );
    let huge = tmp.path().join("huge");
    fs_err::write(&huge, "#".repeat(11 << 20)).expect("write");
    let dir = tmp.path().join("dir");
    fs_err::create_dir_all(&dir).expect("mkdir");
    for (target, want) in [
        (Path::new("/dev/zero"), "leads out of the workspace"),
        (fifo.as_path(), "is not a regular file"),
        (dir.as_path(), "is not a regular file"),
        (huge.as_path(), "is larger than 10485760 bytes"),
    ] {
        let link = tmp.path().join(".trivyignore");
        symlink(target, &link).expect("symlink");
        let start = std::time::Instant::now();
        let (code, _, stderr) = scan_all(tmp.path(), &db, &[]);
        assert_eq!(code, 2, "{target:?}: {stderr}");
        assert!(
            stderr.contains("`.trivyignore`") && stderr.contains(want),
            "{stderr}"
        );
        assert!(start.elapsed() < std::time::Duration::from_secs(60));
        fs_err::remove_file(&link).expect("rm");
    }
    let (code, _, stderr) = scan_all(tmp.path(), &db, &["--baseline", "fifo"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("`fifo` is not a regular file"), "{stderr}");
}

/// `--output` never writes through a symlink: one at the path is replaced by the report (the
/// file it pointed to is untouched), and a directory in the workspace that leads out of it
/// is refused.
#[test]
fn outputs_replace_symlinks() {
    let tmp = TempDir::new("ws-output");
    let outside = TempDir::new("ws-output-outside");
    let db = build_kev_hits_db(tmp.path());
    let victim = outside.path().join("victim");
    fs_err::write(&victim, "precious\n").expect("write");
    symlink(&victim, tmp.path().join("r.json")).expect("symlink");
    let (code, _, stderr) = scan_all(tmp.path(), &db, &[]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(fs_err::read_to_string(&victim).expect("read"), "precious\n");
    let meta = fs_err::symlink_metadata(tmp.path().join("r.json")).expect("written");
    assert!(meta.is_file());

    symlink(outside.path(), tmp.path().join("out")).expect("symlink");
    let (code, _, stderr) = run(kevgate(tmp.path())
        .arg("scan")
        .arg(webgoat())
        .arg("--db")
        .arg(&db)
        .args(["--format", "json", "--output", "out/r.json"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("`out/r.json`"), "{stderr}");
    assert!(!outside.path().join("r.json").exists());
}

/// Policy files symlinked to files *inside* the workspace that hold secrets (a checkout's
/// `.git/config`, a credentials file an earlier step wrote) are followed, but the parser
/// errors that follow name keys and lines, never the file's text: `unknown field` and
/// `invalid type: string` quotes of an opaque value are left out.
#[test]
fn parser_errors_do_not_quote_symlinked_secrets() {
    let tmp = TempDir::new("ws-parser-quote");
    let db = build_kev_hits_db(tmp.path());
    let secret = "ghs_Quoted0Secret0Token0123456789";
    fs_err::write(
        tmp.path().join("creds.yml"),
        format!("{secret}: x\nfail-on: critcal\n"),
    )
    .expect("write");
    fs_err::write(
        tmp.path().join("creds.json"),
        format!("{{\"statements\": \"{secret}\"}}"),
    )
    .expect("write");
    let cases: &[(&str, Option<&str>, &str)] = &[
        (".kevgate.yaml", Some("creds.yml"), "unknown field `…`"),
        (".kevgate.yaml", None, "vex"),
    ];
    for (name, target, want) in cases {
        let link = tmp.path().join(name);
        match (target, *want) {
            (Some(t), _) => symlink(t, &link).expect("symlink"),
            (None, _) => fs_err::write(&link, "vex:\n  - creds.json\n").expect("write"),
        }
        let (code, stdout, stderr) = scan_all(tmp.path(), &db, &[]);
        assert_eq!(code, 2, "{name} {want}: {stdout}{stderr}");
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{stderr}"
        );
        if target.is_some() {
            assert!(stderr.contains(want), "{stderr}");
        } else {
            assert!(
                stderr.contains("is not valid JSON") && stderr.contains('…'),
                "{stderr}"
            );
        }
        fs_err::remove_file(&link).expect("rm");
    }
    // A short lower-case key or variant is still named, so a typo stays easy to find.
    fs_err::write(tmp.path().join(".kevgate.yaml"), "fail-onn: high\n").expect("write");
    let (code, _, stderr) = scan_all(tmp.path(), &db, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("unknown field `fail-onn`"), "{stderr}");
}

/// `.trivyignore` symlinked to a file of tokens inside the workspace whose lines look almost
/// like ids (a Slack token, an old OpenAI key, `CVE-…:token`): each is "not a vulnerability
/// id" by line number in every report, never quoted. Before the fix the id shape let them
/// through into `unknown-ignore` notes.
#[test]
fn id_shaped_secrets_are_not_quoted() {
    let tmp = TempDir::new("ws-id-shaped");
    let db = build_kev_hits_db(tmp.path());
    let secrets = [
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        "sk-T3BlbkFJ0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9",
        "CVE-2099-6:ghsSECRETf",
    ];
    fs_err::write(tmp.path().join("tokens.txt"), secrets.join("\n")).expect("write");
    symlink("tokens.txt", tmp.path().join(".trivyignore")).expect("symlink");
    let (code, stdout, stderr) = scan_all(tmp.path(), &db, &[]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let reports: Vec<String> = ["r.json", "r.sarif", "r.md"]
        .iter()
        .map(|f| fs_err::read_to_string(tmp.path().join(f)).expect("report"))
        .collect();
    for text in reports.iter().chain([&stdout, &stderr]) {
        for s in secrets {
            let tail = &s[s.len() - 10..];
            assert!(!text.contains(tail), "{s} in {text}");
        }
    }
    for line in 1..=3 {
        let want = format!("line {line} is not a vulnerability id");
        let all = format!("{stdout}{stderr}{}", reports.concat());
        assert!(all.contains(&want), "{all}");
    }
}
