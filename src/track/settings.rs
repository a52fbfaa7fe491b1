//! The tracking part of `.kevgate.yaml`: `owners`, `sla`, `runbooks` (`docs/config.md`).
//! `config.rs` reads the raw values; this validates them into [`Settings`], reporting every
//! problem with its line.
//!
//! ```yaml
//! owners:                 # takes precedence over CODEOWNERS; the last matching entry wins
//!   - path: "services/payments/**"   # a CODEOWNERS-style pattern over the manifest path
//!     users: [alice, acme/payments]  # logins are assigned, org/team mentioned
//!   - purl: "pkg:npm/@acme/"         # or a purl prefix
//!     users: [bob]
//! sla: {malicious: 1d, kev: 7d, critical: 14d, high: 30d}   # the defaults
//! runbooks: {kev: "https://wiki.example/kev"}
//! ```

use super::codeowners::{Pattern, valid_login, valid_team};
use super::state::Class;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;

/// The tracking settings, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `owners`: who owns what, before CODEOWNERS. Default: none.
    pub owners: Vec<OwnerRule>,
    /// `sla`: days to fix, counted from first seen, by class; KEV's own due date comes
    /// first. Default: malicious 1, kev 7, critical 14, high 30 (others: none).
    pub sla: BTreeMap<Class, u32>,
    /// `runbooks`: a URL per class, linked from issues and notifications. Default: none.
    pub runbooks: BTreeMap<Class, String>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            owners: Vec::new(),
            sla: BTreeMap::from([
                (Class::Malicious, 1),
                (Class::Kev, 7),
                (Class::Critical, 14),
                (Class::High, 30),
            ]),
            runbooks: BTreeMap::new(),
        }
    }
}

/// One `owners` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnerRule {
    /// What it matches.
    pub matcher: OwnerMatch,
    /// Logins, assigned.
    pub users: Vec<String>,
    /// `org/team`s, mentioned.
    pub teams: Vec<String>,
}

/// What an `owners` entry matches.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnerMatch {
    /// The manifest path, CODEOWNERS-style.
    Path(Pattern),
    /// A prefix of the package's versionless purl.
    Purl(String),
}

/// One `owners` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RawOwner {
    path: Option<String>,
    purl: Option<String>,
    #[serde(default)]
    users: Vec<String>,
}

/// The raw tracking keys of the config file.
pub(crate) struct Raw {
    pub owners: Vec<Spanned<RawOwner>>,
    pub sla: Option<Spanned<BTreeMap<String, String>>>,
    pub runbooks: Option<Spanned<BTreeMap<String, String>>>,
}

/// The classes a config key may name.
fn class(name: &str) -> Option<Class> {
    [
        Class::Malicious,
        Class::Kev,
        Class::Critical,
        Class::High,
        Class::Medium,
        Class::Low,
    ]
    .into_iter()
    .find(|c| c.as_str() == name.trim())
}

/// Validates the raw values; `problem(line, message)` gets every problem.
pub(crate) fn validate(raw: Raw, problem: &mut dyn FnMut(u64, String)) -> Settings {
    let mut settings = Settings::default();
    for entry in raw.owners {
        let line = entry.referenced.line();
        let e = entry.value;
        let matcher = match (&e.path, &e.purl) {
            (Some(p), None) if !p.trim().is_empty() => OwnerMatch::Path(Pattern::new(p.trim())),
            (None, Some(p)) if p.trim().starts_with("pkg:") => {
                OwnerMatch::Purl(p.trim().to_owned())
            }
            _ => {
                problem(
                    line,
                    "an `owners` entry needs one of `path` (a CODEOWNERS-style pattern) or \
                     `purl` (a purl prefix, `pkg:…`)"
                        .to_owned(),
                );
                continue;
            }
        };
        let (mut users, mut teams) = (Vec::new(), Vec::new());
        for u in &e.users {
            let name = u.trim().trim_start_matches('@');
            if valid_login(name) {
                users.push(name.to_owned());
            } else if valid_team(name) {
                teams.push(name.to_owned());
            } else {
                problem(
                    line,
                    format!(
                        "`owners` names `{}`, which is neither a login nor `org/team`",
                        crate::text::one_line(u, 60)
                    ),
                );
            }
        }
        if e.users.is_empty() {
            problem(line, "an `owners` entry has no `users`".to_owned());
        }
        settings.owners.push(OwnerRule {
            matcher,
            users,
            teams,
        });
    }
    if let Some(sla) = raw.sla {
        let line = sla.referenced.line();
        for (k, v) in sla.value {
            let Some(c) = class(&k) else {
                problem(line, unknown_class("sla", &k));
                continue;
            };
            match days(&v) {
                Some(d) => {
                    settings.sla.insert(c, d);
                }
                None => problem(
                    line,
                    format!(
                        "`sla.{k}` is `{}`; hint: days or weeks, e.g. `7d`, `2w`",
                        crate::text::one_line(&v, 40)
                    ),
                ),
            }
        }
    }
    if let Some(runbooks) = raw.runbooks {
        let line = runbooks.referenced.line();
        for (k, v) in runbooks.value {
            let Some(c) = class(&k) else {
                problem(line, unknown_class("runbooks", &k));
                continue;
            };
            let url = v.trim();
            if (url.starts_with("https://") || url.starts_with("http://"))
                && !url.contains(char::is_whitespace)
                && url.len() <= 2000
            {
                settings.runbooks.insert(c, url.to_owned());
            } else {
                problem(
                    line,
                    format!(
                        "`runbooks.{k}` is not an http(s) URL: `{}`",
                        crate::text::one_line(&v, 60)
                    ),
                );
            }
        }
    }
    settings
}

fn unknown_class(key: &str, k: &str) -> String {
    format!(
        "`{key}` has `{}`; hint: one of `malicious`, `kev`, `critical`, `high`, `medium`, `low`",
        crate::text::one_line(k, 40)
    )
}

/// `7d`, `2w`, `7` (days) -> days; at most ten years.
fn days(s: &str) -> Option<u32> {
    let s = s.trim();
    let (n, unit) = match s.strip_suffix('d') {
        Some(n) => (n, 1),
        None => match s.strip_suffix('w') {
            Some(n) => (n, 7),
            None => (s, 1),
        },
    };
    let n: u32 = n.trim().parse().ok()?;
    let d = n.checked_mul(unit)?;
    (d <= 3650).then_some(d)
}

impl Settings {
    /// The users and teams `owners:` names for a finding in `manifest` of `package`: the
    /// last matching entry, `None` when none matches.
    pub fn owners_for(
        &self,
        manifest: Option<&str>,
        package: &str,
    ) -> Option<(Vec<String>, Vec<String>)> {
        self.owners
            .iter()
            .rev()
            .find(|r| match &r.matcher {
                OwnerMatch::Path(p) => manifest.is_some_and(|m| p.matches(m)),
                OwnerMatch::Purl(prefix) => package.starts_with(prefix.as_str()),
            })
            .map(|r| (r.users.clone(), r.teams.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Durations as the config writes them.
    #[test]
    fn durations() {
        for (s, want) in [
            ("7d", Some(7)),
            ("2w", Some(14)),
            ("30", Some(30)),
            (" 1d ", Some(1)),
            ("d", None),
            ("-1d", None),
            ("1y", None),
            ("99999d", None),
        ] {
            assert_eq!(days(s), want, "{s}");
        }
    }

    /// The tracking keys of `.kevgate.yaml`: parsed into settings (keys given replace the
    /// SLA defaults), and every problem reported at once with its line.
    #[test]
    fn config_keys() {
        let yaml = "owners:\n  - path: \"web/**\"\n    users: [\"@alice\", acme/web]\n  - purl: \"pkg:npm/@acme/\"\n    users: [bob]\nsla: {high: 2w}\nrunbooks: {kev: \"https://wiki.example/kev\"}\n";
        let c = crate::config::parse(yaml.as_bytes(), ".kevgate.yaml").expect("valid");
        let t = &c.tracking;
        assert_eq!(t.sla[&Class::High], 14);
        assert_eq!(t.sla[&Class::Kev], 7);
        assert_eq!(t.runbooks[&Class::Kev], "https://wiki.example/kev");
        assert_eq!(
            t.owners_for(Some("web/package-lock.json"), "pkg:npm/@acme/ui"),
            Some((vec!["bob".to_owned()], vec![]))
        );
        assert_eq!(
            t.owners_for(Some("web/package-lock.json"), "pkg:npm/left-pad"),
            Some((vec!["alice".to_owned()], vec!["acme/web".to_owned()]))
        );
        assert_eq!(t.owners_for(None, "pkg:npm/left-pad"), None);

        let bad = "owners:\n  - users: [x]\n  - path: a\n    users: [\"not a login\"]\nsla: {urgent: 1d, kev: soon}\nrunbooks: {kev: \"javascript:alert(1)\"}\n";
        let e = crate::config::parse(bad.as_bytes(), ".kevgate.yaml").expect_err("invalid");
        let text = e.to_string();
        for want in [
            "needs one of `path`",
            "neither a login nor `org/team`",
            "`sla` has `urgent`",
            "`sla.kev` is `soon`",
            "`runbooks.kev` is not an http(s) URL",
        ] {
            assert!(text.contains(want), "{want}: {text}");
        }
        assert_eq!(e.problems.len(), 5, "{text}");
    }
}
