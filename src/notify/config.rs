//! The `notify:` and `jira:` sections of `.kevgate.yaml` -> [`Settings`] (`docs/notifications.md`).
//!
//! ```yaml
//! notify:
//!   slack: [malicious, kev, critical]   # classes that get a Slack message
//!   jira: [malicious, kev, critical]    # classes that get a Jira issue
//!   slack-digest-over: 5                # more transitions in one run: one digest message
//! jira:
//!   project: SEC
//!   issue-type: Bug
//!   labels: [security]
//!   priority: {kev: Highest, critical: High}
//!   done-transition: Done
//! ```
//!
//! Only routing lives here. The credentials (webhook URL, Jira URL, user, token) come from the
//! environment: the config is in the repository, where a pull request can change it.

use crate::track::Class;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

/// The classes notified by default: what fails the gate by default.
pub const DEFAULT_CLASSES: [Class; 3] = [Class::Malicious, Class::Kev, Class::Critical];

/// Routing of notifications, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `notify.slack`: classes that get a Slack message. Default: malicious, kev, critical.
    pub slack: Vec<Class>,
    /// `notify.slack-digest-over`: more transitions than this in one run become one digest
    /// message. Default: 5.
    pub slack_digest_over: usize,
    /// `jira:`: the Jira project; no Jira issues without it. Default: none.
    pub jira: Option<JiraSettings>,
}

impl Default for Settings {
    /// Slack for malicious, KEV and critical findings, a digest over 5 transitions, no Jira.
    fn default() -> Settings {
        Settings {
            slack: DEFAULT_CLASSES.to_vec(),
            slack_digest_over: 5,
            jira: None,
        }
    }
}

/// The `jira:` section, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct JiraSettings {
    /// `project`: the project key (`SEC`). Required.
    pub project: String,
    /// `issue-type`: the issue type's name. Default: `Bug`.
    pub issue_type: String,
    /// `labels`: extra labels on every issue (besides `kevgate` and `kevgate-<key>`).
    pub labels: Vec<String>,
    /// `priority`: Jira priority name per class (the finding's class picks it). Default: none
    /// (Jira's default priority).
    pub priority: BTreeMap<Class, String>,
    /// `done-transition`: the workflow transition applied when the finding is fixed.
    /// Default: `Done`.
    pub done_transition: String,
    /// `notify.jira`: classes that get a Jira issue. Default: malicious, kev, critical.
    pub classes: Vec<Class>,
}

/// `notify:` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawNotify {
    slack: Option<Spanned<Vec<String>>>,
    jira: Option<Spanned<Vec<String>>>,
    slack_digest_over: Option<Spanned<i64>>,
}

/// `jira:` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawJira {
    project: Option<Spanned<String>>,
    issue_type: Option<Spanned<String>>,
    #[serde(default)]
    labels: Vec<Spanned<String>>,
    #[serde(default)]
    priority: BTreeMap<String, Spanned<String>>,
    done_transition: Option<Spanned<String>>,
}

/// Validates both sections; every problem goes to `problem(line, message)`.
pub fn validate(
    notify: Option<Spanned<RawNotify>>,
    jira: Option<Spanned<RawJira>>,
    problem: &mut dyn FnMut(u64, String),
) -> Settings {
    let mut settings = Settings::default();
    let classes = |v: Spanned<Vec<String>>, key: &str, problem: &mut dyn FnMut(u64, String)| {
        let mut out = Vec::new();
        for name in &v.value {
            match class_named(name) {
                Some(c) if !out.contains(&c) => out.push(c),
                Some(_) => {}
                None => problem(
                    v.referenced.line(),
                    format!(
                        "`notify.{key}` has `{name}`; hint: a list of `malicious`, `kev`, \
                         `critical`, `high`, `medium`, `low`"
                    ),
                ),
            }
        }
        out
    };
    let mut jira_classes = DEFAULT_CLASSES.to_vec();
    if let Some(n) = notify {
        let n = n.value;
        if let Some(v) = n.slack {
            settings.slack = classes(v, "slack", problem);
        }
        if let Some(v) = n.jira {
            jira_classes = classes(v, "jira", problem);
        }
        if let Some(v) = n.slack_digest_over {
            match usize::try_from(v.value) {
                Ok(n) => settings.slack_digest_over = n,
                Err(_) => problem(
                    v.referenced.line(),
                    format!(
                        "`notify.slack-digest-over` is `{}`; hint: a count, e.g. `5`",
                        v.value
                    ),
                ),
            }
        }
    }
    if let Some(j) = jira {
        let line = j.referenced.line();
        let j = j.value;
        let project = match j.project {
            Some(p) if is_project_key(&p.value) => p.value,
            Some(p) => {
                problem(
                    p.referenced.line(),
                    format!(
                        "`jira.project` is `{}`; hint: a Jira project key, e.g. `SEC`",
                        p.value
                    ),
                );
                String::new()
            }
            None => {
                problem(
                    line,
                    "`jira` has no `project`; hint: the Jira project key, e.g. `project: SEC`"
                        .to_owned(),
                );
                String::new()
            }
        };
        let mut labels = Vec::new();
        for l in j.labels {
            if l.value.is_empty() || l.value.chars().any(char::is_whitespace) || l.value.len() > 255
            {
                problem(
                    l.referenced.line(),
                    format!(
                        "`jira.labels` has `{}`; hint: Jira labels have no spaces",
                        l.value
                    ),
                );
            } else {
                labels.push(l.value);
            }
        }
        let mut priority = BTreeMap::new();
        for (class, name) in j.priority {
            match class_named(&class) {
                Some(c) if !name.value.trim().is_empty() => {
                    priority.insert(c, name.value.trim().to_owned());
                }
                Some(_) => problem(
                    name.referenced.line(),
                    format!("`jira.priority.{class}` is empty; hint: a priority name, e.g. `High`"),
                ),
                None => problem(
                    name.referenced.line(),
                    format!(
                        "`jira.priority` has `{class}`; hint: keys `malicious`, `kev`, \
                         `critical`, `high`"
                    ),
                ),
            }
        }
        let text = |v: Option<Spanned<String>>, default: &str| {
            v.map(|s| s.value.trim().to_owned())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        settings.jira = Some(JiraSettings {
            project,
            issue_type: text(j.issue_type, "Bug"),
            labels,
            priority,
            done_transition: text(j.done_transition, "Done"),
            classes: jira_classes,
        });
    }
    settings
}

/// The class named `name` (the state's spelling, any case).
pub fn class_named(name: &str) -> Option<Class> {
    [
        Class::Malicious,
        Class::Kev,
        Class::Critical,
        Class::High,
        Class::Medium,
        Class::Low,
        Class::Unknown,
    ]
    .into_iter()
    .find(|c| c.as_str().eq_ignore_ascii_case(name.trim()))
}

/// A Jira project key: an uppercase letter, then uppercase letters, digits or `_` (Jira's
/// default key pattern), at most 255 characters. Keeps the JQL kevgate builds well-formed.
fn is_project_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && key.len() <= 255
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The documented example parses into the documented values; defaults hold without it.
    #[test]
    fn parses_the_documented_example() {
        let text = b"notify:\n  slack: [malicious, kev, critical]\n  jira: [kev]\n  \
            slack-digest-over: 3\njira:\n  project: SEC\n  issue-type: Task\n  \
            labels: [security]\n  priority: {kev: Highest, critical: High}\n  \
            done-transition: Closed\n";
        let n = crate::config::parse(text, "k.yaml").expect("valid").notify;
        assert_eq!(n.slack, DEFAULT_CLASSES);
        assert_eq!(n.slack_digest_over, 3);
        let j = n.jira.expect("jira");
        assert_eq!((j.project.as_str(), j.issue_type.as_str()), ("SEC", "Task"));
        assert_eq!(j.classes, [Class::Kev]);
        assert_eq!(
            j.priority.get(&Class::Critical).map(String::as_str),
            Some("High")
        );
        assert_eq!(j.done_transition, "Closed");
        assert_eq!(
            crate::config::parse(b"fail-on: high\n", "k.yaml")
                .expect("valid")
                .notify,
            Settings::default()
        );
    }

    /// Every problem is reported at once, with its line; credentials are no config key.
    #[test]
    fn reports_every_problem() {
        let text = b"notify:\n  slack: [kev, urgent]\n  slack-digest-over: -1\n\
            jira:\n  project: sec\n  labels: [\"two words\"]\n  priority: {blocker: Highest}\n";
        let e = crate::config::parse(text, "k.yaml").expect_err("invalid");
        let all = e.to_string();
        assert_eq!(e.problems.len(), 5, "{all}");
        for needle in ["`urgent`", "`-1`", "`sec`", "`two words`", "`blocker`"] {
            assert!(all.contains(needle), "{needle} in {all}");
        }
        let e = crate::config::parse(b"notify:\n  webhook: https://x\n", "k.yaml")
            .expect_err("unknown key");
        assert!(e.to_string().contains("webhook"), "{e}");
        let e = crate::config::parse(b"jira:\n  labels: [a]\n", "k.yaml").expect_err("no project");
        assert!(e.to_string().contains("no `project`"), "{e}");
    }

    /// Project keys as Jira's default pattern has them.
    #[test]
    fn project_keys() {
        for (key, ok) in [
            ("SEC", true),
            ("SEC2_X", true),
            ("sec", false),
            ("2SEC", false),
            ("SEC\" OR 1=1", false),
            ("", false),
        ] {
            assert_eq!(is_project_key(key), ok, "{key:?}");
        }
    }
}
