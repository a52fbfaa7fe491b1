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
//!
//! How an issue reads (title, labels, body) is [`render`]'s; the tests are in `plan/tests.rs`.

use super::codeowners::Codeowners;
use super::input::{Decision, Finding, Report};
use super::notify::{Routes, TransitionEvent};
use super::settings::Settings;
use super::state::{self, FixedBy, Parsed, PlaceState, TrackState, Transition, TransitionKind};
use crate::text;
use jiff::civil::Date;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

mod render;

use render::{
    absent_event, at, body, details, details_of, event, finding_labels, join, mention,
    merge_labels, overdue_labels, sorted,
};
pub use render::{label_spec, title, with_state};

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
    /// The notification channels that are on: an issue whose latest transition one of them
    /// has not recorded gets its event again (a retry of a failed send).
    pub routes: &'a Routes,
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
    /// The transition this run made, or the latest one a channel has not recorded yet, for
    /// the notifiers (`issue` and `issue_url` are filled in once the issue exists).
    pub event: Option<TransitionEvent>,
}

impl IssueWrite {
    /// Whether GitHub gets a request: else the write only carries a notification retry.
    pub fn writes_github(&self) -> bool {
        self.number.is_none()
            || self.title.is_some()
            || self.body.is_some()
            || self.labels.is_some()
            || self.change.is_some()
            || self.comment.is_some()
    }
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
    let event =
        (kind.is_some() || run.routes.pending(&st)).then(|| event(&st, Some(f), &labels, run));
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
        // Or a notification to retry.
        let labels = overdue_labels(&issue.labels, &st, run.today, issue.open);
        let event = run
            .routes
            .pending(&st)
            .then(|| absent_event(&st, issue, None, &labels, run));
        let labels = (sorted(&issue.labels) != labels).then_some(labels);
        return (labels.is_some() || event.is_some()).then(|| IssueWrite {
            key: st.key.clone(),
            number: Some(issue.number),
            title: None,
            body: None,
            labels,
            assignees: Vec::new(),
            change: None,
            comment: None,
            full_body: issue.body.clone(),
            state: st,
            event,
        });
    }
    let open_after = issue.open && change.is_none();
    let labels = overdue_labels(&issue.labels, &st, run.today, open_after);
    let details = details_of(&issue.body).to_owned();
    let new_body = body(&st.key, &details, &st);
    let event = (event_kind.is_some() || run.routes.pending(&st)).then(|| {
        // A fix made now: the versions that were removed.
        let removed = event_kind.and(removed).map(|p| p.versions);
        absent_event(&st, issue, removed, &labels, run)
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
    if title.is_none()
        && new_body.is_none()
        && labels.is_none()
        && change.is_none()
        && event.is_none()
    {
        return None;
    }
    let event = event.map(|mut e| {
        e.issue = issue.number;
        e.issue_url = issue.url.clone();
        e
    });
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

#[cfg(test)]
mod tests;
