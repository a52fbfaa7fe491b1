//! The tracking issues' requests (issue 13 item 1, issue 15 item 3): list the `kevgate`
//! issues, plan ([`crate::track::plan`]), create missing labels, write the issues, credit
//! the fix, tell the [`Notifier`] and record what it sent.
//!
//! Issues are found by listing `GET /issues?labels=kevgate&state=all` page by page (the list
//! holds pull requests too: skipped), never through the search API, whose index lags behind
//! writes and would make a quick second run open duplicates. Content-creating requests are
//! spaced ([`Options::spacing`], one second in production) as GitHub's best practices ask,
//! and secondary rate limits (403/429 with `retry-after`) are waited out by the client.
//! Nothing here fails the gate: every problem is a warning in the [`Outcome`].
//!
//! [`sync`] is the library entry point: `kevgate track`, the action's `track` input and
//! `kevgate watch` (places `release:<tag>`) all call it, once per place. At ~720 lines it
//! stays one file on purpose: it is one request sequence (list, labels, writes, credit,
//! record) over one [`Api`]; the pure parts are already `crate::track`'s.

use super::client::{Api, Method, Network, Request, Response, describe};
use super::context::{Context, Event};
use crate::track::codeowners::Codeowners;
use crate::track::input::Report;
use crate::track::notify::{Notifier, TransitionEvent};
use crate::track::plan::{self, Credit, Issue, IssueWrite, LABEL, Run, Scope, StateChange};
use crate::track::settings::Settings;
use serde::Deserialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Pages of issues listed (100 each). A repository with more kevgate issues gets a warning
/// and no writes: planning on a partial list would open duplicates.
const MAX_ISSUE_PAGES: u32 = 100;
/// Pages of labels listed (100 each).
const MAX_LABEL_PAGES: u32 = 10;

/// The repository and how to reach it.
#[derive(Debug, Clone)]
pub struct Repo<'a> {
    /// REST API base URL (`GITHUB_API_URL`), no trailing slash.
    pub api_url: &'a str,
    /// Owner.
    pub owner: &'a str,
    /// Name.
    pub name: &'a str,
    /// Token (needs `issues: write`); sent only as the `Authorization` header.
    pub token: &'a str,
    /// Proxies and extra CA roots.
    pub network: &'a Network,
}

/// What one sync does.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    /// The place this run speaks for: `default-branch` or `release:<tag>`.
    pub place: &'a str,
    /// The commit SHA (default branch) or tag (release) scanned.
    pub revision: &'a str,
    /// The day of the run.
    pub today: jiff::civil::Date,
    /// Which findings open issues.
    pub scope: Scope,
    /// At most this many new issues (default 20).
    pub max_new: usize,
    /// Plan and report, write nothing.
    pub dry_run: bool,
    /// `owners`, `sla`, `runbooks` from the config.
    pub settings: &'a Settings,
    /// The repository's CODEOWNERS, when it has a usable one.
    pub codeowners: Option<&'a Codeowners>,
    /// The packages of the scanned SBOM (versionless purl -> versions), to name the upgrade.
    pub present: Option<&'a BTreeMap<String, BTreeSet<String>>>,
    /// Pause between content-creating requests (one second in production).
    pub spacing: Duration,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// One line per issue written (or, with `dry_run`, that would be), for log and summary.
    pub lines: Vec<String>,
    /// Issues created.
    pub created: usize,
    /// Issues updated without a state change.
    pub updated: usize,
    /// Issues closed (fixed or not planned).
    pub closed: usize,
    /// Issues reopened.
    pub reopened: usize,
    /// New issues left out by `max-new`.
    pub over_limit: usize,
    /// Findings without a purl.
    pub unkeyed: usize,
    /// Notes (issues left alone, duplicates).
    pub notes: Vec<String>,
    /// Failures: never change the verdict.
    pub warnings: Vec<String>,
}

impl Outcome {
    /// The Markdown section for the step summary.
    pub fn summary(&self, dry_run: bool) -> String {
        let mut out = String::from("### kevgate tracking issues\n\n");
        out.push_str(&format!(
            "{}{} created, {} updated, {} closed, {} reopened",
            if dry_run { "dry run: " } else { "" },
            self.created,
            self.updated,
            self.closed,
            self.reopened
        ));
        if self.over_limit > 0 {
            out.push_str(&format!(
                "; {} more not created (`max-new`)",
                self.over_limit
            ));
        }
        if self.unkeyed > 0 {
            out.push_str(&format!(
                "; {} findings without a purl not tracked",
                self.unkeyed
            ));
        }
        out.push_str("\n\n");
        for l in &self.lines {
            out.push_str(&format!("- {}\n", crate::text::markdown(l)));
        }
        for n in self.notes.iter().chain(&self.warnings) {
            out.push_str(&format!("- :warning: {}\n", crate::text::markdown(n)));
        }
        out
    }
}

/// Why tracking does nothing on this run, if it does nothing: anything but a run for the
/// default branch (the event payload's `repository.default_branch`): a push to it, a pull
/// request merged into it, a `schedule` run, a dispatch on it. `git_ref` is `GITHUB_REF`.
pub fn skip_reason(ctx: &Context, event: &[u8], git_ref: Option<&str>) -> Option<String> {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Payload {
        repository: Option<Repository>,
        r#ref: Option<String>,
        pull_request: Option<Pr>,
    }
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Repository {
        default_branch: Option<String>,
    }
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Pr {
        base: Option<Base>,
    }
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Base {
        r#ref: Option<String>,
    }
    // A scheduled run is always on the default branch's latest commit.
    if ctx.event == Event::Schedule {
        return None;
    }
    let payload: Payload = serde_json::from_slice(event).unwrap_or_default();
    let Some(default) = payload.repository.and_then(|r| r.default_branch) else {
        return Some("the event does not name the repository's default branch".to_owned());
    };
    let on_default = |r: Option<&str>| {
        r.is_some_and(|r| r == default || r.strip_prefix("refs/heads/") == Some(default.as_str()))
    };
    match &ctx.event {
        Event::PullRequest { merged: false, .. } => {
            Some("a pull request run: tracking issues follow the default branch only".to_owned())
        }
        Event::PullRequest { merged: true, .. } => {
            let base = payload
                .pull_request
                .and_then(|p| p.base)
                .and_then(|b| b.r#ref);
            (!on_default(base.as_deref())).then(|| {
                "the pull request was merged into another branch than the default".to_owned()
            })
        }
        Event::Push => (!on_default(payload.r#ref.as_deref()))
            .then(|| "a push to another branch than the default".to_owned()),
        Event::WorkflowDispatch { resolve: Some(_) } => {
            Some("a dispatch for another ref than the default branch".to_owned())
        }
        Event::Schedule => None,
        Event::MergeGroup => {
            Some("a merge queue run: the commit is not on the default branch yet".to_owned())
        }
        Event::WorkflowRun { .. } => Some(
            "a `workflow_run` run: tracking follows push, schedule and dispatch runs".to_owned(),
        ),
        Event::WorkflowDispatch { resolve: None } => {
            (!on_default(git_ref.or(payload.r#ref.as_deref())))
                .then(|| "the run is not for the default branch".to_owned())
        }
    }
}

/// Plans and writes the tracking issues of `report` for one place; calls `notifier` with
/// this run's transitions and records what it sent. Never fails: problems are warnings.
pub fn sync(
    repo: &Repo<'_>,
    report: &Report,
    opts: &Options<'_>,
    notifier: &mut dyn Notifier,
) -> Outcome {
    let mut out = Outcome {
        unkeyed: report.unkeyed,
        ..Outcome::default()
    };
    let api = match api(repo) {
        Ok(api) => api,
        Err(e) => {
            out.warnings
                .push(format!("{e}; no tracking issues written"));
            return out;
        }
    };
    let issues = match list_issues(&api) {
        Ok(i) => i,
        Err(e) => {
            out.warnings
                .push(format!("{e}; no tracking issues written"));
            return out;
        }
    };
    let routes = notifier.routes();
    let mut run = Run {
        place: opts.place,
        revision: opts.revision,
        today: opts.today,
        scope: opts.scope,
        max_new: opts.max_new,
        settings: opts.settings,
        codeowners: opts.codeowners,
        present: opts.present,
        credit: None,
        routes: &routes,
    };
    let mut planned = plan::plan(report, &issues, &run);
    let credit;
    if planned.needs_credit {
        match find_credit(&api, opts.revision) {
            Ok(Some(c)) => {
                credit = c;
                run.credit = Some(&credit);
                planned = plan::plan(report, &issues, &run);
            }
            Ok(None) => {}
            Err(e) => out.warnings.push(format!("{e}; the fix is not credited")),
        }
    }
    out.over_limit = planned.over_limit;
    out.notes = planned.notes.clone();
    let count = |out: &mut Outcome, w: &IssueWrite| match (w.number, w.change) {
        (None, _) => out.created += 1,
        (Some(_), Some(StateChange::Reopen)) => out.reopened += 1,
        (Some(_), Some(_)) => out.closed += 1,
        (Some(_), None) => out.updated += 1,
    };
    if opts.dry_run {
        for w in planned.writes.iter().filter(|w| w.writes_github()) {
            out.lines.push(describe_write(w, true));
            count(&mut out, w);
        }
    }
    if opts.dry_run || planned.writes.is_empty() {
        return out;
    }
    let pace = Pace {
        spacing: opts.spacing,
        first: std::cell::Cell::new(true),
    };
    if let Err(e) = ensure_labels(&api, &planned.writes, &pace) {
        out.warnings.push(e);
    }
    let mut events = Vec::new();
    let mut written: BTreeMap<String, (u64, IssueWrite)> = BTreeMap::new();
    for w in planned.writes {
        // A write without a request only retries a notification: not a change to report.
        let done = if w.writes_github() {
            write(&api, &w, &pace, &mut out.warnings)
        } else {
            w.number.map(|n| (n, String::new()))
        };
        if let Some((number, url)) = done {
            if w.writes_github() {
                out.lines.push(describe_write(&w, false));
                count(&mut out, &w);
            }
            if let Some(mut e) = w.event.clone() {
                e.issue = number;
                if !url.is_empty() {
                    e.issue_url = url;
                }
                events.push(e);
            }
            written.insert(w.key.clone(), (number, w));
        }
    }
    if !events.is_empty() {
        record_notifications(
            &api,
            notifier,
            &events,
            &mut written,
            &pace,
            &mut out.warnings,
        );
    }
    out
}

/// The tracking view of an evaluation: its JSON report, parsed as `kevgate track` parses a
/// report file (one path for the CLI, the action and `kevgate watch`).
pub fn report_of(ev: &crate::Evaluation) -> Result<Report, String> {
    let mut json = Vec::new();
    crate::report::write(
        crate::report::Format::Json,
        ev,
        &mut json,
        &crate::report::Options::default(),
    )
    .map_err(|e| e.to_string())?;
    crate::track::input::parse(&json)
}

/// The API client for `repo`.
pub(super) fn api(repo: &Repo<'_>) -> Result<Api, String> {
    let ctx = Context {
        event: Event::Push,
        sha: String::new(),
        owner: repo.owner.to_owned(),
        repo: repo.name.to_owned(),
        api_url: repo.api_url.trim_end_matches('/').to_owned(),
        server_url: String::new(),
        run_id: None,
        base_sha: None,
    };
    Api::new(
        &ctx,
        &Request {
            check_name: "",
            comment: false,
            token: repo.token,
            backoff: Duration::from_secs(1),
            network: repo.network,
        },
    )
}

/// Waits between content-creating requests.
struct Pace {
    spacing: Duration,
    first: std::cell::Cell<bool>,
}

impl Pace {
    fn wait(&self) {
        if !self.first.replace(false) && !self.spacing.is_zero() {
            std::thread::sleep(self.spacing);
        }
    }
}

/// An issue as `GET /issues` lists it (lenient: GitHub's format).
#[derive(Deserialize)]
struct IssueDto {
    number: u64,
    state: String,
    #[serde(default)]
    title: String,
    body: Option<String>,
    #[serde(default)]
    labels: Vec<LabelDto>,
    #[serde(default)]
    html_url: String,
    pull_request: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum LabelDto {
    Object { name: String },
    Name(String),
}

impl LabelDto {
    fn name(self) -> String {
        match self {
            LabelDto::Object { name } | LabelDto::Name(name) => name,
        }
    }
}

/// Every issue with the `kevgate` label, open or closed, pull requests left out.
pub(super) fn list_issues(api: &Api) -> Result<Vec<Issue>, String> {
    let mut out = Vec::new();
    for page in 1..=MAX_ISSUE_PAGES {
        let r = api.send(
            Method::Get,
            &format!("/issues?labels={LABEL}&state=all&per_page=100&page={page}"),
            None,
        )?;
        if r.status != 200 {
            return Err(describe(
                "cannot list the tracking issues (hint: give the job `permissions: issues: write`)",
                &r,
            ));
        }
        let items: Vec<IssueDto> = serde_json::from_str(&r.body)
            .map_err(|e| format!("GitHub's issue list cannot be read: {e}"))?;
        let n = items.len();
        for i in items {
            if i.pull_request.is_some() {
                continue;
            }
            out.push(Issue {
                number: i.number,
                open: i.state == "open",
                title: i.title,
                // The web editor saves CRLF line ends; kevgate renders LF.
                body: i.body.unwrap_or_default().replace("\r\n", "\n"),
                labels: i.labels.into_iter().map(LabelDto::name).collect(),
                url: i.html_url,
            });
        }
        if n < 100 {
            return Ok(out);
        }
    }
    Err(format!(
        "more than {} issues carry the `{LABEL}` label",
        MAX_ISSUE_PAGES * 100
    ))
}

/// Creates the labels the writes use that the repository lacks.
fn ensure_labels(api: &Api, writes: &[IssueWrite], pace: &Pace) -> Result<(), String> {
    let wanted: BTreeSet<&str> = writes
        .iter()
        .filter_map(|w| w.labels.as_ref())
        .flatten()
        .map(String::as_str)
        .filter(|l| {
            *l == LABEL
                || matches!(*l, "kev" | "malicious" | "overdue")
                || l.starts_with("severity:")
                || l.starts_with("priority:")
        })
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let mut have = BTreeSet::new();
    for page in 1..=MAX_LABEL_PAGES {
        let r = api.send(
            Method::Get,
            &format!("/labels?per_page=100&page={page}"),
            None,
        )?;
        if r.status != 200 {
            return Err(describe("cannot list the repository's labels", &r));
        }
        let items: Vec<LabelDto> = serde_json::from_str(&r.body)
            .map_err(|e| format!("GitHub's label list cannot be read: {e}"))?;
        let n = items.len();
        have.extend(items.into_iter().map(|l| l.name().to_lowercase()));
        if n < 100 {
            break;
        }
    }
    for name in wanted {
        if have.contains(&name.to_lowercase()) {
            continue;
        }
        let (color, description) = plan::label_spec(name);
        pace.wait();
        let r = api.json(
            Method::Post,
            "/labels",
            &json!({"name": name, "color": color, "description": description}),
        )?;
        // 422: created meanwhile by another run.
        if !matches!(r.status, 200 | 201 | 422) {
            return Err(describe(&format!("cannot create the label `{name}`"), &r));
        }
    }
    Ok(())
}

/// One issue's requests; returns its number and URL when the issue exists afterwards.
fn write(
    api: &Api,
    w: &IssueWrite,
    pace: &Pace,
    warnings: &mut Vec<String>,
) -> Option<(u64, String)> {
    let Some(number) = w.number else {
        return create(api, w, pace, warnings);
    };
    if let Some(comment) = &w.comment {
        pace.wait();
        match api.json(
            Method::Post,
            &format!("/issues/{number}/comments"),
            &json!({ "body": comment }),
        ) {
            Ok(r) if r.status == 201 || r.status == 200 => {}
            Ok(r) => warnings.push(describe(&format!("cannot comment on issue #{number}"), &r)),
            Err(e) => warnings.push(format!("cannot comment on issue #{number}: {e}")),
        }
    }
    let mut patch = serde_json::Map::new();
    if let Some(t) = &w.title {
        patch.insert("title".into(), t.clone().into());
    }
    if let Some(b) = &w.body {
        patch.insert("body".into(), b.clone().into());
    }
    if let Some(l) = &w.labels {
        patch.insert("labels".into(), json!(l));
    }
    match w.change {
        Some(StateChange::CloseCompleted) => {
            patch.insert("state".into(), "closed".into());
            patch.insert("state_reason".into(), "completed".into());
        }
        Some(StateChange::CloseNotPlanned) => {
            patch.insert("state".into(), "closed".into());
            patch.insert("state_reason".into(), "not_planned".into());
        }
        Some(StateChange::Reopen) => {
            patch.insert("state".into(), "open".into());
            patch.insert("state_reason".into(), "reopened".into());
        }
        None => {}
    }
    if patch.is_empty() {
        return Some((number, String::new()));
    }
    pace.wait();
    match api.json(
        Method::Patch,
        &format!("/issues/{number}"),
        &serde_json::Value::Object(patch),
    ) {
        Ok(r) if r.status == 200 => Some((number, html_url(&r))),
        Ok(r) => {
            warnings.push(describe(&format!("cannot update issue #{number}"), &r));
            None
        }
        Err(e) => {
            warnings.push(format!("cannot update issue #{number}: {e}"));
            None
        }
    }
}

fn html_url(r: &Response) -> String {
    serde_json::from_str::<serde_json::Value>(&r.body)
        .ok()
        .and_then(|v| v["html_url"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// `POST /issues`; an assignee GitHub refuses (422: no access) is dropped and the issue
/// created without assignees.
fn create(
    api: &Api,
    w: &IssueWrite,
    pace: &Pace,
    warnings: &mut Vec<String>,
) -> Option<(u64, String)> {
    let mut body = json!({
        "title": w.title.clone().unwrap_or_default(),
        "body": w.body.clone().unwrap_or_default(),
        "labels": w.labels.clone().unwrap_or_default(),
    });
    if !w.assignees.is_empty() {
        body["assignees"] = json!(w.assignees);
    }
    for attempt in 0..2 {
        pace.wait();
        let r = match api.json(Method::Post, "/issues", &body) {
            Ok(r) => r,
            Err(e) => {
                warnings.push(format!(
                    "cannot create the issue for `{}`: {e}",
                    shown(&w.key)
                ));
                return None;
            }
        };
        match r.status {
            201 | 200 => {
                let v: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
                return match v["number"].as_u64() {
                    Some(n) => Some((n, v["html_url"].as_str().unwrap_or_default().to_owned())),
                    None => {
                        warnings.push("GitHub's answer for a created issue has no `number`".into());
                        None
                    }
                };
            }
            422 if attempt == 0 && body.get("assignees").is_some() => {
                warnings.push(format!(
                    "GitHub refused the assignees {} for `{}`; created without assignees",
                    w.assignees.join(", "),
                    shown(&w.key)
                ));
                body.as_object_mut().expect("an object").remove("assignees");
            }
            _ => {
                warnings.push(describe(
                    &format!("cannot create the issue for `{}`", shown(&w.key)),
                    &r,
                ));
                return None;
            }
        }
    }
    None
}

fn shown(key: &str) -> String {
    crate::text::terminal(&crate::text::one_line(key, 120)).into_owned()
}

/// The pull request that merged `sha` into the default branch, with its commit authors
/// (`GET /commits/{sha}/pulls`, `GET /pulls/{n}/commits`). `None` when no merged PR has
/// it (a direct push).
fn find_credit(api: &Api, sha: &str) -> Result<Option<Credit>, String> {
    if !(matches!(sha.len(), 40 | 64) && sha.bytes().all(|b| b.is_ascii_hexdigit())) {
        return Ok(None);
    }
    let r = api.send(Method::Get, &format!("/commits/{sha}/pulls"), None)?;
    if r.status != 200 {
        return Err(describe("cannot list the pull requests of the commit", &r));
    }
    let pulls: Vec<serde_json::Value> =
        serde_json::from_str(&r.body).map_err(|e| format!("pull request list: {e}"))?;
    let merged = |p: &&serde_json::Value| p["merged_at"].is_string();
    let pick = pulls
        .iter()
        .filter(merged)
        .find(|p| p["merge_commit_sha"].as_str() == Some(sha))
        .or_else(|| pulls.iter().find(merged));
    let Some(pr) = pick else { return Ok(None) };
    let (Some(number), Some(author)) = (pr["number"].as_u64(), pr["user"]["login"].as_str()) else {
        return Ok(None);
    };
    let r = api.send(
        Method::Get,
        &format!("/pulls/{number}/commits?per_page=100"),
        None,
    )?;
    let mut commit_authors = BTreeSet::new();
    if r.status == 200 {
        let commits: Vec<serde_json::Value> =
            serde_json::from_str(&r.body).map_err(|e| format!("commit list: {e}"))?;
        for c in &commits {
            if let Some(login) = c["author"]["login"].as_str() {
                commit_authors.insert(login.to_owned());
            }
        }
    }
    Ok(Some(Credit {
        pr: number,
        author: author.to_owned(),
        commit_authors: commit_authors.into_iter().collect(),
        merged_at: pr["merged_at"].as_str().map(str::to_owned),
    }))
}

/// Tells the notifier; records what it sent in the issues' states (one body edit each).
fn record_notifications(
    api: &Api,
    notifier: &mut dyn Notifier,
    events: &[TransitionEvent],
    written: &mut BTreeMap<String, (u64, IssueWrite)>,
    pace: &Pace,
    warnings: &mut Vec<String>,
) {
    let mut states: BTreeMap<String, crate::track::TrackState> = written
        .iter()
        .map(|(k, (_, w))| (k.clone(), w.state.clone()))
        .collect();
    let (changed, mut failed) = crate::track::notify::record(notifier.notify(events), &mut states);
    warnings.append(&mut failed);
    for key in &changed {
        if let (Some((_, w)), Some(st)) = (written.get_mut(key), states.remove(key)) {
            w.state = st;
        }
    }
    for key in changed {
        let (number, w) = &written[&key];
        let body = plan::with_state(&w.full_body, &w.state);
        pace.wait();
        match api.json(
            Method::Patch,
            &format!("/issues/{number}"),
            &json!({ "body": body }),
        ) {
            Ok(r) if r.status == 200 => {}
            Ok(r) => warnings.push(describe(
                &format!("cannot record the notifications in issue #{number}"),
                &r,
            )),
            Err(e) => warnings.push(format!(
                "cannot record the notifications in issue #{number}: {e}"
            )),
        }
    }
}

/// One line about a write, for the log.
fn describe_write(w: &IssueWrite, dry_run: bool) -> String {
    let would = if dry_run { "would " } else { "" };
    let what = match (w.number, w.change) {
        (None, _) => format!("{would}open an issue for"),
        (Some(n), Some(StateChange::CloseCompleted)) => format!("{would}close #{n} (fixed):"),
        (Some(n), Some(StateChange::CloseNotPlanned)) => {
            format!("{would}close #{n} (not planned):")
        }
        (Some(n), Some(StateChange::Reopen)) => format!("{would}reopen #{n}:"),
        (Some(n), None) => format!("{would}update #{n}:"),
    };
    format!("{what} {}", shown(&w.key))
}

#[cfg(test)]
mod tests;
