//! A repository's releases and their SBOM assets, for `kevgate watch --releases N`.
//!
//! Listing goes through the same octocrab client as the check run ([`super::client`]):
//! `GET /repos/{owner}/{repo}/releases` (newest first, paginated), with its retries of rate
//! limits and 5xx answers. Drafts are skipped (they are not shipped, and only a token with push
//! access sees them); prereleases are kept unless the caller leaves them out, because users
//! run them too.
//!
//! Downloading an asset is `GET /repos/{owner}/{repo}/releases/assets/{id}` with `Accept:
//! application/octet-stream`. GitHub answers with a redirect to a storage host
//! (`objects.githubusercontent.com`, `release-assets.githubusercontent.com`) or streams the
//! bytes itself. The redirect is followed here, by hand, so that the decision is ours and
//! visible: the token goes only to the origin (scheme, host, port) of `GITHUB_API_URL`; a hop
//! to any other origin is sent without `Authorization`, and a later hop back does not get it
//! again. The asset URL is built from `GITHUB_API_URL` and the asset's numeric id, never taken
//! from the answer, so a forged `url` field cannot send the token elsewhere. The body is read
//! up to the SBOM size cap (the asset's declared size is checked first); inflating a `.gz`
//! asset is bounded by the same cap in [`crate::sbom::inflate`].

use super::client::{Api, Method, Network, Request, describe};
use std::io::Read;
use std::time::Duration;

/// Releases listed per page (GitHub's maximum).
const PER_PAGE: usize = 100;
/// Pages of releases read at most (1,000 releases).
const MAX_PAGES: usize = 10;
/// Redirects followed at most for one asset.
const MAX_REDIRECTS: usize = 5;
/// Limit of the connect and of each wait for data of an asset download.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A published release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// `tag_name`.
    pub tag: String,
    /// `name`, if any.
    pub name: Option<String>,
    /// `published_at` (RFC 3339, UTC).
    pub published_at: jiff::Timestamp,
    /// `html_url`, if any.
    pub html_url: Option<String>,
    /// `prerelease`.
    pub prerelease: bool,
    /// The assets whose names are SBOMs ([`is_sbom_name`]), in the answer's order.
    pub sboms: Vec<Asset>,
}

/// A release asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// `id`.
    pub id: u64,
    /// `name` (the file name).
    pub name: String,
    /// `size`, bytes.
    pub size: u64,
}

/// The parts of a release (`release` in GitHub's OpenAPI) kevgate reads.
#[derive(serde::Deserialize)]
struct ReleaseDto {
    tag_name: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    draft: bool,
    #[serde(default)]
    prerelease: bool,
    #[serde(default)]
    published_at: Option<String>,
    #[serde(default)]
    html_url: Option<String>,
    #[serde(default)]
    assets: Vec<AssetDto>,
}

/// The parts of a `release-asset` kevgate reads.
#[derive(serde::Deserialize)]
struct AssetDto {
    id: u64,
    name: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    state: Option<String>,
}

/// Which releases to take from one page of the list: published, not drafts, prereleases
/// only when `prereleases`. A release without `published_at` is a draft by another name.
fn published(page: Vec<ReleaseDto>, prereleases: bool) -> Result<Vec<Release>, String> {
    let mut out = Vec::new();
    for r in page {
        if r.draft || (r.prerelease && !prereleases) {
            continue;
        }
        let Some(at) = r.published_at else { continue };
        let published_at = at.parse::<jiff::Timestamp>().map_err(|_| {
            format!(
                "release `{}` has a `published_at` that is not a timestamp: `{}`",
                crate::text::terminal(&crate::text::one_line(&r.tag_name, 100)),
                crate::text::terminal(&crate::text::one_line(&at, 40))
            )
        })?;
        let sboms = r
            .assets
            .into_iter()
            // An asset still uploading (`open`) has no bytes to download yet.
            .filter(|a| {
                a.state.as_deref() != Some("open") && crate::sbom::is_sbom_file_name(&a.name)
            })
            .map(|a| Asset {
                id: a.id,
                name: a.name,
                size: a.size,
            })
            .collect();
        out.push(Release {
            tag: r.tag_name,
            name: r.name.filter(|n| !n.is_empty()),
            published_at,
            html_url: r.html_url,
            prerelease: r.prerelease,
            sboms,
        });
    }
    Ok(out)
}

/// Where and as whom to ask.
pub struct Repository<'a> {
    /// `GITHUB_API_URL`, checked, without a trailing slash.
    pub api_url: &'a str,
    /// Owner, checked.
    pub owner: &'a str,
    /// Name, checked.
    pub repo: &'a str,
    /// The token (`GITHUB_TOKEN`), sent to the API's origin only.
    pub token: &'a str,
    /// Proxies and extra CA roots.
    pub network: &'a Network,
}

/// The latest `count` published releases of the repository, newest first (the order GitHub
/// lists them in: by creation date).
pub fn latest(
    repo: &Repository<'_>,
    count: usize,
    prereleases: bool,
) -> Result<Vec<Release>, String> {
    let req = Request {
        check_name: "",
        comment: false,
        token: repo.token,
        backoff: Duration::from_secs(1),
        network: repo.network,
    };
    let api = Api::for_repo(repo.api_url, repo.owner, repo.repo, &req)?;
    let mut out = Vec::new();
    for page in 1..=MAX_PAGES {
        let r = api.send(
            Method::Get,
            &format!("/releases?per_page={PER_PAGE}&page={page}"),
            None,
        )?;
        if r.status != 200 {
            return Err(describe("cannot list the releases", &r));
        }
        let list: Vec<ReleaseDto> = serde_json::from_str(&r.body)
            .map_err(|e| format!("GitHub's list of releases cannot be read: {e}"))?;
        let last = list.len() < PER_PAGE;
        out.extend(published(list, prereleases)?);
        if out.len() >= count || last {
            break;
        }
    }
    out.truncate(count);
    Ok(out)
}

/// The origin (scheme, host, port) of a URL, for comparing where a request goes; an explicit
/// default port is the same origin as none.
fn origin(url: &reqwest::Url) -> (String, Option<String>, Option<u16>) {
    (
        url.scheme().to_owned(),
        url.host_str().map(str::to_ascii_lowercase),
        url.port_or_known_default(),
    )
}

/// Downloads asset `asset` of the repository: at most `max_bytes`, the token only to the
/// API's origin ([module docs](self); which names are SBOMs: [`crate::sbom::is_sbom_file_name`]).
pub fn download(repo: &Repository<'_>, asset: &Asset, max_bytes: u64) -> Result<Vec<u8>, String> {
    let shown = crate::text::terminal(&crate::text::one_line(&asset.name, 100)).into_owned();
    let too_large = |n: u64| {
        format!(
            "asset `{shown}` is larger than the SBOM size cap of {max_bytes} bytes ({n} bytes); \
             hint: raise the cap with `--max-sbom-size` (or `KEVGATE_MAX_SBOM_SIZE`)"
        )
    };
    if asset.size > max_bytes {
        return Err(too_large(asset.size));
    }
    let tls = crate::tls::client_config(repo.network.ssl_cert_file.as_deref())
        .map_err(|e| e.to_string())?;
    let mut builder = reqwest::blocking::Client::builder()
        .user_agent(concat!("kevgate/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(TIMEOUT)
        .timeout(TIMEOUT)
        // Redirects are followed below, where the token's fate is decided per hop.
        .redirect(reqwest::redirect::Policy::none())
        .use_preconfigured_tls(tls)
        .no_proxy();
    for (proxy, https) in [
        (repo.network.https_proxy.as_deref(), true),
        (repo.network.http_proxy.as_deref(), false),
    ] {
        let Some(proxy) = proxy else { continue };
        let p = if https {
            reqwest::Proxy::https(proxy)
        } else {
            reqwest::Proxy::http(proxy)
        }
        .map_err(|e| format!("proxy: {}", crate::text::error_chain(&e.without_url())))?
        .no_proxy(
            repo.network
                .no_proxy
                .as_deref()
                .and_then(reqwest::NoProxy::from_string),
        );
        builder = builder.proxy(p);
    }
    let client = builder
        .build()
        .map_err(|e| format!("HTTP client: {}", crate::text::error_chain(&e)))?;
    let start = format!(
        "{}/repos/{}/{}/releases/assets/{}",
        repo.api_url, repo.owner, repo.repo, asset.id
    );
    let mut url = reqwest::Url::parse(&start).map_err(|e| format!("`{start}`: {e}"))?;
    let api_origin = origin(&url);
    // Once a hop has left the API's origin, no later hop carries the token.
    let mut with_token = true;
    for _ in 0..=MAX_REDIRECTS {
        with_token &= origin(&url) == api_origin;
        let mut request = client
            .get(url.clone())
            .header("Accept", "application/octet-stream");
        if with_token {
            request = request.bearer_auth(repo.token);
        }
        let resp = request.send().map_err(|e| {
            format!(
                "asset `{shown}`: {}",
                crate::text::error_chain(&e.without_url())
            )
        })?;
        let status = resp.status();
        if status.is_redirection() {
            let location = resp
                .headers()
                .get("Location")
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| format!("asset `{shown}`: HTTP {} without a `Location`", status))?;
            url = url
                .join(location)
                .map_err(|_| format!("asset `{shown}`: HTTP {status} to an invalid `Location`"))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(format!("asset `{shown}`: redirected to a non-HTTP URL"));
            }
            continue;
        }
        if !status.is_success() {
            return Err(format!(
                "asset `{shown}`: HTTP {}",
                status.as_u16().to_string() + " " + status.canonical_reason().unwrap_or("")
            )
            .trim_end()
            .to_owned());
        }
        if let Some(n) = resp.content_length()
            && n > max_bytes
        {
            return Err(too_large(n));
        }
        let mut bytes = Vec::new();
        resp.take(max_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| format!("asset `{shown}`: {}", crate::text::error_chain(&e)))?;
        if bytes.len() as u64 > max_bytes {
            return Err(too_large(bytes.len() as u64));
        }
        return Ok(bytes);
    }
    Err(format!(
        "asset `{shown}`: more than {MAX_REDIRECTS} redirects"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Origins compare scheme, host and port; an explicit default port is no other origin.
    #[test]
    fn origins() {
        let o = |s: &str| origin(&reqwest::Url::parse(s).expect("URL"));
        assert_eq!(
            o("https://api.github.com/repos/a"),
            o("https://api.github.com:443/x")
        );
        assert_ne!(o("https://api.github.com/"), o("http://api.github.com/"));
        assert_ne!(o("http://127.0.0.1:1/"), o("http://127.0.0.1:2/"));
        assert_ne!(
            o("https://api.github.com/"),
            o("https://objects.githubusercontent.com/")
        );
        assert_eq!(o("https://u:p@h.example/a?b#c"), o("https://h.example/"));
    }

    /// Drafts, unpublished and (unless asked) prereleases are left out; open assets and
    /// non-SBOM assets too.
    #[test]
    fn published_releases() {
        let page: Vec<ReleaseDto> = serde_json::from_value(serde_json::json!([
            {"tag_name": "v3", "draft": true, "prerelease": false, "published_at": null, "assets": []},
            {"tag_name": "v2-rc", "draft": false, "prerelease": true, "published_at": "2025-01-02T00:00:00Z", "assets": []},
            {"tag_name": "v1", "name": "", "draft": false, "prerelease": false, "published_at": "2025-01-01T10:00:00Z", "assets": [
                {"id": 1, "name": "a.cdx.json", "size": 10, "state": "uploaded"},
                {"id": 2, "name": "b.cdx.json", "size": 10, "state": "open"},
                {"id": 3, "name": "a.tar.gz", "size": 10, "state": "uploaded"}
            ]}
        ]))
        .expect("releases");
        let got = published(page, false).expect("valid");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].tag, "v1");
        assert_eq!(got[0].name, None);
        assert_eq!(got[0].sboms.len(), 1);
        assert_eq!(got[0].sboms[0].id, 1);
    }
}
