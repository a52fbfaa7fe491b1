//! `kevgate action`: the GitHub Action's entry point.
//!
//! The runner passes a container action's inputs as `INPUT_<NAME>` variables, upper-cased
//! with hyphens kept (`INPUT_FAIL-ON`). This reads them, runs the same scan as `kevgate scan`
//! ([`super::evaluate_sbom`]), then writes the step summary (`$GITHUB_STEP_SUMMARY`), the
//! outputs (`$GITHUB_OUTPUT`), the JSON and SARIF files asked for, and a table on stdout for
//! the log; the exit code is the gate's.
//!
//! Unlike `scan`, the action refuses the demo database bundled in the binary unless
//! `allow-demo-db` is `true`: a workflow that forgot its database must not pass on demo data.
//!
//! Inside a workflow the event must be one kevgate can report on (see
//! [`crate::github::context`]); otherwise it stops before scanning (exit 2). The policy is
//! the `config` file (or `.kevgate.yaml`), loaded as `scan --config` loads it.
//!
//! Then, with a token, it reports to GitHub ([`client::publish`]):
//! check run, else commit status, else the step summary alone, plus the sticky PR comment.

use super::{
    ColorChoice, Io, Outcome, ScanArgs, ScanInputs, SortOrder, evaluate_sbom, load_policy,
    read_config, report_options, today,
};
use crate::github::{Context, client, workflow};
use crate::policy::{FailOn, Verdict};
use crate::report::{self, Format};
use anyhow::{Context as _, bail};
use clap::ValueEnum;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The action's inputs, parsed. Not `Debug`: it holds the token.
struct Inputs {
    sbom: PathBuf,
    db: Option<PathBuf>,
    /// `fail-on`; unset or empty: the config file's value, else `critical`.
    fail_on: Option<FailOn>,
    /// `fail-on-kev`; unset or empty: the config file's value, else `true`.
    fail_on_kev: Option<bool>,
    max_db_age: u32,
    /// `config`: the policy file, as `scan --config`.
    config: Option<PathBuf>,
    check_name: String,
    comment: bool,
    sarif_file: Option<PathBuf>,
    json_file: Option<PathBuf>,
    allow_demo_db: bool,
    /// `github-token`; empty means no REST calls.
    token: Option<String>,
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
    let sbom = input(env, "sbom")
        .context("input `sbom` is required; hint: `with: sbom: path/to/sbom.cdx.json`")?;
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
        sbom: PathBuf::from(sbom),
        db: input(env, "db").map(PathBuf::from),
        fail_on,
        fail_on_kev: optional_bool_input(env, "fail-on-kev")?,
        max_db_age,
        config: input(env, "config").map(PathBuf::from),
        check_name: input(env, "check-name")
            .unwrap_or_else(|| crate::github::payload::DEFAULT_CHECK_NAME.to_owned()),
        comment: bool_input(env, "comment", true)?,
        sarif_file: input(env, "sarif-file").map(PathBuf::from),
        json_file: input(env, "json-file").map(PathBuf::from),
        allow_demo_db: bool_input(env, "allow-demo-db", false)?,
        token: input(env, "github-token"),
    })
}

/// Runs the action.
pub(super) fn run(io: &mut Io<'_>) -> anyhow::Result<Outcome> {
    let env = io.env;
    // The token is masked before anything else is printed, so that no later line (ours or
    // a library's) can show it.
    if let Some(token) = input(env, "github-token") {
        write!(io.stdout, "{}", workflow::add_mask(&token))?;
    }
    let inputs = parse_inputs(env)?;
    let today = today(env)?;
    // The context decides the commit: on an event kevgate cannot report on, stop before
    // scanning (exit 2) rather than gate a commit nobody will see.
    let context = match env("GITHUB_EVENT_NAME") {
        None => None,
        Some(_) => {
            let event = match env("GITHUB_EVENT_PATH").filter(|p| !p.is_empty()) {
                Some(path) => fs_err::read(&path).map_err(|e| anyhow::anyhow!("{e}"))?,
                None => Vec::new(),
            };
            Some(Context::from_env(env, &event)?)
        }
    };
    // The policy: the `config` file (or `.kevgate.yaml`), loaded as `scan --config` does;
    // `fail-on` and `fail-on-kev`, when given, override it, as flags override it for `scan`.
    let args = scan_args(&inputs);
    let config = read_config(args.config.as_deref())?;
    let make_policy = |bytes: &[u8], parsed: &crate::sbom::Sbom, _: &crate::db::VulnDb| {
        load_policy(
            &args,
            config.clone(),
            (bytes, parsed),
            &crate::vex::Scanned::of(parsed),
        )
    };
    let evaluation = evaluate_sbom(
        &ScanInputs {
            sbom: &inputs.sbom,
            db: inputs.db.as_deref(),
            policy: &make_policy,
            max_db_age: inputs.max_db_age,
            allow_bundled: inputs.allow_demo_db,
            max_sbom_bytes: None,
            banner_on_stdout: false,
        },
        today,
        io,
    )?;

    let run_url = context.as_ref().and_then(Context::run_url);

    let write_report = |format: Format, path: &Path| -> anyhow::Result<()> {
        let mut buf = Vec::new();
        report::write(format, &evaluation, &mut buf, &report_options(false))?;
        fs_err::write(path, buf).map_err(|e| anyhow::anyhow!("{e}"))
    };
    if let Some(path) = &inputs.json_file {
        write_report(Format::Json, path)?;
    }
    if let Some(path) = &inputs.sarif_file {
        write_report(Format::Sarif, path)?;
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
                    network: &client::Network::from_env(env),
                },
            );
            for w in warnings {
                write!(io.stdout, "{}", workflow::warning(Some("kevgate"), &w))?;
            }
        }
        (Some(_), None) => write!(
            io.stdout,
            "{}",
            workflow::warning(
                Some("kevgate"),
                "no `github-token`: no check run and no comment; the result is in the step summary"
            )
        )?,
        (None, _) => {}
    }

    Ok(match evaluation.verdict {
        Verdict::Pass => Outcome::Passed,
        Verdict::Fail => Outcome::Failed,
    })
}

/// The `scan` arguments the inputs amount to, for the policy loading `scan` does. `fail-on`
/// and `fail-on-kev` default to empty in action.yml, so an input the workflow does not give
/// leaves the config file's value (else kevgate's default) in force, and one it gives wins,
/// `critical` and `true` included.
fn scan_args(inputs: &Inputs) -> ScanArgs {
    ScanArgs {
        sbom: inputs.sbom.clone(),
        db: inputs.db.clone(),
        format: Vec::new(),
        output: Vec::new(),
        fail_on: inputs.fail_on,
        fail_on_kev: inputs.fail_on_kev == Some(true),
        no_fail_on_kev: inputs.fail_on_kev == Some(false),
        max_db_age: inputs.max_db_age,
        max_sbom_size: None,
        color: ColorChoice::Never,
        fail_on_ransomware: false,
        fail_on_kev_past_due: false,
        fail_on_epss: None,
        only_fixable: false,
        baseline: None,
        sort: SortOrder::Kev,
        fail_on_new_only: false,
        config: inputs.config.clone(),
        severity_source: Vec::new(),
    }
}

/// Appends `text` to the file the runner gave (creating it when missing).
fn append(path: &Path, text: &str) -> anyhow::Result<()> {
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
            ("INPUT_MAX-DB-AGE", "3"),
            ("INPUT_DB", ""),
            ("INPUT_CHECK-NAME", "gate"),
        ]);
        let env = |k: &str| vars.get(k).map(|v| v.to_string());
        let i = parse_inputs(&env).expect("valid");
        assert_eq!(i.sbom, PathBuf::from("sbom.json"));
        assert_eq!(i.fail_on, Some(FailOn::High));
        assert_eq!(i.fail_on_kev, Some(false));
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
