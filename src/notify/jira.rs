//! Jira Cloud: one Jira issue per tracking issue, commented and transitioned with it.
//!
//! The payload builders are pure: [`create_body`] (`POST /rest/api/3/issue`, the description
//! in Atlassian Document Format), [`search_body`] (`POST /rest/api/3/search/jql`, the current
//! search; `/rest/api/3/search` is deprecated), [`comment_body`] (`POST
//! .../issue/{key}/comment`). ADF text nodes are plain text, so untrusted SBOM text needs no
//! escaping there; it is made one line, stripped of control and bidi characters and cut.
//! Links are `link` marks on `http(s)` URLs only.
//!
//! Identity: the label `kevgate-<key>` ([`label`]): the tracking key made label-safe (Jira
//! labels have no spaces; kevgate keeps `[a-z0-9._-]`) plus 10 hex digits of its sha256, so
//! two keys that read alike never share a label. Before creating, [`Client::apply`] looks the
//! label up by JQL, so a lost state block or a rerun never duplicates an issue.
//!
//! Authentication: basic auth with `KEVGATE_JIRA_USER` and the API token
//! `KEVGATE_JIRA_TOKEN`; the header and the token are redacted from every error.

use super::config::JiraSettings;
use super::transport::{self, Method, Transport};
use super::{credit, headline};
use crate::text::one_line;
use crate::track::{TransitionEvent as Event, TransitionKind as Transition};
use serde_json::{Value, json};
use sha2::Digest;
use std::time::Duration;

/// Longest summary Jira takes.
const SUMMARY_MAX: usize = 250;
/// Characters of one untrusted value in a description.
const VALUE_MAX: usize = 500;

/// The label that identifies the Jira issue of the tracking key `key`.
pub fn label(key: &str) -> String {
    let mut slug = String::new();
    for c in key.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= 80 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    let hash = sha2::Sha256::digest(key.as_bytes());
    let hex: String = hash.iter().take(5).map(|b| format!("{b:02x}")).collect();
    if slug.is_empty() {
        format!("kevgate-{hex}")
    } else {
        format!("kevgate-{slug}-{hex}")
    }
}

/// Untrusted text for a Jira field: one line, no control or bidi character, cut, never empty
/// (ADF text nodes need at least one character).
fn clean(text: &str, max: usize) -> String {
    let kept: String = text
        .chars()
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .filter(|&c| !crate::text::is_dangerous(c))
        .collect();
    let out = one_line(&kept, max).into_owned();
    if out.is_empty() { "-".to_owned() } else { out }
}

fn text(t: &str) -> Value {
    json!({"type": "text", "text": clean(t, VALUE_MAX)})
}

/// kevgate's own text between untrusted pieces, kept as it is (spaces included).
fn separator(t: &'static str) -> Value {
    json!({"type": "text", "text": t})
}

/// A bold label: kevgate's own text, kept as it is (its trailing space included).
fn strong(label: &'static str) -> Value {
    json!({"type": "text", "text": label, "marks": [{"type": "strong"}]})
}

/// A link text node, or plain text when `url` is not `http(s)`.
fn linked(t: &str, url: &str) -> Value {
    let lower = url.trim().to_ascii_lowercase();
    if (lower.starts_with("https://") || lower.starts_with("http://"))
        && !url.chars().any(crate::text::is_dangerous)
    {
        json!({"type": "text", "text": clean(t, VALUE_MAX),
               "marks": [{"type": "link", "attrs": {"href": url.trim()}}]})
    } else {
        text(t)
    }
}

fn paragraph(content: Vec<Value>) -> Value {
    json!({"type": "paragraph", "content": content})
}

fn doc(content: Vec<Value>) -> Value {
    json!({"version": 1, "type": "doc", "content": content})
}

/// The description: what the tracking issue says, in ADF.
pub fn description(event: &Event) -> Value {
    let mut items = vec![
        vec![
            strong("Package: "),
            text(&format!("{} {}", event.package, event.versions.join(", "))),
        ],
        vec![strong("Severity: "), text(&event.severity)],
        vec![strong("Class: "), text(event.class.as_str())],
    ];
    if let Some(d) = event.kev_due {
        items.push(vec![strong("CISA KEV due date: "), text(&d.to_string())]);
    } else if let Some(d) = event.due {
        items.push(vec![strong("Due: "), text(&d.to_string())]);
    }
    if let Some(e) = event.epss {
        items.push(vec![strong("EPSS: "), text(&format!("{:.1}%", e * 100.0))]);
    }
    if !event.priority.is_empty() {
        items.push(vec![strong("Priority: "), text(&event.priority)]);
    }
    if let Some(f) = &event.fix {
        items.push(vec![strong("Fix: "), text(f)]);
    }
    let list = json!({"type": "bulletList", "content": items.into_iter()
        .map(|c| json!({"type": "listItem", "content": [paragraph(c)]}))
        .collect::<Vec<_>>()});
    let mut links = vec![linked(
        &format!("GitHub tracking issue #{}", event.issue),
        &event.issue_url,
    )];
    if let Some(u) = &event.advisory_url {
        links.push(separator(" · "));
        links.push(linked("Advisory", u));
    }
    if let Some(u) = &event.runbook_url {
        links.push(separator(" · "));
        links.push(linked("Runbook", u));
    }
    doc(vec![
        paragraph(vec![text(&format!(
            "kevgate found {} (tracked on GitHub; this issue follows it).",
            headline(event)
        ))]),
        list,
        paragraph(links),
    ])
}

/// `POST /rest/api/3/issue`.
pub fn create_body(event: &Event, settings: &JiraSettings) -> Value {
    let mut labels = settings.labels.clone();
    for l in ["kevgate".to_owned(), label(&event.key)] {
        if !labels.contains(&l) {
            labels.push(l);
        }
    }
    let mut fields = json!({
        "project": {"key": settings.project},
        "issuetype": {"name": settings.issue_type},
        "summary": clean(&format!("kevgate: {}", headline(event)), SUMMARY_MAX),
        "description": description(event),
        "labels": labels,
    });
    if let Some(p) = settings.priority.get(&event.class) {
        fields["priority"] = json!({"name": p});
    }
    json!({"fields": fields})
}

/// `POST /rest/api/3/search/jql`: the issue labelled for `key` in the project.
pub fn search_body(key: &str, settings: &JiraSettings) -> Value {
    // The project key is validated (`[A-Z][A-Z0-9_]*`) and the label is `[a-z0-9._-]`: no
    // quote can end the JQL strings.
    json!({
        "jql": format!("project = \"{}\" AND labels = \"{}\" ORDER BY created ASC", settings.project, label(key)),
        "fields": ["status"],
        "maxResults": 1,
    })
}

/// `POST .../comment` for a transition of the tracking issue.
pub fn comment_body(event: &Event) -> Value {
    let mut content = match event.kind {
        Transition::Fixed => vec![text(&format!(
            "Fixed: kevgate no longer finds {}.",
            headline(event)
        ))],
        _ => vec![text(&format!(
            "Reopened: kevgate finds {} again.",
            headline(event)
        ))],
    };
    if event.kind == Transition::Fixed
        && let Some(by) = &event.fixed_by
    {
        content.push(separator(" Fixed by "));
        content.push(text(&format!("{}.", credit(by))));
    }
    content.push(separator(" "));
    content.push(linked(
        &format!("GitHub tracking issue #{}", event.issue),
        &event.issue_url,
    ));
    json!({"body": doc(vec![paragraph(content)])})
}

/// A client of one Jira Cloud site.
pub struct Client {
    base: String,
    transport: Transport,
    settings: JiraSettings,
}

impl Client {
    /// The client for `url` (`KEVGATE_JIRA_URL`, e.g. `https://acme.atlassian.net`): `https`,
    /// or `http` to a loopback address.
    pub fn new(
        url: &str,
        user: &str,
        token: &str,
        settings: JiraSettings,
        extra_roots: Option<&std::path::Path>,
    ) -> Result<Client, String> {
        use base64::Engine;
        let base = url.trim().trim_end_matches('/').to_owned();
        let parsed =
            reqwest::Url::parse(&base).map_err(|_| "`KEVGATE_JIRA_URL` is not a URL".to_owned())?;
        let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        if !(parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback)) {
            return Err(
                "`KEVGATE_JIRA_URL` is not an https URL; hint: your site's address, \
                        e.g. `https://acme.atlassian.net`"
                    .to_owned(),
            );
        }
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{token}"));
        let transport = Transport::new(
            extra_roots,
            vec![token.to_owned(), basic.clone()],
            Some(format!("Basic {basic}")),
            Duration::ZERO,
        )?;
        Ok(Client {
            base,
            transport,
            settings,
        })
    }

    /// The routing this client was built with.
    pub fn settings(&self) -> &JiraSettings {
        &self.settings
    }

    /// Applies `event`: finds or creates the issue, comments and transitions it. Returns
    /// the Jira key, or `None` when a fixed finding never had an issue (nothing to close).
    pub fn apply(&mut self, event: &Event) -> Result<Option<String>, String> {
        let known = match &event.jira_key {
            Some(k) if is_issue_key(k) => Some(k.clone()),
            _ => self.find(&event.key)?,
        };
        match event.kind {
            Transition::Fixed => {
                let Some(key) = known else { return Ok(None) };
                let id = self.transition_id(&key)?;
                self.comment(&key, event)?;
                let path = format!("/rest/api/3/issue/{key}/transitions");
                let a = self.call(
                    Method::Post,
                    &path,
                    Some(&json!({"transition": {"id": id}})),
                )?;
                self.expect(&a, &[204], &path)?;
                Ok(Some(key))
            }
            Transition::Reopened if known.is_some() => {
                let key = known.expect("checked");
                self.comment(&key, event)?;
                Ok(Some(key))
            }
            _ => match known {
                Some(key) => Ok(Some(key)),
                None => self.create(event).map(Some),
            },
        }
    }

    /// The key of the issue labelled for `key`, if there is one.
    fn find(&mut self, key: &str) -> Result<Option<String>, String> {
        let path = "/rest/api/3/search/jql";
        let a = self.call(Method::Post, path, Some(&search_body(key, &self.settings)))?;
        let v = self.expect(&a, &[200], path)?;
        Ok(v["issues"]
            .as_array()
            .and_then(|i| i.first())
            .and_then(|i| i["key"].as_str())
            .filter(|k| is_issue_key(k))
            .map(str::to_owned))
    }

    fn create(&mut self, event: &Event) -> Result<String, String> {
        let path = "/rest/api/3/issue";
        let a = self.call(
            Method::Post,
            path,
            Some(&create_body(event, &self.settings)),
        )?;
        let v = self.expect(&a, &[201], path)?;
        v["key"]
            .as_str()
            .filter(|k| is_issue_key(k))
            .map(str::to_owned)
            .ok_or_else(|| format!("POST `{path}`: the answer has no issue key"))
    }

    fn comment(&mut self, key: &str, event: &Event) -> Result<(), String> {
        let path = format!("/rest/api/3/issue/{key}/comment");
        let a = self.call(Method::Post, &path, Some(&comment_body(event)))?;
        self.expect(&a, &[201], &path).map(drop)
    }

    /// The id of the configured done transition available on `key`.
    fn transition_id(&mut self, key: &str) -> Result<String, String> {
        let path = format!("/rest/api/3/issue/{key}/transitions");
        let a = self.call(Method::Get, &path, None)?;
        let v = self.expect(&a, &[200], &path)?;
        let all = v["transitions"].as_array().cloned().unwrap_or_default();
        let want = &self.settings.done_transition;
        all.iter()
            .find(|t| {
                t["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(want))
            })
            .and_then(|t| t["id"].as_str().map(str::to_owned))
            .ok_or_else(|| {
                let names: Vec<String> = all
                    .iter()
                    .filter_map(|t| t["name"].as_str())
                    .map(|n| format!("`{}`", crate::text::terminal(&one_line(n, 60))))
                    .collect();
                format!(
                    "`{key}` has no transition `{want}`; hint: set `jira.done-transition` to one \
                     of {}",
                    if names.is_empty() {
                        "its workflow's transitions".to_owned()
                    } else {
                        names.join(", ")
                    }
                )
            })
    }

    fn call(
        &mut self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<transport::Answer, String> {
        let url = format!("{}{path}", self.base);
        self.transport.send(method, &url, body).map_err(|e| {
            format!(
                "{} `{path}`: {e}",
                if method == Method::Get { "GET" } else { "POST" }
            )
        })
    }

    /// The JSON of an answer with one of the `ok` statuses, else the error Jira gave.
    fn expect(&self, a: &transport::Answer, ok: &[u16], path: &str) -> Result<Value, String> {
        if ok.contains(&a.status) {
            return Ok(serde_json::from_str(&a.body).unwrap_or(Value::Null));
        }
        let said = self.transport.redact(&transport::describe_body(&a.body));
        let hint = match a.status {
            401 => "; hint: check `KEVGATE_JIRA_USER` and the API token `KEVGATE_JIRA_TOKEN`",
            403 => "; hint: the Jira user may not do this in the project",
            404 => "; hint: check `KEVGATE_JIRA_URL` and `jira.project`",
            _ => "",
        };
        Err(format!(
            "`{path}`: HTTP {}{}{hint}",
            a.status,
            if said.is_empty() {
                String::new()
            } else {
                format!(" `{said}`")
            }
        ))
    }
}

/// A Jira issue key (`SEC-12`): safe to put into a request path.
pub fn is_issue_key(key: &str) -> bool {
    match key.rsplit_once('-') {
        Some((project, n)) => {
            !project.is_empty()
                && project
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !n.is_empty()
                && n.chars().all(|c| c.is_ascii_digit())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Labels are label-safe, stable, distinct for keys that slug alike, and bounded.
    #[test]
    fn labels_are_safe_and_distinct() {
        let a = label("pkg:npm/lodash#CVE-2021-23337");
        assert!(
            a.starts_with("kevgate-pkg-npm-lodash-cve-2021-23337-"),
            "{a}"
        );
        assert_eq!(a, label("pkg:npm/lodash#CVE-2021-23337"));
        assert_ne!(a, label("pkg:npm/lodash/CVE-2021-23337"));
        for key in ["", "a b\"c", &"x".repeat(1000), "日本語 \u{202e}"] {
            let l = label(key);
            assert!(l.len() <= 255, "{l}");
            assert!(
                l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-._".contains(c)),
                "{l}"
            );
        }
    }

    /// Issue keys are checked before they go into a path.
    #[test]
    fn issue_keys() {
        for (k, ok) in [
            ("SEC-12", true),
            ("SEC-", false),
            ("../x-1", false),
            ("SEC-1/x", false),
        ] {
            assert_eq!(is_issue_key(k), ok, "{k}");
        }
    }
}
