//! Notifications of tracking-issue transitions (issue 15): a Slack message (incoming webhook,
//! Block Kit) and a Jira Cloud issue (REST v3, Atlassian Document Format) per transition.
//!
//! The tracking issue's state block is the single source of truth (`kevgate track`): it hands
//! this module the transitions of one run as [`Event`]s, each with the channels that already
//! have it, and records what [`Notifier::send`] reports back, so a rerun sends nothing. This
//! module never reads GitHub; it turns events into requests and requests into [`Sent`].
//!
//! - What goes where is the config's (`notify: {slack: [malicious, kev, critical], jira:
//!   [...], slack-digest-over: 5}`, [`config`]); the credentials are the environment's
//!   (`KEVGATE_SLACK_WEBHOOK`, `KEVGATE_JIRA_URL`, `KEVGATE_JIRA_USER`, `KEVGATE_JIRA_TOKEN`),
//!   never the config's, which a pull request controls.
//! - Payloads are built by pure functions ([`slack::message`], [`slack::digest`],
//!   [`jira::create_body`]); the clients only send them.
//! - A failure is a warning: it never changes the verdict, and the transition stays unsent,
//!   so the next run tries again.

pub mod config;
pub mod jira;
pub mod slack;
pub mod transport;

use serde::{Deserialize, Serialize};

pub use config::Settings;

/// The classes a finding can belong to, which the config routes to channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// A known-malicious package version.
    Malicious,
    /// In CISA KEV.
    Kev,
    /// Severity critical.
    Critical,
    /// Severity high.
    High,
}

impl Class {
    /// Every class, in the order reports list them.
    pub const ALL: [Class; 4] = [Class::Malicious, Class::Kev, Class::Critical, Class::High];

    /// The config's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Malicious => "malicious",
            Class::Kev => "kev",
            Class::Critical => "critical",
            Class::High => "high",
        }
    }

    /// The class named `name` (config spelling, any case).
    pub fn parse(name: &str) -> Option<Class> {
        Class::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(name.trim()))
    }
}

/// What happened to a tracking issue in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transition {
    /// A new finding: the issue was opened.
    Opened,
    /// A fixed finding came back: the issue was reopened.
    Reopened,
    /// No place holds the finding any more: the issue was closed as completed.
    Fixed,
}

impl Transition {
    /// The word messages use.
    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Opened => "opened",
            Transition::Reopened => "reopened",
            Transition::Fixed => "fixed",
        }
    }
}

/// One transition of one tracking issue, with what a message shows. Text fields hold
/// untrusted SBOM/feed text as it is: each payload builder escapes for its destination.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Event {
    /// The transition's id in the tracking state (what `notified` records).
    pub id: String,
    /// The tracking issue's stable key (the finding's identity).
    pub key: String,
    /// What happened.
    pub transition: Option<Transition>,
    /// The finding's classes (empty: none the config can route).
    pub classes: Vec<Class>,
    /// The vulnerability id shown (`CVE-2021-44228`).
    pub vulnerability: String,
    /// Package name.
    pub package: String,
    /// Version(s) where it was seen.
    pub version: String,
    /// Severity (`critical`), if rated.
    pub severity: Option<String>,
    /// KEV due date (`2021-12-24`), if in KEV.
    pub kev_due: Option<String>,
    /// EPSS probability (0-1).
    pub epss: Option<f64>,
    /// Triage priority (`act`).
    pub priority: Option<String>,
    /// The remediation step (`upgrade to 2.17.1`).
    pub fix: Option<String>,
    /// Who fixed it ("@octocat in #12"), on `Fixed`.
    pub fixed_by: Option<String>,
    /// The tracking issue: number and URL.
    pub issue_number: u64,
    /// The tracking issue's web URL.
    pub issue_url: String,
    /// The tracking issue's title.
    pub title: String,
    /// The advisory's canonical URL.
    pub advisory_url: Option<String>,
    /// The runbook for the finding's rule (config `runbooks:`).
    pub runbook_url: Option<String>,
    /// Already sent to Slack (by an earlier run).
    pub slack_sent: bool,
    /// Already handled in Jira (by an earlier run).
    pub jira_sent: bool,
    /// The Jira issue key the tracking state holds, if any.
    pub jira_key: Option<String>,
}

impl Event {
    /// Whether the event belongs to one of `classes`.
    pub fn routed(&self, classes: &[Class]) -> bool {
        self.classes.iter().any(|c| classes.contains(c))
    }

    /// `CVE-2021-44228 in log4j-core 2.14.1`.
    pub fn headline(&self) -> String {
        if self.version.is_empty() {
            format!("{} in {}", self.vulnerability, self.package)
        } else {
            format!(
                "{} in {} {}",
                self.vulnerability, self.package, self.version
            )
        }
    }
}

/// What the channels did with one event, for the tracking state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sent {
    /// The event's id.
    pub id: String,
    /// Slack has it now (sent in this run).
    pub slack: bool,
    /// Jira has it now (issue created or found, commented, transitioned in this run).
    pub jira: bool,
    /// The Jira issue key, when one was created or found.
    pub jira_key: Option<String>,
}

/// The seam `kevgate track` calls: the run's events in, what was sent out, plus warnings for
/// the log. Never fails: a channel's failure leaves the event unsent and is a warning.
pub trait Notifier {
    /// Sends `events` (those not yet sent on a channel); returns one [`Sent`] per event.
    fn send(&mut self, events: &[Event]) -> (Vec<Sent>, Vec<String>);
}

/// The channels configured by the config and the environment.
pub struct Channels {
    slack: Option<slack::Client>,
    jira: Option<jira::Client>,
    settings: Settings,
}

impl Channels {
    /// Reads the credentials from `env`; a channel without its credentials is off. Errors
    /// (an unusable URL, a TLS setup failure) are warnings, and the channel is off.
    pub fn from_env(
        settings: Settings,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> (Channels, Vec<String>) {
        let mut warnings = Vec::new();
        let get = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let roots = get("SSL_CERT_FILE").map(std::path::PathBuf::from);
        let slack = match get("KEVGATE_SLACK_WEBHOOK") {
            Some(url) if !settings.slack.is_empty() => {
                match slack::Client::new(&url, roots.as_deref()) {
                    Ok(c) => Some(c),
                    Err(e) => {
                        warnings.push(format!("slack: {e}"));
                        None
                    }
                }
            }
            _ => None,
        };
        let jira = match (&settings.jira, get("KEVGATE_JIRA_URL")) {
            (Some(cfg), Some(url)) => {
                let (user, token) = (get("KEVGATE_JIRA_USER"), get("KEVGATE_JIRA_TOKEN"));
                match (user, token) {
                    (Some(user), Some(token)) => {
                        match jira::Client::new(&url, &user, &token, cfg.clone(), roots.as_deref())
                        {
                            Ok(c) => Some(c),
                            Err(e) => {
                                warnings.push(format!("jira: {e}"));
                                None
                            }
                        }
                    }
                    _ => {
                        warnings.push(
                            "jira: `KEVGATE_JIRA_URL` is set but `KEVGATE_JIRA_USER` or \
                             `KEVGATE_JIRA_TOKEN` is not; hint: set both (an API token)"
                                .to_owned(),
                        );
                        None
                    }
                }
            }
            _ => None,
        };
        (
            Channels {
                slack,
                jira,
                settings,
            },
            warnings,
        )
    }

    /// Whether any channel is on.
    pub fn any(&self) -> bool {
        self.slack.is_some() || self.jira.is_some()
    }

    /// Whether Slack is on.
    pub fn slack_on(&self) -> bool {
        self.slack.is_some()
    }

    /// Posts an arbitrary Block Kit message (the weekly digest). `Err` is a warning.
    pub fn post_slack(&mut self, payload: &serde_json::Value) -> Result<(), String> {
        match &mut self.slack {
            Some(s) => s.post(payload),
            None => Ok(()),
        }
    }
}

impl Notifier for Channels {
    fn send(&mut self, events: &[Event]) -> (Vec<Sent>, Vec<String>) {
        let mut sent: Vec<Sent> = events
            .iter()
            .map(|e| Sent {
                id: e.id.clone(),
                jira_key: e.jira_key.clone(),
                ..Sent::default()
            })
            .collect();
        let mut warnings = Vec::new();
        if let Some(client) = &mut self.slack {
            let due: Vec<usize> = (0..events.len())
                .filter(|&i| {
                    events[i].transition.is_some()
                        && !events[i].slack_sent
                        && events[i].routed(&self.settings.slack)
                })
                .collect();
            if due.len() > self.settings.slack_digest_over {
                let picked: Vec<&Event> = due.iter().map(|&i| &events[i]).collect();
                match client.post(&slack::digest(&picked)) {
                    Ok(()) => due.iter().for_each(|&i| sent[i].slack = true),
                    Err(e) => {
                        warnings.push(format!("slack: digest of {} transitions: {e}", due.len()))
                    }
                }
            } else {
                for &i in &due {
                    match client.post(&slack::message(&events[i])) {
                        Ok(()) => sent[i].slack = true,
                        Err(e) => warnings.push(format!(
                            "slack: {} `{}`: {e}",
                            events[i].transition.map_or("", Transition::as_str),
                            crate::text::terminal(&events[i].headline())
                        )),
                    }
                }
            }
        }
        if let Some(client) = &mut self.jira {
            for (i, event) in events.iter().enumerate() {
                if event.transition.is_none()
                    || event.jira_sent
                    || !event.routed(&client.settings().classes)
                {
                    continue;
                }
                match client.apply(event) {
                    Ok(key) => {
                        sent[i].jira = true;
                        if key.is_some() {
                            sent[i].jira_key = key;
                        }
                    }
                    Err(e) => warnings.push(format!(
                        "jira: {} `{}`: {e}",
                        event.transition.map_or("", Transition::as_str),
                        crate::text::terminal(&event.headline())
                    )),
                }
            }
        }
        (sent, warnings)
    }
}
