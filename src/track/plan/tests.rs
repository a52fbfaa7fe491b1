use super::*;
use crate::track::Class;
use crate::track::input;

fn report(findings: &[(&str, &str, &str)]) -> Report {
    // (purl, id, decision)
    let findings: Vec<serde_json::Value> = findings
        .iter()
        .map(|(purl, id, decision)| {
            serde_json::json!({
                "id": id, "aliases": [], "severity": "critical", "severity_source": "nvd",
                "component": {"purl": purl, "name": "lodash", "version": purl.rsplit('@').next()},
                "kev": null, "malicious": false, "epss": null, "fixed_versions": ["4.17.21"],
                "decision": decision, "ignored_reason": (*decision == "ignored").then_some("not reachable, see #12"),
                "priority": "attend", "summary": null, "url": "https://osv.dev/x"
            })
        })
        .collect();
    let json = serde_json::json!({"schema_version": "1", "findings": findings, "remediations": []});
    input::parse(json.to_string().as_bytes()).expect("a report")
}

static NO_ROUTES: Routes = Routes {
    slack: Vec::new(),
    jira: Vec::new(),
};

fn run<'a>(place: &'a str, settings: &'a Settings) -> Run<'a> {
    Run {
        place,
        revision: "v1.0.0",
        today: "2026-01-10".parse().expect("date"),
        scope: Scope::Fail,
        max_new: 20,
        settings,
        codeowners: None,
        present: None,
        credit: None,
        routes: &NO_ROUTES,
    }
}

/// Applies a plan's writes to the issues, as GitHub would.
fn apply(issues: &mut Vec<Issue>, p: &Plan) {
    for w in &p.writes {
        let open = !matches!(
            w.change,
            Some(StateChange::CloseCompleted | StateChange::CloseNotPlanned)
        );
        match w.number {
            None => issues.push(Issue {
                number: issues.len() as u64 + 1,
                open: true,
                title: w.title.clone().unwrap_or_default(),
                body: w.full_body.clone(),
                labels: w.labels.clone().unwrap_or_default(),
                url: String::new(),
            }),
            Some(n) => {
                let i = issues.iter_mut().find(|i| i.number == n).expect("issue");
                i.body = w.full_body.clone();
                if let Some(l) = &w.labels {
                    i.labels = l.clone();
                }
                if let Some(t) = &w.title {
                    i.title = t.clone();
                }
                i.open = open;
            }
        }
    }
}

/// A release place keeps the issue open after the default branch is fixed; the issue
/// closes when the release no longer has it either. An ignored finding closes as not
/// planned with its reason. Each step rerun writes nothing.
#[test]
fn places_and_ignores() {
    let settings = Settings::default();
    let mut issues = Vec::new();
    let lodash = report(&[("pkg:npm/lodash@4.17.15", "CVE-2021-23337", "fail")]);
    let none = report(&[]);
    for (place, rep) in [(DEFAULT_BRANCH, &lodash), ("release:v1", &lodash)] {
        let p = plan(rep, &issues, &run(place, &settings));
        apply(&mut issues, &p);
        assert!(plan(rep, &issues, &run(place, &settings)).writes.is_empty());
    }
    assert_eq!(issues.len(), 1);
    // The default branch is fixed: the release still has it, so the issue stays open.
    let p = plan(&none, &issues, &run(DEFAULT_BRANCH, &settings));
    assert_eq!(p.writes.len(), 1);
    assert_eq!(p.writes[0].change, None);
    assert!(!p.needs_credit);
    apply(&mut issues, &p);
    assert!(issues[0].open);
    // The release is gone too: closed as completed.
    let p = plan(&none, &issues, &run("release:v1", &settings));
    assert_eq!(p.writes[0].change, Some(StateChange::CloseCompleted));
    let e = p.writes[0].event.as_ref().expect("a transition event");
    assert_eq!((e.kind, e.transition), (TransitionKind::Fixed, 2));
    assert_eq!(e.versions, ["4.17.15"]);
    assert_eq!(e.title, "CVE-2021-23337 in lodash — critical");
    assert!(!p.needs_credit, "a release place credits no PR");
    apply(&mut issues, &p);
    assert!(
        plan(&none, &issues, &run("release:v1", &settings))
            .writes
            .is_empty()
    );
    // Back on the default branch: reopened; then ignored: closed as not planned.
    let p = plan(&lodash, &issues, &run(DEFAULT_BRANCH, &settings));
    assert_eq!(p.writes[0].change, Some(StateChange::Reopen));
    apply(&mut issues, &p);
    let ignored = report(&[("pkg:npm/lodash@4.17.15", "CVE-2021-23337", "ignored")]);
    let p = plan(&ignored, &issues, &run(DEFAULT_BRANCH, &settings));
    assert_eq!(p.writes[0].change, Some(StateChange::CloseNotPlanned));
    assert!(
        p.writes[0]
            .comment
            .as_deref()
            .is_some_and(|c| c.contains("not reachable, see &#35;12"))
    );
    let kinds: Vec<TransitionKind> = p.writes[0]
        .state
        .transitions
        .iter()
        .map(|t| t.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            TransitionKind::Opened,
            TransitionKind::Fixed,
            TransitionKind::Reopened,
            TransitionKind::NotPlanned
        ]
    );
    // SLA: critical, 14 days from first seen.
    assert_eq!(
        p.writes[0].state.due,
        Some("2026-01-24".parse().expect("date"))
    );
}

/// An issue a person closed while the finding is still there is not reopened.
#[test]
fn closed_by_a_person_stays_closed() {
    let settings = Settings::default();
    let mut issues = Vec::new();
    let lodash = report(&[("pkg:npm/lodash@4.17.15", "CVE-2021-23337", "fail")]);
    let p = plan(&lodash, &issues, &run(DEFAULT_BRANCH, &settings));
    apply(&mut issues, &p);
    issues[0].open = false;
    let p = plan(&lodash, &issues, &run(DEFAULT_BRANCH, &settings));
    assert!(p.writes.iter().all(|w| w.change.is_none()), "{p:?}");
}

/// After notifications are recorded (`with_state`), the body names the Jira issue, its
/// state parses with what was sent, and the same report again writes nothing.
#[test]
fn recorded_notifications_are_stable() {
    let settings = Settings::default();
    let mut issues = Vec::new();
    let lodash = report(&[("pkg:npm/lodash@4.17.15", "CVE-2021-23337", "fail")]);
    let p = plan(&lodash, &issues, &run(DEFAULT_BRANCH, &settings));
    apply(&mut issues, &p);
    let mut st = p.writes[0].state.clone();
    st.notified.slack.push(1);
    st.notified.jira.key = Some("SEC-7".into());
    issues[0].body = with_state(&issues[0].body, &st);
    assert!(issues[0].body.contains("**Jira:** SEC-7"));
    match state::parse(&issues[0].body) {
        Parsed::Tracked(parsed) => assert_eq!(*parsed, st),
        other => panic!("{other:?}"),
    }
    assert!(
        plan(&lodash, &issues, &run(DEFAULT_BRANCH, &settings))
            .writes
            .is_empty()
    );
}

/// Records `results` into issue `number`'s state block, as the sync does after sending.
fn record(issues: &mut [Issue], number: u64, results: Vec<crate::track::NotifyResult>) {
    let i = issues
        .iter_mut()
        .find(|i| i.number == number)
        .expect("issue");
    let Parsed::Tracked(st) = state::parse(&i.body) else {
        panic!("no state in #{number}")
    };
    let mut states = BTreeMap::from([(st.key.clone(), *st)]);
    crate::track::notify::record(results, &mut states);
    let st = states.into_values().next().expect("one state");
    i.body = with_state(&i.body, &st);
}

/// A send that failed is retried (issue 15): while a configured channel has not recorded an
/// issue's latest transition, each run emits that transition again — in a write that makes
/// no GitHub request — for opened and for fixed; once every channel recorded it, a rerun
/// emits nothing. Without routes (no channel on) nothing is retried.
#[test]
fn unsent_transitions_are_retried() {
    let settings = Settings::default();
    let routes = Routes {
        slack: vec![Class::Critical],
        jira: vec![Class::Critical],
    };
    let routed = |place| Run {
        routes: &routes,
        ..run(place, &settings)
    };
    let mut issues = Vec::new();
    let lodash = report(&[("pkg:npm/lodash@4.17.15", "CVE-2021-23337", "fail")]);
    let none = report(&[]);
    let p = plan(&lodash, &issues, &routed(DEFAULT_BRANCH));
    apply(&mut issues, &p);
    // Every send failed: the next run emits `opened` again, and only that.
    let again = |issues: &[Issue], rep: &Report| {
        let p = plan(rep, issues, &routed(DEFAULT_BRANCH));
        assert_eq!(p.writes.len(), 1, "{p:?}");
        let w = &p.writes[0];
        assert!(!w.writes_github(), "{w:?}");
        let e = w.event.clone().expect("the unsent transition");
        assert_eq!((e.issue, e.title.as_str()), (1, issues[0].title.as_str()));
        e
    };
    let e = again(&issues, &lodash);
    assert_eq!((e.kind, e.transition), (TransitionKind::Opened, 1));
    assert!(!e.slack_sent && !e.jira_sent);
    assert!(
        plan(&lodash, &issues, &run(DEFAULT_BRANCH, &settings))
            .writes
            .is_empty(),
        "no channel on: nothing to retry"
    );
    // Slack got it, Jira did not: still emitted, flagged as sent on Slack.
    let slack = |transition| crate::track::NotifyResult::Slack {
        key: e.key.clone(),
        transition,
    };
    let jira = |transition| crate::track::NotifyResult::Jira {
        key: e.key.clone(),
        transition,
        issue: "SEC-1".into(),
    };
    record(&mut issues, 1, vec![slack(1)]);
    let e = again(&issues, &lodash);
    assert!(e.slack_sent && !e.jira_sent);
    record(&mut issues, 1, vec![jira(1)]);
    assert!(
        plan(&lodash, &issues, &routed(DEFAULT_BRANCH))
            .writes
            .is_empty()
    );
    // Fixed, and the sends fail: the closed issue's `fixed` is retried, with its title.
    let p = plan(&none, &issues, &routed(DEFAULT_BRANCH));
    assert_eq!(p.writes[0].change, Some(StateChange::CloseCompleted));
    apply(&mut issues, &p);
    let e = again(&issues, &none);
    assert_eq!((e.kind, e.transition), (TransitionKind::Fixed, 2));
    assert_eq!(e.jira_key.as_deref(), Some("SEC-1"));
    record(&mut issues, 1, vec![slack(2), jira(2)]);
    assert!(
        plan(&none, &issues, &routed(DEFAULT_BRANCH))
            .writes
            .is_empty()
    );
}

/// The body of a new issue for a KEV finding: details, places, state (snapshot).
#[test]
fn new_issue_body() {
    let json = serde_json::json!({"schema_version": "1", "findings": [{
        "id": "CVE-2021-44228", "aliases": ["GHSA-jfh8-c2jp-5v3q"], "severity": "critical",
        "severity_source": "nvd",
        "component": {"purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            "name": "org.apache.logging.log4j:log4j-core", "version": "2.14.1",
            "file_path": "app/pom.xml"},
        "kev": {"date_added": "2021-12-10", "due_date": "2021-12-24",
            "required_action": "For all affected software assets for which updates exist, the only acceptable remediation actions are: 1) Apply updates; OR 2) remove affected assets from agency networks.",
            "known_ransomware_campaign_use": "Known"},
        "malicious": false, "epss": {"score": 0.94358, "percentile": 0.99957},
        "fixed_versions": ["2.15.0"], "decision": "fail", "ignored_reason": null,
        "priority": "act", "summary": "Apache Log4j2 JNDI features do not protect against attacker controlled LDAP",
        "url": "https://nvd.nist.gov/vuln/detail/CVE-2021-44228"}],
        "remediations": [{"summary": "upgrade org.apache.logging.log4j:log4j-core 2.14.1 -> 2.15.0",
            "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "upgrade_to": "2.15.0",
            "fixes": ["CVE-2021-44228"]}]});
    let rep = input::parse(json.to_string().as_bytes()).expect("a report");
    let owners = crate::track::codeowners::parse("* @acme/platform\n/app/ @alice\n").expect("ok");
    let mut settings = Settings::default();
    settings
        .runbooks
        .insert(Class::Kev, "https://wiki.example/runbooks/kev".into());
    let mut r = run(DEFAULT_BRANCH, &settings);
    r.revision = "0123456789abcdef0123456789abcdef01234567";
    r.codeowners = Some(&owners);
    let p = plan(&rep, &[], &r);
    let w = &p.writes[0];
    assert_eq!(w.assignees, ["alice"]);
    assert_eq!(
        w.labels.as_deref().expect("labels"),
        [
            "kev",
            "kevgate",
            "overdue",
            "priority:act",
            "severity:critical"
        ]
    );
    insta::assert_snapshot!(w.full_body);
}
