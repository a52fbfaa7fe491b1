//! The plan: (the findings of one place, the existing tracking issues, today) -> the writes.
//!
//! A run speaks for one place only (`default-branch`, `release:<tag>`): it adds, updates or
//! removes that place in each issue's state and leaves the other places alone. An issue
//! closes as completed when no place holds its finding any more, and reopens when a place
//! holds it again. A finding the report still lists but outside the scope (`--scope kev`
//! and a plain critical, or a `warn`) is still *present*: it keeps its issue open and its
//! place current, it just does not open a new issue. A finding the policy ignores closes its
//! issue as not planned, with the reason.
//!
//! Idempotent by construction: the body is rendered deterministically from the state and the
//! finding, a place entry changes only when its versions or manifests do (not on every new
//! commit), and a write is planned only for what differs from GitHub's copy. So the same
//! report twice makes no write.

use super::codeowners::Codeowners;
use super::input::{Decision, Finding, Report};
use super::notify::TransitionEvent;
use super::settings::Settings;
use super::state::{
    self, Class, FixedBy, Parsed, PlaceState, TrackState, Transition, TransitionKind,
};
use crate::text;
use jiff::civil::Date;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// The label every tracking issue has; issues are found again by it.
pub const LABEL: &str = "kevgate";
/// Separates the finding's details from the places table in the body.
pub const PLACES_MARKER: &str = "<!-- kevgate:places -->";
/// The place of runs on the default branch.
pub const DEFAULT_BRANCH: &str = "default-branch";

/// Which findings open issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The findings that fail the gate.
    Fail,
    /// KEV and malicious findings (that are not ignored).
    Kev,
}

/// An existing issue with the `kevgate` label, as GitHub lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Its number.
    pub number: u64,
    /// Open (else closed).
    pub open: bool,
    /// Title.
    pub title: String,
    /// Body (empty when none).
    pub body: String,
    /// Label names.
    pub labels: Vec<String>,
    /// Web URL.
    pub url: String,
}

/// The pull request credited with the default branch's current commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    /// PR number.
    pub pr: u64,
    /// Its author's login.
    pub author: String,
    /// Its commits' authors' logins (sorted, unique).
    pub commit_authors: Vec<String>,
    /// When it was merged (RFC 3339).
    pub merged_at: Option<String>,
}

/// What a run is about.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    /// The place (`default-branch`, `release:v1.2.0`).
    pub place: &'a str,
    /// What was scanned there: the commit SHA or the tag.
    pub revision: &'a str,
    /// The day of the run.
    pub today: Date,
    /// Which findings open issues.
    pub scope: Scope,
    /// At most this many issues are created.
    pub max_new: usize,
    /// `owners`, `sla`, `runbooks`.
    pub settings: &'a Settings,
    /// The repository's CODEOWNERS, when it has a usable one.
    pub codeowners: Option<&'a Codeowners>,
    /// The packages the scanned SBOM holds (versionless purl -> versions), to name the
    /// upgrade that removed a finding; `None` when unknown.
    pub present: Option<&'a BTreeMap<String, BTreeSet<String>>>,
    /// Who merged the scanned commit (default branch only), when known.
    pub credit: Option<&'a Credit>,
}

/// How an issue's open/closed state changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateChange {
    /// Close as completed (fixed).
    CloseCompleted,
    /// Close as not planned (ignored).
    CloseNotPlanned,
    /// Reopen.
    Reopen,
}

/// One issue's writes.
#[derive(Debug, Clone, PartialEq)]
pub struct IssueWrite {
    /// The tracking key.
    pub key: String,
    /// The issue; `None`: create it.
    pub number: Option<u64>,
    /// The new title, when it changes (always for a new issue).
    pub title: Option<String>,
    /// The new body, when it changes (always for a new issue).
    pub body: Option<String>,
    /// The new label set, when it changes (always for a new issue).
    pub labels: Option<Vec<String>>,
    /// Assignees of a new issue.
    pub assignees: Vec<String>,
    /// Close or reopen.
    pub change: Option<StateChange>,
    /// A comment to post (before the state change).
    pub comment: Option<String>,
    /// The state after the writes.
    pub state: TrackState,
    /// The whole body after the writes.
    pub full_body: String,
    /// The transition this run made, for the notifiers (`issue` and `issue_url` are filled
    /// in once the issue exists).
    pub event: Option<TransitionEvent>,
}

/// The result of planning.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    /// The writes, in order: updates by issue number, then creates, most urgent first.
    pub writes: Vec<IssueWrite>,
    /// New issues not created because of `max-new`.
    pub over_limit: usize,
    /// Findings without a purl (not tracked).
    pub unkeyed: usize,
    /// Notes for the log and summary (issues left alone, duplicates).
    pub notes: Vec<String>,
    /// Whether an issue closes as fixed on the default branch without a [`Credit`]: the
    /// caller may look the credit up and plan again.
    pub needs_credit: bool,
}

/// The findings of one key at this place.
struct Group<'a> {
    /// The most urgent finding of the key (its details go in the body).
    top: &'a Finding,
    versions: BTreeSet<String>,
    manifests: BTreeSet<String>,
    /// Some finding of the key is active (not ignored) and in scope: may open an issue.
    opens: bool,
    /// Every finding of the key is ignored.
    ignored: bool,
}

/// Plans the writes of one run. Pure: the same inputs give the same plan.
pub fn plan(report: &Report, issues: &[Issue], run: &Run<'_>) -> Plan {
    let mut out = Plan {
        unkeyed: report.unkeyed,
        ..Plan::default()
    };
    // The existing issues, by key; garbled ones lock their key.
    let mut tracked: BTreeMap<String, (&Issue, TrackState)> = BTreeMap::new();
    let mut locked: BTreeSet<String> = BTreeSet::new();
    let mut sorted: Vec<&Issue> = issues.iter().collect();
    sorted.sort_by_key(|i| i.number);
    for issue in sorted {
        match state::parse(&issue.body) {
            Parsed::Untracked => {}
            Parsed::Garbled { key, reason } => {
                out.notes.push(format!(
                    "issue #{} is left alone: {reason}; hint: restore its state block from the \
                     issue's edit history",
                    issue.number
                ));
                locked.extend(key);
            }
            Parsed::Tracked(s) => {
                if let Some((first, _)) = tracked.get(&s.key) {
                    out.notes.push(format!(
                        "issue #{} tracks the same finding as #{}; only #{} is updated",
                        issue.number, first.number, first.number
                    ));
                } else {
                    tracked.insert(s.key.clone(), (issue, *s));
                }
            }
        }
    }

    // This place's findings, by the key of the issue they belong to.
    let mut groups: BTreeMap<String, Group<'_>> = BTreeMap::new();
    for f in &report.findings {
        let key = match_issue(f, &tracked).unwrap_or_else(|| f.key.clone());
        let opens = f.decision != Decision::Ignored
            && match run.scope {
                Scope::Fail => f.decision == Decision::Fail,
                Scope::Kev => f.kev.is_some() || f.malicious,
            };
        let g = groups.entry(key).or_insert_with(|| Group {
            top: f,
            versions: BTreeSet::new(),
            manifests: BTreeSet::new(),
            opens: false,
            ignored: true,
        });
        if f.class() < g.top.class() {
            g.top = f;
        }
        g.versions.extend(f.version.clone());
        g.manifests.extend(f.manifest.clone());
        g.opens |= opens;
        g.ignored &= f.decision == Decision::Ignored;
    }

    let mut creates = Vec::new();
    for (key, g) in &groups {
        if locked.contains(key) {
            continue;
        }
        match tracked.get(key) {
            Some((issue, old)) => {
                if let Some(w) = update_present(issue, old, g, run) {
                    out.writes.push(w);
                }
            }
            None if g.opens => creates.push((g.top.class(), key.clone(), g)),
            None => {}
        }
    }
    // Issues whose finding this place no longer has.
    for (key, (issue, old)) in &tracked {
        if groups.contains_key(key) || locked.contains(key) {
            continue;
        }
        if let Some(w) = update_absent(issue, old, run, &mut out.needs_credit) {
            out.writes.push(w);
        }
    }
    out.writes.sort_by_key(|w| w.number);
    creates.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    for (i, (_, key, g)) in creates.into_iter().enumerate() {
        if i >= run.max_new {
            out.over_limit += 1;
            continue;
        }
        out.writes.push(create(key, g, run));
    }
    out
}

/// The key of the existing issue `f` belongs to: its own key, else an issue of the same
/// package whose ids meet the finding's (the primary id changed, an alias became the CVE).
fn match_issue(f: &Finding, tracked: &BTreeMap<String, (&Issue, TrackState)>) -> Option<String> {
    if tracked.contains_key(&f.key) {
        return Some(f.key.clone());
    }
    let ids: BTreeSet<&str> = std::iter::once(f.id.as_str())
        .chain(f.aliases.iter().map(String::as_str))
        .collect();
    tracked
        .values()
        .find(|(_, s)| {
            s.package == f.package
                && std::iter::once(&s.vulnerability)
                    .chain(&s.aliases)
                    .any(|id| ids.contains(id.as_str()))
        })
        .map(|(_, s)| s.key.clone())
}

/// The due date: KEV's, else first seen plus the class's SLA.
fn due(f: &Finding, first_seen: Date, settings: &Settings) -> Option<Date> {
    f.kev.as_ref().and_then(|k| k.due_date).or_else(|| {
        settings.sla.get(&f.class()).and_then(|d| {
            first_seen
                .checked_add(jiff::Span::new().days(i64::from(*d)))
                .ok()
        })
    })
}

/// The place entry this run writes: the old one when versions and manifests are unchanged
/// (so a new commit alone edits nothing), else a new one.
fn place_entry(old: Option<&PlaceState>, g: &Group<'_>, run: &Run<'_>) -> PlaceState {
    let versions: Vec<String> = g.versions.iter().cloned().collect();
    let manifests: Vec<String> = g.manifests.iter().cloned().collect();
    match old {
        Some(p) if p.versions == versions && p.manifests == manifests => p.clone(),
        _ => PlaceState {
            revision: run.revision.to_owned(),
            versions,
            manifests,
            seen: run.today,
        },
    }
}

fn transition(state: &mut TrackState, kind: TransitionKind, run: &Run<'_>, reason: Option<String>) {
    let id = u32::try_from(state.transitions.len() + 1).unwrap_or(u32::MAX);
    state.transitions.push(Transition {
        id,
        kind,
        at: run.today,
        place: run.place.to_owned(),
        revision: run.revision.to_owned(),
        reason,
    });
}

/// A new issue for `g`.
fn create(key: String, g: &Group<'_>, run: &Run<'_>) -> IssueWrite {
    let f = g.top;
    let mut aliases: Vec<String> = f.aliases.clone();
    aliases.sort();
    aliases.dedup();
    let mut st = TrackState {
        v: state::STATE_VERSION,
        key: key.clone(),
        package: f.package.clone(),
        name: f.name.clone(),
        vulnerability: f.id.clone(),
        aliases,
        class: f.class(),
        first_seen: run.today,
        due: due(f, run.today, run.settings),
        places: BTreeMap::from([(run.place.to_owned(), place_entry(None, g, run))]),
        transitions: Vec::new(),
        notified: state::Notified::default(),
        fixed_by: None,
    };
    transition(&mut st, TransitionKind::Opened, run, None);
    let (users, teams) = owners(g, &f.package, run);
    let details = details(f, &st, &teams, run);
    let body = body(&st.key, &details, &st);
    let labels = merge_labels(&[], &finding_labels(f, &st, run.today, true));
    let title = title(f);
    let event = event(&st, Some(f), &labels, run);
    IssueWrite {
        key,
        number: None,
        title: Some(title),
        body: Some(body.clone()),
        labels: Some(labels),
        assignees: users,
        change: None,
        comment: None,
        state: st,
        full_body: body,
        event: Some(event),
    }
}

/// An existing issue whose finding this place has (present, or ignored).
fn update_present(
    issue: &Issue,
    old: &TrackState,
    g: &Group<'_>,
    run: &Run<'_>,
) -> Option<IssueWrite> {
    let f = g.top;
    let mut st = old.clone();
    let mut change = None;
    let mut comment = None;
    let mut kind = None;
    st.class = f.class();
    st.due = due(f, st.first_seen, run.settings);
    if g.ignored {
        // Ignored by the policy: closed as not planned, whatever the other places say.
        if issue.open {
            let reason = f
                .ignored_reason
                .clone()
                .unwrap_or_else(|| "ignored by the policy".to_owned());
            st.places.remove(run.place);
            transition(
                &mut st,
                TransitionKind::NotPlanned,
                run,
                Some(reason.clone()),
            );
            change = Some(StateChange::CloseNotPlanned);
            comment = Some(format!(
                "Ignored in {}{}: {}. Closing as not planned.",
                text::markdown(run.place),
                at(run.revision),
                text::markdown(&reason)
            ));
            kind = Some(TransitionKind::NotPlanned);
        } else {
            return None;
        }
    } else {
        let entry = place_entry(old.places.get(run.place), g, run);
        st.places.insert(run.place.to_owned(), entry);
        // Reopened only when kevgate closed it: an issue a person closed while the finding
        // is still there stays closed (its state is kept current).
        let closed_by_kevgate = st
            .transitions
            .last()
            .is_some_and(|t| matches!(t.kind, TransitionKind::Fixed | TransitionKind::NotPlanned));
        if !issue.open && closed_by_kevgate {
            transition(&mut st, TransitionKind::Reopened, run, None);
            st.fixed_by = None;
            change = Some(StateChange::Reopen);
            comment = Some(format!(
                "Found again in {}{} ({} {}). Reopening.",
                text::markdown(run.place),
                at(run.revision),
                text::markdown(&f.name),
                text::markdown(&join(&g.versions))
            ));
            kind = Some(TransitionKind::Reopened);
        }
    }
    let open_after = match change {
        Some(StateChange::Reopen) => true,
        Some(_) => false,
        None => issue.open,
    };
    let (_, teams) = owners(g, &f.package, run);
    let details = details(f, &st, &teams, run);
    let new_body = body(&st.key, &details, &st);
    let labels = merge_labels(
        &issue.labels,
        &finding_labels(f, &st, run.today, open_after),
    );
    let new_title = title(f);
    let event = kind.map(|_| event(&st, Some(f), &labels, run));
    finish(
        issue, st, new_title, new_body, labels, change, comment, event,
    )
}

/// An existing issue whose finding this place no longer has.
fn update_absent(
    issue: &Issue,
    old: &TrackState,
    run: &Run<'_>,
    needs_credit: &mut bool,
) -> Option<IssueWrite> {
    let mut st = old.clone();
    let removed = st.places.remove(run.place);
    let mut change = None;
    let mut comment = None;
    let mut event_kind = None;
    if let Some(gone) = &removed
        && st.places.is_empty()
        && issue.open
    {
        let upgrade = upgrade(&gone.versions, run.present.and_then(|p| p.get(&st.package)));
        let credit = (run.place == DEFAULT_BRANCH)
            .then_some(run.credit)
            .flatten();
        if run.place == DEFAULT_BRANCH && credit.is_none() {
            *needs_credit = true;
        }
        st.fixed_by = credit.map(|c| FixedBy {
            pr: c.pr,
            author: c.author.clone(),
            commit_authors: c.commit_authors.clone(),
            merged_at: c.merged_at.clone(),
            sha: run.revision.to_owned(),
            upgrade: upgrade.clone(),
        });
        transition(&mut st, TransitionKind::Fixed, run, None);
        change = Some(StateChange::CloseCompleted);
        let mut c = format!(
            "No longer found in {}{}",
            text::markdown(run.place),
            at(run.revision)
        );
        match (&st.fixed_by, &upgrade) {
            (Some(by), up) => {
                let _ = write!(c, ". Fixed by {} in #{}", mention(&by.author), by.pr);
                if let Some(up) = up {
                    let _ = write!(c, " ({} {})", text::markdown(&st.name), text::markdown(up));
                }
                let others: Vec<String> = by
                    .commit_authors
                    .iter()
                    .filter(|a| **a != by.author)
                    .map(|a| mention(a))
                    .collect();
                if !others.is_empty() {
                    let _ = write!(c, ", with commits by {}", others.join(", "));
                }
            }
            (None, Some(up)) => {
                let _ = write!(c, " ({} {})", text::markdown(&st.name), text::markdown(up));
            }
            (None, None) => {}
        }
        c.push_str(". Closing as completed.");
        comment = Some(c);
        event_kind = Some(TransitionKind::Fixed);
    } else if removed.is_none() {
        // Not at this place before either: only the overdue label may need a change.
        let labels = overdue_labels(&issue.labels, &st, run.today, issue.open);
        return (sorted(&issue.labels) != labels).then(|| IssueWrite {
            key: st.key.clone(),
            number: Some(issue.number),
            title: None,
            body: None,
            labels: Some(labels),
            assignees: Vec::new(),
            change: None,
            comment: None,
            full_body: issue.body.clone(),
            state: st,
            event: None,
        });
    }
    let open_after = issue.open && change.is_none();
    let labels = overdue_labels(&issue.labels, &st, run.today, open_after);
    let details = details_of(&issue.body).to_owned();
    let new_body = body(&st.key, &details, &st);
    let event = event_kind.map(|_| {
        let mut e = event(&st, None, &labels, run);
        // A fix: the versions that were removed, and the issue's own title.
        e.versions = removed.map(|p| p.versions).unwrap_or_default();
        e.title = issue.title.clone();
        e
    });
    finish(
        issue,
        st,
        issue.title.clone(),
        new_body,
        labels,
        change,
        comment,
        event,
    )
}

/// The write for `issue`, with only what differs from GitHub's copy; `None` when nothing does.
#[allow(clippy::too_many_arguments)]
fn finish(
    issue: &Issue,
    st: TrackState,
    title: String,
    body: String,
    labels: Vec<String>,
    change: Option<StateChange>,
    comment: Option<String>,
    event: Option<TransitionEvent>,
) -> Option<IssueWrite> {
    let title = (title != issue.title).then_some(title);
    let new_body = (body != issue.body).then(|| body.clone());
    let labels = (labels != sorted(&issue.labels)).then_some(labels);
    if title.is_none() && new_body.is_none() && labels.is_none() && change.is_none() {
        return None;
    }
    Some(IssueWrite {
        key: st.key.clone(),
        number: Some(issue.number),
        title,
        body: new_body,
        labels,
        assignees: Vec::new(),
        change,
        comment,
        state: st,
        full_body: body,
        event,
    })
}

/// `4.17.15 → 4.17.21`, `4.17.15 → removed`; `None` when what the scan holds is unknown.
fn upgrade(old: &[String], now: Option<&BTreeSet<String>>) -> Option<String> {
    let old = old.join(", ");
    match now {
        Some(v) if !v.is_empty() => Some(format!("{old} → {}", join(v))),
        Some(_) => Some(format!("{old} → removed")),
        None => None,
    }
}

/// `@login` when `login` is one, else the escaped text.
fn mention(login: &str) -> String {
    if super::codeowners::valid_login(login.trim_end_matches("[bot]")) {
        format!("@{login}")
    } else {
        text::markdown(login)
    }
}

fn join(v: &BTreeSet<String>) -> String {
    v.iter().cloned().collect::<Vec<_>>().join(", ")
}

/// ` at <revision>`, or nothing when the revision is unknown (empty).
fn at(revision: &str) -> String {
    if revision.is_empty() {
        String::new()
    } else {
        format!(" at {}", text::markdown(&short(revision)))
    }
}

/// The first 12 characters of a commit SHA; a tag as it is.
fn short(revision: &str) -> String {
    if revision.len() >= 40 && revision.bytes().all(|b| b.is_ascii_hexdigit()) {
        revision[..12].to_owned()
    } else {
        revision.to_owned()
    }
}

/// Who owns the finding: `owners:` first (manifest path or purl prefix), else CODEOWNERS
/// for the manifest path. Users are assigned, teams mentioned.
fn owners(g: &Group<'_>, package: &str, run: &Run<'_>) -> (Vec<String>, Vec<String>) {
    let (mut users, mut teams) = (BTreeSet::new(), BTreeSet::new());
    let manifests: Vec<Option<&str>> = if g.manifests.is_empty() {
        vec![None]
    } else {
        g.manifests.iter().map(|m| Some(m.as_str())).collect()
    };
    for m in manifests {
        if let Some((u, t)) = run.settings.owners_for(m, package) {
            users.extend(u);
            teams.extend(t);
        } else if let (Some(c), Some(m)) = (run.codeowners, m) {
            let o = c.owners(m);
            users.extend(o.users);
            teams.extend(o.teams);
        }
    }
    // GitHub assigns at most 10 users per issue.
    (
        users.into_iter().take(10).collect(),
        teams.into_iter().collect(),
    )
}

/// `CVE-2021-44228 in log4j-core — KEV, critical`.
pub fn title(f: &Finding) -> String {
    let tag = match f.class() {
        Class::Malicious => "malicious".to_owned(),
        Class::Kev => format!("KEV, {}", f.severity),
        _ => f.severity.clone(),
    };
    let t = format!("{} in {} — {tag}", f.id, f.name);
    text::terminal(&text::one_line(&t, 200)).into_owned()
}

/// The labels a finding's issue carries (before merging with the issue's own).
fn finding_labels(f: &Finding, st: &TrackState, today: Date, open: bool) -> Vec<String> {
    let mut l = vec![LABEL.to_owned()];
    if f.kev.is_some() {
        l.push("kev".to_owned());
    }
    if f.malicious {
        l.push("malicious".to_owned());
    }
    l.push(format!("severity:{}", label_value(&f.severity)));
    if !f.priority.is_empty() {
        l.push(format!("priority:{}", label_value(&f.priority)));
    }
    if open && st.due.is_some_and(|d| d < today) {
        l.push("overdue".to_owned());
    }
    l
}

/// A label value from report text: lower case, at most 30 of `[a-z0-9*_-]`.
fn label_value(s: &str) -> String {
    s.to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '*' | '-' | '_'))
        .take(30)
        .collect()
}

/// Whether kevgate manages label `l` (others are the team's and kept).
fn managed(l: &str) -> bool {
    matches!(l, LABEL | "kev" | "malicious" | "overdue")
        || l.starts_with("severity:")
        || l.starts_with("priority:")
}

/// The issue's own labels plus kevgate's `wanted` ones, sorted.
fn merge_labels(existing: &[String], wanted: &[String]) -> Vec<String> {
    let mut set: BTreeSet<String> = existing.iter().filter(|l| !managed(l)).cloned().collect();
    set.extend(wanted.iter().cloned());
    set.into_iter().collect()
}

/// The issue's labels with `overdue` set as the state and `today` say.
fn overdue_labels(existing: &[String], st: &TrackState, today: Date, open: bool) -> Vec<String> {
    let mut set: BTreeSet<String> = existing.iter().cloned().collect();
    set.remove("overdue");
    if open && st.due.is_some_and(|d| d < today) {
        set.insert("overdue".to_owned());
    }
    set.into_iter().collect()
}

fn sorted(labels: &[String]) -> Vec<String> {
    let set: BTreeSet<String> = labels.iter().cloned().collect();
    set.into_iter().collect()
}

/// The colour and description of a label kevgate creates.
pub fn label_spec(name: &str) -> (&'static str, &'static str) {
    match name {
        "kev" => (
            "b60205",
            "In CISA's Known Exploited Vulnerabilities catalog",
        ),
        "malicious" => ("000000", "A known-malicious package version"),
        "overdue" => ("d93f0b", "Past its due date"),
        n if n.starts_with("severity:") => ("fbca04", "Severity of the vulnerability"),
        n if n.starts_with("priority:") => ("c5def5", "kevgate triage priority"),
        _ => ("5319e7", "Tracked by kevgate"),
    }
}

/// The body: key marker, details, places table, state block.
fn body(key: &str, details: &str, st: &TrackState) -> String {
    format!(
        "{}\n{}\n\n{PLACES_MARKER}\n{}\n{}\n",
        state::key_marker(key),
        details.trim(),
        places(st),
        state::render(st)
    )
}

/// The details part of an existing body (between the key marker and the places).
fn details_of(body: &str) -> &str {
    let start = body.find('\n').map_or(body.len(), |i| i + 1);
    let rest = &body[start..];
    let end = rest
        .find(PLACES_MARKER)
        .or_else(|| rest.find(state::STATE_START))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The places table and the credit line.
fn places(st: &TrackState) -> String {
    let mut out = String::new();
    if st.places.is_empty() {
        out.push_str("**Where:** no place holds it any more.\n");
    } else {
        out.push_str("**Where**\n\n| Place | Revision | Versions | Manifests | Since |\n|---|---|---|---|---|\n");
        for (place, p) in &st.places {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                text::markdown(place),
                text::markdown(&short(&p.revision)),
                text::markdown(&p.versions.join(", ")),
                text::markdown(&p.manifests.join(", ")),
                p.seen
            );
        }
    }
    if let Some(jira) = &st.notified.jira.key {
        let _ = writeln!(out, "\n**Jira:** {}", text::markdown(jira));
    }
    if let Some(by) = &st.fixed_by {
        let _ = write!(out, "\n**Fixed by** {} in #{}", mention(&by.author), by.pr);
        if let Some(up) = &by.upgrade {
            let _ = write!(
                out,
                " ({} {})",
                text::markdown(&st.name),
                text::markdown(up)
            );
        }
        out.push('\n');
    }
    out
}

/// A link to `url` when it is http(s), else nothing.
fn link(label: &str, url: &str) -> Option<String> {
    (url.starts_with("https://") || url.starts_with("http://"))
        .then(|| format!("[{label}]({})", crate::report::markdown::link_target(url)))
}

/// The finding's details: severity, KEV, due date, EPSS, priority, fix, links, owners.
fn details(f: &Finding, st: &TrackState, teams: &[String], run: &Run<'_>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "**{}** in **{}** ({})\n",
        text::markdown(&f.id),
        text::markdown(&f.name),
        text::markdown(&st.package)
    );
    if let Some(s) = &f.summary {
        let _ = writeln!(out, "> {}\n", text::markdown(&text::one_line(s, 300)));
    }
    out.push_str("| | |\n|---|---|\n");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(out, "| {k} | {v} |");
    };
    row(
        "Severity",
        match &f.severity_source {
            Some(src) => format!("{} ({})", text::markdown(&f.severity), text::markdown(src)),
            None => text::markdown(&f.severity),
        },
    );
    if f.malicious {
        row("Malicious", "a known-malicious package version".to_owned());
    }
    if let Some(k) = &f.kev {
        let mut v = String::from("in CISA KEV");
        if let Some(d) = k.due_date {
            let _ = write!(v, ", due {d}");
        }
        if k.ransomware {
            v.push_str(", **known ransomware use**");
        }
        row("KEV", v);
        if !k.required_action.is_empty() {
            row(
                "Required action",
                text::markdown(&text::one_line(&k.required_action, 300)),
            );
        }
    }
    if let Some(d) = st.due {
        let source = if f.kev.as_ref().is_some_and(|k| k.due_date == Some(d)) {
            "KEV".to_owned()
        } else {
            format!(
                "SLA for {} from first seen {}",
                st.class.as_str(),
                st.first_seen
            )
        };
        let overdue = if d < run.today {
            " — **overdue**"
        } else {
            ""
        };
        row("Due", format!("{d} ({source}){overdue}"));
    }
    if let Some(e) = f.epss {
        row("EPSS", format!("{e:.3}"));
    }
    if !f.priority.is_empty() {
        row("Priority", text::markdown(&f.priority));
    }
    if !f.fixed_versions.is_empty() {
        row("Fixed in", text::markdown(&f.fixed_versions.join(", ")));
    }
    if let Some(r) = &f.remediation {
        row("Remediation", text::markdown(&text::one_line(r, 300)));
    }
    if let Some(l) = f.url.as_deref().and_then(|u| link("advisory", u)) {
        row("Advisory", l);
    }
    if let Some(l) = run
        .settings
        .runbooks
        .get(&st.class)
        .and_then(|u| link("runbook", u))
    {
        row("Runbook", l);
    }
    if !teams.is_empty() {
        let cc: Vec<String> = teams.iter().map(|t| format!("@{t}")).collect();
        let _ = write!(out, "\ncc {}\n", cc.join(" "));
    }
    out
}

/// The notifier's view of a transition (the last one of `st`).
fn event(
    st: &TrackState,
    f: Option<&Finding>,
    labels: &[String],
    run: &Run<'_>,
) -> TransitionEvent {
    let t = st.transitions.last().expect("a transition was just added");
    let label = |prefix: &str| {
        labels
            .iter()
            .find_map(|l| l.strip_prefix(prefix).map(str::to_owned))
            .unwrap_or_default()
    };
    let place_versions: BTreeSet<String> = st
        .places
        .values()
        .flat_map(|p| p.versions.iter().cloned())
        .collect();
    TransitionEvent {
        key: st.key.clone(),
        transition: t.id,
        kind: t.kind,
        issue: 0,
        issue_url: String::new(),
        title: f.map(title).unwrap_or_default(),
        class: st.class,
        package: st.name.clone(),
        purl: st.package.clone(),
        versions: place_versions.into_iter().collect(),
        vulnerability: st.vulnerability.clone(),
        severity: f.map_or_else(|| label("severity:"), |f| f.severity.clone()),
        severity_source: f.and_then(|f| f.severity_source.clone()),
        kev_due: f.and_then(|f| f.kev.as_ref().and_then(|k| k.due_date)),
        due: st.due,
        epss: f.and_then(|f| f.epss),
        priority: f.map_or_else(|| label("priority:"), |f| f.priority.clone()),
        fix: f.and_then(|f| {
            f.remediation.clone().or_else(|| {
                (!f.fixed_versions.is_empty())
                    .then(|| format!("fixed in {}", f.fixed_versions.join(", ")))
            })
        }),
        advisory_url: f.and_then(|f| f.url.clone()),
        runbook_url: run.settings.runbooks.get(&st.class).cloned(),
        fixed_by: st.fixed_by.clone(),
        reason: t.reason.clone(),
        slack_sent: st.notified.slack.contains(&t.id),
        jira_key: st.notified.jira.key.clone(),
        jira_sent: st.notified.jira.transitions.contains(&t.id),
    }
}

/// The body re-rendered with `st` (after notifications were recorded): the details as they
/// are, the places table (which names the Jira issue) and the state block from `st`.
pub fn with_state(body_text: &str, st: &TrackState) -> String {
    body(&st.key, details_of(body_text), st)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::track::input;

    fn report(findings: &[(&str, &str, &str)]) -> Report {
        // (purl, id, decision)
        let findings: Vec<serde_json::Value> = findings
            .iter()
            .map(|(purl, id, decision)| {
                serde_json::json!({
                    "id": id, "aliases": [], "severity": "critical", "severity_source": "nvd",
                    "component": {"purl": purl, "name": "lodash", "version": purl.rsplit('@').next()},
                    "kev": null, "malicious": false, "epss": null, "fixed_versions": ["4.17.21"],
                    "decision": decision, "ignored_reason": (*decision == "ignored").then_some("not reachable, see #12"),
                    "priority": "attend", "summary": null, "url": "https://osv.dev/x"
                })
            })
            .collect();
        let json =
            serde_json::json!({"schema_version": "1", "findings": findings, "remediations": []});
        input::parse(json.to_string().as_bytes()).expect("a report")
    }

    fn run<'a>(place: &'a str, settings: &'a Settings) -> Run<'a> {
        Run {
            place,
            revision: "v1.0.0",
            today: "2026-01-10".parse().expect("date"),
            scope: Scope::Fail,
            max_new: 20,
            settings,
            codeowners: None,
            present: None,
            credit: None,
        }
    }

    /// Applies a plan's writes to the issues, as GitHub would.
    fn apply(issues: &mut Vec<Issue>, p: &Plan) {
        for w in &p.writes {
            let open = !matches!(
                w.change,
                Some(StateChange::CloseCompleted | StateChange::CloseNotPlanned)
            );
            match w.number {
                None => issues.push(Issue {
                    number: issues.len() as u64 + 1,
                    open: true,
                    title: w.title.clone().unwrap_or_default(),
                    body: w.full_body.clone(),
                    labels: w.labels.clone().unwrap_or_default(),
                    url: String::new(),
                }),
                Some(n) => {
                    let i = issues.iter_mut().find(|i| i.number == n).expect("issue");
                    i.body = w.full_body.clone();
                    if let Some(l) = &w.labels {
                        i.labels = l.clone();
                    }
                    if let Some(t) = &w.title {
                        i.title = t.clone();
                    }
                    i.open = open;
                }
            }
        }
    }

    /// A release place keeps the issue open after the default branch is fixed; the issue
    /// closes when the release no longer has it either. An ignored finding closes as not
    /// planned with its reason. Each step rerun writes nothing.
    #[test]
    fn places_and_ignores() {
        let settings = Settings::default();
        let mut issues = Vec::new();
        let lodash = report(&[("pkg:npm/lodash@4.17.15", "CVE-2021-23337", "fail")]);
        let none = report(&[]);
        for (place, rep) in [(DEFAULT_BRANCH, &lodash), ("release:v1", &lodash)] {
            let p = plan(rep, &issues, &run(place, &settings));
            apply(&mut issues, &p);
            assert!(plan(rep, &issues, &run(place, &settings)).writes.is_empty());
        }
        assert_eq!(issues.len(), 1);
        // The default branch is fixed: the release still has it, so the issue stays open.
        let p = plan(&none, &issues, &run(DEFAULT_BRANCH, &settings));
        assert_eq!(p.writes.len(), 1);
        assert_eq!(p.writes[0].change, None);
        assert!(!p.needs_credit);
        apply(&mut issues, &p);
        assert!(issues[0].open);
        // The release is gone too: closed as completed.
        let p = plan(&none, &issues, &run("release:v1", &settings));
        assert_eq!(p.writes[0].change, Some(StateChange::CloseCompleted));
        let e = p.writes[0].event.as_ref().expect("a transition event");
        assert_eq!((e.kind, e.transition), (TransitionKind::Fixed, 2));
        assert_eq!(e.versions, ["4.17.15"]);
        assert_eq!(e.title, "CVE-2021-23337 in lodash — critical");
        assert!(!p.needs_credit, "a release place credits no PR");
        apply(&mut issues, &p);
        assert!(
            plan(&none, &issues, &run("release:v1", &settings))
                .writes
                .is_empty()
        );
        // Back on the default branch: reopened; then ignored: closed as not planned.
        let p = plan(&lodash, &issues, &run(DEFAULT_BRANCH, &settings));
        assert_eq!(p.writes[0].change, Some(StateChange::Reopen));
        apply(&mut issues, &p);
        let ignored = report(&[("pkg:npm/lodash@4.17.15", "CVE-2021-23337", "ignored")]);
        let p = plan(&ignored, &issues, &run(DEFAULT_BRANCH, &settings));
        assert_eq!(p.writes[0].change, Some(StateChange::CloseNotPlanned));
        assert!(
            p.writes[0]
                .comment
                .as_deref()
                .is_some_and(|c| c.contains("not reachable, see &#35;12"))
        );
        let kinds: Vec<TransitionKind> = p.writes[0]
            .state
            .transitions
            .iter()
            .map(|t| t.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                TransitionKind::Opened,
                TransitionKind::Fixed,
                TransitionKind::Reopened,
                TransitionKind::NotPlanned
            ]
        );
        // SLA: critical, 14 days from first seen.
        assert_eq!(
            p.writes[0].state.due,
            Some("2026-01-24".parse().expect("date"))
        );
    }

    /// An issue a person closed while the finding is still there is not reopened.
    #[test]
    fn closed_by_a_person_stays_closed() {
        let settings = Settings::default();
        let mut issues = Vec::new();
        let lodash = report(&[("pkg:npm/lodash@4.17.15", "CVE-2021-23337", "fail")]);
        let p = plan(&lodash, &issues, &run(DEFAULT_BRANCH, &settings));
        apply(&mut issues, &p);
        issues[0].open = false;
        let p = plan(&lodash, &issues, &run(DEFAULT_BRANCH, &settings));
        assert!(p.writes.iter().all(|w| w.change.is_none()), "{p:?}");
    }

    /// After notifications are recorded (`with_state`), the body names the Jira issue, its
    /// state parses with what was sent, and the same report again writes nothing.
    #[test]
    fn recorded_notifications_are_stable() {
        let settings = Settings::default();
        let mut issues = Vec::new();
        let lodash = report(&[("pkg:npm/lodash@4.17.15", "CVE-2021-23337", "fail")]);
        let p = plan(&lodash, &issues, &run(DEFAULT_BRANCH, &settings));
        apply(&mut issues, &p);
        let mut st = p.writes[0].state.clone();
        st.notified.slack.push(1);
        st.notified.jira.key = Some("SEC-7".into());
        issues[0].body = with_state(&issues[0].body, &st);
        assert!(issues[0].body.contains("**Jira:** SEC-7"));
        match state::parse(&issues[0].body) {
            Parsed::Tracked(parsed) => assert_eq!(*parsed, st),
            other => panic!("{other:?}"),
        }
        assert!(
            plan(&lodash, &issues, &run(DEFAULT_BRANCH, &settings))
                .writes
                .is_empty()
        );
    }

    /// The body of a new issue for a KEV finding: details, places, state (snapshot).
    #[test]
    fn new_issue_body() {
        let json = serde_json::json!({"schema_version": "1", "findings": [{
            "id": "CVE-2021-44228", "aliases": ["GHSA-jfh8-c2jp-5v3q"], "severity": "critical",
            "severity_source": "nvd",
            "component": {"purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
                "name": "org.apache.logging.log4j:log4j-core", "version": "2.14.1",
                "file_path": "app/pom.xml"},
            "kev": {"date_added": "2021-12-10", "due_date": "2021-12-24",
                "required_action": "For all affected software assets for which updates exist, the only acceptable remediation actions are: 1) Apply updates; OR 2) remove affected assets from agency networks.",
                "known_ransomware_campaign_use": "Known"},
            "malicious": false, "epss": {"score": 0.94358, "percentile": 0.99957},
            "fixed_versions": ["2.15.0"], "decision": "fail", "ignored_reason": null,
            "priority": "act", "summary": "Apache Log4j2 JNDI features do not protect against attacker controlled LDAP",
            "url": "https://nvd.nist.gov/vuln/detail/CVE-2021-44228"}],
            "remediations": [{"summary": "upgrade org.apache.logging.log4j:log4j-core 2.14.1 -> 2.15.0",
                "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "upgrade_to": "2.15.0",
                "fixes": ["CVE-2021-44228"]}]});
        let rep = input::parse(json.to_string().as_bytes()).expect("a report");
        let owners =
            crate::track::codeowners::parse("* @acme/platform\n/app/ @alice\n").expect("ok");
        let mut settings = Settings::default();
        settings
            .runbooks
            .insert(Class::Kev, "https://wiki.example/runbooks/kev".into());
        let mut r = run(DEFAULT_BRANCH, &settings);
        r.revision = "0123456789abcdef0123456789abcdef01234567";
        r.codeowners = Some(&owners);
        let p = plan(&rep, &[], &r);
        let w = &p.writes[0];
        assert_eq!(w.assignees, ["alice"]);
        assert_eq!(
            w.labels.as_deref().expect("labels"),
            [
                "kev",
                "kevgate",
                "overdue",
                "priority:act",
                "severity:critical"
            ]
        );
        insta::assert_snapshot!(w.full_body);
    }
}
