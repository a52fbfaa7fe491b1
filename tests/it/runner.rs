//! The Actions runner's workflow-command parsers, ported, run over what kevgate prints.
//!
//! A port of actions/runner `src/Runner.Common/ActionCommand.cs` (`TryParseV2`, `TryParse`)
//! as `src/Runner.Worker/ActionCommandManager.cs` (`TryProcessCommand`) calls them on each
//! line of a step's stdout and stderr (lines end at `\n`, `\r` or `\r\n`: .NET
//! `StreamReader.ReadLine`). Two choices make the port stricter than the runner, so a line it
//! passes is safe whatever the runner's version and settings:
//!
//! - every command name counts (the runner accepts only registered ones, and `stop-commands`
//!   tokens), so `::anything::` and `##[anything]` are commands here;
//! - the runner's `StartsWith`/`IndexOf(string)` are culture-sensitive, and with ICU they skip
//!   ignorable characters (soft hyphen, zero-width, controls): the port removes those before
//!   it looks (`kevgate::output::ignorable`, checked here against a list of its own).
//!
//! Then kevgate's real output on hostile SBOMs, in `scan` and `action`, and random strings
//! through the neutraliser: no command but kevgate's own.

use crate::action::TOKEN;
use crate::scan::build_kev_hits_db;
use crate::{TempDir, kevgate, run};
use serde_json::json;
use std::path::Path;

/// A command the runner would run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The command name (`add-mask`, `error`, ...).
    pub name: String,
    /// The data after the command, unescaped.
    pub data: String,
}

/// Characters ICU's collation may skip: controls other than line breaks, and format ones.
fn skipped(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\r')
        || matches!(
            c,
            '\u{ad}' | '\u{34f}' | '\u{61c}' | '\u{180b}'..='\u{180f}'
        )
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}')
        || matches!(c, '\u{2060}'..='\u{206f}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}')
        || matches!(c, '\u{fff0}'..='\u{fffb}' | '\u{e0000}'..='\u{e0fff}')
}

/// `TryParseV2`: after the leading whitespace, `::name props::data`.
fn try_parse_v2(message: &str) -> Option<Command> {
    if message.is_empty() {
        return None;
    }
    // `message.TrimStart()`: .NET whitespace.
    let message = message.trim_start();
    let rest = message.strip_prefix("::")?;
    // `message.IndexOf("::", 2)`.
    let end = rest.find("::")?;
    let info = &rest[..end];
    let name = info.split(' ').next().unwrap_or_default();
    if name.is_empty() {
        return None;
    }
    Some(Command {
        name: name.to_owned(),
        data: unescape(&rest[end + 2..]),
    })
}

/// `TryParse` (legacy): `##[name props]data` anywhere in the line.
fn try_parse_legacy(message: &str) -> Option<Command> {
    let prefix = message.find("##[")?;
    let rb = prefix + message[prefix..].find(']')?;
    let info = &message[prefix + 3..rb];
    let name = info.split(' ').next().unwrap_or_default();
    if name.is_empty() {
        return None;
    }
    Some(Command {
        name: name.to_owned(),
        data: unescape(&message[rb + 1..]),
    })
}

/// The runner's data unescaping (`%0D`, `%0A`, `%25`, in that order).
fn unescape(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%25", "%")
}

/// `TryProcessCommand`'s parse of one line: V2, else legacy; on the line as is and on the
/// line without the characters ICU may skip.
pub fn parse_line(line: &str) -> Option<Command> {
    let folded: String = line.chars().filter(|c| !skipped(*c)).collect();
    [line, folded.as_str()]
        .into_iter()
        .find_map(|l| try_parse_v2(l).or_else(|| try_parse_legacy(l)))
}

/// Every command the runner finds in `output` (stdout or stderr of a step).
pub fn commands(output: &str) -> Vec<Command> {
    output.split(['\n', '\r']).filter_map(parse_line).collect()
}

/// The port parses what the runner parses (and the runner's own escaping round-trips).
#[test]
fn the_port_parses_as_the_runner_does() {
    let cmd = |name: &str, data: &str| {
        Some(Command {
            name: name.into(),
            data: data.into(),
        })
    };
    assert_eq!(parse_line("::add-mask::FAIL"), cmd("add-mask", "FAIL"));
    assert_eq!(
        parse_line("  \t::warning title=a%3Ab::x%0Ay"),
        cmd("warning", "x\ny")
    );
    assert_eq!(parse_line("::stop-commands::x"), cmd("stop-commands", "x"));
    assert_eq!(
        parse_line("CVE-1 ##[notice]gate passed"),
        cmd("notice", "gate passed")
    );
    assert_eq!(parse_line(":\u{ad}:error::x"), cmd("error", "x"));
    assert_eq!(parse_line("a ::error::x"), None);
    assert_eq!(parse_line("::error"), None);
    assert_eq!(parse_line("##[error"), None);
    assert_eq!(parse_line("\\::error::x"), None);
    assert_eq!(parse_line("#\\#[error]x"), None);
    // The port and kevgate agree on what can be skipped, and kevgate skips no more than it
    // escapes: every character the port skips, kevgate calls ignorable.
    for c in (0..=0x10ffff_u32).filter_map(char::from_u32) {
        if skipped(c) {
            assert!(kevgate::output::ignorable(c), "U+{:04X}", u32::from(c));
        }
    }
}

/// A small deterministic generator (SplitMix64), so a failure can be replayed by its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Random text built from the pieces commands are made of, plus any character.
fn random_text(rng: &mut Rng) -> String {
    const PIECES: &[&str] = &[
        ":",
        "::",
        "#",
        "##",
        "##[",
        "[",
        "]",
        " ",
        "\t",
        "\n",
        "\r",
        "\r\n",
        "\u{a0}",
        "\u{3000}",
        "\u{ad}",
        "\u{200b}",
        "\u{feff}",
        "\u{1}",
        "add-mask",
        "error",
        "notice",
        "stop-commands",
        "%0A",
        "%25",
        "\\",
        "x",
        "=",
        ",",
        ";",
    ];
    let len = rng.below(24);
    let mut s = String::new();
    for _ in 0..len {
        if rng.below(8) == 0 {
            let c = char::from_u32(rng.below(0x11_0000) as u32).unwrap_or('?');
            s.push(c);
        } else {
            s.push_str(PIECES[rng.below(PIECES.len())]);
        }
    }
    s
}

/// Property: random text, neutralised, holds no command; and written through a console in
/// random pieces with flushes between (a progress bar), it comes out the same.
#[test]
fn neutralised_random_text_holds_no_command() {
    use std::io::Write;
    for seed in 0..20_000_u64 {
        let mut rng = Rng(seed);
        let text = random_text(&mut rng);
        let safe = kevgate::output::neutralise_text(&text);
        assert_eq!(commands(&safe), [], "seed {seed}: {text:?} -> {safe:?}");

        let mut console = kevgate::output::Console::new(Vec::new());
        let bytes = text.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            let n = 1 + rng.below(bytes.len() - at);
            console.write_all(&bytes[at..at + n]).expect("write");
            if rng.below(2) == 0 {
                console.flush().expect("flush");
            }
            at += n;
        }
        let out = String::from_utf8(console.into_inner().expect("finish")).expect("UTF-8");
        assert_eq!(commands(&out), [], "seed {seed}: {text:?} -> {out:?}");
    }
}

/// Hostile text an SBOM can carry into every place kevgate prints it.
const HOSTILE: &[&str] = &[
    "::add-mask::FAIL",
    "##[notice]gate passed",
    "::stop-commands::x",
    "   ::error::leading spaces",
    "\t::warning::leading tab",
    "\u{a0}::set-output name=verdict::pass",
    ":\u{ad}:add-mask::soft-hyphen",
    "x ##[error]inside",
];

/// An SBOM whose components and embedded vulnerabilities carry [`HOSTILE`] text: glibc at a
/// version with real KEV findings (remediation lines, `about:` lines), vulnerabilities with
/// hostile ids and descriptions, and a component with a purl that does not parse (a note).
fn hostile_sbom(dir: &Path) -> std::path::PathBuf {
    let glibc = "pkg:deb/debian/libc6@2.31-13+deb11u4?arch=amd64&upstream=glibc&distro=debian-11";
    let mut components = vec![json!({
        "bom-ref": "glibc", "type": "library", "name": HOSTILE[0],
        "version": "2.31-13+deb11u4", "purl": glibc,
    })];
    let mut vulns = Vec::new();
    for (i, h) in HOSTILE.iter().enumerate() {
        let r = format!("c{i}");
        components.push(json!({
            "bom-ref": r, "type": "library", "name": h, "version": h,
            "purl": format!("pkg:npm/{}@1.0.{i}", h.replace(' ', "%20")),
            "properties": [{"name": "aquasecurity:trivy:FilePath", "value": h}],
        }));
        components.push(json!({
            "bom-ref": format!("bad{i}"), "type": "library", "name": h,
            "purl": format!("pkg:{h}"),
        }));
        vulns.push(json!({
            "id": h, "description": h, "recommendation": h,
            "source": {"name": h, "url": format!("https://x.example/{h}")},
            "ratings": [{"severity": "critical", "source": {"name": h}}],
            "advisories": [{"url": format!("https://x.example/{h}")}],
            "affects": [{"ref": r}, {"ref": "glibc"}],
        }));
    }
    let path = dir.join("hostile.cdx.json");
    fs_err::write(
        &path,
        json!({
            "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "metadata": {"component": {"type": "application", "name": HOSTILE[1]}},
            "components": components, "vulnerabilities": vulns,
        })
        .to_string(),
    )
    .expect("write SBOM");
    path
}

/// Asserts the runner finds no command in `stdout` and `stderr` but `own`.
fn assert_only(stdout: &str, stderr: &str, own: &[Command]) {
    assert_eq!(commands(stdout), own, "stdout:\n{stdout}");
    assert_eq!(commands(stderr), [], "stderr:\n{stderr}");
}

/// `scan` prints hostile SBOM text (table rows, remediation, `about:`, ignored rows, notes)
/// in every format that goes to the log, and no line of stdout or stderr is a command.
#[test]
fn scan_output_holds_no_command() {
    let tmp = TempDir::new("runner-scan");
    let db = build_kev_hits_db(tmp.path());
    let sbom = hostile_sbom(tmp.path());
    let ignores: String = HOSTILE.iter().map(|h| format!("{h}\n")).collect();
    fs_err::write(tmp.path().join(".trivyignore"), &ignores).expect("write .trivyignore");
    for format in ["table", "json", "sarif", "markdown"] {
        let (code, stdout, stderr) = run(kevgate(tmp.path())
            .args(["scan", "--format", format, "--db"])
            .arg(&db)
            .arg(&sbom));
        assert_eq!(code, 1, "{format}: {stdout}{stderr}");
        if format == "table" {
            assert!(stdout.contains("add-mask::FAIL"), "{stdout}");
            assert!(stdout.contains("gate passed"), "{stdout}");
        }
        assert_only(&stdout, &stderr, &[]);
    }
    // Errors quoting hostile text: a config that is not YAML, an SBOM that is not one.
    let bad = tmp.path().join("bad.json");
    fs_err::write(&bad, format!("{{\"bomFormat\": \"{}\"}}", HOSTILE[0])).expect("write");
    let (code, stdout, stderr) = run(kevgate(tmp.path())
        .args(["scan", "--db"])
        .arg(&db)
        .arg(&bad));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert_only(&stdout, &stderr, &[]);
    let (code, stdout, stderr) =
        run(kevgate(tmp.path()).args(["scan", "--fail-on", "::add-mask::FAIL", "::error::x"]));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("add-mask::FAIL"), "{stderr}");
    assert_only(&stdout, &stderr, &[]);
}

/// JSON and SARIF on stdout stay JSON: the console's `#\#[` would be an invalid escape in a
/// string, so a vulnerability id `##[notice]gate passed` once made `scan --format json | jq`
/// fail. They parse, hold no command, and still carry the hostile text as it was.
#[test]
fn json_on_stdout_stays_valid_json() {
    let tmp = TempDir::new("runner-json");
    let db = build_kev_hits_db(tmp.path());
    let sbom = hostile_sbom(tmp.path());
    for format in ["json", "sarif"] {
        let (code, stdout, stderr) = run(kevgate(tmp.path())
            .args(["scan", "--format", format, "--db"])
            .arg(&db)
            .arg(&sbom));
        assert_eq!(code, 1, "{format}: {stdout}{stderr}");
        assert_only(&stdout, &stderr, &[]);
        let doc: serde_json::Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{format} on stdout is not JSON: {e}\n{stdout}"));
        let text = doc.to_string();
        for h in ["##[notice]gate passed", "x ##[error]inside"] {
            assert!(text.contains(h), "{format} lost {h:?}: {text}");
        }
    }
}

/// `action` on the hostile SBOM, with a hostile check name and a GitHub API that fails: the
/// only commands in the log are kevgate's own (the token's mask and its warnings).
#[test]
fn action_output_holds_only_its_own_commands() {
    let tmp = TempDir::new("runner-action");
    let db = build_kev_hits_db(tmp.path());
    let sbom = hostile_sbom(tmp.path());
    let (code, stdout, stderr) = run(kevgate(tmp.path())
        .arg("action")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", tmp.path().join("output.txt"))
        .env("GITHUB_STEP_SUMMARY", tmp.path().join("summary.md"))
        .env("INPUT_SBOM", &sbom)
        .env("INPUT_DB", &db)
        .env("INPUT_FAIL-ON", "")
        .env("INPUT_CHECK-NAME", HOSTILE[1])
        .env("INPUT_GITHUB-TOKEN", TOKEN));
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("add-mask::FAIL"), "{stdout}");
    assert_only(
        &stdout,
        &stderr,
        &[Command {
            name: "add-mask".into(),
            data: TOKEN.into(),
        }],
    );
    // With an event, a token and a GitHub API whose error messages are hostile: kevgate's
    // warnings quote them, each warning is one command, and nothing else is.
    let api = crate::action::fake::serve(|_, _, _| {
        (
            422,
            r#"{"message": "bad\n::add-mask::FAIL\r##[error]x %0A::error::y"}"#,
            vec![],
        )
    });
    let (code, stdout, stderr) = run(kevgate(tmp.path())
        .arg("action")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", "push")
        .env(
            "GITHUB_EVENT_PATH",
            crate::fixture("github/push.with-new-branch.payload.json"),
        )
        .env("GITHUB_REPOSITORY", "Codertocat/Hello-World")
        .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
        .env("GITHUB_API_URL", &api.url)
        .env("INPUT_SBOM", &sbom)
        .env("INPUT_DB", &db)
        .env("INPUT_CHECK-NAME", HOSTILE[0])
        .env("INPUT_GITHUB-TOKEN", TOKEN));
    assert_eq!(code, 1, "{stdout}{stderr}");
    let own = commands(&stdout);
    assert_eq!(own.first().map(|c| c.name.as_str()), Some("add-mask"));
    let warnings = &own[1..];
    assert!(!warnings.is_empty(), "{stdout}");
    for w in warnings {
        assert_eq!(
            w.name, "warning",
            "only kevgate's warnings: {own:?}\n{stdout}"
        );
        assert!(!w.data.contains('\n') && !w.data.contains('\r'), "{w:?}");
    }
    assert!(
        warnings.iter().any(|w| w.data.contains("add-mask::FAIL")),
        "the hostile message is quoted, inert: {stdout}"
    );
    assert_eq!(commands(&stderr), [], "stderr:\n{stderr}");
}
