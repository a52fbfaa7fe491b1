//! `kevgate report`: the weekly report over the tracking issues' states (issue 15 item 4).
//!
//! Pure: the tracking issues (number, URL, open or not, parsed [`TrackState`]) and today in,
//! a [`Weekly`] out, rendered as Markdown ([`markdown`]), JSON ([`Weekly`] serialised), an
//! SVG chart ([`chart::svg`]) and a Slack digest ([`slack`]). `github/weekly.rs` lists the
//! issues and posts the result; `cli/weekly.rs` reads the flags.
//!
//! Everything is read from the state blocks' transitions (`opened`, `reopened`, `fixed`,
//! `not_planned`, each with its day), never from GitHub's own timestamps: the state is the
//! single source of truth, and an issue edited by hand keeps its history.
//!
//! - **Period**: the `since` days up to and including today.
//! - **Opened / fixed**: transitions of those kinds in the period (reopened counts as opened).
//!   A fix is credited with the state's `fixed_by` when the fix is the issue's last
//!   transition (the state keeps only the last credit).
//! - **Thanks**: every credited fix counts once for the PR author and once for each other
//!   commit author.
//! - **Open**: issues GitHub lists as open, by class; age from the last opening, overdue when
//!   the due date is before today; overdue first, then by due date, then oldest.
//! - **Time to fix**: days from the opening before each fix to the fix, for fixes in the last
//!   90 days; median and 90th percentile (nearest rank) per class.
//! - **Weeks**: for each of the last 12 weeks (ending today, 7 days each), the issues open at
//!   its end by class, and the fixes within it.

pub mod chart;

use crate::track::state::{Class, TrackState, TransitionKind};
use jiff::ToSpan;
use jiff::civil::Date;
use serde::Serialize;
use std::collections::BTreeMap;

/// Version of the JSON shape.
pub const SCHEMA_VERSION: u32 = 1;
/// Days of fixes the time-to-fix statistics cover.
pub const TIME_TO_FIX_DAYS: i64 = 90;
/// Weeks in the chart.
pub const WEEKS: usize = 12;
/// The classes the report breaks down (the others are counted under `other`).
pub const CLASSES: [Class; 4] = [Class::Malicious, Class::Kev, Class::Critical, Class::High];

/// One tracking issue as the report reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracked {
    /// Issue number.
    pub number: u64,
    /// Web URL.
    pub url: String,
    /// Open on GitHub.
    pub open: bool,
    /// Its parsed state block.
    pub state: TrackState,
}

/// The report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Weekly {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// `OWNER/NAME`.
    pub repository: String,
    /// First day of the period.
    pub since: Date,
    /// Last day of the period (today).
    pub until: Date,
    /// Issues opened or reopened in the period, oldest first.
    pub opened: Vec<Entry>,
    /// Issues fixed in the period, oldest first.
    pub fixed: Vec<Entry>,
    /// Who fixed what in the period, most fixes first.
    pub thanks: Vec<Thanks>,
    /// Open issues: overdue first, then by due date, then oldest.
    pub open: Vec<OpenEntry>,
    /// Open issues per class (`malicious`, `kev`, `critical`, `high`, `other`).
    pub open_by_class: BTreeMap<String, usize>,
    /// Time to fix per class, over the last 90 days.
    pub time_to_fix: BTreeMap<String, TimeToFix>,
    /// The last 12 weeks, oldest first.
    pub weeks: Vec<Week>,
    /// Issues whose state could not be read (left out), as notes.
    pub notes: Vec<String>,
}

/// An issue in the opened or fixed list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// Issue number.
    pub issue: u64,
    /// Web URL.
    pub url: String,
    /// Vulnerability id.
    pub vulnerability: String,
    /// Package display name.
    pub package: String,
    /// Class.
    pub class: Class,
    /// Day of the transition.
    pub at: Date,
    /// For fixes: who fixed it, when credited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_by: Option<Credit>,
    /// For fixes: days from the opening.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_to_fix: Option<i64>,
}

/// A credited fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Credit {
    /// The pull request.
    pub pr: u64,
    /// Its author.
    pub author: String,
    /// Its commits' authors.
    pub commit_authors: Vec<String>,
    /// The upgrade (`4.17.15 → 4.17.21`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<String>,
}

/// One person's fixes in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Thanks {
    /// GitHub login.
    pub login: String,
    /// Fixes they authored a PR or a commit of.
    pub fixes: usize,
    /// The pull requests.
    pub prs: Vec<u64>,
}

/// An open issue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenEntry {
    /// Issue number.
    pub issue: u64,
    /// Web URL.
    pub url: String,
    /// Vulnerability id.
    pub vulnerability: String,
    /// Package display name.
    pub package: String,
    /// Class.
    pub class: Class,
    /// Days since it was (re)opened.
    pub age_days: i64,
    /// Due date, if any.
    pub due: Option<Date>,
    /// Days past due (positive) or until due (negative); `None` without a due date.
    pub overdue_days: Option<i64>,
}

/// Time to fix of one class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeToFix {
    /// Fixes counted.
    pub fixes: usize,
    /// Median days (mean of the middle two for an even count).
    pub median_days: f64,
    /// 90th percentile days (nearest rank).
    pub p90_days: i64,
}

/// One week of the chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Week {
    /// Last day of the week.
    pub end: Date,
    /// Issues open at its end, per class of [`CLASSES`].
    pub open: BTreeMap<String, usize>,
    /// Fixes within it.
    pub fixed: usize,
}

/// Days from `a` to `b`.
fn days(a: Date, b: Date) -> i64 {
    a.until(b).map_or(0, |s| i64::from(s.get_days()))
}

fn minus(d: Date, n: i64) -> Date {
    d.checked_sub(n.days()).unwrap_or(Date::MIN)
}

/// The name a class is counted under.
fn bucket(c: Class) -> &'static str {
    if CLASSES.contains(&c) {
        c.as_str()
    } else {
        "other"
    }
}

fn is_opening(k: TransitionKind) -> bool {
    matches!(k, TransitionKind::Opened | TransitionKind::Reopened)
}

/// Whether the issue's finding was open at the end of `day` (its last transition up to then
/// opened it).
fn open_at(state: &TrackState, day: Date) -> bool {
    state
        .transitions
        .iter()
        .rfind(|t| t.at <= day)
        .is_some_and(|t| is_opening(t.kind))
}

/// Builds the report for the `since_days` up to `today`.
pub fn build(repository: &str, tracked: &[Tracked], today: Date, since_days: i64) -> Weekly {
    let since = minus(today, since_days.max(1) - 1);
    let ttf_since = minus(today, TIME_TO_FIX_DAYS - 1);
    let mut opened = Vec::new();
    let mut fixed = Vec::new();
    let mut open = Vec::new();
    let mut durations: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut thanks: BTreeMap<String, (usize, Vec<u64>)> = BTreeMap::new();
    for t in tracked {
        let s = &t.state;
        let entry = |at: Date| Entry {
            issue: t.number,
            url: t.url.clone(),
            vulnerability: s.vulnerability.clone(),
            package: s.name.clone(),
            class: s.class,
            at,
            fixed_by: None,
            days_to_fix: None,
        };
        let mut last_open: Option<Date> = None;
        let last_id = s.transitions.last().map(|x| x.id);
        for tr in &s.transitions {
            if is_opening(tr.kind) {
                last_open = Some(tr.at);
                if tr.at >= since && tr.at <= today {
                    opened.push(entry(tr.at));
                }
            } else if tr.kind == TransitionKind::Fixed {
                let took = last_open.map(|o| days(o, tr.at));
                if let Some(d) = took
                    && tr.at >= ttf_since
                    && tr.at <= today
                {
                    durations
                        .entry(bucket(s.class).to_owned())
                        .or_default()
                        .push(d);
                }
                if tr.at >= since && tr.at <= today {
                    let credit = s
                        .fixed_by
                        .as_ref()
                        .filter(|_| Some(tr.id) == last_id)
                        .map(|f| Credit {
                            pr: f.pr,
                            author: f.author.clone(),
                            commit_authors: f.commit_authors.clone(),
                            upgrade: f.upgrade.clone(),
                        });
                    if let Some(c) = &credit {
                        let mut people = vec![c.author.clone()];
                        people.extend(c.commit_authors.iter().cloned());
                        people.sort();
                        people.dedup();
                        for p in people {
                            let e = thanks.entry(p).or_default();
                            e.0 += 1;
                            if !e.1.contains(&c.pr) {
                                e.1.push(c.pr);
                            }
                        }
                    }
                    fixed.push(Entry {
                        fixed_by: credit,
                        days_to_fix: took,
                        ..entry(tr.at)
                    });
                }
                last_open = None;
            } else {
                last_open = None;
            }
        }
        if t.open {
            let opened_at = s
                .transitions
                .iter()
                .rev()
                .find(|x| is_opening(x.kind))
                .map_or(s.first_seen, |x| x.at);
            open.push(OpenEntry {
                issue: t.number,
                url: t.url.clone(),
                vulnerability: s.vulnerability.clone(),
                package: s.name.clone(),
                class: s.class,
                age_days: days(opened_at, today),
                due: s.due,
                overdue_days: s.due.map(|d| days(d, today)),
            });
        }
    }
    let by_day_then_issue = |a: &Entry, b: &Entry| (a.at, a.issue).cmp(&(b.at, b.issue));
    opened.sort_by(by_day_then_issue);
    fixed.sort_by(by_day_then_issue);
    open.sort_by(|a, b| {
        let overdue = |e: &OpenEntry| e.overdue_days.is_some_and(|d| d > 0);
        overdue(b)
            .cmp(&overdue(a))
            .then_with(|| match (a.due, b.due) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| b.age_days.cmp(&a.age_days))
            .then_with(|| a.issue.cmp(&b.issue))
    });
    let mut open_by_class: BTreeMap<String, usize> = BTreeMap::new();
    for e in &open {
        *open_by_class.entry(bucket(e.class).to_owned()).or_default() += 1;
    }
    let time_to_fix = durations
        .into_iter()
        .map(|(class, mut d)| {
            d.sort_unstable();
            (class, statistics(&d))
        })
        .collect();
    let mut thanks: Vec<Thanks> = thanks
        .into_iter()
        .map(|(login, (fixes, mut prs))| {
            prs.sort_unstable();
            Thanks { login, fixes, prs }
        })
        .collect();
    thanks.sort_by(|a, b| b.fixes.cmp(&a.fixes).then_with(|| a.login.cmp(&b.login)));
    Weekly {
        schema_version: SCHEMA_VERSION,
        repository: repository.to_owned(),
        since,
        until: today,
        opened,
        fixed,
        thanks,
        open,
        open_by_class,
        time_to_fix,
        weeks: weeks(tracked, today),
        notes: Vec::new(),
    }
}

/// Median and nearest-rank 90th percentile of sorted, non-empty `d`.
fn statistics(d: &[i64]) -> TimeToFix {
    let n = d.len();
    let median = if n % 2 == 1 {
        d[n / 2] as f64
    } else {
        (d[n / 2 - 1] + d[n / 2]) as f64 / 2.0
    };
    // Nearest rank: the smallest value with at least 90% of the values at or below it.
    let rank = (0.9 * n as f64).ceil().max(1.0) as usize;
    TimeToFix {
        fixes: n,
        median_days: median,
        p90_days: d[rank - 1],
    }
}

/// The last [`WEEKS`] weeks ending today.
fn weeks(tracked: &[Tracked], today: Date) -> Vec<Week> {
    (0..WEEKS as i64)
        .rev()
        .map(|k| {
            let end = minus(today, 7 * k);
            let start = minus(end, 6);
            let mut open: BTreeMap<String, usize> =
                CLASSES.iter().map(|c| (c.as_str().to_owned(), 0)).collect();
            let mut fixed = 0;
            for t in tracked {
                if CLASSES.contains(&t.state.class) && open_at(&t.state, end) {
                    *open.entry(t.state.class.as_str().to_owned()).or_default() += 1;
                }
                fixed += t
                    .state
                    .transitions
                    .iter()
                    .filter(|x| x.kind == TransitionKind::Fixed && x.at >= start && x.at <= end)
                    .count();
            }
            Week { end, open, fixed }
        })
        .collect()
}

/// Rows of each Markdown table before "and N more" (an issue body holds 65536 characters).
const ROWS: usize = 50;

/// The report as Markdown, for the terminal, the step summary and the pinned issue. Every
/// value from a state block (package names come from SBOMs) goes through
/// [`crate::text::markdown`]; logins are shown, not mentioned (`@&#8203;login`), so a weekly
/// edit pings nobody.
pub fn markdown(w: &Weekly) -> String {
    // Values are cut before escaping (which can multiply their length), so 50 rows per
    // table stay far below an issue body's 65536 characters.
    let md = |s: &str| crate::text::markdown(&crate::text::one_line(s, 80));
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## kevgate weekly report: {}\n\n{} to {}: **{}** opened, **{}** fixed, **{}** open ({} overdue).\n",
        md(&w.repository),
        w.since,
        w.until,
        w.opened.len(),
        w.fixed.len(),
        w.open.len(),
        w.open
            .iter()
            .filter(|e| e.overdue_days.is_some_and(|d| d > 0))
            .count()
    );
    let link = |e_issue: u64, url: &str| {
        if url.starts_with("https://") || url.starts_with("http://") {
            format!(
                "[#{e_issue}]({})",
                url.replace(')', "%29").replace(' ', "%20")
            )
        } else {
            format!("#{e_issue}")
        }
    };
    let more = |out: &mut String, n: usize| {
        if n > ROWS {
            let _ = writeln!(out, "\nand {} more.", n - ROWS);
        }
    };
    if !w.thanks.is_empty() {
        let _ = writeln!(out, "### Thank you\n");
        for t in w.thanks.iter().take(ROWS) {
            let prs: Vec<String> = t.prs.iter().map(|p| format!("#{p}")).collect();
            let _ = writeln!(
                out,
                "- {} — {} fix{} ({})",
                md(&format!("@{}", t.login)),
                t.fixes,
                if t.fixes == 1 { "" } else { "es" },
                prs.join(", ")
            );
        }
        more(&mut out, w.thanks.len());
        out.push('\n');
    }
    if !w.fixed.is_empty() {
        let _ = writeln!(
            out,
            "### Fixed\n\n| Issue | Vulnerability | Package | Class | Fixed | Days | By |\n|---|---|---|---|---|---|---|"
        );
        for e in w.fixed.iter().take(ROWS) {
            let by = e.fixed_by.as_ref().map_or(String::new(), |c| {
                let mut s = format!("{} in #{}", md(&format!("@{}", c.author)), c.pr);
                if let Some(u) = &c.upgrade {
                    s.push_str(&format!(" ({})", md(u)));
                }
                s
            });
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                link(e.issue, &e.url),
                md(&e.vulnerability),
                md(&e.package),
                e.class.as_str(),
                e.at,
                e.days_to_fix.map_or(String::new(), |d| d.to_string()),
                by
            );
        }
        more(&mut out, w.fixed.len());
        out.push('\n');
    }
    if !w.opened.is_empty() {
        let _ = writeln!(
            out,
            "### Opened\n\n| Issue | Vulnerability | Package | Class | Opened |\n|---|---|---|---|---|"
        );
        for e in w.opened.iter().take(ROWS) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                link(e.issue, &e.url),
                md(&e.vulnerability),
                md(&e.package),
                e.class.as_str(),
                e.at
            );
        }
        more(&mut out, w.opened.len());
        out.push('\n');
    }
    let _ = writeln!(out, "### Open findings\n");
    let counts: Vec<String> = CLASSES
        .iter()
        .map(|c| c.as_str())
        .chain(["other"])
        .map(|c| format!("{c}: {}", w.open_by_class.get(c).copied().unwrap_or(0)))
        .collect();
    let _ = writeln!(out, "{}\n", counts.join(" · "));
    if !w.open.is_empty() {
        let _ = writeln!(
            out,
            "| Issue | Vulnerability | Package | Class | Age (days) | Due |\n|---|---|---|---|---|---|"
        );
        for e in w.open.iter().take(ROWS) {
            let due = match (e.due, e.overdue_days) {
                (Some(d), Some(o)) if o > 0 => format!("**{d} ({o} days overdue)**"),
                (Some(d), _) => d.to_string(),
                _ => String::new(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                link(e.issue, &e.url),
                md(&e.vulnerability),
                md(&e.package),
                e.class.as_str(),
                e.age_days,
                due
            );
        }
        more(&mut out, w.open.len());
        out.push('\n');
    }
    let _ = writeln!(out, "### Time to fix (last {TIME_TO_FIX_DAYS} days)\n");
    if w.time_to_fix.is_empty() {
        let _ = writeln!(out, "No fixes.\n");
    } else {
        let _ = writeln!(
            out,
            "| Class | Fixes | Median (days) | 90th percentile (days) |\n|---|---|---|---|"
        );
        for (class, t) in &w.time_to_fix {
            let _ = writeln!(
                out,
                "| {class} | {} | {} | {} |",
                t.fixes, t.median_days, t.p90_days
            );
        }
        out.push('\n');
    }
    for n in &w.notes {
        let _ = writeln!(
            out,
            "> note: {}",
            crate::text::markdown(&crate::text::one_line(n, 300))
        );
    }
    out
}

/// The report as a Slack message: counts, overdue, thanks.
pub fn slack(w: &Weekly) -> serde_json::Value {
    use crate::text::mrkdwn;
    let overdue = w
        .open
        .iter()
        .filter(|e| e.overdue_days.is_some_and(|d| d > 0))
        .count();
    let mut lines = vec![format!(
        "*{}* to *{}*: {} opened, {} fixed, {} open ({overdue} overdue)",
        w.since,
        w.until,
        w.opened.len(),
        w.fixed.len(),
        w.open.len()
    )];
    if !w.thanks.is_empty() {
        let people: Vec<String> = w
            .thanks
            .iter()
            .take(20)
            .map(|t| format!("{} ({})", mrkdwn(&format!("@{}", t.login)), t.fixes))
            .collect();
        lines.push(format!(":tada: Thank you {}", people.join(", ")));
    }
    let title = crate::text::one_line(&format!("kevgate weekly report: {}", w.repository), 140)
        .replace(['<', '>'], "");
    serde_json::json!({
        "text": mrkdwn(&title),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title, "emoji": true}},
            {"type": "section", "text": {"type": "mrkdwn", "text": lines.join("\n")}},
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Median and nearest-rank p90 on small sets.
    #[test]
    fn statistics_by_hand() {
        for (d, median, p90) in [
            (&[5][..], 5.0, 5),
            (&[1, 3][..], 2.0, 3),
            (&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10][..], 5.5, 9),
            (&[1, 2, 3, 4, 100][..], 3.0, 100),
        ] {
            let t = statistics(d);
            assert_eq!((t.median_days, t.p90_days), (median, p90), "{d:?}");
        }
    }
}
