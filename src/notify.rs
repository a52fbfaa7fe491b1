//! Notifications of tracking-issue transitions (issue 15): a Slack message (incoming webhook,
//! Block Kit) and a Jira Cloud issue (REST v3, Atlassian Document Format) per transition.
//!
//! The tracking issue's state block is the single source of truth (`kevgate track`): its sync
//! hands this module the transitions of one run as [`TransitionEvent`]s, each flagged with the
//! channels that already have it, and records the [`NotifyResult`]s that [`Channels`] (the
//! [`Notifier`] of `src/track/notify.rs`) returns, so a rerun sends nothing. This module never
//! reads GitHub; it turns events into requests and answers into results.
//!
//! - What goes where is the config's (`notify: {slack: [malicious, kev, critical], jira:
//!   [...], slack-digest-over: 5}`, [`config`]); the credentials are the environment's
//!   (`KEVGATE_SLACK_WEBHOOK`, `KEVGATE_JIRA_URL`, `KEVGATE_JIRA_USER`, `KEVGATE_JIRA_TOKEN`),
//!   never the config's, which a pull request controls.
//! - Routing is by the finding's class (the state's `class`, most urgent first: a KEV finding
//!   that is also critical is `kev`): `notify.slack: [critical]` alone does not message it.
//! - Payloads are built by pure functions ([`slack::message`], [`slack::digest`],
//!   [`jira::create_body`]); the clients only send them.
//! - Opened, reopened and fixed are notified; a close as not planned (an ignore or VEX
//!   statement, someone's decision) is not.
//! - A failure is a warning: it never changes the verdict, and the transition stays unsent,
//!   so the next run tries again.

pub mod config;
pub mod jira;
pub mod slack;
pub mod transport;

use crate::track::notify::notifiable;
use crate::track::state::FixedBy;
use crate::track::{Notifier, NotifyResult, Routes, TransitionEvent};

pub use config::Settings;

/// `CVE-2021-44228 in log4j-core 2.14.1`: the subject line of every message.
pub fn headline(event: &TransitionEvent) -> String {
    if event.versions.is_empty() {
        format!("{} in {}", event.vulnerability, event.package)
    } else {
        format!(
            "{} in {} {}",
            event.vulnerability,
            event.package,
            event.versions.join(", ")
        )
    }
}

/// The thank-you line for a fix: `@octocat in #12 (4.17.15 → 4.17.21), commits by @a, @b`.
pub fn credit(by: &FixedBy) -> String {
    let mut out = format!("@{} in #{}", by.author, by.pr);
    if let Some(u) = &by.upgrade {
        out.push_str(&format!(" ({u})"));
    }
    let others: Vec<String> = by
        .commit_authors
        .iter()
        .filter(|a| **a != by.author)
        .map(|a| format!("@{a}"))
        .collect();
    if !others.is_empty() {
        out.push_str(&format!(", commits by {}", others.join(", ")));
    }
    out
}

/// The notifier of one `kevgate track` run: the channels the config routes to and the
/// environment has credentials for, or one that sends nothing (a dry run, no channel). The
/// warnings are for the log (a channel set up wrong); they never fail the run.
pub fn notifier(
    settings: &Settings,
    env: &dyn Fn(&str) -> Option<String>,
    dry_run: bool,
) -> (Box<dyn Notifier>, Vec<String>) {
    if dry_run {
        return (Box::new(crate::track::NoNotifier), Vec::new());
    }
    let (channels, warnings) = Channels::from_env(settings.clone(), env);
    if channels.any() {
        (Box::new(channels), warnings)
    } else {
        (Box::new(crate::track::NoNotifier), warnings)
    }
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
    fn routes(&self) -> Routes {
        Routes {
            slack: if self.slack.is_some() {
                self.settings.slack.clone()
            } else {
                Vec::new()
            },
            jira: self
                .jira
                .as_ref()
                .map(|c| c.settings().classes.clone())
                .unwrap_or_default(),
        }
    }

    fn notify(&mut self, events: &[TransitionEvent]) -> Vec<NotifyResult> {
        let mut results = Vec::new();
        if let Some(client) = &mut self.slack {
            let due: Vec<&TransitionEvent> = events
                .iter()
                .filter(|e| {
                    notifiable(e.kind) && !e.slack_sent && self.settings.slack.contains(&e.class)
                })
                .collect();
            let sent = |e: &TransitionEvent| NotifyResult::Slack {
                key: e.key.clone(),
                transition: e.transition,
            };
            if due.len() > self.settings.slack_digest_over {
                match client.post(&slack::digest(&due)) {
                    Ok(()) => results.extend(due.iter().map(|e| sent(e))),
                    Err(e) => results.push(NotifyResult::Warning(format!(
                        "slack: digest of {} transitions: {e}",
                        due.len()
                    ))),
                }
            } else {
                for event in due {
                    match client.post(&slack::message(event)) {
                        Ok(()) => results.push(sent(event)),
                        Err(e) => results.push(NotifyResult::Warning(format!(
                            "slack: {} `{}`: {e}",
                            event.kind.as_str(),
                            crate::text::terminal(&headline(event))
                        ))),
                    }
                }
            }
        }
        if let Some(client) = &mut self.jira {
            for event in events {
                if !notifiable(event.kind)
                    || event.jira_sent
                    || !client.settings().classes.contains(&event.class)
                {
                    continue;
                }
                match client.apply(event) {
                    Ok(Some(issue)) => results.push(NotifyResult::Jira {
                        key: event.key.clone(),
                        transition: event.transition,
                        issue,
                    }),
                    // A fix of a finding that never had a Jira issue: nothing to tell.
                    Ok(None) => {}
                    Err(e) => results.push(NotifyResult::Warning(format!(
                        "jira: {} `{}`: {e}",
                        event.kind.as_str(),
                        crate::text::terminal(&headline(event))
                    ))),
                }
            }
        }
        results
    }
}
