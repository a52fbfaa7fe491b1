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
//! What one run sends is bounded (issue 10: 50,000 findings made 1,000 requests and 96 MB):
//! at most [`MAX_ANNOTATIONS`] annotations and [`ANNOTATION_BUDGET_BYTES`] of them, failing
//! findings first, the last one saying how many more were not annotated; and the summary
//! (up to 65 KB) is sent once. Each PATCH must carry `output.title` and `output.summary`,
//! and the last one sent is what the check run shows: so with several batches the create
//! and the PATCHes in between carry a one-line summary, and the last PATCH the report.
//!
//! Annotation text is plain text (GitHub does not render it), so untrusted strings only lose
//! their control and bidi characters; the Markdown bodies go through the reporter, which
//! escapes everything from the SBOM and the feeds.

use crate::evaluation::Evaluation;
use crate::policy::{DecidedFinding, Decision, Verdict};
use crate::report::markdown::{self, CHECK_RUN_MAX_BYTES, DEFAULT_MARKER, MarkdownOptions};
use crate::text;
use serde::Serialize;

/// The default check run name (action input `check-name`).
pub const DEFAULT_CHECK_NAME: &str = "kevgate";
/// GitHub's limit of annotations per request.
pub const ANNOTATIONS_PER_REQUEST: usize = 50;
/// Most annotations one run sends (20 requests of 50), the "more" line included.
pub const MAX_ANNOTATIONS: usize = 1000;
/// Most bytes of annotations (as JSON) one run sends.
pub const ANNOTATION_BUDGET_BYTES: usize = 1 << 20;
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
    /// One per further batch of 50 annotations, in order; the last carries the report.
    pub updates: Vec<UpdateCheckRun>,
    /// The report without annotations: sent when an update fails before the last, so the
    /// check run does not keep the interim one-line summary.
    pub finish: UpdateCheckRun,
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
    let (annotations, left_out) = annotations(ev);
    let note = (left_out > 0).then(|| {
        format!(
            "\n\n{} of {} findings are annotated; {left_out} more are not (kevgate annotates \
             at most {MAX_ANNOTATIONS} per run, failing findings first).",
            ev.findings.len() - left_out,
            ev.findings.len()
        )
    });
    let note_len = note.as_ref().map_or(0, String::len);
    let mut summary = markdown::render(
        ev,
        MarkdownOptions {
            max_bytes: CHECK_RUN_MAX_BYTES - note_len,
            marker: None,
            report_link: target.run_url,
        },
    );
    summary.push_str(note.as_deref().unwrap_or_default());
    let batches: Vec<&[Annotation]> = annotations.chunks(ANNOTATIONS_PER_REQUEST).collect();
    let interim = format!(
        "{title}. Adding {} annotations; the report replaces this line when they are sent.",
        annotations.len()
    );
    let last = batches.len().saturating_sub(1);
    let output = |i: usize| Output {
        title: title.clone(),
        summary: if i == last {
            summary.clone()
        } else {
            interim.clone()
        },
        annotations: batches.get(i).map(|b| b.to_vec()).unwrap_or_default(),
    };
    let create = CreateCheckRun {
        name: target.check_name.to_owned(),
        head_sha: target.sha.to_owned(),
        status: "completed",
        conclusion: conclusion(ev),
        details_url: target.run_url.map(str::to_owned),
        output: output(0),
    };
    let updates = (1..batches.len())
        .map(|i| UpdateCheckRun { output: output(i) })
        .collect();
    let finish = UpdateCheckRun {
        output: Output {
            title,
            summary,
            annotations: Vec::new(),
        },
    };
    CheckRun {
        create,
        updates,
        finish,
    }
}

/// The annotations one run sends: failing findings first, then warnings, then ignored ones,
/// each in the evaluation's order; at most [`MAX_ANNOTATIONS`] and
/// [`ANNOTATION_BUDGET_BYTES`], the last saying how many findings were left out. Returns
/// them and that count.
fn annotations(ev: &Evaluation) -> (Vec<Annotation>, usize) {
    let rank = |d: Decision| match d {
        Decision::Fail => 0,
        Decision::Warn => 1,
        Decision::Ignored => 2,
    };
    let mut order: Vec<&DecidedFinding> = ev.findings.iter().collect();
    order.sort_by_key(|e| rank(e.decision));
    let n = order.len();
    let mut out = Vec::new();
    let mut bytes = 0;
    for e in order {
        let a = annotation(e, &ev.subject.sbom_path);
        let size = serde_json::to_vec(&a).map_or(0, |v| v.len());
        // Room for the "more" line unless this is the last finding.
        let slots = if out.len() + 1 == n {
            MAX_ANNOTATIONS
        } else {
            MAX_ANNOTATIONS - 1
        };
        if out.len() >= slots || bytes + size > ANNOTATION_BUDGET_BYTES - 1024 {
            break;
        }
        bytes += size;
        out.push(a);
    }
    let left_out = n - out.len();
    if left_out > 0 {
        out.push(Annotation {
            path: plain(&ev.subject.sbom_path, 400),
            start_line: 1,
            end_line: 1,
            annotation_level: "notice",
            message: format!(
                "{left_out} more findings are not annotated: kevgate annotates at most \
                 {MAX_ANNOTATIONS} per run. The check run summary, the step summary and the \
                 reports list them all."
            ),
            title: format!("{left_out} more findings not annotated"),
        });
    }
    (out, left_out)
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
    let counts = ev.counts();
    let n = counts.total;
    let word = match ev.verdict {
        Verdict::Pass => "passed",
        Verdict::Fail => "failed",
    };
    format!(
        "gate {word}: {n} finding{}, {} failing",
        if n == 1 { "" } else { "s" },
        counts.fail
    )
}

/// Untrusted text as one plain line without control or bidi characters.
fn plain(s: &str, max: usize) -> String {
    text::terminal(&text::one_line(s, max)).into_owned()
}

fn annotation(e: &DecidedFinding, sbom_path: &str) -> Annotation {
    let f = &e.finding;
    let path = f
        .component
        .file_path
        .as_deref()
        .map(|p| plain(p, 400))
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| plain(sbom_path, 400));
    let package = plain(&f.component.label(), 120);
    let id = plain(&f.id, 100);
    let mut message = crate::report::finding_message(e);
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
