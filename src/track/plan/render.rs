//! The rendering half of the plan: an issue's title, labels and body (details, places table,
//! state block) from a finding and its state, and the notifiers' view of a transition
//! ([`TransitionEvent`]). [`super::plan`] decides what changes; this
//! module only says how it reads on GitHub, deterministically, so the same state renders the
//! same body and a rerun writes nothing.
//!
//! Untrusted report text is escaped here, at the last moment, by `text::markdown` (body) and
//! `text::terminal` (title).

use super::{Issue, LABEL, PLACES_MARKER, Run};
use crate::text;
use crate::track::codeowners;
use crate::track::input::Finding;
use crate::track::notify::TransitionEvent;
use crate::track::state::{self, Class, TrackState};
use jiff::civil::Date;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// `@login` when `login` is one, else the escaped text.
pub(super) fn mention(login: &str) -> String {
    if codeowners::valid_login(login.trim_end_matches("[bot]")) {
        format!("@{login}")
    } else {
        text::markdown(login)
    }
}

pub(super) fn join(v: &BTreeSet<String>) -> String {
    v.iter().cloned().collect::<Vec<_>>().join(", ")
}

/// ` at <revision>`, or nothing when the revision is unknown (empty).
pub(super) fn at(revision: &str) -> String {
    if revision.is_empty() {
        String::new()
    } else {
        format!(" at {}", text::markdown(&short(revision)))
    }
}

/// The first 12 characters of a commit SHA; a tag as it is.
pub(super) fn short(revision: &str) -> String {
    if revision.len() >= 40 && revision.bytes().all(|b| b.is_ascii_hexdigit()) {
        revision[..12].to_owned()
    } else {
        revision.to_owned()
    }
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
pub(super) fn finding_labels(f: &Finding, st: &TrackState, today: Date, open: bool) -> Vec<String> {
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
pub(super) fn label_value(s: &str) -> String {
    s.to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '*' | '-' | '_'))
        .take(30)
        .collect()
}

/// Whether kevgate manages label `l` (others are the team's and kept).
pub(super) fn managed(l: &str) -> bool {
    matches!(l, LABEL | "kev" | "malicious" | "overdue")
        || l.starts_with("severity:")
        || l.starts_with("priority:")
}

/// The issue's own labels plus kevgate's `wanted` ones, sorted.
pub(super) fn merge_labels(existing: &[String], wanted: &[String]) -> Vec<String> {
    let mut set: BTreeSet<String> = existing.iter().filter(|l| !managed(l)).cloned().collect();
    set.extend(wanted.iter().cloned());
    set.into_iter().collect()
}

/// The issue's labels with `overdue` set as the state and `today` say.
pub(super) fn overdue_labels(
    existing: &[String],
    st: &TrackState,
    today: Date,
    open: bool,
) -> Vec<String> {
    let mut set: BTreeSet<String> = existing.iter().cloned().collect();
    set.remove("overdue");
    if open && st.due.is_some_and(|d| d < today) {
        set.insert("overdue".to_owned());
    }
    set.into_iter().collect()
}

pub(super) fn sorted(labels: &[String]) -> Vec<String> {
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
pub(super) fn body(key: &str, details: &str, st: &TrackState) -> String {
    format!(
        "{}\n{}\n\n{PLACES_MARKER}\n{}\n{}\n",
        state::key_marker(key),
        details.trim(),
        places(st),
        state::render(st)
    )
}

/// The details part of an existing body (between the key marker and the places).
pub(super) fn details_of(body: &str) -> &str {
    let start = body.find('\n').map_or(body.len(), |i| i + 1);
    let rest = &body[start..];
    let end = rest
        .find(PLACES_MARKER)
        .or_else(|| rest.find(state::STATE_START))
        .unwrap_or(rest.len());
    &rest[..end]
}

/// The places table and the credit line.
pub(super) fn places(st: &TrackState) -> String {
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
pub(super) fn link(label: &str, url: &str) -> Option<String> {
    (url.starts_with("https://") || url.starts_with("http://"))
        .then(|| format!("[{label}]({})", crate::report::markdown::link_target(url)))
}

/// The finding's details: severity, KEV, due date, EPSS, priority, fix, links, owners.
pub(super) fn details(f: &Finding, st: &TrackState, teams: &[String], run: &Run<'_>) -> String {
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

/// The body re-rendered with `st` (after notifications were recorded): the details as they
/// are, the places table (which names the Jira issue) and the state block from `st`.
pub fn with_state(body_text: &str, st: &TrackState) -> String {
    body(&st.key, details_of(body_text), st)
}

/// The notifier's view of a transition (the last one of `st`).
pub(super) fn event(
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

/// The event of an issue whose finding this place does not have: the issue's own title and,
/// for a fix made now, the versions that were removed.
pub(super) fn absent_event(
    st: &TrackState,
    issue: &Issue,
    removed: Option<Vec<String>>,
    labels: &[String],
    run: &Run<'_>,
) -> TransitionEvent {
    let mut e = event(st, None, labels, run);
    if let Some(v) = removed {
        e.versions = v;
    }
    e.title = issue.title.clone();
    e.issue = issue.number;
    e.issue_url = issue.url.clone();
    e
}
