//! Which commit to report on, decided from the workflow's environment and event payload.
//!
//! GitHub sets `GITHUB_SHA` to something other than the commit a reviewer looks at for several
//! events: on `pull_request` it is the temporary merge commit, which no check run on the PR
//! head would ever show. So the SHA comes from the event payload, per event:
//!
//! | event | action | SHA |
//! |---|---|---|
//! | `pull_request`, `pull_request_target` | `opened`, `synchronize`, `reopened` | `pull_request.head.sha` |
//! | `pull_request`, `pull_request_target` | `closed` with `merged: true` | `pull_request.merge_commit_sha` |
//! | `push` | | `after` (a deleted ref is an error) |
//! | `workflow_dispatch` | | input `ref` when it is a commit SHA; a branch or tag in `ref` is resolved through the API; else `GITHUB_SHA` |
//! | `merge_group` | | `merge_group.head_sha` |
//! | `schedule` | | `GITHUB_SHA` (the default branch's latest commit) |
//! | `workflow_run` | | `workflow_run.head_sha` (the PR's head for a fork PR's run) |
//!
//! Anything else, a PR closed without merging included, is an error rather than a guess: a
//! check run on the wrong commit is worse than none.
//!
//! Values end up in API URLs, so the SHA must be hex and the repository `owner/name` of the
//! characters GitHub allows; the API URL must be `http(s)` (GHES sets `GITHUB_API_URL`).

use serde::Deserialize;

/// The default REST API base URL (github.com).
pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// The default web URL (github.com).
pub const DEFAULT_SERVER_URL: &str = "https://github.com";

/// The event that started the workflow, as far as kevgate cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `pull_request` or `pull_request_target`.
    PullRequest {
        /// The PR number (for the comment).
        number: u64,
        /// Whether the PR was merged (`closed` with `merged: true`).
        merged: bool,
    },
    /// `push`.
    Push,
    /// `workflow_dispatch`.
    WorkflowDispatch {
        /// The dispatch input `ref` when it names a branch or tag (not a SHA, and not the
        /// ref the workflow runs on): the commit is the ref's head, which only the API knows.
        resolve: Option<String>,
    },
    /// `merge_group`.
    MergeGroup,
    /// `schedule`: the default branch's latest commit (`GITHUB_SHA`).
    Schedule,
    /// `workflow_run`: a privileged workflow reporting on another run (fork PRs).
    WorkflowRun {
        /// The first of `workflow_run.pull_requests` (GitHub leaves the list empty for a
        /// fork's pull request, so then there is no comment).
        pull_request: Option<u64>,
    },
}

/// The facts about the run kevgate needs to report on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The event.
    pub event: Event,
    /// The commit to report on (40 or 64 lower-case hex digits).
    pub sha: String,
    /// Repository owner.
    pub owner: String,
    /// Repository name.
    pub repo: String,
    /// REST API base URL without a trailing slash. Default: [`DEFAULT_API_URL`].
    pub api_url: String,
    /// Web base URL without a trailing slash. Default: [`DEFAULT_SERVER_URL`].
    pub server_url: String,
    /// `GITHUB_RUN_ID`, digits only; `None` when unset.
    pub run_id: Option<String>,
    /// On a pull request (`opened`, `synchronize`, `reopened`), the base commit
    /// (`pull_request.base.sha`): whose policy files the exceptions the PR adds are compared
    /// with. `None` on other events.
    pub base_sha: Option<String>,
}

/// Why the context cannot be decided.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ContextError {
    /// A required variable is unset or empty.
    #[error("`{0}` is not set; hint: run kevgate's action inside a GitHub Actions workflow")]
    Missing(&'static str),
    /// A variable has a value kevgate refuses to put in a URL.
    #[error("`{name}` is not valid: `{value}`")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Its value, shortened.
        value: String,
    },
    /// The event payload is not the JSON the event should have.
    #[error("the `{event}` event payload cannot be read: {reason}")]
    Payload {
        /// The event.
        event: String,
        /// What is wrong.
        reason: String,
    },
    /// A PR closed without merging: there is no commit that will land.
    #[error(
        "pull request #{0} was closed without merging: there is no commit to report on; \
         hint: run kevgate on `pull_request` types `opened`, `synchronize`, `reopened`, or on `push`"
    )]
    ClosedNotMerged(u64),
    /// A push that deleted a ref.
    #[error("the push deleted `{0}`: there is no commit to report on")]
    DeletedRef(String),
    /// An event or action kevgate does not report on.
    #[error(
        "event `{event}`{} is not supported; hint: use `pull_request`, `push`, \
         `workflow_dispatch`, `schedule`, `merge_group` or `workflow_run`",
        action.as_deref().map(|a| format!(" (action `{a}`)")).unwrap_or_default()
    )]
    Unsupported {
        /// `GITHUB_EVENT_NAME`.
        event: String,
        /// The payload's `action`.
        action: Option<String>,
    },
}

/// The parts of the event payloads kevgate reads. Lenient: unknown fields are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Payload {
    action: Option<String>,
    number: Option<u64>,
    pull_request: Option<PullRequest>,
    after: Option<String>,
    deleted: Option<bool>,
    r#ref: Option<String>,
    merge_group: Option<MergeGroup>,
    inputs: Option<serde_json::Map<String, serde_json::Value>>,
    workflow_run: Option<WorkflowRun>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WorkflowRun {
    head_sha: Option<String>,
    pull_requests: Vec<Number>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Number {
    number: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct PullRequest {
    number: Option<u64>,
    head: Option<Head>,
    base: Option<Head>,
    merged: Option<bool>,
    merge_commit_sha: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Head {
    sha: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct MergeGroup {
    head_sha: Option<String>,
}

impl Context {
    /// Decides the context from the environment (`GITHUB_EVENT_NAME`, `GITHUB_SHA`,
    /// `GITHUB_REPOSITORY`, `GITHUB_API_URL`, `GITHUB_SERVER_URL`, `GITHUB_RUN_ID`) and the
    /// contents of the file `GITHUB_EVENT_PATH` names (`event`; empty when there is none).
    pub fn from_env(
        lookup: &dyn Fn(&str) -> Option<String>,
        event: &[u8],
    ) -> Result<Context, ContextError> {
        let get = |name: &'static str| lookup(name).filter(|v| !v.trim().is_empty());
        let need = |name: &'static str| get(name).ok_or(ContextError::Missing(name));

        let event_name = need("GITHUB_EVENT_NAME")?;
        let (owner, repo) = repository(&need("GITHUB_REPOSITORY")?)?;
        let api_url = base_url("GITHUB_API_URL", get("GITHUB_API_URL"), DEFAULT_API_URL)?;
        let server_url = base_url(
            "GITHUB_SERVER_URL",
            get("GITHUB_SERVER_URL"),
            DEFAULT_SERVER_URL,
        )?;
        let run_id = match get("GITHUB_RUN_ID") {
            Some(id) if id.bytes().all(|b| b.is_ascii_digit()) => Some(id),
            Some(id) => {
                return Err(ContextError::Invalid {
                    name: "GITHUB_RUN_ID",
                    value: shorten(&id),
                });
            }
            None => None,
        };

        let payload: Payload = if event.iter().all(u8::is_ascii_whitespace) {
            Payload::default()
        } else {
            serde_json::from_slice(event).map_err(|e| ContextError::Payload {
                event: event_name.clone(),
                reason: e.to_string(),
            })?
        };
        let missing = |field: &str| ContextError::Payload {
            event: event_name.clone(),
            reason: format!("`{field}` is missing"),
        };

        let mut base_sha = None;
        let (event, sha, sha_name) = match event_name.as_str() {
            "pull_request" | "pull_request_target" => {
                let pr = payload
                    .pull_request
                    .as_ref()
                    .ok_or_else(|| missing("pull_request"))?;
                let number = pr
                    .number
                    .or(payload.number)
                    .ok_or_else(|| missing("pull_request.number"))?;
                match payload.action.as_deref() {
                    Some("opened" | "synchronize" | "reopened") => {
                        let sha = pr
                            .head
                            .as_ref()
                            .and_then(|h| h.sha.clone())
                            .ok_or_else(|| missing("pull_request.head.sha"))?;
                        base_sha = pr
                            .base
                            .as_ref()
                            .and_then(|b| b.sha.as_deref())
                            .map(|b| commit_sha("pull_request.base.sha", b))
                            .transpose()?;
                        (
                            Event::PullRequest {
                                number,
                                merged: false,
                            },
                            sha,
                            "pull_request.head.sha",
                        )
                    }
                    Some("closed") if pr.merged == Some(true) => {
                        let sha = pr
                            .merge_commit_sha
                            .clone()
                            .ok_or_else(|| missing("pull_request.merge_commit_sha"))?;
                        (
                            Event::PullRequest {
                                number,
                                merged: true,
                            },
                            sha,
                            "pull_request.merge_commit_sha",
                        )
                    }
                    Some("closed") => return Err(ContextError::ClosedNotMerged(number)),
                    action => {
                        return Err(ContextError::Unsupported {
                            event: event_name,
                            action: action.map(shorten),
                        });
                    }
                }
            }
            "push" => {
                let after = payload.after.clone().ok_or_else(|| missing("after"))?;
                if payload.deleted == Some(true) || after.bytes().all(|b| b == b'0') {
                    return Err(ContextError::DeletedRef(shorten(
                        payload.r#ref.as_deref().unwrap_or("?"),
                    )));
                }
                (Event::Push, after, "after")
            }
            "workflow_dispatch" => {
                let input = payload
                    .inputs
                    .as_ref()
                    .and_then(|i| i.get("ref"))
                    .and_then(|v| v.as_str())
                    .map(str::trim)
                    .filter(|r| !r.is_empty());
                let running = payload.r#ref.as_deref().unwrap_or_default();
                match input {
                    Some(sha) if is_sha(sha) => (
                        Event::WorkflowDispatch { resolve: None },
                        sha.to_owned(),
                        "inputs.ref",
                    ),
                    Some(name)
                        if name != running
                            && running.strip_prefix("refs/heads/") != Some(name)
                            && running.strip_prefix("refs/tags/") != Some(name) =>
                    {
                        (
                            Event::WorkflowDispatch {
                                resolve: Some(git_ref(name)?),
                            },
                            need("GITHUB_SHA")?,
                            "GITHUB_SHA",
                        )
                    }
                    _ => (
                        Event::WorkflowDispatch { resolve: None },
                        need("GITHUB_SHA")?,
                        "GITHUB_SHA",
                    ),
                }
            }
            "workflow_run" => {
                let run = payload
                    .workflow_run
                    .as_ref()
                    .ok_or_else(|| missing("workflow_run"))?;
                let sha = run
                    .head_sha
                    .clone()
                    .ok_or_else(|| missing("workflow_run.head_sha"))?;
                (
                    Event::WorkflowRun {
                        pull_request: run.pull_requests.first().and_then(|p| p.number),
                    },
                    sha,
                    "workflow_run.head_sha",
                )
            }
            "schedule" => (Event::Schedule, need("GITHUB_SHA")?, "GITHUB_SHA"),
            "merge_group" => {
                let sha = payload
                    .merge_group
                    .as_ref()
                    .and_then(|m| m.head_sha.clone())
                    .ok_or_else(|| missing("merge_group.head_sha"))?;
                (Event::MergeGroup, sha, "merge_group.head_sha")
            }
            _ => {
                return Err(ContextError::Unsupported {
                    event: shorten(&event_name),
                    action: payload.action.as_deref().map(shorten),
                });
            }
        };
        Ok(Context {
            event,
            sha: commit_sha(sha_name, &sha)?,
            owner,
            repo,
            api_url,
            server_url,
            run_id,
            base_sha,
        })
    }

    /// The PR number, for the comment; `None` unless the event is an open pull request
    /// (directly, or the run a `workflow_run` reports on).
    pub fn pull_request(&self) -> Option<u64> {
        match self.event {
            Event::PullRequest {
                number,
                merged: false,
            } => Some(number),
            Event::WorkflowRun { pull_request } => pull_request,
            _ => None,
        }
    }

    /// The workflow run's web page, when `GITHUB_RUN_ID` is set.
    pub fn run_url(&self) -> Option<String> {
        self.run_id.as_ref().map(|id| {
            format!(
                "{}/{}/{}/actions/runs/{id}",
                self.server_url, self.owner, self.repo
            )
        })
    }

    /// `{api_url}/repos/{owner}/{repo}`, the prefix of every call kevgate makes.
    pub fn repo_api(&self) -> String {
        format!("{}/repos/{}/{}", self.api_url, self.owner, self.repo)
    }
}

/// At most 80 characters of `s`, for an error message (inside backticks, so escaped by the
/// caller's `{:#}` printing as a single line).
fn shorten(s: &str) -> String {
    crate::text::terminal(&crate::text::one_line(s, 80)).into_owned()
}

/// Whether `s` is a full commit SHA: 40 (SHA-1) or 64 (SHA-256) hex digits.
fn is_sha(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A branch or tag name from the `ref` input, as far as it is safe in an API path: the
/// characters `git check-ref-format` allows, minus the ones a URL would need escaped.
fn git_ref(name: &str) -> Result<String, ContextError> {
    let ok = !name.is_empty()
        && name.len() <= 255
        && !name.starts_with(['/', '.', '-'])
        && !name.contains("..")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.'));
    if ok {
        Ok(name.to_owned())
    } else {
        Err(ContextError::Invalid {
            name: "inputs.ref",
            value: shorten(name),
        })
    }
}

/// A commit SHA: 40 (SHA-1) or 64 (SHA-256) hex digits, lower-cased.
fn commit_sha(name: &'static str, sha: &str) -> Result<String, ContextError> {
    if is_sha(sha) {
        Ok(sha.to_ascii_lowercase())
    } else {
        Err(ContextError::Invalid {
            name,
            value: shorten(sha),
        })
    }
}

/// `owner/name`, each part of ASCII letters, digits, `-`, `_`, `.` (not `.` or `..`).
pub(crate) fn repository(full: &str) -> Result<(String, String), ContextError> {
    let ok = |part: &str| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && part.len() <= 100
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    match full.split_once('/') {
        Some((owner, name)) if ok(owner) && ok(name) => Ok((owner.to_owned(), name.to_owned())),
        _ => Err(ContextError::Invalid {
            name: "GITHUB_REPOSITORY",
            value: shorten(full),
        }),
    }
}

/// An `http(s)` base URL without a trailing slash, or `default` when unset.
pub(crate) fn base_url(
    name: &'static str,
    value: Option<String>,
    default: &str,
) -> Result<String, ContextError> {
    let Some(url) = value else {
        return Ok(default.to_owned());
    };
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest)
            if !rest.is_empty()
                && !rest
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#')) =>
        {
            Ok(url.to_owned())
        }
        _ => Err(ContextError::Invalid {
            name,
            value: shorten(url),
        }),
    }
}

#[cfg(test)]
mod tests;
