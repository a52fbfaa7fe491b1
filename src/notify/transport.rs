//! The blocking HTTP client Slack and Jira share: JSON in, status and body out, with
//! bounded retries of rate limits and every secret kept out of its errors.
//!
//! - Secrets: the Slack webhook URL *is* the credential, and Jira's basic-auth header holds
//!   the API token. reqwest puts the URL in its errors, so every error here is built from
//!   `without_url()` and then has each secret the client knows replaced by `***` (belt and
//!   braces: a proxy or a server could echo them). The bodies kevgate sends never carry them.
//! - Rate limits: HTTP 429 (Slack: about one message per second per webhook; Jira: per-user
//!   budgets) and 503 are retried after the server's `Retry-After` (seconds or an HTTP date),
//!   at most [`MAX_WAIT`] per wait and [`RETRIES`] times; a `Retry-After` longer than that
//!   fails the request at once rather than holding the CI job.
//! - Pacing: requests are spaced by `interval` (1 s for Slack, as its rate limit asks).
//! - Bounds: 30 s per connect and per wait for data, answers read up to [`MAX_BODY`].

use crate::text::error_chain;
use std::io::Read;
use std::time::{Duration, Instant};

/// Retries after the first attempt on a 429 or 503.
pub const RETRIES: u32 = 3;
/// Longest `Retry-After` kevgate waits for.
pub const MAX_WAIT: Duration = Duration::from_secs(30);
/// Longest answer read (Jira searches are small: kevgate asks for two issues).
pub const MAX_BODY: u64 = 1 << 20;
/// Limit of each connect and each wait for data.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The HTTP methods kevgate sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
}

/// An answer: status and body (at most [`MAX_BODY`] bytes, lossy UTF-8).
#[derive(Debug, Clone)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The body.
    pub body: String,
}

/// One client: its secrets (redacted from every error), its authorization, its pacing.
pub struct Transport {
    client: reqwest::blocking::Client,
    /// Strings that must never appear in an error (the webhook URL, the token, the header).
    secrets: Vec<String>,
    /// `Authorization` header value, if any.
    authorization: Option<String>,
    /// Least time between two requests.
    interval: Duration,
    last: Option<Instant>,
}

impl Transport {
    /// A client with the TLS settings of the rest of kevgate (`SSL_CERT_FILE`). Redirects
    /// are not followed: a webhook or API answering 3xx is an error, and a credential never
    /// travels to another host.
    pub fn new(
        extra_roots: Option<&std::path::Path>,
        secrets: Vec<String>,
        authorization: Option<String>,
        interval: Duration,
    ) -> Result<Transport, String> {
        let tls = crate::tls::client_config(extra_roots).map_err(|e| e.to_string())?;
        let client = reqwest::blocking::Client::builder()
            .user_agent(concat!("kevgate/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(TIMEOUT)
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .use_preconfigured_tls(tls)
            .build()
            .map_err(|e| error_chain(&e.without_url()))?;
        let mut secrets: Vec<String> = secrets.into_iter().filter(|s| s.len() >= 4).collect();
        if let Some(a) = &authorization {
            secrets.push(a.clone());
        }
        Ok(Transport {
            client,
            secrets,
            authorization,
            interval,
            last: None,
        })
    }

    /// `text` with every secret replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        redact(text, &self.secrets)
    }

    /// Sends `method url` with the JSON `body`; retries 429 and 503 after `Retry-After`.
    /// `Err` is a one-line reason without any secret.
    pub fn send(
        &mut self,
        method: Method,
        url: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, String> {
        let mut attempt = 0;
        loop {
            if let Some(last) = self.last {
                let since = last.elapsed();
                if since < self.interval {
                    std::thread::sleep(self.interval - since);
                }
            }
            self.last = Some(Instant::now());
            let mut request = match method {
                Method::Get => self.client.get(url),
                Method::Post => self.client.post(url),
            }
            .header("Accept", "application/json");
            if let Some(a) = &self.authorization {
                request = request.header("Authorization", a);
            }
            if let Some(body) = body {
                request = request
                    .header("Content-Type", "application/json")
                    .body(body.to_string());
            }
            let response = request
                .send()
                .map_err(|e| self.redact(&error_chain(&e.without_url())))?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let mut bytes = Vec::new();
            response
                .take(MAX_BODY)
                .read_to_end(&mut bytes)
                .map_err(|e| self.redact(&e.to_string()))?;
            let body_text = String::from_utf8_lossy(&bytes).into_owned();
            if matches!(status, 429 | 503) && attempt < RETRIES {
                let wait = crate::http::retry_after(retry_after.as_deref(), jiff::Timestamp::now())
                    .unwrap_or(Duration::from_secs(1 << attempt));
                if wait > MAX_WAIT {
                    return Err(format!(
                        "HTTP {status}: asked to retry after {} s, more than kevgate waits ({} s)",
                        wait.as_secs(),
                        MAX_WAIT.as_secs()
                    ));
                }
                std::thread::sleep(wait);
                attempt += 1;
                continue;
            }
            return Ok(Answer {
                status,
                body: body_text,
            });
        }
    }
}

/// `text` with every one of `secrets` replaced by `***`.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(s.as_str(), "***");
    }
    out
}

/// A server's error body, cut to one short line and escaped for the terminal: what Slack
/// (`invalid_payload`, `no_service`) or Jira (`errorMessages`) said.
pub fn describe_body(body: &str) -> String {
    let text = match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) => {
            let mut parts: Vec<String> = v["errorMessages"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m.as_str().map(str::to_owned))
                .collect();
            if let Some(errors) = v["errors"].as_object() {
                parts.extend(
                    errors
                        .iter()
                        .map(|(k, m)| format!("{k}: {}", m.as_str().unwrap_or_default())),
                );
            }
            if parts.is_empty() {
                body.to_owned()
            } else {
                parts.join("; ")
            }
        }
        Err(_) if body.trim_start().starts_with('<') => "an HTML error page".to_owned(),
        Err(_) => body.to_owned(),
    };
    crate::text::terminal(&crate::text::one_line(text.trim(), 200)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Secrets are replaced wherever they occur; short strings are never taken for one.
    #[test]
    fn redacts_every_secret() {
        let s = vec!["https://hooks.slack.com/services/T/B/x".to_owned()];
        assert_eq!(
            redact(
                "error sending to https://hooks.slack.com/services/T/B/x: reset",
                &s
            ),
            "error sending to ***: reset"
        );
    }

    /// Slack's plain-text tokens stay as they are; Jira's JSON errors are joined; HTML pages
    /// are named, not quoted.
    #[test]
    fn describes_error_bodies() {
        assert_eq!(describe_body("invalid_payload"), "invalid_payload");
        assert_eq!(
            describe_body(r#"{"errorMessages":["no project"],"errors":{"labels":"bad"}}"#),
            "no project; labels: bad"
        );
        assert_eq!(
            describe_body("<html><title>Server Error | Slack</title>"),
            "an HTML error page"
        );
    }
}
