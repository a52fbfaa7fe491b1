//! The notification seam: what a run's tracking-issue transitions tell Slack, Jira or any
//! other channel (issue 15), and what the channel reports back as sent.
//!
//! The sync (`github::track::sync`) calls [`Notifier::notify`] once, after its issue writes,
//! with the transitions of this run, and records what comes back into each issue's
//! [`Notified`](super::state::Notified) state (one more body edit, only when something was
//! sent). A transition already recorded as sent on a channel is flagged in its event, so a
//! rerun sends nothing. A notifier never changes the gate's verdict: failures are
//! [`NotifyResult::Warning`]s.
//!
//! A failed send is retried by the next run: the notifier tells the plan its [`Routes`] (which
//! classes each configured channel hears about), and the plan emits an issue's *latest*
//! transition again while a routed channel has not recorded it ([`Routes::pending`]). Only
//! the latest, so a channel configured late gets no burst of history.

use super::state::{Class, FixedBy, TrackState, TransitionKind};
use jiff::civil::Date;
use std::collections::{BTreeMap, BTreeSet};

/// Everything a message about one transition needs, already decided by the sync.
/// Text fields are raw (untrusted SBOM text included): each channel escapes for itself.
#[derive(Debug, Clone, PartialEq)]
pub struct TransitionEvent {
    /// The tracking key.
    pub key: String,
    /// The transition's id in the issue's state.
    pub transition: u32,
    /// What happened.
    pub kind: TransitionKind,
    /// The tracking issue's number.
    pub issue: u64,
    /// The tracking issue's web URL.
    pub issue_url: String,
    /// The issue title.
    pub title: String,
    /// The class (malicious, kev, critical, …).
    pub class: Class,
    /// The package's display name.
    pub package: String,
    /// The versionless purl.
    pub purl: String,
    /// The versions seen (sorted); for `fixed`, the versions that were removed.
    pub versions: Vec<String>,
    /// The vulnerability id.
    pub vulnerability: String,
    /// Severity (`critical`, …) and who rated it.
    pub severity: String,
    /// The severity's source (`nvd`, `ghsa`, …), when known.
    pub severity_source: Option<String>,
    /// KEV's due date, when in KEV.
    pub kev_due: Option<Date>,
    /// The tracking due date (KEV's, else the SLA's).
    pub due: Option<Date>,
    /// EPSS score (0-1), when known.
    pub epss: Option<f64>,
    /// kevgate's triage priority (`p0`, …).
    pub priority: String,
    /// The fix: fixed versions and the remediation step, one line; `None` when none known.
    pub fix: Option<String>,
    /// The advisory's canonical URL.
    pub advisory_url: Option<String>,
    /// The runbook for the class, from the config's `runbooks`.
    pub runbook_url: Option<String>,
    /// For `fixed`: who fixed it.
    pub fixed_by: Option<FixedBy>,
    /// For `not_planned`: why.
    pub reason: Option<String>,
    /// Whether a Slack message was already sent for this transition (a rerun).
    pub slack_sent: bool,
    /// The Jira issue already linked to this tracking issue.
    pub jira_key: Option<String>,
    /// Whether Jira was already told about this transition.
    pub jira_sent: bool,
}

/// What a notifier did for one transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyResult {
    /// A Slack message covering transition `transition` of `key` was sent (a digest reports
    /// one of these per transition it covers).
    Slack {
        /// The tracking key.
        key: String,
        /// The transition id.
        transition: u32,
    },
    /// Jira was told about transition `transition` of `key`; `issue` is the Jira issue key.
    Jira {
        /// The tracking key.
        key: String,
        /// The transition id.
        transition: u32,
        /// The Jira issue key (`SEC-12`).
        issue: String,
    },
    /// Something could not be sent: a warning for the log and summary (no secrets in it).
    Warning(String),
}

/// A channel that hears about tracking-issue transitions.
pub trait Notifier {
    /// Sends what `events` need; returns what was sent and what failed.
    fn notify(&mut self, events: &[TransitionEvent]) -> Vec<NotifyResult>;

    /// The classes each channel that is on hears about (none by default).
    fn routes(&self) -> Routes {
        Routes::default()
    }
}

/// Whether a transition of this kind is notified: opened, reopened and fixed are; a close
/// as not planned (an ignore, a VEX statement) is a decision someone already made.
pub fn notifiable(kind: TransitionKind) -> bool {
    !matches!(kind, TransitionKind::NotPlanned)
}

/// Which classes each channel that is on hears about; empty: the channel is off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Routes {
    /// Classes messaged on Slack.
    pub slack: Vec<Class>,
    /// Classes with a Jira issue.
    pub jira: Vec<Class>,
}

impl Routes {
    /// Whether the latest transition of `st` is still unsent on a channel that should have
    /// it: the plan emits it again. A fix without a known Jira issue is not pending for
    /// Jira (there is nothing to comment on or transition).
    pub fn pending(&self, st: &TrackState) -> bool {
        let Some(t) = st.transitions.last() else {
            return false;
        };
        if !notifiable(t.kind) {
            return false;
        }
        let slack = self.slack.contains(&st.class) && !st.notified.slack.contains(&t.id);
        let jira = self.jira.contains(&st.class)
            && !st.notified.jira.transitions.contains(&t.id)
            && (t.kind != TransitionKind::Fixed || st.notified.jira.key.is_some());
        slack || jira
    }
}

/// The notifier that sends nothing (no channel configured).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoNotifier;

impl Notifier for NoNotifier {
    fn notify(&mut self, _: &[TransitionEvent]) -> Vec<NotifyResult> {
        Vec::new()
    }
}

/// Records what a notifier sent into the states (by key): Slack transition ids, the Jira
/// key (kept once set) and Jira transition ids, each sorted and once. Returns the keys whose
/// state changed (one body edit each) and the warnings.
pub fn record(
    results: Vec<NotifyResult>,
    states: &mut BTreeMap<String, TrackState>,
) -> (BTreeSet<String>, Vec<String>) {
    let mut changed = BTreeSet::new();
    let mut warnings = Vec::new();
    let known = |st: &TrackState, id: u32| st.transitions.iter().any(|t| t.id == id);
    for result in results {
        match result {
            NotifyResult::Slack { key, transition } => {
                if let Some(st) = states.get_mut(&key)
                    && known(st, transition)
                    && !st.notified.slack.contains(&transition)
                {
                    st.notified.slack.push(transition);
                    st.notified.slack.sort_unstable();
                    changed.insert(key);
                }
            }
            NotifyResult::Jira {
                key,
                transition,
                issue,
            } => {
                if let Some(st) = states.get_mut(&key)
                    && known(st, transition)
                {
                    let jira = &mut st.notified.jira;
                    let mut edit = false;
                    if jira.key.is_none() {
                        jira.key = Some(issue);
                        edit = true;
                    }
                    if !jira.transitions.contains(&transition) {
                        jira.transitions.push(transition);
                        jira.transitions.sort_unstable();
                        edit = true;
                    }
                    if edit {
                        changed.insert(key);
                    }
                }
            }
            NotifyResult::Warning(w) => warnings.push(w),
        }
    }
    (changed, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::track::state::{Notified, Transition};

    fn state(key: &str) -> TrackState {
        let d: Date = "2026-01-01".parse().expect("date");
        TrackState {
            v: 1,
            key: key.into(),
            package: "pkg:npm/a".into(),
            name: "a".into(),
            vulnerability: "CVE-1".into(),
            aliases: Vec::new(),
            class: Class::Kev,
            first_seen: d,
            due: None,
            places: BTreeMap::new(),
            transitions: vec![Transition {
                id: 1,
                kind: TransitionKind::Opened,
                at: d,
                place: "default-branch".into(),
                revision: "x".into(),
                reason: None,
            }],
            notified: Notified::default(),
            fixed_by: None,
        }
    }

    /// What was sent is recorded once; unknown keys and transitions are ignored; a second
    /// identical report changes nothing; warnings pass through.
    #[test]
    fn records_once() {
        let mut states = BTreeMap::from([("k".to_owned(), state("k"))]);
        let results = || {
            vec![
                NotifyResult::Slack {
                    key: "k".into(),
                    transition: 1,
                },
                NotifyResult::Slack {
                    key: "k".into(),
                    transition: 9,
                },
                NotifyResult::Slack {
                    key: "other".into(),
                    transition: 1,
                },
                NotifyResult::Jira {
                    key: "k".into(),
                    transition: 1,
                    issue: "SEC-1".into(),
                },
                NotifyResult::Warning("slack: `invalid_payload`".into()),
            ]
        };
        let (changed, warnings) = record(results(), &mut states);
        assert_eq!(changed, BTreeSet::from(["k".to_owned()]));
        assert_eq!(warnings, ["slack: `invalid_payload`"]);
        let n = &states["k"].notified;
        assert_eq!(n.slack, [1]);
        assert_eq!(n.jira.key.as_deref(), Some("SEC-1"));
        assert_eq!(n.jira.transitions, [1]);
        let (changed, _) = record(results(), &mut states);
        assert!(changed.is_empty());
    }
}
