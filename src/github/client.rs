//! The REST calls: check run (annotations in batches), commit-status fallback, sticky comment.
//!
//! Reporting to GitHub never changes the gate: the exit code is the verdict's. So every
//! failure here becomes a warning for the log, and the step summary (written by the caller)
//! is the report of last resort. The fallbacks follow what a token can do: a fork PR's token
//! is read-only, and a 403 "Resource not accessible by integration" on the check run falls
//! back to a commit status, then to the step summary alone.
//!
//! Rate limits (429, or 403 with `x-ratelimit-remaining: 0` / `retry-after`) are retried with
//! exponential backoff, honouring `retry-after` up to a cap.

use super::Context;
use super::payload::{self, Target};
use crate::policy::Evaluation;
use serde::Serialize;
use std::time::Duration;

/// GitHub's REST API version kevgate's payloads follow.
const API_VERSION: &str = "2022-11-28";
/// Retries after the first attempt on a rate limit or a 5xx.
const RETRIES: u32 = 3;
/// Longest wait kevgate accepts from `retry-after`.
const MAX_WAIT: Duration = Duration::from_secs(60);
/// Pages of comments searched for the sticky comment (100 each).
const MAX_COMMENT_PAGES: u32 = 10;

/// How the result reached GitHub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// As a check run.
    CheckRun,
    /// As a commit status (the token may not create check runs).
    CommitStatus,
    /// Not at all: only the step summary.
    SummaryOnly,
}

/// What to publish, and how.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Check name (action input `check-name`).
    pub check_name: &'a str,
    /// Whether to post the sticky PR comment (action input `comment`).
    pub comment: bool,
    /// Token; sent only as the `Authorization` header, never logged.
    pub token: &'a str,
    /// First backoff delay (doubles per retry). One second in production.
    pub backoff: Duration,
}

/// A REST client bound to one repository.
struct Api<'a> {
    http: reqwest::blocking::Client,
    base: String,
    token: &'a str,
    backoff: Duration,
}

/// A response: status and body.
struct Response {
    status: u16,
    body: String,
}

impl Api<'_> {
    fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<String>,
    ) -> Result<Response, String> {
        let url = format!("{}{path}", self.base);
        let mut attempt = 0;
        loop {
            let mut req = self
                .http
                .request(method.clone(), &url)
                .bearer_auth(self.token)
                .header("accept", "application/vnd.github+json")
                .header("x-github-api-version", API_VERSION);
            if let Some(b) = &body {
                req = req
                    .header("content-type", "application/json")
                    .body(b.clone());
            }
            let resp = req
                .send()
                .map_err(|e| format!("{method} `{path}`: {}", without_url(&e)))?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let text = resp.text().unwrap_or_default();
            let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
            let rate_limited = status == 429
                || (status == 403
                    && (header("x-ratelimit-remaining") == Some("0")
                        || header("retry-after").is_some()));
            if (rate_limited || status >= 500) && attempt < RETRIES {
                let wait = header("retry-after")
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs)
                    .unwrap_or(self.backoff * 2u32.pow(attempt))
                    .min(MAX_WAIT);
                std::thread::sleep(wait);
                attempt += 1;
                continue;
            }
            return Ok(Response { status, body: text });
        }
    }

    fn json<T: Serialize>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &T,
    ) -> Result<Response, String> {
        let body = serde_json::to_string(body).map_err(|e| e.to_string())?;
        self.send(method, path, Some(body))
    }
}

/// The error text of a reqwest error without the URL (which is ours, but long).
fn without_url(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    if let Some(url) = e.url() {
        msg = msg.replace(url.as_str(), "");
    }
    msg
}

/// Whether a response is GitHub's "the token may not do this" (fork PRs, missing
/// `checks: write` / `pull-requests: write`).
fn forbidden(r: &Response) -> bool {
    r.status == 403 || (r.status == 404 && r.body.contains("Not Found"))
}

/// A short, single-line account of a failed response.
fn describe(what: &str, r: &Response) -> String {
    let message = serde_json::from_str::<serde_json::Value>(&r.body)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_owned))
        .unwrap_or_default();
    format!(
        "{what}: HTTP {}{}",
        r.status,
        if message.is_empty() {
            String::new()
        } else {
            format!(
                " `{}`",
                crate::text::terminal(&crate::text::one_line(&message, 200))
            )
        }
    )
}

/// Publishes `ev`: the check run (or its fallbacks) and, on an open PR, the sticky comment.
/// Returns how it was published and the warnings to show; never fails the gate.
pub fn publish(ctx: &Context, ev: &Evaluation, req: Request<'_>) -> (Published, Vec<String>) {
    let mut warnings = Vec::new();
    let http = match reqwest::blocking::Client::builder()
        .user_agent(concat!("kevgate/", env!("CARGO_PKG_VERSION")))
        .timeout(Duration::from_secs(30))
        .build()
    {
        Ok(h) => h,
        Err(e) => {
            warnings.push(format!("cannot create the HTTP client: {e}"));
            return (Published::SummaryOnly, warnings);
        }
    };
    let api = Api {
        http,
        base: ctx.repo_api(),
        token: req.token,
        backoff: req.backoff,
    };
    let run_url = ctx.run_url();
    let target = Target {
        check_name: req.check_name,
        sha: &ctx.sha,
        run_url: run_url.as_deref(),
    };
    let published = check_run(&api, ev, target, &mut warnings);
    if req.comment
        && let Some(number) = ctx.pull_request()
    {
        comment(&api, ev, number, run_url.as_deref(), &mut warnings);
    }
    (published, warnings)
}

fn check_run(
    api: &Api<'_>,
    ev: &Evaluation,
    target: Target<'_>,
    warnings: &mut Vec<String>,
) -> Published {
    let run = payload::check_run(ev, target);
    let created = match api.json(reqwest::Method::POST, "/check-runs", &run.create) {
        Ok(r) if r.status == 201 || r.status == 200 => r,
        Ok(r) if forbidden(&r) => {
            warnings.push(format!(
                "{}; falling back to a commit status (hint: give the job `permissions: checks: write`)",
                describe("cannot create the check run", &r)
            ));
            return commit_status(api, ev, target, warnings);
        }
        Ok(r) => {
            warnings.push(describe("cannot create the check run", &r));
            return commit_status(api, ev, target, warnings);
        }
        Err(e) => {
            warnings.push(format!("cannot create the check run: {e}"));
            return Published::SummaryOnly;
        }
    };
    let id = serde_json::from_str::<serde_json::Value>(&created.body)
        .ok()
        .and_then(|v| v["id"].as_u64());
    let Some(id) = id else {
        if !run.updates.is_empty() {
            warnings.push(
                "the check run was created, but GitHub's answer has no `id`: \
                 annotations after the first 50 are missing"
                    .to_owned(),
            );
        }
        return Published::CheckRun;
    };
    for (i, update) in run.updates.iter().enumerate() {
        match api.json(reqwest::Method::PATCH, &format!("/check-runs/{id}"), update) {
            Ok(r) if r.status == 200 => {}
            Ok(r) => {
                warnings.push(describe(
                    &format!("cannot add annotation batch {} to the check run", i + 2),
                    &r,
                ));
                break;
            }
            Err(e) => {
                warnings.push(format!("cannot add annotations to the check run: {e}"));
                break;
            }
        }
    }
    Published::CheckRun
}

fn commit_status(
    api: &Api<'_>,
    ev: &Evaluation,
    target: Target<'_>,
    warnings: &mut Vec<String>,
) -> Published {
    let body = payload::commit_status(ev, target);
    match api.json(
        reqwest::Method::POST,
        &format!("/statuses/{}", target.sha),
        &body,
    ) {
        Ok(r) if r.status == 201 || r.status == 200 => Published::CommitStatus,
        Ok(r) => {
            warnings.push(format!(
                "{}; the result is in the step summary only (hint: give the job \
                 `permissions: statuses: write`; a fork's pull request cannot have it)",
                describe("cannot create the commit status", &r)
            ));
            Published::SummaryOnly
        }
        Err(e) => {
            warnings.push(format!("cannot create the commit status: {e}"));
            Published::SummaryOnly
        }
    }
}

/// The id of kevgate's comment on PR `number`, if there is one.
fn find_comment(api: &Api<'_>, number: u64) -> Result<Option<u64>, String> {
    for page in 1..=MAX_COMMENT_PAGES {
        let r = api.send(
            reqwest::Method::GET,
            &format!("/issues/{number}/comments?per_page=100&page={page}"),
            None,
        )?;
        if r.status != 200 {
            return Err(describe("cannot list the pull request's comments", &r));
        }
        let comments: Vec<serde_json::Value> =
            serde_json::from_str(&r.body).map_err(|e| format!("comment list: {e}"))?;
        if let Some(id) = comments.iter().find_map(|c| {
            c["body"]
                .as_str()
                .filter(|b| payload::is_kevgate_comment(b))
                .and(c["id"].as_u64())
        }) {
            return Ok(Some(id));
        }
        if comments.len() < 100 {
            break;
        }
    }
    Ok(None)
}

fn comment(
    api: &Api<'_>,
    ev: &Evaluation,
    number: u64,
    run_url: Option<&str>,
    warnings: &mut Vec<String>,
) {
    let body = payload::comment(ev, run_url);
    let existing = match find_comment(api, number) {
        Ok(id) => id,
        Err(e) => {
            warnings.push(format!("{e}; not commenting"));
            return;
        }
    };
    let result = match existing {
        Some(id) => api.json(
            reqwest::Method::PATCH,
            &format!("/issues/comments/{id}"),
            &body,
        ),
        None => api.json(
            reqwest::Method::POST,
            &format!("/issues/{number}/comments"),
            &body,
        ),
    };
    match result {
        Ok(r) if r.status == 200 || r.status == 201 => {}
        Ok(r) => warnings.push(format!(
            "{} (hint: give the job `permissions: pull-requests: write`)",
            describe("cannot write the pull request comment", &r)
        )),
        Err(e) => warnings.push(format!("cannot write the pull request comment: {e}")),
    }
}
