//! `kevgate report`'s GitHub side: reads the tracking issues, and with `--post` keeps one
//! pinned issue "kevgate weekly report" up to date.
//!
//! The tracking issues are listed exactly as `kevgate track` lists them (`GET
//! /issues?labels=kevgate&state=all`, paginated, pull requests skipped; [`super::track`]),
//! and each body's state block is parsed strictly: an issue whose block cannot be read is left
//! out with a note, never guessed at.
//!
//! The report issue is found by the label `kevgate-report` and the hidden marker
//! [`MARKER`] in its body (listing open issues with that label; a label alone could be put
//! on any issue by anyone with triage access, so the marker must be there too), edited in
//! place, or created and then pinned (GraphQL `pinIssue`: the REST API cannot pin). Pinning
//! is best effort: a token that may not pin, or GitHub Enterprise Server's separate GraphQL
//! path, gives a warning.

use super::client::{Method, describe};
use super::track::{Repo, api, list_issues};
use crate::track::state::{self, Parsed};
use crate::weekly::Tracked;
use serde_json::json;

/// The label of the report issue (not `kevgate`: it is no tracking issue).
pub const LABEL: &str = "kevgate-report";
/// The hidden marker that identifies the report issue.
pub const MARKER: &str = "<!-- kevgate:weekly-report -->";
/// Longest body posted (GitHub refuses more than 65536 characters).
const MAX_BODY: usize = 60_000;
/// The report issue's title.
pub const TITLE: &str = "kevgate weekly report";

/// The tracking issues with a readable state, and notes about the others.
pub fn tracked(repo: &Repo<'_>) -> Result<(Vec<Tracked>, Vec<String>), String> {
    let api = api(repo)?;
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for issue in list_issues(&api)? {
        match state::parse(&issue.body) {
            Parsed::Tracked(s) => out.push(Tracked {
                number: issue.number,
                url: issue.url,
                open: issue.open,
                state: *s,
            }),
            Parsed::Untracked => {}
            Parsed::Garbled { reason, .. } => notes.push(format!(
                "issue #{} is left out: its state block cannot be read ({reason})",
                issue.number
            )),
        }
    }
    Ok((out, notes))
}

/// Writes `markdown` into the report issue (edit, or create and pin). Returns the issue's
/// number and warnings.
pub fn post(repo: &Repo<'_>, markdown: &str) -> Result<(u64, Vec<String>), String> {
    let api = api(repo)?;
    let mut body = format!("{MARKER}\n{markdown}");
    if body.len() > MAX_BODY {
        let mut end = MAX_BODY - 200;
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        let cut = body[..end].rfind('\n').unwrap_or(end);
        body.truncate(cut);
        body.push_str("\n\n(cut to fit an issue; the full report is in the job's output)\n");
    }
    let mut warnings = Vec::new();
    let r = api.send(
        Method::Get,
        &format!("/issues?labels={LABEL}&state=open&per_page=100"),
        None,
    )?;
    if r.status != 200 {
        return Err(describe("cannot list the report issue", &r));
    }
    let listed: Vec<serde_json::Value> =
        serde_json::from_str(&r.body).map_err(|e| format!("GitHub's issue list: {e}"))?;
    let existing = listed
        .iter()
        .filter(|i| i["pull_request"].is_null())
        .find(|i| i["body"].as_str().is_some_and(|b| b.starts_with(MARKER)))
        .and_then(|i| i["number"].as_u64());
    if let Some(number) = existing {
        let r = api.json(
            Method::Patch,
            &format!("/issues/{number}"),
            &json!({"title": TITLE, "body": body}),
        )?;
        if r.status != 200 {
            return Err(describe(&format!("cannot update issue #{number}"), &r));
        }
        return Ok((number, warnings));
    }
    let r = api.json(
        Method::Post,
        "/issues",
        &json!({"title": TITLE, "body": body, "labels": [LABEL]}),
    )?;
    if r.status != 201 {
        return Err(describe("cannot create the report issue", &r));
    }
    let created: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
    let number = created["number"].as_u64().unwrap_or_default();
    match created["node_id"].as_str() {
        Some(id) => {
            let query = json!({
                "query": "mutation($id: ID!) { pinIssue(input: {issueId: $id}) { issue { number } } }",
                "variables": {"id": id},
            });
            match api.send_uri(Method::Post, "/graphql", "/graphql", Some(&query)) {
                Ok(r) if r.status == 200 && !r.body.contains("\"errors\"") => {}
                Ok(r) => warnings.push(describe(&format!("cannot pin issue #{number}"), &r)),
                Err(e) => warnings.push(format!("cannot pin issue #{number}: {e}")),
            }
        }
        None => warnings.push(format!(
            "cannot pin issue #{number}: no `node_id` in GitHub's answer"
        )),
    }
    Ok((number, warnings))
}
