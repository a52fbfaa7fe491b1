//! The state contract of a tracking issue: the hidden key marker and the machine-readable
//! state block in the issue body, parsed strictly and rendered deterministically.
//!
//! ```text
//! <!-- kevgate:key pkg:npm/lodash CVE-2021-23337 -->
//! ... the human-readable body ...
//! <!-- kevgate:state
//! { "v": 1, "key": ..., ... }
//! -->
//! ```
//!
//! GitHub is kevgate's only state store (issue 13), so this block is a contract: `kevgate
//! track`, `kevgate watch` (its `release:<tag>` places), the Slack/Jira notifications (what
//! was sent, `notified`) and `kevgate report` (transitions and credits) all read and write
//! it. Its fields are documented in `docs/tracking.md`; a change that is not additive bumps
//! [`STATE_VERSION`].
//!
//! Anyone with triage access can edit an issue body, so the block is untrusted input: it is
//! parsed with `deny_unknown_fields`, every date and kind checked, and the marker's key must
//! equal the block's. A body that fails any check is [`Parsed::Garbled`]: the caller leaves
//! that issue alone and reports a note, rather than crash or silently start a fresh state
//! (which would resend every notification and forget who fixed what).
//!
//! The JSON is written with `<`, `>` and `&` as `\u003c`, `\u003e`, `\u0026` (still the same
//! JSON), so no value taken from an SBOM can close the HTML comment and inject Markdown.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The version of the state block's shape; [`TrackState::v`] must equal it.
pub const STATE_VERSION: u32 = 1;

/// The start of the hidden key marker: `<!-- kevgate:key KEY -->`.
pub const KEY_MARKER: &str = "<!-- kevgate:key ";
/// The start of the state block: `<!-- kevgate:state\n{json}\n-->`.
pub const STATE_START: &str = "<!-- kevgate:state\n";
/// The end of the state block.
pub const STATE_END: &str = "\n-->";
/// Longest state block parsed (bytes); GitHub caps an issue body at 65536 characters.
const MAX_STATE_BYTES: usize = 256 * 1024;

/// The state of one tracking issue: one (package, vulnerability) in one repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackState {
    /// Shape version, [`STATE_VERSION`].
    pub v: u32,
    /// The tracking key ([`super::key`]): `<versionless purl> <vulnerability id>`. Stable: it
    /// never changes once the issue exists, even if the primary id of the finding does.
    pub key: String,
    /// The package as a purl without version, qualifiers or subpath (`pkg:npm/lodash`).
    pub package: String,
    /// The package's display name (`lodash`, `org.apache.logging.log4j:log4j-core`).
    pub name: String,
    /// The vulnerability id the key was made with (`CVE-2021-23337`, `GHSA-…`, `MAL-…`).
    pub vulnerability: String,
    /// Its other ids (sorted); a finding whose id or aliases meet these is the same one.
    pub aliases: Vec<String>,
    /// The class that sets the due date, labels and notifications.
    pub class: Class,
    /// The first day a run saw it.
    pub first_seen: Date,
    /// When it is due: KEV's due date, else `first_seen` plus the configured SLA; `null`
    /// when neither applies.
    pub due: Option<Date>,
    /// Where it is present now, by place (`default-branch`, `release:v1.2.0`). A place is
    /// removed when a run for it no longer finds it; the issue closes when none is left.
    pub places: BTreeMap<String, PlaceState>,
    /// The lifecycle, oldest first. Ids are 1, 2, 3, … in order and never reused.
    pub transitions: Vec<Transition>,
    /// The notifications already sent, by transition id (each is sent once).
    pub notified: Notified,
    /// Who removed it, when the last close was a fix that could be credited.
    pub fixed_by: Option<FixedBy>,
}

/// How a finding is classed, most urgent first (the order of the derive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// A known-malicious package version.
    Malicious,
    /// In CISA KEV.
    Kev,
    /// Severity critical.
    Critical,
    /// Severity high.
    High,
    /// Severity medium.
    Medium,
    /// Severity low.
    Low,
    /// No severity known.
    Unknown,
}

impl Class {
    /// The lower-case name (`kev`), as in the state and the config's `sla`/`runbooks` keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Malicious => "malicious",
            Class::Kev => "kev",
            Class::Critical => "critical",
            Class::High => "high",
            Class::Medium => "medium",
            Class::Low => "low",
            Class::Unknown => "unknown",
        }
    }
}

/// Where a finding was seen at one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceState {
    /// What was scanned there: the commit SHA (`default-branch`) or the release tag.
    pub revision: String,
    /// The vulnerable versions seen (sorted).
    pub versions: Vec<String>,
    /// The manifests (lockfiles) they came from, as trivy names them (sorted).
    pub manifests: Vec<String>,
    /// The day of the run that last saw it there.
    pub seen: Date,
}

/// What happened to a tracking issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionKind {
    /// The issue was created.
    Opened,
    /// A closed issue's finding came back.
    Reopened,
    /// No place holds the finding any more: closed as completed.
    Fixed,
    /// The finding is ignored (config, VEX): closed as not planned.
    NotPlanned,
}

impl TransitionKind {
    /// The snake-case name, as in the state.
    pub fn as_str(self) -> &'static str {
        match self {
            TransitionKind::Opened => "opened",
            TransitionKind::Reopened => "reopened",
            TransitionKind::Fixed => "fixed",
            TransitionKind::NotPlanned => "not_planned",
        }
    }
}

/// One lifecycle step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    /// 1-based, in order; what `notified` refers to.
    pub id: u32,
    /// What happened.
    pub kind: TransitionKind,
    /// The day of the run.
    pub at: Date,
    /// The place whose run caused it.
    pub place: String,
    /// The commit SHA or tag scanned there.
    pub revision: String,
    /// Why (`not_planned`: the ignore's or VEX statement's reason); `null` otherwise.
    pub reason: Option<String>,
}

/// The notifications sent so far (issue 15): each transition is notified once per channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notified {
    /// Transition ids a Slack message was sent for (sorted).
    pub slack: Vec<u32>,
    /// The Jira side.
    pub jira: JiraState,
}

/// The Jira issue of a tracking issue and the transitions it was told about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JiraState {
    /// The Jira issue key (`SEC-123`), once created.
    pub key: Option<String>,
    /// Transition ids the Jira issue was created, commented or transitioned for (sorted).
    pub transitions: Vec<u32>,
}

/// The change credited with a fix (issue 15, item 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedBy {
    /// The pull request number.
    pub pr: u64,
    /// Its author's login.
    pub author: String,
    /// The logins of its commits' authors (sorted, without duplicates; may include `author`).
    pub commit_authors: Vec<String>,
    /// When it was merged (RFC 3339, as GitHub gives it), if known.
    pub merged_at: Option<String>,
    /// The scanned commit that no longer has the finding.
    pub sha: String,
    /// The upgrade, `4.17.15 → 4.17.21`, when the new version is known.
    pub upgrade: Option<String>,
}

/// What an issue body holds, as far as tracking goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// No kevgate key marker: not a tracking issue (someone else used the label).
    Untracked,
    /// A valid marker and state block.
    Tracked(Box<TrackState>),
    /// A marker, but the state is missing, forged or garbled: leave the issue alone.
    Garbled {
        /// The key the marker names, when it names one.
        key: Option<String>,
        /// What is wrong, lower case, for a note.
        reason: String,
    },
}

/// Reads the tracking state out of an issue body. Never panics, whatever the body.
pub fn parse(body: &str) -> Parsed {
    let Some(at) = body.find(KEY_MARKER) else {
        return Parsed::Untracked;
    };
    let rest = &body[at + KEY_MARKER.len()..];
    let key = rest
        .split_once(" -->")
        .map(|(k, _)| k)
        .filter(|k| !k.contains('\n') && valid_key(k));
    let Some(key) = key else {
        return garbled(None, "the key marker is malformed");
    };
    let key = key.to_owned();
    if body.matches(KEY_MARKER).count() > 1 {
        return garbled(Some(key), "the body has more than one key marker");
    }
    let Some(start) = body.find(STATE_START) else {
        return garbled(Some(key), "the state block is missing");
    };
    if body.matches(STATE_START).count() > 1 {
        return garbled(Some(key), "the body has more than one state block");
    }
    let json = &body[start + STATE_START.len()..];
    let Some(end) = json.find(STATE_END) else {
        return garbled(Some(key), "the state block is not closed");
    };
    let json = &json[..end];
    if json.len() > MAX_STATE_BYTES {
        return garbled(Some(key), "the state block is too large");
    }
    let state: TrackState = match serde_json::from_str(json) {
        Ok(s) => s,
        Err(e) => {
            let why = format!("the state block is not valid: {e}");
            return garbled(Some(key), &why);
        }
    };
    if let Err(why) = check(&state, &key) {
        return garbled(Some(key), &why);
    }
    Parsed::Tracked(Box::new(state))
}

fn garbled(key: Option<String>, reason: &str) -> Parsed {
    Parsed::Garbled {
        key,
        reason: crate::text::one_line(reason, 200).into_owned(),
    }
}

/// The checks serde cannot make: version, key agreement, transition ids.
fn check(state: &TrackState, key: &str) -> Result<(), String> {
    if state.v != STATE_VERSION {
        return Err(format!(
            "the state block has version `{}`, this kevgate reads `{STATE_VERSION}`",
            state.v
        ));
    }
    if state.key != key {
        return Err("the state block's key differs from the key marker's".to_owned());
    }
    for (i, t) in state.transitions.iter().enumerate() {
        if usize::try_from(t.id).ok() != Some(i + 1) {
            return Err("the state block's transition ids are not 1, 2, 3, …".to_owned());
        }
    }
    let known = |id: &u32| (1..=state.transitions.len()).contains(&(*id as usize));
    if !state.notified.slack.iter().all(known) || !state.notified.jira.transitions.iter().all(known)
    {
        return Err("the state block's `notified` names an unknown transition".to_owned());
    }
    Ok(())
}

/// Whether `k` is a key kevgate writes: a purl and an id, one space apart, of characters that
/// cannot end an HTML comment or start Markdown ([`super::key`] percent-encodes the rest).
pub fn valid_key(k: &str) -> bool {
    let mut parts = k.split(' ');
    let (Some(purl), Some(id), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !purl.is_empty()
        && !id.is_empty()
        && k.len() <= 512
        && k.bytes().all(|b| b == b' ' || key_byte(b))
}

/// The bytes a key keeps as they are.
pub(crate) fn key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'.' | b'_' | b'~' | b':' | b'/' | b'@' | b'%' | b'+' | b'-'
        )
}

/// The key marker line for `key`.
pub fn key_marker(key: &str) -> String {
    format!("{KEY_MARKER}{key} -->")
}

/// The state block for `state`: deterministic (struct order, sorted maps), pretty-printed,
/// with `<`, `>`, `&` escaped as JSON `\u` escapes so no value can end the comment.
pub fn render(state: &TrackState) -> String {
    let json = serde_json::to_string_pretty(state).expect("the state serializes");
    let json = json
        .replace('&', "\\u0026")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e");
    format!("{STATE_START}{json}{STATE_END}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        s.parse().expect("date")
    }

    fn state() -> TrackState {
        TrackState {
            v: 1,
            key: "pkg:npm/lodash CVE-2021-23337".into(),
            package: "pkg:npm/lodash".into(),
            name: "lodash".into(),
            vulnerability: "CVE-2021-23337".into(),
            aliases: vec!["GHSA-35jh-r3h4-6jhm".into()],
            class: Class::High,
            first_seen: date("2026-01-02"),
            due: Some(date("2026-02-01")),
            places: BTreeMap::from([(
                "default-branch".into(),
                PlaceState {
                    revision: "a".repeat(40),
                    versions: vec!["4.17.15".into()],
                    manifests: vec!["web/package-lock.json --> <b>x</b> & y".into()],
                    seen: date("2026-01-02"),
                },
            )]),
            transitions: vec![Transition {
                id: 1,
                kind: TransitionKind::Opened,
                at: date("2026-01-02"),
                place: "default-branch".into(),
                revision: "a".repeat(40),
                reason: None,
            }],
            notified: Notified::default(),
            fixed_by: None,
        }
    }

    fn body(s: &TrackState) -> String {
        format!("{}\n\nhello\n\n{}\n", key_marker(&s.key), render(s))
    }

    /// The state survives a render and parse unchanged, and hostile text in a value cannot
    /// close the comment (no `-->`, `<` or `>` inside the block).
    #[test]
    fn round_trip() {
        let s = state();
        let b = body(&s);
        let block = &b[b.find(STATE_START).unwrap()..];
        assert_eq!(block.matches("-->").count(), 1, "{block}");
        assert!(!block[STATE_START.len()..].contains('<'));
        assert_eq!(parse(&b), Parsed::Tracked(Box::new(s.clone())));
        assert_eq!(render(&s), render(&s.clone()));
    }

    /// Bodies someone edited by hand are garbled (left alone), never a fresh state or a panic.
    #[test]
    fn forged_and_garbled() {
        let s = state();
        let good = body(&s);
        assert_eq!(parse("just a human issue"), Parsed::Untracked);
        let cases: Vec<(String, &str)> = vec![
            (good.replace("\"v\": 1", "\"v\": 2"), "version `2`"),
            (good.replace("\"high\"", "\"urgent\""), "not valid"),
            (good.replace("\"2026-01-02\"", "\"yesterday\""), "not valid"),
            (
                good.replace("\"name\"", "\"admin\": true, \"name\""),
                "not valid",
            ),
            (good.replace(STATE_END, ""), "not closed"),
            (good.replace(STATE_START, "<!-- state\n"), "missing"),
            (
                format!("{good}{}", key_marker("pkg:npm/x CVE-1")),
                "more than one key",
            ),
            (
                good.replace(
                    &key_marker(&s.key),
                    &key_marker("pkg:npm/evil CVE-2021-23337"),
                ),
                "differs",
            ),
            (good.replace("\"id\": 1", "\"id\": 7"), "transition ids"),
            (
                good.replace("\"slack\": []", "\"slack\": [3]"),
                "unknown transition",
            ),
            (
                good.replace(&key_marker(&s.key), "<!-- kevgate:key <img> -->"),
                "malformed",
            ),
            (good.replace('{', "["), "not valid"),
        ];
        for (body, want) in cases {
            match parse(&body) {
                Parsed::Garbled { reason, .. } => assert!(reason.contains(want), "{reason}"),
                other => panic!("{want}: {other:?}"),
            }
        }
    }

    /// Keys: a purl and an id, one space apart, of safe characters only.
    #[test]
    fn keys() {
        assert!(valid_key("pkg:npm/%40babel/core CVE-2021-1"));
        assert!(!valid_key("pkg:npm/a"));
        assert!(!valid_key("pkg:npm/a CVE-1 x"));
        assert!(!valid_key("pkg:npm/a--> CVE-1"));
        assert!(!valid_key("pkg:npm/a CVE-1\n"));
    }
}
