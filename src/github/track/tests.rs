use super::*;

/// Tracking acts on default-branch runs only: a push to it, a PR merged into it, a
/// schedule, a dispatch on it; never a pull request, a merge queue, another branch.
#[test]
fn default_branch_runs_only() {
    let ctx = |event| Context {
        event,
        sha: "a".repeat(40),
        owner: "o".into(),
        repo: "r".into(),
        api_url: String::new(),
        server_url: String::new(),
        run_id: None,
        base_sha: None,
    };
    let payload = |r#ref: &str, base: &str| {
        serde_json::json!({"ref": r#ref, "repository": {"default_branch": "main"},
            "pull_request": {"base": {"ref": base}}})
        .to_string()
    };
    let merged = Event::PullRequest {
        number: 1,
        merged: true,
    };
    let open = Event::PullRequest {
        number: 1,
        merged: false,
    };
    let dispatch = Event::WorkflowDispatch { resolve: None };
    for (event, body, git_ref, acts) in [
        (Event::Push, payload("refs/heads/main", ""), None, true),
        (Event::Push, payload("refs/heads/dev", ""), None, false),
        (merged.clone(), payload("", "main"), None, true),
        (merged, payload("", "release-1"), None, false),
        (open, payload("", "main"), None, false),
        (Event::Schedule, String::new(), None, true),
        (
            dispatch.clone(),
            payload("refs/heads/main", ""),
            Some("refs/heads/main"),
            true,
        ),
        (
            dispatch,
            payload("refs/heads/dev", ""),
            Some("refs/heads/dev"),
            false,
        ),
        (
            Event::MergeGroup,
            payload("refs/heads/main", ""),
            None,
            false,
        ),
        (Event::Push, "{}".to_owned(), None, false),
    ] {
        let why = skip_reason(&ctx(event.clone()), body.as_bytes(), git_ref);
        assert_eq!(why.is_none(), acts, "{event:?} {body}: {why:?}");
    }
}
