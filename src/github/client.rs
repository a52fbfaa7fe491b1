//! The REST calls: check run (annotations in batches), commit-status fallback, sticky comment.
//!
//! Reporting to GitHub never changes the gate: the exit code is the verdict's. So every
//! failure here becomes a warning for the log, and the step summary (written by the caller)
//! is the report of last resort. The fallbacks follow what a token can do: a fork PR's token
//! is read-only, and a 403 "Resource not accessible by integration" on the check run falls
//! back to a commit status, then to the step summary alone.
//!
//! The client is octocrab (its raw `_get/_post/_patch`, kevgate's own payload types) over
//! hyper with rustls (ring, the compiled-in Mozilla roots plus `SSL_CERT_FILE`), on the base
//! URL `GITHUB_API_URL` (GitHub Enterprise Server), through `HTTPS_PROXY` unless `NO_PROXY`
//! says otherwise. Its tokio runtime exists only while publishing; the rest is synchronous.
//! Rate limits (429, or 403 with `x-ratelimit-remaining: 0`, `retry-after` or "rate limit"
//! in the message) and 5xx answers are retried with exponential backoff, honouring
//! `retry-after` up to a cap; each request has a timeout.
//!
//! Length (about 730 lines without its tests, in `client/tests.rs`): one transport (`Api`:
//! connector, proxy, retries) and the short calls that share its private helpers; splitting
//! them would make the helpers public to the rest of `github/`.

use super::Context;
use super::payload::{self, Target};
use crate::evaluation::Evaluation;
use http::{HeaderValue, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use octocrab::service::middleware::base_uri::BaseUriLayer;
use octocrab::service::middleware::extra_headers::ExtraHeadersLayer;
use octocrab::{AuthState, OctoBody, Octocrab, OctocrabBuilder};
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

/// Retries after the first attempt on a rate limit or a 5xx.
const RETRIES: u32 = 3;
/// Longest wait kevgate accepts from `retry-after`.
const MAX_WAIT: Duration = Duration::from_secs(60);
/// Longest time one request (connect, send, read the answer) may take.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Pages of comments searched for the sticky comment (100 each).
const MAX_COMMENT_PAGES: u32 = 10;

/// How the result reached GitHub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// As a check run.
    CheckRun,
    /// As a commit status (the token may not create check runs).
    CommitStatus,
    /// Not at all: only the step summary.
    SummaryOnly,
}

/// What to publish, and how.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Check name (action input `check-name`).
    pub check_name: &'a str,
    /// Whether to post the sticky PR comment (action input `comment`).
    pub comment: bool,
    /// Token; sent only as the `Authorization` header, never logged.
    pub token: &'a str,
    /// First backoff delay (doubles per retry). One second in production.
    pub backoff: Duration,
    /// The network settings from the environment.
    pub network: &'a Network,
}

/// Network settings read from the environment: extra CA roots and proxies.
#[derive(Debug, Clone, Default)]
pub struct Network {
    /// `SSL_CERT_FILE`: PEM certificates trusted besides the compiled-in roots.
    pub ssl_cert_file: Option<std::path::PathBuf>,
    /// `HTTPS_PROXY` (or `https_proxy`).
    pub https_proxy: Option<String>,
    /// `HTTP_PROXY` (or `http_proxy`).
    pub http_proxy: Option<String>,
    /// `NO_PROXY` (or `no_proxy`).
    pub no_proxy: Option<String>,
}

impl Network {
    /// Reads `SSL_CERT_FILE`, `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY` (upper or lower case).
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Network {
        let get = |name: &str| {
            env(name)
                .or_else(|| env(&name.to_ascii_lowercase()))
                .filter(|v| !v.trim().is_empty())
        };
        Network {
            ssl_cert_file: get("SSL_CERT_FILE").map(Into::into),
            https_proxy: get("HTTPS_PROXY"),
            http_proxy: get("HTTP_PROXY"),
            no_proxy: get("NO_PROXY"),
        }
    }
}

/// The methods kevgate uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Method {
    Get,
    Post,
    Patch,
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
        })
    }
}

/// A REST client bound to one repository; its runtime lives as long as it does.
pub(super) struct Api {
    runtime: tokio::runtime::Runtime,
    octocrab: Octocrab,
    /// `/repos/{owner}/{repo}`, relative to the base URL (octocrab sends the token only on
    /// relative URIs, which its base-URI layer completes).
    repo: String,
    backoff: Duration,
}

/// A response: status and body.
pub(super) struct Response {
    pub(super) status: u16,
    pub(super) body: String,
}

/// A TCP connector that tunnels through the proxy `HTTPS_PROXY`/`HTTP_PROXY` name for a
/// destination, unless `NO_PROXY` excludes it.
#[derive(Clone)]
struct Connector {
    direct: HttpConnector,
    proxies: Arc<Matcher>,
}

type Connecting = Pin<
    Box<
        dyn Future<
                Output = Result<
                    TokioIo<tokio::net::TcpStream>,
                    Box<dyn std::error::Error + Send + Sync>,
                >,
            > + Send,
    >,
>;

impl tower_service::Service<Uri> for Connector {
    type Response = TokioIo<tokio::net::TcpStream>;
    type Error = Box<dyn std::error::Error + Send + Sync>;
    type Future = Connecting;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Connecting {
        match self.proxies.intercept(&dst) {
            Some(proxy) => {
                let mut tunnel = Tunnel::new(proxy.uri().clone(), self.direct.clone());
                if let Some(auth) = proxy.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                Box::pin(async move { tunnel.call(dst).await.map_err(Into::into) })
            }
            None => {
                let mut direct = self.direct.clone();
                Box::pin(async move { direct.call(dst).await.map_err(Into::into) })
            }
        }
    }
}

impl Api {
    /// The client for `{api_url}/repos/{owner}/{repo}` of `ctx`.
    pub(super) fn new(ctx: &Context, req: &Request<'_>) -> Result<Api, String> {
        Api::for_repo(&ctx.api_url, &ctx.owner, &ctx.repo, req)
    }

    /// The client for `{api_url}/repos/{owner}/{repo}` (both checked by the caller).
    pub(super) fn for_repo(
        api_url: &str,
        owner: &str,
        repo: &str,
        req: &Request<'_>,
    ) -> Result<Api, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the HTTP runtime: {e}"))?;
        let tls = crate::tls::client_config(req.network.ssl_cert_file.as_deref())
            .map_err(|e| e.to_string())?;
        let mut proxies = Matcher::builder();
        if let Some(p) = &req.network.https_proxy {
            proxies = proxies.https(p.clone());
        }
        if let Some(p) = &req.network.http_proxy {
            proxies = proxies.http(p.clone());
        }
        if let Some(p) = &req.network.no_proxy {
            proxies = proxies.no(p.clone());
        }
        let mut direct = HttpConnector::new();
        direct.enforce_http(false);
        direct.set_connect_timeout(Some(TIMEOUT));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(Connector {
                direct,
                proxies: Arc::new(proxies.build()),
            });
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build::<_, OctoBody>(connector);
        let base: Uri = api_url
            .parse()
            .map_err(|e| format!("`GITHUB_API_URL` is not a URL: {e}"))?;
        let headers = vec![
            (
                http::header::USER_AGENT,
                HeaderValue::from_static(concat!("kevgate/", env!("CARGO_PKG_VERSION"))),
            ),
            (
                http::header::ACCEPT,
                HeaderValue::from_static("application/vnd.github+json"),
            ),
        ];
        // octocrab spawns its request buffer's worker on the runtime it is built in.
        let _runtime = runtime.enter();
        let octocrab = OctocrabBuilder::new_empty()
            .with_service(client)
            .with_layer(&BaseUriLayer::new(base))
            .with_layer(&ExtraHeadersLayer::new(Arc::new(headers)))
            .with_auth(AuthState::AccessToken {
                token: req.token.to_owned().into(),
            })
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Api {
            runtime,
            octocrab,
            repo: format!("/repos/{owner}/{repo}"),
            backoff: req.backoff,
        })
    }

    /// One attempt: the status, headers and body of `method path`.
    async fn attempt(
        &self,
        method: Method,
        uri: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<(u16, http::HeaderMap, String), String> {
        let sent = async {
            let response = match method {
                Method::Get => self.octocrab._get(uri).await,
                Method::Post => self.octocrab._post(uri, body).await,
                Method::Patch => self.octocrab._patch(uri, body).await,
            }
            .map_err(|e| error_text(&e))?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let text = self
                .octocrab
                .body_to_string(response)
                .await
                .unwrap_or_default();
            Ok((status, headers, text))
        };
        tokio::time::timeout(TIMEOUT, sent)
            .await
            .map_err(|_| format!("no answer within {} s", TIMEOUT.as_secs()))?
    }

    /// Sends `method {repo}{path}`, retrying rate limits and 5xx answers.
    pub(super) fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, String> {
        self.send_uri(method, &format!("{}{path}", self.repo), path, body)
    }

    /// Sends `method {uri}` (`path` names it in errors), retrying rate limits and 5xx answers.
    pub(super) fn send_uri(
        &self,
        method: Method,
        uri: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, String> {
        self.runtime.block_on(async {
            let mut attempt = 0;
            loop {
                let (status, headers, text) = self
                    .attempt(method, uri, body)
                    .await
                    .map_err(|e| format!("{method} `{path}`: {e}"))?;
                if let Some(wait) = retry_wait(status, &headers, &text, self.backoff, attempt) {
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                    continue;
                }
                return Ok(Response { status, body: text });
            }
        })
    }

    pub(super) fn json<T: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: &T,
    ) -> Result<Response, String> {
        let body = serde_json::to_value(body).map_err(|e| e.to_string())?;
        self.send(method, path, Some(&body))
    }
}

/// How long to wait before retrying an answer, or `None` to take it: 429, a secondary
/// rate limit (403 with `x-ratelimit-remaining: 0`, a `retry-after`, or "rate limit" in
/// the message) and 5xx are retried, at most [`RETRIES`] times, honouring `retry-after`
/// (seconds) up to [`MAX_WAIT`], else doubling `backoff`.
fn retry_wait(
    status: u16,
    headers: &http::HeaderMap,
    body: &str,
    backoff: Duration,
    attempt: u32,
) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let rate_limited = status == 429
        || (status == 403
            && (header("x-ratelimit-remaining") == Some("0")
                || header("retry-after").is_some()
                || body.to_ascii_lowercase().contains("rate limit")));
    if !(rate_limited || status >= 500) || attempt >= RETRIES {
        return None;
    }
    Some(
        crate::http::retry_after(header("retry-after"), jiff::Timestamp::now())
            .unwrap_or(backoff * 2u32.pow(attempt))
            .min(MAX_WAIT),
    )
}

/// The text of an octocrab error with its causes, one line, without the token (octocrab
/// never puts it in errors; this is belt and braces for the URL, which has none either).
fn error_text(e: &octocrab::Error) -> String {
    crate::text::one_line(&crate::text::error_chain(e), 300).into_owned()
}

/// Whether a response is GitHub's "the token may not do this" (fork PRs, missing
/// `checks: write` / `pull-requests: write`).
fn forbidden(r: &Response) -> bool {
    r.status == 403 || (r.status == 404 && r.body.contains("Not Found"))
}

/// A short, single-line account of a failed response.
pub(super) fn describe(what: &str, r: &Response) -> String {
    let message = serde_json::from_str::<serde_json::Value>(&r.body)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_owned))
        .unwrap_or_default();
    format!(
        "{what}: HTTP {}{}",
        r.status,
        if message.is_empty() {
            String::new()
        } else {
            format!(
                " `{}`",
                crate::text::terminal(&crate::text::one_line(&message, 200))
            )
        }
    )
}

/// Publishes `ev`: the check run (or its fallbacks) and, on an open PR, the sticky comment.
/// Returns how it was published and the warnings to show; never fails the gate.
pub fn publish(ctx: &Context, ev: &Evaluation, req: Request<'_>) -> (Published, Vec<String>) {
    let mut warnings = Vec::new();
    let api = match Api::new(ctx, &req) {
        Ok(api) => api,
        Err(e) => {
            warnings.push(format!("{e}; not reporting to GitHub"));
            return (Published::SummaryOnly, warnings);
        }
    };
    let run_url = ctx.run_url();
    // A dispatch on another branch than the workflow's: the commit is that branch's head.
    let sha = match &ctx.event {
        super::context::Event::WorkflowDispatch {
            resolve: Some(name),
        } => match resolve(&api, name) {
            Ok(sha) => sha,
            Err(e) => {
                warnings.push(format!("{e}; not reporting to GitHub"));
                return (Published::SummaryOnly, warnings);
            }
        },
        _ => ctx.sha.clone(),
    };
    let target = Target {
        check_name: req.check_name,
        sha: &sha,
        run_url: run_url.as_deref(),
    };
    let published = check_run(&api, ev, target, &mut warnings);
    if req.comment
        && let Some(number) = ctx.pull_request()
    {
        comment(&api, ev, number, run_url.as_deref(), &mut warnings);
    }
    (published, warnings)
}

/// The commit a branch or tag `name` points to (`GET /commits/{ref}`).
fn resolve(api: &Api, name: &str) -> Result<String, String> {
    let r = api.send(Method::Get, &format!("/commits/{name}"), None)?;
    if r.status != 200 {
        return Err(describe(&format!("cannot find the commit of `{name}`"), &r));
    }
    serde_json::from_str::<serde_json::Value>(&r.body)
        .ok()
        .and_then(|v| v["sha"].as_str().map(str::to_ascii_lowercase))
        .filter(|sha| matches!(sha.len(), 40 | 64) && sha.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| format!("GitHub's answer for the commit of `{name}` has no commit SHA"))
}

/// Reads files of the repository at a commit through the contents API (`GET
/// /repos/{owner}/{repo}/contents/{path}?ref={sha}`): the base commit's policy files, for
/// the exceptions a pull request adds and `policy-from: base`. The container has no git, and
/// the checkout may hold only the head.
pub struct Contents {
    api: Api,
}

impl Contents {
    /// A client for the repository of `ctx`, authenticated with `token`.
    pub fn new(ctx: &Context, token: &str, network: &Network) -> Result<Contents, String> {
        let req = Request {
            check_name: "",
            comment: false,
            token,
            backoff: Duration::from_secs(1),
            network,
        };
        Ok(Contents {
            api: Api::new(ctx, &req)?,
        })
    }

    /// The bytes of the regular file `path` (repository-relative, `/`-separated) at commit
    /// `sha`, `None` when the commit has no such file (404). What GitHub answers is as
    /// untrusted as the head's files: anything but a base64-encoded regular file (a
    /// directory, a symlink, a submodule, a file too large for the API) is an error, and so
    /// is a file of more than `max` bytes.
    pub fn get(&self, path: &str, sha: &str, max: u64) -> Result<Option<Vec<u8>>, String> {
        if !(matches!(sha.len(), 40 | 64) && sha.bytes().all(|b| b.is_ascii_hexdigit())) {
            return Err("the base commit is not a commit SHA".to_owned());
        }
        let shown = crate::text::terminal(&crate::text::one_line(path, 200)).into_owned();
        let r = self.api.send(
            Method::Get,
            &format!("/contents/{}?ref={sha}", encode_path(path)),
            None,
        )?;
        if r.status == 404 {
            return Ok(None);
        }
        if r.status != 200 {
            return Err(describe(
                &format!("cannot read `{shown}` at the base commit"),
                &r,
            ));
        }
        let content: ContentDto = serde_json::from_str(&r.body)
            .map_err(|_| format!("GitHub's answer for `{shown}` is not a file's contents"))?;
        if content.r#type != "file" {
            return Err(format!(
                "`{shown}` at the base commit is not a regular file (GitHub says `{}`)",
                crate::text::terminal(&crate::text::one_line(&content.r#type, 20))
            ));
        }
        if content.size > max {
            return Err(format!(
                "`{shown}` at the base commit is larger than {max} bytes"
            ));
        }
        if content.encoding != "base64" {
            return Err(format!(
                "`{shown}` at the base commit is not base64-encoded (too large for the \
                 contents API)"
            ));
        }
        let bytes = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            content
                .content
                .bytes()
                .filter(|b| !b.is_ascii_whitespace())
                .collect::<Vec<u8>>(),
        )
        .map_err(|_| format!("`{shown}` at the base commit is not valid base64"))?;
        if bytes.len() as u64 > max {
            return Err(format!(
                "`{shown}` at the base commit is larger than {max} bytes"
            ));
        }
        Ok(Some(bytes))
    }
}

/// The parts of a contents API answer kevgate reads (`content-file` in GitHub's OpenAPI).
#[derive(serde::Deserialize)]
struct ContentDto {
    r#type: String,
    #[serde(default)]
    encoding: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    content: String,
}

/// A repository path for a URL: each `/`-separated segment percent-encoded but for the
/// unreserved characters; `.` and `..` segments (which a URL would resolve) are encoded too.
fn encode_path(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            let mut out = String::new();
            for b in seg.bytes() {
                if b.is_ascii_alphanumeric()
                    || matches!(b, b'-' | b'_' | b'~')
                    || (b == b'.' && seg != "." && seg != "..")
                {
                    out.push(char::from(b));
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn check_run(
    api: &Api,
    ev: &Evaluation,
    target: Target<'_>,
    warnings: &mut Vec<String>,
) -> Published {
    let run = payload::check_run(ev, target);
    let created = match api.json(Method::Post, "/check-runs", &run.create) {
        Ok(r) if r.status == 201 || r.status == 200 => r,
        Ok(r) if forbidden(&r) => {
            warnings.push(format!(
                "{}; falling back to a commit status (hint: give the job `permissions: checks: write`)",
                describe("cannot create the check run", &r)
            ));
            return commit_status(api, ev, target, warnings);
        }
        Ok(r) => {
            warnings.push(describe("cannot create the check run", &r));
            return commit_status(api, ev, target, warnings);
        }
        Err(e) => {
            warnings.push(format!("cannot create the check run: {e}"));
            return Published::SummaryOnly;
        }
    };
    let id = serde_json::from_str::<serde_json::Value>(&created.body)
        .ok()
        .and_then(|v| v["id"].as_u64());
    let Some(id) = id else {
        if !run.updates.is_empty() {
            warnings.push(
                "the check run was created, but GitHub's answer has no `id`: \
                 annotations after the first 50 are missing"
                    .to_owned(),
            );
        }
        return Published::CheckRun;
    };
    let path = format!("/check-runs/{id}");
    for (i, update) in run.updates.iter().enumerate() {
        let failed = match api.json(Method::Patch, &path, update) {
            Ok(r) if r.status == 200 => continue,
            Ok(r) => describe(
                &format!("cannot add annotation batch {} to the check run", i + 2),
                &r,
            ),
            Err(e) => format!("cannot add annotations to the check run: {e}"),
        };
        warnings.push(failed);
        // The report rides with the last batch: send it alone rather than leave the
        // interim one-line summary.
        if i + 1 < run.updates.len()
            && let Err(e) = api.json(Method::Patch, &path, &run.finish)
        {
            warnings.push(format!("cannot write the check run summary: {e}"));
        }
        break;
    }
    Published::CheckRun
}

fn commit_status(
    api: &Api,
    ev: &Evaluation,
    target: Target<'_>,
    warnings: &mut Vec<String>,
) -> Published {
    let body = payload::commit_status(ev, target);
    match api.json(Method::Post, &format!("/statuses/{}", target.sha), &body) {
        Ok(r) if r.status == 201 || r.status == 200 => Published::CommitStatus,
        Ok(r) => {
            warnings.push(format!(
                "{}; the result is in the step summary only (hint: give the job \
                 `permissions: statuses: write`; a fork's pull request cannot have it)",
                describe("cannot create the commit status", &r)
            ));
            Published::SummaryOnly
        }
        Err(e) => {
            warnings.push(format!("cannot create the commit status: {e}"));
            Published::SummaryOnly
        }
    }
}

/// Whom the token acts as: the only author whose comment kevgate edits.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Author {
    /// A personal or OAuth token: `GET /user` names the user.
    Login(String),
    /// The workflow's `GITHUB_TOKEN`: `GET /user` is refused ("Resource not accessible by
    /// integration"), and what it writes is authored by the `github-actions[bot]` bot.
    ActionsBot,
}

/// The login the Actions token writes as.
const ACTIONS_BOT: &str = "github-actions[bot]";

/// Asks GitHub whom the token acts as (`GET /user`).
fn token_author(api: &Api) -> Result<Author, String> {
    let r = api.send_uri(Method::Get, "/user", "/user", None)?;
    match r.status {
        200 => serde_json::from_str::<serde_json::Value>(&r.body)
            .ok()
            .and_then(|v| v["login"].as_str().map(str::to_owned))
            .filter(|l| !l.is_empty())
            .map(Author::Login)
            .ok_or_else(|| "GitHub's answer for the token's user has no `login`".to_owned()),
        403 => Ok(Author::ActionsBot),
        _ => Err(describe("cannot tell whom the token acts as", &r)),
    }
}

/// Whether comment `c` (an issue-comment object) was written by `author`.
fn written_by(c: &serde_json::Value, author: &Author) -> bool {
    let login = c["user"]["login"].as_str().unwrap_or_default();
    match author {
        Author::Login(me) => login.eq_ignore_ascii_case(me),
        Author::ActionsBot => login == ACTIONS_BOT && c["user"]["type"] == "Bot",
    }
}

/// The id of kevgate's comment on PR `number`, if there is one: the first comment that starts
/// with kevgate's marker *and* was written by the identity the token acts as. Anyone can write
/// the marker; editing another user's comment would put kevgate's report under their name and
/// destroy what they wrote. Whom the token acts as is asked only once a marked comment is seen.
fn find_comment(api: &Api, number: u64) -> Result<Option<u64>, String> {
    let mut author: Option<Author> = None;
    for page in 1..=MAX_COMMENT_PAGES {
        let r = api.send(
            Method::Get,
            &format!("/issues/{number}/comments?per_page=100&page={page}"),
            None,
        )?;
        if r.status != 200 {
            return Err(describe("cannot list the pull request's comments", &r));
        }
        let comments: Vec<serde_json::Value> =
            serde_json::from_str(&r.body).map_err(|e| format!("comment list: {e}"))?;
        for c in &comments {
            if !c["body"].as_str().is_some_and(payload::is_kevgate_comment) {
                continue;
            }
            let me = match &author {
                Some(a) => a,
                None => author.insert(token_author(api)?),
            };
            if written_by(c, me)
                && let Some(id) = c["id"].as_u64()
            {
                return Ok(Some(id));
            }
        }
        if comments.len() < 100 {
            break;
        }
    }
    Ok(None)
}

fn comment(
    api: &Api,
    ev: &Evaluation,
    number: u64,
    run_url: Option<&str>,
    warnings: &mut Vec<String>,
) {
    let body = payload::comment(ev, run_url);
    let existing = match find_comment(api, number) {
        Ok(id) => id,
        Err(e) => {
            warnings.push(format!("{e}; not commenting"));
            return;
        }
    };
    let result = match existing {
        Some(id) => api.json(Method::Patch, &format!("/issues/comments/{id}"), &body),
        None => api.json(Method::Post, &format!("/issues/{number}/comments"), &body),
    };
    match result {
        Ok(r) if r.status == 200 || r.status == 201 => {}
        Ok(r) => warnings.push(format!(
            "{} (hint: give the job `permissions: pull-requests: write`)",
            describe("cannot write the pull request comment", &r)
        )),
        Err(e) => warnings.push(format!("cannot write the pull request comment: {e}")),
    }
}

#[cfg(test)]
mod tests;
