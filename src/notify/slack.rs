//! Slack: Block Kit messages for tracking-issue transitions, posted to an incoming webhook.
//!
//! [`message`] and [`digest`] are pure: an [`Event`] in, the webhook's JSON body out
//! (`text` as the notification fallback, `blocks` as Block Kit). Untrusted text goes into
//! `plain_text` objects where Slack allows (the header) and through [`crate::text::mrkdwn`]
//! everywhere else; links are built only from `http(s)` URLs, with the characters that would
//! end Slack's `<url|label>` syntax percent-encoded. Every text is cut to Slack's limits
//! (header 150, field 2000, text 3000 characters; 50 blocks per message).
//!
//! [`Client`] posts to the webhook from `KEVGATE_SLACK_WEBHOOK`, whose URL is the secret:
//! it appears in no error (see [`super::transport`]). Slack answers 200 `ok`, or a status
//! with a short plain-text reason (`invalid_payload`, `no_service`, `channel_not_found`,
//! ...; Slack changelog 2016-05-17 "changes to errors for incoming webhooks"), reported with a
//! hint. Messages are spaced by a second (Slack's rate limit per webhook) and a 429 is
//! retried after `Retry-After`.

use super::transport::{self, Method, Transport};
use super::{credit, headline};
use crate::text::{mrkdwn, one_line};
use crate::track::{TransitionEvent as Event, TransitionKind as Transition};
use serde_json::{Value, json};
use std::time::Duration;

/// Slack's limit on a header's text.
const HEADER_MAX: usize = 150;
/// Lines of a digest before "and N more" (Slack allows 50 blocks per message).
const DIGEST_LINES: usize = 40;
/// Characters of one untrusted value before escaping (escaping at most quintuples it, which
/// stays under a field's 2000).
const VALUE_MAX: usize = 300;

/// The webhook body for one transition.
pub fn message(event: &Event) -> Value {
    let transition = event.kind;
    let title = format!("{}: {}", heading(transition), headline(event));
    let mut fields = vec![field(
        "Package",
        &format!("{} {}", event.package, event.versions.join(", ")),
    )];
    let severity = match &event.severity_source {
        Some(source) => format!("{} ({source})", event.severity),
        None => event.severity.clone(),
    };
    fields.push(field("Severity", &severity));
    if let Some(d) = event.kev_due {
        fields.push(field("KEV due date", &d.to_string()));
    } else if let Some(d) = event.due {
        fields.push(field("Due", &d.to_string()));
    }
    if let Some(e) = event.epss {
        fields.push(field("EPSS", &format!("{:.1}%", e * 100.0)));
    }
    if !event.priority.is_empty() {
        fields.push(field("Priority", &event.priority));
    }
    let mut blocks = vec![
        json!({"type": "header", "text": plain(&format!("{} {title}", emoji(transition)), HEADER_MAX)}),
        json!({"type": "section", "fields": fields}),
    ];
    let mut lines = Vec::new();
    if let Some(fix) = &event.fix {
        lines.push(format!("*Fix:* {}", value(fix)));
    }
    if transition == Transition::Fixed
        && let Some(by) = &event.fixed_by
    {
        lines.push(format!("*Fixed by* {} :tada:", value(&credit(by))));
    }
    if !lines.is_empty() {
        blocks
            .push(json!({"type": "section", "text": {"type": "mrkdwn", "text": lines.join("\n")}}));
    }
    let links: Vec<String> = [
        link(
            &event.issue_url,
            &format!("Tracking issue #{}", event.issue),
        ),
        event
            .advisory_url
            .as_deref()
            .and_then(|u| link(u, "Advisory")),
        event
            .runbook_url
            .as_deref()
            .and_then(|u| link(u, "Runbook")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !links.is_empty() {
        blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": links.join("  ·  ")}]}));
    }
    json!({"text": value(&title), "blocks": blocks})
}

/// One message for many transitions: a line per transition (at most 40, then "and N more").
pub fn digest(events: &[&Event]) -> Value {
    let title = format!("kevgate: {} tracking-issue transitions", events.len());
    let mut blocks = vec![json!({"type": "header", "text": plain(&title, HEADER_MAX)})];
    for event in events.iter().take(DIGEST_LINES) {
        let transition = event.kind;
        let subject =
            link(&event.issue_url, &headline(event)).unwrap_or_else(|| value(&headline(event)));
        let mut line = format!("{} *{}* {subject}", emoji(transition), heading(transition));
        if let Some(d) = event.kev_due {
            line.push_str(&format!(" — KEV, due {d}"));
        } else {
            line.push_str(&format!(" — {}", value(&event.severity)));
        }
        if transition == Transition::Fixed
            && let Some(by) = &event.fixed_by
        {
            line.push_str(&format!(" — fixed by {}", value(&credit(by))));
        }
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": line}}));
    }
    if events.len() > DIGEST_LINES {
        blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn",
            "text": format!("and {} more; see the tracking issues", events.len() - DIGEST_LINES)}]}));
    }
    json!({"text": title, "blocks": blocks})
}

/// `Opened`, `Reopened`, `Fixed`, `Closed as not planned`.
fn heading(t: Transition) -> &'static str {
    match t {
        Transition::Opened => "Opened",
        Transition::Reopened => "Reopened",
        Transition::Fixed => "Fixed",
        Transition::NotPlanned => "Closed as not planned",
    }
}

fn emoji(t: Transition) -> &'static str {
    match t {
        Transition::Opened => ":rotating_light:",
        Transition::Reopened => ":repeat:",
        Transition::Fixed => ":white_check_mark:",
        Transition::NotPlanned => ":no_entry_sign:",
    }
}

/// A `plain_text` object, cut to `max` characters. Slack parses no mrkdwn, links or mentions
/// in plain text, but clients differ in what they show for `&lt;`, so instead of escaping,
/// `<` and `>` become `‹` and `›` and an `@` at a word start gets a zero-width space: the
/// header reads the same and is inert wherever it is rendered.
fn plain(text: &str, max: usize) -> Value {
    let mut out = String::with_capacity(text.len());
    let mut prev: Option<char> = None;
    for c in one_line(text, max).chars() {
        match c {
            '<' => out.push('‹'),
            '>' => out.push('›'),
            '@' if !prev.is_some_and(char::is_alphanumeric) => out.push_str("@\u{200b}"),
            c if crate::text::is_dangerous(c) => {}
            c => out.push(c),
        }
        prev = Some(c);
    }
    let out: String = out.chars().take(max).collect();
    json!({"type": "plain_text", "text": out, "emoji": true})
}

/// A `mrkdwn` field: bold label, newline, escaped value.
fn field(label: &str, text: &str) -> Value {
    json!({"type": "mrkdwn", "text": format!("*{label}*\n{}", value(text))})
}

/// Untrusted text for mrkdwn: one line, cut, escaped.
fn value(text: &str) -> String {
    mrkdwn(&one_line(text, VALUE_MAX))
}

/// `<url|label>` for an `http(s)` URL, else `None` (a `javascript:` or `slack://` link from
/// a feed is dropped). `|`, `<`, `>` and spaces in the URL are percent-encoded, `&` escaped.
pub fn link(url: &str, label: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) || url.len() > 2000 {
        return None;
    }
    let mut safe = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            '|' => safe.push_str("%7C"),
            '<' => safe.push_str("%3C"),
            '>' => safe.push_str("%3E"),
            ' ' => safe.push_str("%20"),
            '&' => safe.push_str("&amp;"),
            c if c.is_control() || crate::text::is_dangerous(c) => return None,
            c => safe.push(c),
        }
    }
    Some(format!("<{safe}|{}>", value(label)))
}

/// A client of one incoming webhook.
pub struct Client {
    url: String,
    transport: Transport,
}

impl Client {
    /// The client for the webhook `url` (`KEVGATE_SLACK_WEBHOOK`): `https`, or `http` to a
    /// loopback address (tests, a local relay). `extra_roots`: `SSL_CERT_FILE`.
    pub fn new(url: &str, extra_roots: Option<&std::path::Path>) -> Result<Client, String> {
        let url = url.trim();
        let parsed = reqwest::Url::parse(url)
            .map_err(|_| "`KEVGATE_SLACK_WEBHOOK` is not a URL".to_owned())?;
        let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        if !(parsed.scheme() == "https" || (parsed.scheme() == "http" && loopback)) {
            return Err(
                "`KEVGATE_SLACK_WEBHOOK` is not an https URL; hint: Slack's incoming \
                        webhooks are `https://hooks.slack.com/services/...`"
                    .to_owned(),
            );
        }
        let transport = Transport::new(
            extra_roots,
            vec![url.to_owned(), parsed.path().to_owned()],
            None,
            Duration::from_secs(1),
        )?;
        Ok(Client {
            url: url.to_owned(),
            transport,
        })
    }

    /// Posts one message. `Err`: a one-line reason, Slack's own word and a hint, no URL.
    pub fn post(&mut self, payload: &Value) -> Result<(), String> {
        let answer = self
            .transport
            .send(Method::Post, &self.url.clone(), Some(payload))?;
        if answer.status == 200 {
            return Ok(());
        }
        let said = self
            .transport
            .redact(&transport::describe_body(&answer.body));
        let hint = match said.as_str() {
            "invalid_payload" | "invalid_blocks" | "invalid_blocks_format" => {
                "; hint: Slack refused the message's Block Kit (please report it to kevgate)"
            }
            "no_service" | "no_team" | "team_disabled" | "invalid_token" => {
                "; hint: the webhook is revoked or disabled: create a new incoming webhook and \
                 update `KEVGATE_SLACK_WEBHOOK`"
            }
            "channel_not_found" | "channel_is_archived" => {
                "; hint: the webhook's channel is gone or archived: create a webhook for a live \
                 channel"
            }
            "action_prohibited" => "; hint: a workspace admin restricts posting to this channel",
            _ if answer.status == 429 => "; hint: Slack's rate limit (one message per second)",
            _ => "",
        };
        Err(if said.is_empty() {
            format!("HTTP {}{hint}", answer.status)
        } else {
            format!("HTTP {} `{said}`{hint}", answer.status)
        })
    }
}
