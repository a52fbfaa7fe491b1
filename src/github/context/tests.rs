use super::*;
use std::collections::BTreeMap;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/github/{name}.payload.json",
        env!("CARGO_MANIFEST_DIR")
    );
    fs_err::read(path).expect("fixture exists")
}

fn env(event: &str) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("GITHUB_EVENT_NAME", event.to_owned()),
        ("GITHUB_REPOSITORY", "Codertocat/Hello-World".to_owned()),
        (
            "GITHUB_SHA",
            "1111111111111111111111111111111111111111".to_owned(),
        ),
        ("GITHUB_RUN_ID", "1658821493".to_owned()),
    ])
}

fn context(vars: &BTreeMap<&'static str, String>, payload: &[u8]) -> Result<Context, ContextError> {
    Context::from_env(&|k| vars.get(k).cloned(), payload)
}

/// A `schedule` run reports on `GITHUB_SHA`, the default branch's latest commit (its
/// payload names only the cron line).
#[test]
fn schedule() {
    let ctx = context(&env("schedule"), br#"{"schedule": "0 6 * * *"}"#).expect("context");
    assert_eq!(ctx.event, Event::Schedule);
    assert_eq!(ctx.sha, "1111111111111111111111111111111111111111");
    assert_eq!(ctx.pull_request(), None);
}

/// Each event picks the commit a reviewer sees, from the real webhook payloads
/// (octokit/webhooks examples; a real merged-PR payload), and unsupported ones fail.
#[test]
fn sha_per_event() {
    type Case = (
        &'static str,
        &'static str,
        Result<(&'static str, Event), ContextError>,
    );
    let cases: &[Case] = &[
        (
            "pull_request",
            "pull_request.opened",
            Ok((
                "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
                Event::PullRequest {
                    number: 2,
                    merged: false,
                },
            )),
        ),
        (
            "pull_request",
            "pull_request.synchronize",
            Ok((
                "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
                Event::PullRequest {
                    number: 2,
                    merged: false,
                },
            )),
        ),
        (
            "pull_request",
            "pull_request.reopened",
            Ok((
                "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
                Event::PullRequest {
                    number: 2,
                    merged: false,
                },
            )),
        ),
        (
            "pull_request",
            "pull_request.closed.MERGED",
            Ok((
                "5a47c3f3c22f54f37a3297f2f1c98d860fba4489",
                Event::PullRequest {
                    number: 117,
                    merged: true,
                },
            )),
        ),
        (
            "pull_request",
            "pull_request.closed",
            Err(ContextError::ClosedNotMerged(2)),
        ),
        (
            "push",
            "push.with-new-branch",
            Ok(("6113728f27ae82c7b1a177c8d03f9e96e0adf246", Event::Push)),
        ),
        (
            "push",
            "push",
            Err(ContextError::DeletedRef("refs/tags/simple-tag".into())),
        ),
        (
            "workflow_dispatch",
            "workflow_dispatch",
            Ok((
                "1111111111111111111111111111111111111111",
                Event::WorkflowDispatch { resolve: None },
            )),
        ),
        (
            "merge_group",
            "merge_group.checks_requested",
            Ok((
                "2ffea6db159f6b6c47a24e778fb9ef40cf6b1c7d",
                Event::MergeGroup,
            )),
        ),
        (
            "workflow_run",
            "workflow_run.completed.with-pull-requests",
            Ok((
                "3484a3fb816e0859fd6e1cea078d76385ff50625",
                Event::WorkflowRun {
                    pull_request: Some(2),
                },
            )),
        ),
        // A payload of another event than the name says: no guessing.
        (
            "push",
            "pull_request.opened",
            Err(ContextError::Payload {
                event: "push".into(),
                reason: "`after` is missing".into(),
            }),
        ),
        (
            "issue_comment",
            "pull_request.opened",
            Err(ContextError::Unsupported {
                event: "issue_comment".into(),
                action: Some("opened".into()),
            }),
        ),
    ];
    for (event, file, want) in cases {
        let got = context(&env(event), &fixture(file)).map(|c| (c.sha.clone(), c.event));
        let want = want
            .as_ref()
            .map(|(sha, ev)| (sha.to_string(), ev.clone()))
            .map_err(Clone::clone);
        assert_eq!(got, want, "{event} {file}");
    }
}

/// `workflow_dispatch` with a `ref` input: a SHA is taken as it is, the running ref is
/// `GITHUB_SHA`, another branch is left to resolve, a hostile one refused; a fork PR's
/// `workflow_run` (empty `pull_requests`) has a SHA but no PR to comment on.
#[test]
fn dispatch_ref_and_fork_run() {
    let vars = env("workflow_dispatch");
    let dispatch = |input: &str| {
        let payload = serde_json::json!({
            "inputs": {"ref": input, "sbom": "sbom.cdx.json"},
            "ref": "refs/heads/main",
        });
        context(&vars, payload.to_string().as_bytes()).map(|c| (c.sha, c.event))
    };
    let sha = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
    assert_eq!(
        dispatch(sha),
        Ok((sha.to_owned(), Event::WorkflowDispatch { resolve: None }))
    );
    let running = ("1".repeat(40), Event::WorkflowDispatch { resolve: None });
    assert_eq!(dispatch("main"), Ok(running.clone()));
    assert_eq!(dispatch("refs/heads/main"), Ok(running.clone()));
    assert_eq!(dispatch(""), Ok(running));
    assert_eq!(
        dispatch("release/1.x"),
        Ok((
            "1".repeat(40),
            Event::WorkflowDispatch {
                resolve: Some("release/1.x".into())
            }
        ))
    );
    for bad in ["../../orgs", "a b", "x?y", "-x"] {
        assert!(
            matches!(
                dispatch(bad),
                Err(ContextError::Invalid {
                    name: "inputs.ref",
                    ..
                })
            ),
            "{bad}"
        );
    }

    let mut payload: serde_json::Value =
        serde_json::from_slice(&fixture("workflow_run.completed.with-pull-requests"))
            .expect("JSON");
    payload["workflow_run"]["pull_requests"] = serde_json::json!([]);
    let c = context(&env("workflow_run"), payload.to_string().as_bytes()).expect("valid");
    assert_eq!(c.sha, "3484a3fb816e0859fd6e1cea078d76385ff50625");
    assert_eq!(c.pull_request(), None);
}

/// The rest of the context: GHES URLs, the run URL, defaults, and refused values.
#[test]
fn urls_and_validation() {
    let payload = fixture("pull_request.opened");
    let c = context(&env("pull_request"), &payload).expect("valid");
    assert_eq!(c.api_url, "https://api.github.com");
    assert_eq!(
        c.run_url().as_deref(),
        Some("https://github.com/Codertocat/Hello-World/actions/runs/1658821493")
    );
    assert_eq!(
        c.repo_api(),
        "https://api.github.com/repos/Codertocat/Hello-World"
    );
    assert_eq!(c.pull_request(), Some(2));

    let mut vars = env("pull_request");
    vars.insert("GITHUB_API_URL", "https://ghes.example.com/api/v3/".into());
    vars.insert("GITHUB_SERVER_URL", "https://ghes.example.com".into());
    let c = context(&vars, &payload).expect("valid");
    assert_eq!(c.api_url, "https://ghes.example.com/api/v3");
    assert_eq!(c.server_url, "https://ghes.example.com");

    let bad: &[(&'static str, &str)] = &[
        ("GITHUB_REPOSITORY", "../../orgs/x"),
        ("GITHUB_REPOSITORY", "owner"),
        ("GITHUB_REPOSITORY", "a/b/c"),
        ("GITHUB_API_URL", "file:///etc/passwd"),
        ("GITHUB_API_URL", "https://x.example/?q"),
        ("GITHUB_RUN_ID", "1; rm -rf"),
    ];
    for (name, value) in bad {
        let mut vars = env("pull_request");
        vars.insert(name, value.to_string());
        let err = context(&vars, &payload).expect_err(value);
        assert!(
            matches!(err, ContextError::Invalid { name: n, .. } if n == *name),
            "{name}={value}: {err}"
        );
    }
    let mut vars = env("workflow_dispatch");
    vars.insert("GITHUB_SHA", "main".into());
    assert!(context(&vars, b"").is_err());
    vars.remove("GITHUB_EVENT_NAME");
    assert_eq!(
        context(&vars, b""),
        Err(ContextError::Missing("GITHUB_EVENT_NAME"))
    );
    assert!(matches!(
        context(&env("pull_request"), b"{not json"),
        Err(ContextError::Payload { .. })
    ));
    // A payload with hostile text in the action: the message stays one escaped line.
    let err = context(
        &env("pull_request"),
        br#"{"action":"x\n::error::pwned","pull_request":{"number":1}}"#,
    )
    .expect_err("unsupported");
    assert!(!err.to_string().contains('\n'), "{err}");
}
