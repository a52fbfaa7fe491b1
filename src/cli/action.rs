//! `kevgate action`: the GitHub Action's entry point.
//!
//! The runner passes a container action's inputs as `INPUT_<NAME>` variables, upper-cased
//! with hyphens kept (`INPUT_FAIL-ON`). This reads them, runs the same scan as `kevgate scan`
//! ([`super::scan::gather`], [`super::policy::assemble`], [`super::scan::evaluate_gathered`]), then
//! writes the step summary (`$GITHUB_STEP_SUMMARY`), the outputs (`$GITHUB_OUTPUT`), the
//! JSON and SARIF files asked for, and a table on stdout for the log; the exit code is the
//! gate's.
//!
//! Unlike `scan`, the action refuses the demo database bundled in the binary unless
//! `allow-demo-db` is `true`: a workflow that forgot its database must not pass on demo data.
//!
//! Inside a workflow the event must be one kevgate can report on (see
//! [`crate::github::context`]); otherwise it stops before scanning (exit 2). The policy is
//! the `config` file (or `.kevgate.yaml`), loaded as `scan --config` loads it, every file
//! confined to `GITHUB_WORKSPACE` ([`crate::workspace`]). On a pull request the base commit's
//! policy files are read through the contents API ([`client::Contents`]): the exceptions the
//! PR adds are listed in the reports, or, with `policy-from: base`, the base's policy gates.
//!
//! Then, with a token, it reports to GitHub ([`client::publish`]):
//! check run, else commit status, else the step summary alone, plus the sticky PR comment.

use super::policy::{
    PolicyFiles, assemble, declared_exceptions, read_policy_files, trivyignore_parser,
};
use super::scan::{ScanInputs, evaluate_gathered, gather, statement};
use super::{Io, Outcome, pretty_json, report_options, today, write_atomically};
use crate::github::{Context, client, workflow};
use crate::policy::FailOn;
use crate::report::{self, Format};
use crate::workspace::{NamedBy, POLICY_FILE_MAX_BYTES, Workspace};
use anyhow::{Context as _, bail};
use clap::ValueEnum;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The action's inputs, parsed. Not `Debug`: it holds the token.
struct Inputs {
    /// `mode`: `scan` (the default) or `watch`.
    mode: Mode,
    /// `watch-releases`: how many releases `mode: watch` re-checks. Default: 5.
    watch_releases: u32,
    /// `sbom`; empty with `mode: watch`.
    sbom: PathBuf,
    db: Option<PathBuf>,
    /// `fail-on`; unset or empty: the config file's value, else `critical`.
    fail_on: Option<FailOn>,
    /// `fail-on-kev`; unset or empty: the config file's value, else `true`.
    fail_on_kev: Option<bool>,
    /// `fail-on-malicious`; unset or empty: the config file's value, else `true`.
    fail_on_malicious: Option<bool>,
    max_db_age: u32,
    /// `config`: the policy file, as `scan --config`.
    config: Option<PathBuf>,
    /// `rhel-stream`, as `scan --rhel-stream`; unset or empty: the config file's value.
    rhel_stream: Option<crate::purl::RhelStream>,
    check_name: String,
    comment: bool,
    sarif_file: Option<PathBuf>,
    json_file: Option<PathBuf>,
    /// `attestation`: where to write the gate attestation (an in-toto Statement).
    attestation: Option<PathBuf>,
    allow_demo_db: bool,
    /// `policy-from`: whose policy files gate a pull request. Default: the head's.
    policy_from: PolicyFrom,
    /// `github-token`; empty means no REST calls.
    token: Option<String>,
    /// `track`: which findings get tracking issues; `None` for `none` (the default).
    track: Option<super::track::TrackScope>,
    /// `track-max-new`: at most this many new tracking issues per run (default 20).
    track_max_new: usize,
}

/// What the action does (input `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// Gate the SBOM of this run (`kevgate scan`).
    Scan,
    /// Re-check the repository's latest releases (`kevgate watch --releases N`).
    Watch,
}

/// Where the policy files of a pull request come from (input `policy-from`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PolicyFrom {
    /// The workspace: the pull request's own files (the default). The exceptions it adds
    /// compared with the base commit are listed in every report.
    Head,
    /// The base commit, read through the contents API: a pull request cannot change the
    /// policy that gates it.
    Base,
}

/// An input, trimmed; `None` when unset or empty (the runner sets every declared input,
/// empty when not given).
fn input(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    env(&format!("INPUT_{}", name.to_ascii_uppercase()))
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// A boolean input as `@actions/core` `getBooleanInput` reads it (YAML 1.2 core schema).
fn bool_input(
    env: &dyn Fn(&str) -> Option<String>,
    name: &str,
    default: bool,
) -> anyhow::Result<bool> {
    Ok(optional_bool_input(env, name)?.unwrap_or(default))
}

/// A boolean input, `None` when unset or empty.
fn optional_bool_input(
    env: &dyn Fn(&str) -> Option<String>,
    name: &str,
) -> anyhow::Result<Option<bool>> {
    match input(env, name).as_deref() {
        None => Ok(None),
        Some("true" | "True" | "TRUE") => Ok(Some(true)),
        Some("false" | "False" | "FALSE") => Ok(Some(false)),
        Some(other) => bail!(
            "input `{name}` is not a boolean: `{}`; hint: use `true` or `false`",
            crate::text::terminal(&crate::text::one_line(other, 40))
        ),
    }
}

fn parse_inputs(env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Inputs> {
    let mode = match input(env, "mode") {
        None => Mode::Scan,
        Some(v) => Mode::from_str(&v, true).map_err(|_| {
            anyhow::anyhow!(
                "input `mode` is not `scan` or `watch`: `{}`",
                crate::text::terminal(&crate::text::one_line(&v, 40))
            )
        })?,
    };
    let sbom = match (mode, input(env, "sbom")) {
        (Mode::Scan, sbom) => {
            sbom.context("input `sbom` is required; hint: `with: sbom: path/to/sbom.cdx.json`")?
        }
        (Mode::Watch, None) => String::new(),
        (Mode::Watch, Some(_)) => bail!(
            "input `sbom` has no use with `mode: watch`, which reads the SBOM assets of the \
             releases; hint: drop `sbom`, or use `mode: scan`"
        ),
    };
    let watch_releases = match input(env, "watch-releases") {
        None => 5,
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "input `watch-releases` is not a number from 1 to 100: `{}`",
                    crate::text::terminal(&crate::text::one_line(&v, 40))
                )
            })?,
    };
    let fail_on = match input(env, "fail-on") {
        None => None,
        Some(v) => Some(FailOn::from_str(&v, true).map_err(|_| {
            anyhow::anyhow!(
                "input `fail-on` is not a severity: `{}`; hint: one of `critical`, `high`, \
                 `medium`, `low`, `none`",
                crate::text::terminal(&crate::text::one_line(&v, 40))
            )
        })?),
    };
    let max_db_age = match input(env, "max-db-age") {
        None => 7,
        Some(v) => v.parse().map_err(|_| {
            anyhow::anyhow!(
                "input `max-db-age` is not a number of days: `{}`",
                crate::text::terminal(&crate::text::one_line(&v, 40))
            )
        })?,
    };
    Ok(Inputs {
        mode,
        watch_releases,
        sbom: PathBuf::from(sbom),
        db: input(env, "db").map(PathBuf::from),
        fail_on,
        fail_on_kev: optional_bool_input(env, "fail-on-kev")?,
        fail_on_malicious: optional_bool_input(env, "fail-on-malicious")?,
        max_db_age,
        config: input(env, "config").map(PathBuf::from),
        rhel_stream: input(env, "rhel-stream")
            .map(|v| {
                v.parse::<crate::purl::RhelStream>().map_err(|e: String| {
                    anyhow::anyhow!(
                        "input `rhel-stream`: {}",
                        crate::text::terminal(&crate::text::one_line(&e, 200))
                    )
                })
            })
            .transpose()?,
        check_name: input(env, "check-name")
            .unwrap_or_else(|| crate::github::payload::DEFAULT_CHECK_NAME.to_owned()),
        comment: bool_input(env, "comment", true)?,
        sarif_file: input(env, "sarif-file").map(PathBuf::from),
        json_file: input(env, "json-file").map(PathBuf::from),
        attestation: input(env, "attestation").map(PathBuf::from),
        allow_demo_db: bool_input(env, "allow-demo-db", false)?,
        policy_from: match input(env, "policy-from") {
            None => PolicyFrom::Head,
            Some(v) => PolicyFrom::from_str(&v, true).map_err(|_| {
                anyhow::anyhow!(
                    "input `policy-from` is not `head` or `base`: `{}`",
                    crate::text::terminal(&crate::text::one_line(&v, 40))
                )
            })?,
        },
        token: input(env, "github-token"),
        track_max_new: match input(env, "track-max-new") {
            None => 20,
            Some(v) => v.parse().map_err(|_| {
                anyhow::anyhow!(
                    "input `track-max-new` is not a number: `{}`",
                    crate::text::terminal(&crate::text::one_line(&v, 40))
                )
            })?,
        },
        track: match input(env, "track").as_deref() {
            None | Some("none") => None,
            Some(v) => Some(super::track::TrackScope::from_str(v, false).map_err(|_| {
                anyhow::anyhow!(
                    "input `track` is `{}`; hint: one of `none`, `fail`, `kev`",
                    crate::text::terminal(&crate::text::one_line(v, 40))
                )
            })?),
        },
    })
}

/// Runs the action.
pub(super) fn run(io: &mut Io<'_>) -> anyhow::Result<Outcome> {
    let env = io.env;
    // The token is masked before anything else is printed, so that no later line (ours or
    // a library's) can show it.
    if let Some(token) = input(env, "github-token") {
        io.stdout.command(&workflow::add_mask(&token))?;
    }
    let inputs = parse_inputs(env)?;
    if inputs.mode == Mode::Watch {
        return watch(&inputs, io);
    }
    let today = today(env)?;
    // The context decides the commit: on an event kevgate cannot report on, stop before
    // scanning (exit 2) rather than gate a commit nobody will see.
    let mut event = Vec::new();
    let context = match env("GITHUB_EVENT_NAME") {
        None => None,
        Some(_) => {
            if let Some(path) = env("GITHUB_EVENT_PATH").filter(|p| !p.is_empty()) {
                event = fs_err::read(&path).map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            Some(Context::from_env(env, &event)?)
        }
    };
    // The policy: the `config` file (or `.kevgate.yaml`), loaded as `scan --config` does;
    // `fail-on`, `fail-on-kev`, `fail-on-malicious` and `rhel-stream`, when given, override
    // it ([`overrides`]), as flags override it for `scan`. Every file the inputs or the
    // repository name stays in the workspace.
    let ws = Workspace::from_env(env)?;
    // On a pull request, the base commit's policy files: to list the exceptions the PR adds,
    // or (`policy-from: base`) to gate with.
    // The head's files first: a policy file that leads out of the workspace stops the run
    // before any request.
    let head = match inputs.policy_from {
        PolicyFrom::Head => Some(read_policy_files(
            &ws,
            inputs.config.as_deref(),
            NamedBy::Repository,
        )?),
        PolicyFrom::Base => None,
    };
    let network = client::Network::from_env(env);
    let base = match (&context, &inputs.token) {
        (
            Some(
                ctx @ Context {
                    base_sha: Some(sha),
                    ..
                },
            ),
            Some(token),
        ) => Some(
            client::Contents::new(ctx, token, &network)
                .and_then(|api| base_policy_files(&api, &ws, inputs.config.as_deref(), sha)),
        ),
        (
            Some(Context {
                base_sha: Some(_), ..
            }),
            None,
        ) => Some(Err(
            "there is no `github-token` to read the base commit's policy files with".to_owned(),
        )),
        _ => None,
    };
    let (files, compare_with) = match head {
        Some(files) => (files, base),
        None => match base {
            Some(Ok(files)) => {
                writeln!(
                    io.stderr,
                    "kevgate: the policy files are the base commit's (`policy-from: base`)"
                )?;
                (files, None)
            }
            Some(Err(e)) => bail!("`policy-from: base`: {e}"),
            None => bail!(
                "`policy-from: base` needs a pull request (`pull_request` opened, synchronize \
                 or reopened): this event has no base commit; hint: use `policy-from: head` \
                 on other events"
            ),
        },
    };
    let gathered = gather(
        &ScanInputs {
            sbom: &inputs.sbom,
            db: inputs.db.as_deref(),
            max_db_age: inputs.max_db_age,
            allow_bundled: inputs.allow_demo_db,
            max_sbom_bytes: None,
            banner_on_stdout: false,
        },
        today,
        io,
    )?;
    let (mut policy, mut notes) = assemble(&files, &overrides(&inputs), &gathered.scanned())?;
    let unchecked = |why: String| crate::note::Note {
        code: crate::note::NoteCode::ExceptionsUnchecked,
        message: format!(
            "the exceptions this pull request adds to the policy could not be listed: {why}"
        ),
        component: None,
    };
    let scanned = crate::vex::Scanned::of(&gathered.sbom);
    match &compare_with {
        None => {}
        Some(Ok(base)) => match declared_exceptions(base, &scanned) {
            Ok(base_ignores) => {
                let head_ignores = declared_exceptions(&files, &scanned)?;
                policy.added_exceptions = Some(crate::policy::added_exceptions(
                    &head_ignores,
                    &base_ignores,
                ));
            }
            Err(e) => notes.push(unchecked(format!("the base commit's {e:#}"))),
        },
        Some(Err(e)) => notes.push(unchecked(e.clone())),
    }
    let evaluation = evaluate_gathered(
        &gathered,
        &policy,
        notes,
        crate::FindingOrder::Severity,
        today,
    )?;

    let run_url = context.as_ref().and_then(Context::run_url);

    let write_report = |format: Format, path: &Path| -> anyhow::Result<()> {
        let mut buf = Vec::new();
        report::write(format, &evaluation, &mut buf, &report_options(false))?;
        write_atomically(&ws.output_path(path, NamedBy::Repository)?, &buf)
    };
    if let Some(path) = &inputs.json_file {
        write_report(Format::Json, path)?;
    }
    if let Some(path) = &inputs.sarif_file {
        write_report(Format::Sarif, path)?;
    }
    let statement = statement(&gathered, &evaluation, &inputs.sbom)?;
    if let Some(path) = &inputs.attestation {
        write_atomically(
            &ws.output_path(path, NamedBy::Repository)?,
            &pretty_json(&statement),
        )?;
    }
    report::write(
        Format::Table,
        &evaluation,
        io.stdout,
        &report_options(false),
    )?;

    if let Some(path) = env("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        append(
            Path::new(&path),
            &workflow::step_summary(&evaluation, run_url.as_deref()),
        )?;
    }
    if let Some(path) = env("GITHUB_OUTPUT").filter(|p| !p.is_empty()) {
        let outputs = workflow::Outputs::of(
            &evaluation,
            inputs.json_file.as_ref().map(|p| p.display().to_string()),
            inputs.sarif_file.as_ref().map(|p| p.display().to_string()),
        );
        append(Path::new(&path), &outputs.to_file_commands(seed()))?;
        append(Path::new(&path), &attestation_outputs(&statement, seed()))?;
    }
    // Report to GitHub. Never changes the exit code: failures are warnings.
    match (&context, &inputs.token) {
        (Some(ctx), Some(token)) => {
            let (_, warnings) = client::publish(
                ctx,
                &evaluation,
                client::Request {
                    check_name: &inputs.check_name,
                    comment: inputs.comment,
                    token,
                    backoff: std::time::Duration::from_secs(1),
                    network: &network,
                },
            );
            for w in warnings {
                io.stdout.command(&workflow::warning(Some("kevgate"), &w))?;
            }
        }
        (Some(_), None) => io.stdout.command(&workflow::warning(
            Some("kevgate"),
            "no `github-token`: no check run and no comment; the result is in the step summary",
        ))?,
        (None, _) => {}
    }
    // Tracking issues: never changes the exit code either.
    if let (Some(scope), Some(ctx)) = (inputs.track, &context) {
        match &inputs.token {
            Some(token) => {
                if let Err(e) = super::track::run_action(
                    io,
                    ctx,
                    &event,
                    &evaluation,
                    &inputs.sbom,
                    scope,
                    inputs.track_max_new,
                    inputs.config.as_deref(),
                    token,
                    &network,
                ) {
                    io.stdout.command(&workflow::warning(
                        Some("kevgate tracking issues"),
                        &format!("{e:#}"),
                    ))?;
                }
            }
            None => io.stdout.command(&workflow::warning(
                Some("kevgate tracking issues"),
                "no `github-token`: no tracking issues",
            ))?,
        }
    }

    Ok(Outcome::of(evaluation.verdict))
}

/// `mode: watch`: re-checks the latest `watch-releases` releases of `GITHUB_REPOSITORY` as
/// `kevgate watch --releases N` does, with the action's policy inputs and token; writes the
/// table to the log, the JSON document to `json-file`, the job summary, and the `verdict`
/// output (`pass`, `fail` or `error`). No check run or comment: there is no commit to report on.
fn watch(inputs: &Inputs, io: &mut Io<'_>) -> anyhow::Result<Outcome> {
    use super::watch::{Plan, Sources};
    let plan = Plan {
        sources: Sources::Releases {
            count: inputs.watch_releases as usize,
            repo: None,
            prereleases: true,
            token: inputs.token.clone(),
        },
        db: inputs.db.clone(),
        max_db_age: inputs.max_db_age,
        max_sbom_size: None,
        config: inputs.config.clone(),
        overrides: overrides(inputs),
        allow_bundled: inputs.allow_demo_db,
        workspace: Workspace::from_env(io.env)?,
        config_by: NamedBy::Repository,
        track: inputs.track.map(|scope| super::watch::Tracking {
            scope,
            max_new: inputs.track_max_new,
        }),
    };
    let watch = super::watch::execute(&plan, io)?;
    crate::report::watch::write_text(&watch, io.stdout)?;
    if let Some(path) = &inputs.json_file {
        let mut buf = Vec::new();
        crate::report::watch::write_json(&watch, &mut buf)?;
        write_atomically(
            &plan.workspace.output_path(path, NamedBy::Repository)?,
            &buf,
        )?;
    }
    if let Some(path) = (io.env)("GITHUB_OUTPUT").filter(|p| !p.is_empty()) {
        let verdict = match watch.outcome() {
            crate::report::watch::Outcome::Pass => "pass",
            crate::report::watch::Outcome::Fail => "fail",
            crate::report::watch::Outcome::Error => "error",
        };
        append(
            Path::new(&path),
            &workflow::output_line("verdict", verdict, seed()),
        )?;
    }
    // Tracking issues: never change the exit code.
    if let Err(e) = super::watch::track(&plan, &watch, io) {
        io.stdout.command(&workflow::warning(
            Some("kevgate tracking issues"),
            &format!("{e:#}"),
        ))?;
    }
    super::watch::finish(&watch, io)
}

/// The policy files at the base commit `sha`, by the names [`read_policy_files`] reads in the
/// workspace (the `config` input or `.kevgate.yaml`, `.trivyignore`, `.trivyignore.yaml`, the
/// `vex` documents the base config names), fetched through the contents API, size-capped and
/// parsed as the workspace's are. A file absent at the base is absent from its policy, but a
/// `vex` document its config names must be there.
fn base_policy_files(
    api: &client::Contents,
    ws: &Workspace,
    config: Option<&Path>,
    sha: &str,
) -> Result<PolicyFiles, String> {
    let get = |path: &Path| -> Result<Option<Vec<u8>>, String> {
        let name = ws.repository_path(path).ok_or_else(|| {
            format!(
                "`{}` is not a path in the repository",
                crate::text::terminal(&crate::text::one_line(&path.display().to_string(), 200))
            )
        })?;
        api.get(&name, sha, POLICY_FILE_MAX_BYTES)
    };
    let default_file = ws.file(crate::config::DEFAULT_FILE);
    let config_path = config.unwrap_or(&default_file);
    let parsed = match get(config_path)? {
        Some(bytes) => crate::config::parse(&bytes, &config_path.display().to_string())
            .map_err(|e| format!("the base commit's {e}"))?,
        None => crate::config::Config::default(),
    };
    let mut trivyignore = Vec::new();
    for name in [crate::trivyignore::FILE, crate::trivyignore::YAML_FILE] {
        if let Some(bytes) = get(&ws.file(name))? {
            trivyignore_parser(name)(&bytes, name).map_err(|e| format!("the base commit's {e}"))?;
            trivyignore.push((name, bytes));
        }
    }
    let dir = config_path.parent().unwrap_or(Path::new(""));
    let mut vex = Vec::new();
    for rel in &parsed.vex {
        let path = dir.join(rel);
        let shown = path.display().to_string();
        match get(&path)? {
            Some(bytes) => vex.push((shown, bytes)),
            None => {
                return Err(format!(
                    "`{}`, a `vex` document of the base commit's config, is not in that commit",
                    crate::text::terminal(&crate::text::one_line(&shown, 200))
                ));
            }
        }
    }
    Ok(PolicyFiles {
        config: parsed,
        trivyignore,
        vex,
    })
}

/// What the inputs set over the policy file. `fail-on`, `fail-on-kev` and
/// `fail-on-malicious` default to empty in action.yml, so an input the workflow does not give
/// leaves the config file's value (else kevgate's default) in force, and one it gives wins,
/// `critical` and `true` included.
fn overrides(inputs: &Inputs) -> crate::config::Overrides {
    crate::config::Overrides {
        fail_on: inputs.fail_on,
        fail_on_kev: inputs.fail_on_kev,
        fail_on_malicious: inputs.fail_on_malicious,
        rhel_stream: inputs.rhel_stream.clone(),
        ..crate::config::Overrides::default()
    }
}

/// The outputs `actions/attest` takes: `attestation-predicate` (the predicate, one line of
/// JSON, for its `predicate` input), `attestation-subject-name` and
/// `attestation-subject-digest` (`sha256:HEX`).
fn attestation_outputs(statement: &crate::attestation::Statement, seed: u64) -> String {
    use crate::github::workflow::output_line;
    let subject = statement.subject.first();
    let name = subject.map(|s| s.name.as_str()).unwrap_or_default();
    let digest = subject
        .and_then(|s| s.digest.get("sha256"))
        .map(|hex| format!("sha256:{hex}"))
        .unwrap_or_default();
    let predicate = serde_json::to_string(&statement.predicate).expect("plain data serialises");
    [
        output_line("attestation-predicate", &predicate, seed),
        output_line("attestation-subject-name", name, seed),
        output_line("attestation-subject-digest", &digest, seed),
        output_line("attestation-predicate-type", statement.predicate_type, seed),
    ]
    .concat()
}

/// Appends `text` to the file the runner gave (creating it when missing).
pub(super) fn append(path: &Path, text: &str) -> anyhow::Result<()> {
    let mut file = fs_err::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    file.write_all(text.as_bytes())
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Unpredictable enough for a heredoc delimiter (which is checked against the value anyway).
fn seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or_default();
    nanos ^ (u64::from(std::process::id()) << 32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Inputs as the runner passes them (hyphens kept, upper case), defaults, bad values.
    #[test]
    fn inputs() {
        let vars = BTreeMap::from([
            ("INPUT_SBOM", " sbom.json "),
            ("INPUT_FAIL-ON", "high"),
            ("INPUT_FAIL-ON-KEV", "False"),
            ("INPUT_FAIL-ON-MALICIOUS", "false"),
            ("INPUT_MAX-DB-AGE", "3"),
            ("INPUT_DB", ""),
            ("INPUT_CHECK-NAME", "gate"),
            ("INPUT_RHEL-STREAM", "eus-8.6"),
        ]);
        let env = |k: &str| vars.get(k).map(|v| v.to_string());
        let i = parse_inputs(&env).expect("valid");
        assert_eq!(
            i.rhel_stream.as_ref().map(|s| s.to_string()),
            Some("eus-8.6".to_owned())
        );
        assert_eq!(i.sbom, PathBuf::from("sbom.json"));
        assert_eq!(i.fail_on, Some(FailOn::High));
        assert_eq!(i.fail_on_kev, Some(false));
        assert_eq!(i.fail_on_malicious, Some(false));
        let over = overrides(&i);
        assert_eq!(over.fail_on_malicious, Some(false));
        assert_eq!(over.fail_on_kev, Some(false));
        assert_eq!(over.fail_on, Some(FailOn::High));
        assert_eq!(i.max_db_age, 3);
        assert_eq!(i.db, None);
        assert_eq!(i.check_name, "gate");
        assert!(i.comment && !i.allow_demo_db);

        for (k, v, want) in [
            ("INPUT_SBOM", "", "input `sbom` is required"),
            (
                "INPUT_FAIL-ON",
                "severe",
                "input `fail-on` is not a severity",
            ),
            (
                "INPUT_ALLOW-DEMO-DB",
                "yes",
                "input `allow-demo-db` is not a boolean",
            ),
            (
                "INPUT_MAX-DB-AGE",
                "-1",
                "input `max-db-age` is not a number",
            ),
            (
                "INPUT_RHEL-STREAM",
                "eus",
                "input `rhel-stream`: `eus` is not a Red Hat extended stream",
            ),
        ] {
            let mut vars = vars.clone();
            vars.insert(k, v);
            let env = |k: &str| vars.get(k).map(|v| v.to_string());
            let Err(err) = parse_inputs(&env).map(|_| ()) else {
                panic!("{k}={v} accepted");
            };
            let err = err.to_string();
            assert!(err.starts_with(want), "{err}");
        }
    }
}
