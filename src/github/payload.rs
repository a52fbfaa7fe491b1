//! Request bodies of the REST calls: check run create/update, commit status, PR comment.
//!
//! The check run carries the verdict as `conclusion`: `failure` when the gate fails,
//! `success` otherwise, never `neutral` (a neutral check does not block a merge, so a
//! required kevgate check would pass a failing gate). Its summary is the Markdown report,
//! cut to GitHub's 65,535 characters with a link to the run when findings are left out.
//!
//! One annotation per finding, on the file trivy found the package in (`file_path`), else on
//! the SBOM, line 1 (an SBOM has no line for a package). GitHub takes at most 50 annotations
//! per request and appends across updates, so the first 50 go with the create and the rest
//! in PATCH batches of 50 ([`CheckRun::updates`]).
//!
//! Annotation text is plain text (GitHub does not render it), so untrusted strings only lose
//! their control and bidi characters; the Markdown bodies go through the reporter, which
//! escapes everything from the SBOM and the feeds.

use super::workflow::failing;
use crate::policy::{Decision, Evaluated, Evaluation, Verdict};
use crate::report::markdown::{self, CHECK_RUN_MAX_BYTES, DEFAULT_MARKER, MarkdownOptions};
use crate::text;
use serde::Serialize;

/// The default check run name (action input `check-name`).
pub const DEFAULT_CHECK_NAME: &str = "kevgate";
/// GitHub's limit of annotations per request.
pub const ANNOTATIONS_PER_REQUEST: usize = 50;
/// The largest PR comment body GitHub accepts (characters; we count bytes).
pub const COMMENT_MAX_BYTES: usize = 65_536;
/// The longest commit status description GitHub accepts.
const STATUS_DESCRIPTION_MAX: usize = 140;

/// `POST /repos/{owner}/{repo}/check-runs`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreateCheckRun {
    /// Check name.
    pub name: String,
    /// Commit.
    pub head_sha: String,
    /// Always `completed`: the gate has run when the check is created.
    pub status: &'static str,
    /// `success` or `failure`.
    pub conclusion: &'static str,
    /// Link to the workflow run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details_url: Option<String>,
    /// Title, summary, first annotations.
    pub output: Output,
}

/// `PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}`: more annotations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdateCheckRun {
    /// Title, summary (repeated: GitHub requires them), next annotations.
    pub output: Output,
}

/// The check run's `output`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Output {
    /// One line.
    pub title: String,
    /// The Markdown report (at most 65,535 bytes).
    pub summary: String,
    /// At most 50.
    pub annotations: Vec<Annotation>,
}

/// One annotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Annotation {
    /// Repository-relative file.
    pub path: String,
    /// Line 1.
    pub start_line: u32,
    /// Line 1.
    pub end_line: u32,
    /// `failure` for a failing finding, `warning` otherwise.
    pub annotation_level: &'static str,
    /// What to do.
    pub message: String,
    /// `ID in package@version` (at most 255 characters).
    pub title: String,
}

/// The create request and the updates that carry the remaining annotations.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRun {
    /// The first request.
    pub create: CreateCheckRun,
    /// One per further batch of 50 annotations, in order.
    pub updates: Vec<UpdateCheckRun>,
}

/// `POST /repos/{owner}/{repo}/statuses/{sha}`: the fallback when the token cannot create
/// check runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitStatus {
    /// `success` or `failure`.
    pub state: &'static str,
    /// The check name.
    pub context: String,
    /// One line, at most 140 characters.
    pub description: String,
    /// Link to the workflow run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_url: Option<String>,
}

/// `POST /repos/{owner}/{repo}/issues/{n}/comments` and
/// `PATCH /repos/{owner}/{repo}/issues/comments/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comment {
    /// Markdown starting with [`DEFAULT_MARKER`], at most [`COMMENT_MAX_BYTES`].
    pub body: String,
}

/// What the payloads need besides the evaluation.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    /// Check name (and status context).
    pub check_name: &'a str,
    /// Commit.
    pub sha: &'a str,
    /// The workflow run's page (details link, "full report" link when truncated).
    pub run_url: Option<&'a str>,
}

/// The check run for `ev`.
pub fn check_run(ev: &Evaluation, target: Target<'_>) -> CheckRun {
    let title = title(ev);
    let summary = markdown::render(
        ev,
        MarkdownOptions {
            max_bytes: CHECK_RUN_MAX_BYTES,
            marker: None,
            report_link: target.run_url,
        },
    );
    let annotations: Vec<Annotation> = ev
        .findings
        .iter()
        .map(|e| annotation(e, &ev.subject.sbom_path))
        .collect();
    let mut batches = annotations.chunks(ANNOTATIONS_PER_REQUEST);
    let output = |batch: Option<&[Annotation]>| Output {
        title: title.clone(),
        summary: summary.clone(),
        annotations: batch.map(<[Annotation]>::to_vec).unwrap_or_default(),
    };
    let create = CreateCheckRun {
        name: target.check_name.to_owned(),
        head_sha: target.sha.to_owned(),
        status: "completed",
        conclusion: conclusion(ev),
        details_url: target.run_url.map(str::to_owned),
        output: output(batches.next()),
    };
    let updates = batches
        .map(|b| UpdateCheckRun {
            output: output(Some(b)),
        })
        .collect();
    CheckRun { create, updates }
}

/// `failure` when the gate fails, `success` otherwise.
pub fn conclusion(ev: &Evaluation) -> &'static str {
    match ev.verdict {
        Verdict::Fail => "failure",
        Verdict::Pass => "success",
    }
}

/// The commit status for `ev`.
pub fn commit_status(ev: &Evaluation, target: Target<'_>) -> CommitStatus {
    CommitStatus {
        state: conclusion(ev),
        context: target.check_name.to_owned(),
        description: text::one_line(&title(ev), STATUS_DESCRIPTION_MAX).into_owned(),
        target_url: target.run_url.map(str::to_owned),
    }
}

/// The sticky PR comment for `ev`; it starts with [`DEFAULT_MARKER`], which is how the
/// caller finds the previous one to edit.
pub fn comment(ev: &Evaluation, run_url: Option<&str>) -> Comment {
    Comment {
        body: markdown::render(
            ev,
            MarkdownOptions {
                max_bytes: COMMENT_MAX_BYTES,
                marker: Some(DEFAULT_MARKER),
                report_link: run_url,
            },
        ),
    }
}

/// Whether a comment body is kevgate's (starts with the marker line).
pub fn is_kevgate_comment(body: &str) -> bool {
    body.trim_start().starts_with(DEFAULT_MARKER)
}

/// `gate failed: 6 findings, 4 failing` (our text, numbers only).
fn title(ev: &Evaluation) -> String {
    let n = ev.findings.len();
    let word = match ev.verdict {
        Verdict::Pass => "passed",
        Verdict::Fail => "failed",
    };
    format!(
        "gate {word}: {n} finding{}, {} failing",
        if n == 1 { "" } else { "s" },
        failing(ev)
    )
}

/// Untrusted text as one plain line without control or bidi characters.
fn plain(s: &str, max: usize) -> String {
    text::terminal(&text::one_line(s, max)).into_owned()
}

fn annotation(e: &Evaluated, sbom_path: &str) -> Annotation {
    let f = &e.finding;
    let path = f
        .component
        .file_path
        .as_deref()
        .map(|p| plain(p, 400))
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| plain(sbom_path, 400));
    let package = plain(&crate::report::package_label(&f.component), 120);
    let id = plain(&f.id, 100);
    let mut message = format!(
        "{package} is affected by {id} ({}{}).",
        e.severity.as_str(),
        crate::report::message_flags(f)
    );
    if f.malicious {
        message.push_str(&format!(" Malicious: {}.", crate::report::MALICIOUS_ADVICE));
    }
    message.push(' ');
    message.push_str(&crate::report::fix_sentence(f, &|v| plain(v, 64)));
    if let Some(kev) = &f.kev {
        message.push_str(&format!(
            " KEV required action (due {}): {}",
            plain(&kev.due_date, 10),
            plain(&kev.required_action, 300)
        ));
    }
    if let Some(summary) = &f.summary {
        message.push_str(&format!("\n{}", plain(summary, 400)));
    }
    Annotation {
        path,
        start_line: 1,
        end_line: 1,
        annotation_level: match e.decision {
            Decision::Fail => "failure",
            Decision::Warn => "warning",
            // Accepted risk: still visible on the file, at the quietest level.
            Decision::Ignored => "notice",
        },
        message,
        title: text::one_line(&format!("{id} in {package}"), 255).into_owned(),
    }
}

#[cfg(test)]
mod tests;
