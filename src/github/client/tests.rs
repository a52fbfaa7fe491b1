use super::*;

/// A comment is kevgate's only when its author is the token's identity: the login a
/// personal token names (any case), or the Actions bot (login and type both).
#[test]
fn comment_authors() {
    let c = |login: &str, kind: &str| serde_json::json!({"user": {"login": login, "type": kind}});
    let me = Author::Login("Octocat".into());
    assert!(written_by(&c("octocat", "User"), &me));
    assert!(!written_by(&c("octocat2", "User"), &me));
    assert!(!written_by(&serde_json::json!({"user": null}), &me));
    assert!(written_by(&c(ACTIONS_BOT, "Bot"), &Author::ActionsBot));
    assert!(!written_by(&c(ACTIONS_BOT, "User"), &Author::ActionsBot));
    assert!(!written_by(&c("mallory", "User"), &Author::ActionsBot));
    assert!(!written_by(
        &c("github-actions", "Bot"),
        &Author::ActionsBot
    ));
}

/// What is retried: 429, secondary rate limits (403 with the rate-limit headers or
/// text), 5xx; not a plain 403 or 404; at most [`RETRIES`] times; `retry-after` is
/// honoured up to [`MAX_WAIT`], else the backoff doubles.
#[test]
fn retries() {
    let backoff = Duration::from_millis(100);
    let headers = |pairs: &[(&'static str, &'static str)]| {
        let mut h = http::HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    };
    let none = headers(&[]);
    let secondary = "You have exceeded a secondary rate limit. Please wait a few minutes.";
    assert_eq!(retry_wait(429, &none, "", backoff, 0), Some(backoff));
    assert_eq!(retry_wait(502, &none, "", backoff, 2), Some(backoff * 4));
    assert_eq!(retry_wait(502, &none, "", backoff, RETRIES), None);
    assert_eq!(
        retry_wait(403, &none, secondary, backoff, 1),
        Some(backoff * 2)
    );
    assert_eq!(
        retry_wait(403, &headers(&[("retry-after", "5")]), "", backoff, 0),
        Some(Duration::from_secs(5))
    );
    assert_eq!(
        retry_wait(429, &headers(&[("retry-after", "3600")]), "", backoff, 0),
        Some(MAX_WAIT)
    );
    assert_eq!(
        retry_wait(
            403,
            &headers(&[("x-ratelimit-remaining", "0")]),
            "",
            backoff,
            0
        ),
        Some(backoff)
    );
    let denied = r#"{"message": "Resource not accessible by integration"}"#;
    assert_eq!(retry_wait(403, &none, denied, backoff, 0), None);
    assert_eq!(retry_wait(404, &none, "", backoff, 0), None);
    assert_eq!(retry_wait(201, &none, "", backoff, 0), None);
}
