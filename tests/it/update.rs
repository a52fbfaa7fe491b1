//! `kevgate db update` against a loopback HTTP server serving recorded real feeds
//! (`tests/fixtures/update/`): incremental updates, request shapes, and one test per fault,
//! each checking that the previous cache is byte-identical afterwards.

use crate::{TempDir, fixture, kevgate, run};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) path: String,
    pub(crate) query: BTreeMap<String, String>,
    pub(crate) headers: BTreeMap<String, String>,
}

/// What the server sends back.
pub(crate) enum Reply {
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Claims `Content-Length` of the whole body, sends half of it, closes.
    Truncated(Vec<u8>),
    /// Sends nothing for this long, then closes.
    Hang(Duration),
    /// Closes the connection with the request unread, so the kernel answers with a reset.
    Reset,
    /// `200`, no `Content-Length`, zeros until the client hangs up.
    Endless,
    /// `200` with a `Content-Length` of 1000, then one byte per this interval.
    Trickle(Duration),
    /// This reply after this long (waited outside the server's lock, so other requests go on).
    Delayed(Duration, Box<Reply>),
}

pub(crate) fn ok(body: Vec<u8>) -> Reply {
    Reply::Full {
        status: 200,
        headers: vec![],
        body,
    }
}

fn status(code: u16, headers: &[(&str, &str)]) -> Reply {
    Reply::Full {
        status: code,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: b"error".to_vec(),
    }
}

pub(crate) type Fault = Box<dyn Fn(&Request) -> Option<Reply> + Send + Sync>;

/// The recorded feeds, and what the server does today.
struct World {
    kev: &'static str,
    /// 1: the OSV fixtures as recorded; 2 and later: the npm record revised (newer
    /// `modified`, another summary), as `all.zip`, `modified_id.csv` and `<id>.json` show.
    osv_day: u32,
    fault: Option<Fault>,
    log: Vec<Request>,
    /// Requests being answered now, and the most at once since the last look.
    in_flight: usize,
    max_in_flight: usize,
}

/// A loopback HTTP/1.1 server on a thread; one thread per connection; stopped at drop.
pub(crate) struct Server {
    /// `127.0.0.1:<port>`.
    pub(crate) addr: String,
    world: Arc<Mutex<World>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub(crate) fn start(kev: &'static str) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local addr").to_string();
        let world = Arc::new(Mutex::new(World {
            kev,
            osv_day: 1,
            fault: None,
            log: vec![],
            in_flight: 0,
            max_in_flight: 0,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let (w, s) = (world.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let w = w.clone();
                std::thread::spawn(move || handle(conn, &w));
            }
        });
        Server {
            addr,
            world,
            stop,
            thread: Some(thread),
        }
    }

    fn set_kev(&self, kev: &'static str) {
        self.world.lock().expect("world").kev = kev;
    }

    fn set_osv_day(&self, day: u32) {
        self.world.lock().expect("world").osv_day = day;
    }

    pub(crate) fn set_fault(&self, fault: Option<Fault>) {
        self.world.lock().expect("world").fault = fault;
    }

    pub(crate) fn take_log(&self) -> Vec<Request> {
        std::mem::take(&mut self.world.lock().expect("world").log)
    }

    /// The most requests the server answered at once since the last call.
    fn take_max_in_flight(&self) -> usize {
        std::mem::take(&mut self.world.lock().expect("world").max_in_flight)
    }

    /// `kevgate db update` with every URL pointing here.
    fn update(&self, cache: &Path) -> (i32, String, String) {
        run(&mut self.command(cache))
    }

    /// `kevgate db update --from` this server's prebuilt database, trusting the TEST-ONLY
    /// key unless `trust_test_key` is false (then the key built into the binary).
    fn update_from(&self, cache: &Path, trust_test_key: bool) -> (i32, String, String) {
        let mut cmd = self.command(cache);
        cmd.args(["--from", &self.prebuilt_url()]);
        if trust_test_key {
            cmd.arg("--public-key")
                .arg(fixture("update/prebuilt/test-only.pub"));
        }
        run(&mut cmd)
    }

    fn prebuilt_url(&self) -> String {
        format!("http://{}/prebuilt/kevgate.db", self.addr)
    }

    /// The `kevgate db update` command with every URL pointing here; 3 tries, waits of at
    /// most 1 s.
    pub(crate) fn command(&self, cache: &Path) -> std::process::Command {
        let cwd = cache
            .ancestors()
            .find(|p| p.is_dir())
            .expect("some ancestor is a directory");
        let base = format!("http://{}", self.addr);
        let mut cmd = kevgate(cwd);
        cmd.args(["db", "update"])
            .env("KEVGATE_CACHE_DIR", cache)
            .env(
                "KEVGATE_KEV_URL",
                format!("{base}/kev/known_exploited_vulnerabilities.json"),
            )
            .env("KEVGATE_NVD_URL", format!("{base}/nvd/rest/json/cves/2.0"))
            .env("KEVGATE_OSV_URL", format!("{base}/osv"))
            .env("KEVGATE_OSV_ECOSYSTEMS", "Maven,npm,Go")
            .env(
                "KEVGATE_EPSS_URL",
                format!("{base}/epss/epss_scores-current.csv.gz"),
            )
            .env("NVD_API_KEY", "test-key")
            .env("KEVGATE_HTTP_TIMEOUT_SECS", "1")
            .env("KEVGATE_HTTP_ATTEMPTS", "3")
            .env("KEVGATE_HTTP_MAX_BACKOFF_SECS", "1");
        cmd
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(&self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn handle(conn: TcpStream, world: &Mutex<World>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    // Peek at the request head, leaving it unread until the reply is known (`Reply::Reset`
    // closes with it unread).
    let mut buf = vec![0u8; 64 * 1024];
    let head_len = loop {
        let n = match conn.peek(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if let Some(i) = buf[..n].windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if n == buf.len() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let text = String::from_utf8_lossy(&buf[..head_len]).into_owned();
    let mut lines = text.split("\r\n");
    let target = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("/")
        .to_string();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let req = Request {
        path: decode(path),
        query,
        headers,
    };
    let reply = {
        let mut w = world.lock().expect("world");
        w.log.push(req.clone());
        w.in_flight += 1;
        w.max_in_flight = w.max_in_flight.max(w.in_flight);
        match w.fault.as_ref().and_then(|f| f(&req)) {
            Some(r) => r,
            None => serve(w.kev, w.osv_day, &req),
        }
    };
    reply_to(conn, head_len, reply);
    world.lock().expect("world").in_flight -= 1;
}

/// Sends `reply` on `conn`, whose request head (`head_len` bytes) is still unread.
fn reply_to(mut conn: TcpStream, head_len: usize, reply: Reply) {
    let mut buf = vec![0u8; head_len];
    let mut reply = reply;
    while let Reply::Delayed(d, r) = reply {
        std::thread::sleep(d);
        reply = *r;
    }
    if matches!(reply, Reply::Reset) {
        drop(conn);
        return;
    }
    if conn.read_exact(&mut buf).is_err() {
        return;
    }
    let head = |status: u16, len: usize, extra: &[(String, String)]| {
        let mut h =
            format!("HTTP/1.1 {status} X\r\nContent-Length: {len}\r\nConnection: close\r\n");
        for (k, v) in extra {
            h.push_str(&format!("{k}: {v}\r\n"));
        }
        h.push_str("\r\n");
        h.into_bytes()
    };
    match reply {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let _ = conn.write_all(&head(status, body.len(), &headers));
            let _ = conn.write_all(&body);
        }
        Reply::Truncated(body) => {
            let _ = conn.write_all(&head(200, body.len(), &[]));
            let _ = conn.write_all(&body[..body.len() / 2]);
        }
        Reply::Hang(d) => std::thread::sleep(d),
        Reply::Reset | Reply::Delayed(..) => {}
        Reply::Endless => {
            let _ = conn.write_all(b"HTTP/1.1 200 X\r\nConnection: close\r\n\r\n");
            let zeros = vec![0u8; 64 * 1024];
            while conn.write_all(&zeros).is_ok() {}
        }
        Reply::Trickle(every) => {
            let _ = conn.write_all(&head(200, 1000, &[]));
            for _ in 0..1000 {
                if conn.write_all(b" ").and_then(|()| conn.flush()).is_err() {
                    break;
                }
                std::thread::sleep(every);
            }
        }
    }
    let _ = conn.flush();
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => out.push(v),
                    Err(_) => out.extend_from_slice(&b[i..i + 3]),
                }
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn gunzip(rel: &str) -> Vec<u8> {
    let bytes = fs_err::read(fixture(rel)).expect("fixture");
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_end(&mut out)
        .expect("gunzip fixture");
    out
}

/// NVD records served per page (the real API may return fewer than `resultsPerPage`).
const NVD_SERVER_PAGE: usize = 20;

/// The recorded feeds.
fn serve(kev: &str, osv_day: u32, req: &Request) -> Reply {
    let path = req.path.as_str();
    if path == "/kev/known_exploited_vulnerabilities.json" {
        return ok(gunzip(&format!("update/kev-{kev}.json.gz")));
    }
    if path == "/nvd/rest/json/cves/2.0" {
        let incremental = req.query.contains_key("lastModStartDate");
        let file = if incremental {
            "update/claircore-feed-3.json.gz"
        } else {
            "update/vunnel-full-page-38.json.gz"
        };
        let mut page: serde_json::Value =
            serde_json::from_slice(&gunzip(file)).expect("fixture page");
        let all = page["vulnerabilities"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let start: usize = req.query["startIndex"].parse().expect("startIndex");
        let per: usize = req.query["resultsPerPage"].parse().expect("resultsPerPage");
        let items: Vec<_> = all
            .iter()
            .skip(start)
            .take(per.min(NVD_SERVER_PAGE))
            .cloned()
            .collect();
        page["resultsPerPage"] = items.len().into();
        page["startIndex"] = start.into();
        page["totalResults"] = all.len().into();
        page["vulnerabilities"] = items.into();
        return ok(serde_json::to_vec(&page).expect("page"));
    }
    if let Some((eco, name)) = path.strip_prefix("/osv/").and_then(|p| p.split_once('/')) {
        let file = match eco {
            "Maven" => "GHSA-jfh8-c2jp-5v3q.json",
            "npm" => "GHSA-jpcq-cgw6-v4j6.json",
            "Go" => "go-testdata-GHSA-28r2-q6m8-9hpx.json",
            _ => return status(404, &[]),
        };
        let record = osv_record(file, osv_day);
        let id = file.trim_start_matches("go-testdata-");
        if name == "modified_id.csv" {
            // osv.dev's list: `<modified>,<id>`, newest first.
            let value: serde_json::Value = serde_json::from_slice(&record).expect("record");
            let modified = value["modified"].as_str().expect("modified");
            return ok(format!("{modified},{}\n", id.trim_end_matches(".json")).into_bytes());
        }
        if name == id {
            return ok(record);
        }
        if name != "all.zip" {
            return status(404, &[]);
        }
        // Like the osv.dev bucket: an ETag, and 304 when the client already has it.
        let body = osv_zip_of(id, &record);
        let etag = format!("\"{:x}\"", Sha256::digest(&body));
        if req.headers.get("if-none-match") == Some(&etag) {
            return Reply::Full {
                status: 304,
                headers: vec![],
                body: vec![],
            };
        }
        return Reply::Full {
            status: 200,
            headers: vec![("ETag".into(), etag)],
            body,
        };
    }
    if let Some(file) = path.strip_prefix("/prebuilt/") {
        return match fs_err::read(fixture(&format!("update/prebuilt/{file}"))) {
            Ok(bytes) if file.starts_with("kevgate.db") || file.starts_with("older") => ok(bytes),
            _ => status(404, &[]),
        };
    }
    if path == "/myjvn" {
        return crate::jvn::myjvn(req);
    }
    if path == "/epss/epss_scores-current.csv.gz" {
        return ok(
            fs_err::read(fixture("update/epss_scores-2025-08-20-kev-subset.csv.gz"))
                .expect("fixture"),
        );
    }
    status(404, &[])
}

/// An OSV fixture record as served on `day`: from day 2 the npm record is revised.
fn osv_record(file: &str, day: u32) -> Vec<u8> {
    let bytes = fs_err::read(fixture(&format!("update/osv/{file}"))).expect("fixture");
    if day < 2 || file != "GHSA-jpcq-cgw6-v4j6.json" {
        return bytes;
    }
    let mut value: serde_json::Value = serde_json::from_slice(&bytes).expect("fixture record");
    value["modified"] = format!("2025-09-{day:02}T00:00:00Z").into();
    value["summary"] = format!("Potential XSS vulnerability in jQuery (revision {day})").into();
    // Pretty-printed, as osv.dev serves records: several lines.
    serde_json::to_vec_pretty(&value).expect("record")
}

/// An `all.zip` holding `record` as the member `name`.
fn osv_zip_of(name: &str, record: &[u8]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    zip.start_file(name, zip::write::SimpleFileOptions::default())
        .expect("zip member");
    zip.write_all(record).expect("zip write");
    zip.finish().expect("zip finish");
    out.into_inner()
}

/// sha256 of every file under `dir`, by relative path.
pub(crate) fn hashes(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs_err::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let h = Sha256::digest(fs_err::read(&p).expect("read"));
                let rel = p.strip_prefix(dir).expect("under dir").to_path_buf();
                out.insert(rel, format!("{h:x}"));
            }
        }
    }
    out
}

pub(crate) fn status_json(cache: &Path) -> serde_json::Value {
    let cwd = cache.parent().expect("parent");
    let (code, out, err) = run(kevgate(cwd)
        .args(["db", "status", "--format", "json", "--cache-dir"])
        .arg(cache));
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("status JSON")
}

/// The `records` of source `name` in `db status --format json` output.
pub fn records(status: &serde_json::Value, name: &str) -> u64 {
    status["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["name"] == name)
        .and_then(|s| s["records"].as_u64())
        .unwrap_or_else(|| panic!("no source `{name}` in {status}"))
}

#[test]
fn incremental_updates_follow_the_kev_catalogs() {
    let tmp = TempDir::new("update-incremental");
    let cache = tmp.path().join("cache");
    let server = Server::start("2025-01-24");

    let (code, _, err) = server.update(&cache);
    assert_eq!(code, 0, "{err}");
    let log = server.take_log();
    let nvd: Vec<_> = log.iter().filter(|r| r.path.starts_with("/nvd/")).collect();
    // 38 records in pages of 20: startIndex 0 and 20, each asking for 2000, with the key.
    let starts: Vec<_> = nvd.iter().map(|r| r.query["startIndex"].as_str()).collect();
    assert_eq!(starts, ["0", "20"]);
    for r in &nvd {
        assert_eq!(r.query["resultsPerPage"], "2000");
        assert_eq!(
            r.headers.get("apikey").map(String::as_str),
            Some("test-key")
        );
        assert!(
            !r.query.contains_key("lastModStartDate"),
            "first update is full"
        );
    }
    let mut osv: Vec<_> = log
        .iter()
        .filter(|r| r.path.starts_with("/osv/"))
        .map(|r| r.path.as_str())
        .collect();
    osv.sort();
    // The first time: each ecosystem's list of modified records, then its whole export.
    assert_eq!(
        osv,
        [
            "/osv/Go/all.zip",
            "/osv/Go/modified_id.csv",
            "/osv/Maven/all.zip",
            "/osv/Maven/modified_id.csv",
            "/osv/npm/all.zip",
            "/osv/npm/modified_id.csv"
        ]
    );
    let s = status_json(&cache);
    assert_eq!(records(&s, "kev"), 1252);
    assert_eq!(records(&s, "nvd"), 38);
    assert!(records(&s, "osv") >= 3, "{s}");
    assert!(records(&s, "epss") > 0, "{s}");
    for src in s["sources"].as_array().expect("sources") {
        assert!(src["fetched_at"].is_string(), "{src}");
    }

    server.set_kev("2025-05-06");
    let (code, _, err) = server.update(&cache);
    assert_eq!(code, 0, "{err}");
    let log = server.take_log();
    let nvd: Vec<_> = log.iter().filter(|r| r.path.starts_with("/nvd/")).collect();
    assert_eq!(nvd.len(), 1, "one incremental page: {nvd:?}");
    let start: jiff::Timestamp = nvd[0].query["lastModStartDate"]
        .parse()
        .expect("start date");
    let end: jiff::Timestamp = nvd[0].query["lastModEndDate"].parse().expect("end date");
    assert!(start <= end && end.duration_since(start).as_hours() <= 120 * 24);
    // OSV unchanged: the lists are as last time, so no record and no archive is fetched.
    let osv: Vec<_> = log.iter().filter(|r| r.path.starts_with("/osv/")).collect();
    assert_eq!(osv.len(), 3);
    assert!(
        osv.iter().all(|r| r.path.ends_with("/modified_id.csv")),
        "{osv:?}"
    );
    let s = status_json(&cache);
    assert_eq!(records(&s, "kev"), 1333);
    assert!(records(&s, "osv") >= 3, "{s}");
    // The 38 records kept, the 3 modified ones added.
    assert_eq!(records(&s, "nvd"), 41);

    server.set_kev("2025-08-25");
    let (code, _, err) = server.update(&cache);
    assert_eq!(code, 0, "{err}");
    let s = status_json(&cache);
    assert_eq!(records(&s, "kev"), 1404);

    let (code, out, err) = run(kevgate(tmp.path())
        .args(["db", "verify", "--cache-dir"])
        .arg(&cache));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ok"), "{out}");

    // A scan finds the cached database (within `--max-db-age` of `KEVGATE_NOW`) and gates
    // jQuery 3.3.9 on CVE-2020-11023: the npm record came from the OSV archive, KEV from the
    // catalog.
    let (code, out, err) = run(kevgate(tmp.path())
        .env("KEVGATE_CACHE_DIR", &cache)
        .args(["scan", "--format", "json"])
        .arg(fixture("sbom/trivy-cdx1.7-golden-fs-npm-with-vuln.json")));
    assert_eq!(code, 1, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON report");
    assert_eq!(report["db"]["origin"], "cache", "{err}");
    assert!(out.contains("CVE-2020-11023"), "{out}");

    // Only the database, the lock and the raw downloads remain: no staging files.
    let names: Vec<_> = hashes(&cache)
        .keys()
        .filter_map(|p| p.components().next())
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(names, [".lock", "kevgate.db", "raw"]);
}

/// Updates once, then with `fault` installed: the update must fail naming `source`, and
/// leave every cache file byte-identical.
fn assert_fault_keeps_cache(name: &str, fault: Fault, source: &str, reason: &str) {
    assert_fault_keeps_cache_with(name, fault, source, reason, &[]);
}

/// [`assert_fault_keeps_cache`], the faulty update run with `env` added.
fn assert_fault_keeps_cache_with(
    name: &str,
    fault: Fault,
    source: &str,
    reason: &str,
    env: &[(&str, &str)],
) {
    let tmp = TempDir::new(name);
    let cache = tmp.path().join("cache");
    let server = Server::start("2025-01-24");
    let (code, _, err) = server.update(&cache);
    assert_eq!(code, 0, "{err}");
    let before = hashes(&cache);

    server.set_kev("2025-05-06");
    // The npm OSV record changed too: the update fetches it alone.
    server.set_osv_day(2);
    server.set_fault(Some(fault));
    let mut cmd = server.command(&cache);
    cmd.envs(env.iter().copied());
    let (code, _, err) = run(&mut cmd);
    assert_eq!(code, 2, "{name}: {err}");
    assert!(err.contains(&format!("{source}: ")), "{name}: {err}");
    assert!(err.contains(reason), "{name}: {err}");
    assert_eq!(hashes(&cache), before, "{name}: cache changed");
    let s = status_json(&cache);
    assert_eq!(records(&s, "kev"), 1252, "{name}: the old database is used");
}

fn on(prefix: &'static str, reply: impl Fn() -> Reply + Send + Sync + 'static) -> Fault {
    Box::new(move |r: &Request| r.path.starts_with(prefix).then(&reply))
}

/// Like [`on`], for the first request under `prefix` only; the counter counts them all.
fn first(
    prefix: &'static str,
    reply: impl Fn() -> Reply + Send + Sync + 'static,
) -> (Fault, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let fault: Fault = Box::new(move |r: &Request| {
        (r.path.starts_with(prefix) && c.fetch_add(1, Ordering::SeqCst) == 0).then(&reply)
    });
    (fault, calls)
}

/// The `startIndex` of every NVD request the server saw since the last look.
fn nvd_starts(server: &Server) -> Vec<String> {
    server
        .take_log()
        .into_iter()
        .filter(|r| r.path.starts_with("/nvd/"))
        .map(|r| r.query["startIndex"].clone())
        .collect()
}

#[test]
fn http_500_fails_naming_the_source() {
    assert_fault_keeps_cache(
        "update-500",
        on("/kev/", || status(500, &[])),
        "kev",
        "HTTP 500",
    );
}

#[test]
fn http_503_is_retried_then_fails() {
    let fault = on("/epss/", || status(503, &[("Retry-After", "0")]));
    assert_fault_keeps_cache("update-503", fault, "epss", "HTTP 503");
}

#[test]
fn truncated_body_fails() {
    let fault = on("/osv/npm/GHSA-jpcq-cgw6-v4j6.json", || {
        Reply::Truncated(osv_record("GHSA-jpcq-cgw6-v4j6.json", 2))
    });
    assert_fault_keeps_cache(
        "update-truncated",
        fault,
        "osv",
        "osv/npm/GHSA-jpcq-cgw6-v4j6.json",
    );
}

/// Issue 14, item 4: the daily increment fetches each ecosystem's `modified_id.csv` and only
/// the records modified since the last update (here the revised npm record), never an
/// `all.zip`; the database it builds has the same records, table by table, as a first
/// update from the same day's exports, and the manifest differs only in the OSV files read.
#[test]
fn osv_increment_builds_what_a_full_update_builds() {
    let tmp = TempDir::new("update-osv-increment");
    let server = Server::start("2025-08-25");
    let incremental = tmp.path().join("incremental");
    let (code, _, err) = server.update(&incremental);
    assert_eq!(code, 0, "{err}");
    server.take_log();

    server.set_osv_day(2);
    let (code, _, err) = server.update(&incremental);
    assert_eq!(code, 0, "{err}");
    let mut osv: Vec<_> = server
        .take_log()
        .into_iter()
        .filter(|r| r.path.starts_with("/osv/"))
        .map(|r| r.path)
        .collect();
    osv.sort();
    assert_eq!(
        osv,
        [
            "/osv/Go/modified_id.csv",
            "/osv/Maven/modified_id.csv",
            "/osv/npm/GHSA-jpcq-cgw6-v4j6.json",
            "/osv/npm/modified_id.csv"
        ]
    );
    assert!(
        err.contains("osv: npm: 1 records changed since the last update"),
        "{err}"
    );

    // Another update with nothing new fetches no record and keeps the revised one.
    let (code, _, err) = server.update(&incremental);
    assert_eq!(code, 0, "{err}");
    let records: Vec<_> = server
        .take_log()
        .into_iter()
        .filter(|r| r.path.starts_with("/osv/") && r.path.ends_with(".json"))
        .map(|r| r.path)
        .collect();
    assert!(records.is_empty(), "{records:?}");

    let full = tmp.path().join("full");
    let (code, _, err) = server.update(&full);
    assert_eq!(code, 0, "{err}");

    let read = |cache: &Path| fs_err::read(cache.join("kevgate.db")).expect("database");
    let (a, b) = (read(&incremental), read(&full));
    let (ta, tb) = (tables(&a), tables(&b));
    assert_eq!(ta.len(), 4);
    // Advisories, KEV, EPSS. (NVD differs by the fake server's design: its incremental
    // window answers other records than its full listing.)
    for i in [0, 2, 3] {
        assert!(ta[i] == tb[i], "table {i} differs");
    }
    let advisories = String::from_utf8_lossy(
        &ta[0]
            .iter()
            .map(|e| e.1.clone())
            .collect::<Vec<_>>()
            .concat(),
    )
    .into_owned();
    assert!(
        advisories.contains("(revision 2)"),
        "the revised record is stored"
    );
    let (ma, mb) = (manifest(&a), manifest(&b));
    assert_eq!(ma["sources"].as_array().map(Vec::len), Some(4));
    for (x, y) in ma["sources"]
        .as_array()
        .into_iter()
        .flatten()
        .zip(mb["sources"].as_array().into_iter().flatten())
    {
        if x["name"] == "nvd" {
            continue;
        }
        assert_eq!(x["records"], y["records"], "{x} vs {y}");
        assert_eq!(x["data_date"], y["data_date"], "{x} vs {y}");
        if x["name"] != "osv" {
            assert_eq!(x, y);
        }
    }
    assert!(ma.to_string().contains("osv/npm/changes.jsonl"), "{ma}");
}

/// A record that is not what the list promised fails the increment, naming why: another
/// id than asked for, or an older `modified` than listed (a stale copy).
#[test]
fn inconsistent_changed_record_fails_naming_it() {
    let stale = on("/osv/npm/GHSA-jpcq-cgw6-v4j6.json", || {
        ok(osv_record("GHSA-jpcq-cgw6-v4j6.json", 1))
    });
    assert_fault_keeps_cache(
        "update-stale-record",
        stale,
        "osv",
        "inconsistent increment: record `GHSA-jpcq-cgw6-v4j6` was modified 2022-02-08T22:06:24Z, \
         before the 2025-09-02T00:00:00Z `modified_id.csv` lists",
    );
    let other = on("/osv/npm/GHSA-jpcq-cgw6-v4j6.json", || {
        ok(osv_record("GHSA-jfh8-c2jp-5v3q.json", 1))
    });
    assert_fault_keeps_cache(
        "update-other-record",
        other,
        "osv",
        "asked for `GHSA-jpcq-cgw6-v4j6`, got record `GHSA-jfh8-c2jp-5v3q`",
    );
}

/// The npm ecosystem on day 2 with `n` changed records: the revised fixture record and
/// `GHSA-test-0000`… (copies of it under new ids), each answered after a delay that shuffles
/// the order the answers complete in; `bad(i)` replaces the answer for the i-th new id.
fn many_changed_records(
    n: usize,
    bad: impl Fn(usize) -> Option<Reply> + Send + Sync + 'static,
) -> Fault {
    let base = osv_record("GHSA-jpcq-cgw6-v4j6.json", 2);
    let id_of = |i: usize| format!("GHSA-test-{i:04}");
    let mut list = String::from("2025-09-02T00:00:00Z,GHSA-jpcq-cgw6-v4j6\n");
    for i in 0..n {
        list.push_str(&format!("2025-09-02T00:00:00Z,{}\n", id_of(i)));
    }
    Box::new(move |r: &Request| {
        let name = r.path.strip_prefix("/osv/npm/")?;
        if name == "modified_id.csv" {
            return Some(ok(list.clone().into_bytes()));
        }
        let i = (0..n).find(|&i| name == format!("{}.json", id_of(i)))?;
        let reply = bad(i).unwrap_or_else(|| {
            let mut value: serde_json::Value = serde_json::from_slice(&base).expect("record");
            value["id"] = id_of(i).into();
            value["summary"] = format!("copy {i}").into();
            ok(serde_json::to_vec_pretty(&value).expect("record"))
        });
        // 0, 30, 60, 90 ms: later records often finish before earlier ones.
        let delay = Duration::from_millis(30 * ((i * 7 + 3) % 4) as u64);
        Some(Reply::Delayed(delay, Box::new(reply)))
    })
}

/// Issue 14, item 4: the changed records are fetched several at once
/// (`KEVGATE_OSV_FETCH_CONCURRENCY`), yet the result does not depend on the scheduling:
/// `changes.jsonl` and every table are the same as fetching them one at a time.
#[test]
fn osv_records_fetched_at_once_give_what_one_at_a_time_gives() {
    let tmp = TempDir::new("update-osv-concurrent");
    let server = Server::start("2025-08-25");
    let mut results = Vec::new();
    for concurrency in ["1", "8"] {
        let cache = tmp.path().join(format!("cache-{concurrency}"));
        server.set_osv_day(1);
        server.set_fault(None);
        let (code, _, err) = server.update(&cache);
        assert_eq!(code, 0, "{err}");
        server.set_osv_day(2);
        server.set_fault(Some(many_changed_records(40, |_| None)));
        server.take_max_in_flight();
        let mut cmd = server.command(&cache);
        cmd.env("KEVGATE_OSV_FETCH_CONCURRENCY", concurrency);
        let (code, _, err) = run(&mut cmd);
        assert_eq!(code, 0, "{err}");
        assert!(
            err.contains("osv: npm: 41 records, ")
                && err.contains(&format!("({concurrency} at once)")),
            "{err}"
        );
        let at_once = server.take_max_in_flight();
        match concurrency {
            "1" => assert_eq!(at_once, 1, "one request at a time"),
            _ => assert!(at_once > 1, "several requests at once: {at_once}"),
        }
        let changes = fs_err::read(cache.join("raw/osv/npm/changes.jsonl")).expect("changes");
        assert_eq!(changes.iter().filter(|&&b| b == b'\n').count(), 41);
        let db = fs_err::read(cache.join("kevgate.db")).expect("database");
        results.push((changes, tables(&db)));
    }
    let (one, many) = (&results[0], &results[1]);
    assert!(one.0 == many.0, "changes.jsonl differs");
    assert!(one.1 == many.1, "the tables differ");
    let text = String::from_utf8_lossy(&one.0);
    let ids: Vec<_> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("one record per line")["id"].clone()
        })
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_by_key(|v| v.to_string());
    assert_eq!(ids, sorted, "appended in id order");
}

/// With records fetched at once, the failure reported is the first failing record in id
/// order, not the first to fail: here record 9 answers a stale copy late and record 30 a
/// 404 at once. Exit 2, the cache byte-identical.
#[test]
fn concurrent_fetch_fails_on_the_first_bad_record_in_order() {
    let fault = many_changed_records(40, |i| match i {
        9 => {
            let stale = osv_record("GHSA-jpcq-cgw6-v4j6.json", 1);
            let mut value: serde_json::Value = serde_json::from_slice(&stale).expect("record");
            value["id"] = "GHSA-test-0009".into();
            Some(Reply::Delayed(
                Duration::from_millis(600),
                Box::new(ok(serde_json::to_vec(&value).expect("record"))),
            ))
        }
        30 => Some(status(404, &[])),
        _ => None,
    });
    assert_fault_keeps_cache_with(
        "update-concurrent-first-error",
        fault,
        "osv",
        "inconsistent increment: record `GHSA-test-0009` was modified 2022-02-08T22:06:24Z",
        &[("KEVGATE_OSV_FETCH_CONCURRENCY", "8")],
    );
}

/// `KEVGATE_OSV_FETCH_CONCURRENCY` outside 1 to 64 is refused before anything is fetched.
#[test]
fn osv_fetch_concurrency_is_bounded() {
    let tmp = TempDir::new("update-concurrency-bounds");
    let server = Server::start("2025-08-25");
    for bad in ["0", "65", "many"] {
        let mut cmd = server.command(&tmp.path().join("cache"));
        cmd.env("KEVGATE_OSV_FETCH_CONCURRENCY", bad);
        let (code, _, err) = run(&mut cmd);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(
            err.contains("KEVGATE_OSV_FETCH_CONCURRENCY"),
            "{bad}: {err}"
        );
    }
    assert!(server.take_log().is_empty(), "nothing fetched");
}

/// The advisories, NVD, KEV and EPSS tables of a database file: (key, value) entries in
/// order.
fn tables(bytes: &[u8]) -> Vec<Vec<(String, Vec<u8>)>> {
    let db = kevgate::db::VulnDb::from_bytes(bytes.to_vec()).expect("a valid database");
    ["advisories", "nvd", "kev", "epss"]
        .into_iter()
        .map(|name| db.entries(name).expect("valid entries"))
        .collect()
}

/// The manifest of a database file.
fn manifest(bytes: &[u8]) -> serde_json::Value {
    use kevgate::db::format::{self, Source};
    let header = format::read_header(&Source::from(bytes)).expect("a valid database");
    serde_json::from_slice(&bytes[header.manifest]).expect("manifest JSON")
}

/// A `modified_id.csv` line whose id is a path fails the update naming the list and the
/// line, before any URL or file is made of it; the cache is unchanged.
#[test]
fn bad_modified_id_line_fails_naming_it() {
    let fault = on("/osv/npm/modified_id.csv", || {
        ok(
            b"2025-09-02T00:00:00Z,GHSA-jpcq-cgw6-v4j6\n2025-09-01T00:00:00Z,../../state\n"
                .to_vec(),
        )
    });
    assert_fault_keeps_cache(
        "update-bad-modified-id",
        fault,
        "osv",
        "`osv/npm/modified_id.csv` line 2: not an OSV id: `../../state`",
    );
}

/// A changed record that is not an OSV record fails the update (the build reads it),
/// naming the source, the ecosystem's URL and the file; the cache is unchanged.
#[test]
fn bad_changed_record_fails_naming_it() {
    let fault = on("/osv/npm/GHSA-jpcq-cgw6-v4j6.json", || {
        ok(
            br#"{"id": "GHSA-jpcq-cgw6-v4j6", "modified": "2025-09-02T00:00:00Z", "affected": 5}"#
                .to_vec(),
        )
    });
    assert_fault_keeps_cache(
        "update-bad-record",
        fault,
        "osv",
        "invalid download: cannot read `osv/npm/changes.jsonl:1`",
    );
}

#[test]
fn invalid_json_fails() {
    let fault = on("/nvd/", || {
        ok(b"{\"resultsPerPage\": 2000, \"vulnerabilities\": [".to_vec())
    });
    assert_fault_keeps_cache("update-invalid-json", fault, "nvd", "invalid API 2.0 page");
}

#[test]
fn invalid_kev_json_fails() {
    let fault = on("/kev/", || ok(b"<html>maintenance</html>".to_vec()));
    assert_fault_keeps_cache("update-invalid-kev", fault, "kev", "invalid download");
}

#[test]
fn hanging_server_times_out() {
    // The client's timeout is 1 s (`KEVGATE_HTTP_TIMEOUT_SECS`); the server stays silent 5 s.
    let fault = on("/kev/", || Reply::Hang(Duration::from_secs(5)));
    assert_fault_keeps_cache(
        "update-hang",
        fault,
        "kev",
        "kev/known_exploited_vulnerabilities.json",
    );
}

#[test]
fn http_429_honours_retry_after_then_succeeds() {
    let tmp = TempDir::new("update-429");
    let cache = tmp.path().join("cache");
    let server = Server::start("2025-08-25");
    let (fault, _) = first("/nvd/", || status(429, &[("Retry-After", "1")]));
    server.set_fault(Some(fault));
    let (code, _, err) = server.update(&cache);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        nvd_starts(&server),
        ["0", "0", "20"],
        "the rate-limited page is asked again"
    );
    assert_eq!(records(&status_json(&cache), "nvd"), 38);
}

#[test]
fn unwritable_cache_fails_naming_it() {
    // Tests run as root, for whom a mode-0555 directory is still writable. Instead the cache
    // path's parent is a regular file, so the cache cannot be created at all.
    let tmp = TempDir::new("update-readonly");
    let parent = tmp.path().join("not-a-dir");
    fs_err::write(&parent, "a file").expect("write");
    let cache = parent.join("cache");
    let server = Server::start("2025-08-25");
    let (code, _, err) = server.update(&cache);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cache `"), "{err}");
    assert!(err.contains("not-a-dir"), "{err}");
    assert_eq!(fs_err::read_to_string(&parent).expect("read"), "a file");
    assert!(server.take_log().is_empty(), "nothing downloaded");
}

#[test]
fn concurrent_updates_end_with_one_valid_database() {
    let tmp = TempDir::new("update-concurrent");
    let cache = tmp.path().join("cache");
    let server = Arc::new(Server::start("2025-08-25"));
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let (s, c) = (server.clone(), cache.clone());
            std::thread::spawn(move || s.update(&c))
        })
        .collect();
    for r in runs {
        let (code, _, err) = r.join().expect("update thread");
        assert_eq!(code, 0, "{err}");
    }
    let (code, _, err) = run(kevgate(tmp.path())
        .args(["db", "verify", "--cache-dir"])
        .arg(&cache));
    assert_eq!(code, 0, "{err}");
    assert_eq!(records(&status_json(&cache), "kev"), 1404);
    let leftovers: Vec<_> = fs_err::read_dir(&cache)
        .expect("cache")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".raw-") || n.starts_with(".kevgate.db.tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn status_reads_a_db_file_and_flags_corruption() {
    let tmp = TempDir::new("update-status");
    let cache = tmp.path().join("cache");
    let server = Server::start("2025-08-25");
    let (code, _, err) = server.update(&cache);
    assert_eq!(code, 0, "{err}");
    let db = cache.join("kevgate.db");
    let (code, out, err) = run(kevgate(tmp.path()).args(["db", "status", "--db"]).arg(&db));
    assert_eq!(code, 0, "{err}");
    for word in ["kev", "nvd", "osv", "epss", "sha256", "age days"] {
        assert!(out.contains(word), "{word}: {out}");
    }
    let mut bytes = fs_err::read(&db).expect("db");
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    let bad = tmp.path().join("bad.db");
    fs_err::write(&bad, bytes).expect("write");
    let (code, _, err) = run(kevgate(tmp.path()).args(["db", "verify", "--db"]).arg(&bad));
    assert_eq!(code, 2);
    assert!(err.contains("checksum"), "{err}");
}

/// `db update --cve-scope referenced` (and `KEVGATE_CVE_SCOPE`) builds the cache's database
/// with NVD and EPSS only for CVEs the downloaded advisories or KEV name; `db status` says so.
#[test]
fn update_with_referenced_cve_scope() {
    let tmp = TempDir::new("update-scope");
    let server = Server::start("2025-08-25");
    let full = tmp.path().join("full");
    let (code, _, err) = server.update(&full);
    assert_eq!(code, 0, "{err}");
    let scoped = tmp.path().join("scoped");
    // A fixed `built_at`, so the two scoped databases can be compared byte for byte.
    let epoch = ("SOURCE_DATE_EPOCH", "1756166400");
    let (code, _, err) = run(server
        .command(&scoped)
        .env(epoch.0, epoch.1)
        .args(["--cve-scope", "referenced"]));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("cve scope referenced: left out "), "{err}");
    let by_env = tmp.path().join("by-env");
    let (code, _, err) = run(server
        .command(&by_env)
        .env(epoch.0, epoch.1)
        .env("KEVGATE_CVE_SCOPE", "referenced"));
    assert_eq!(code, 0, "{err}");
    let (full, scoped, by_env) = (
        status_json(&full),
        status_json(&scoped),
        status_json(&by_env),
    );
    assert_eq!(full["cve_scope"], "all");
    assert_eq!(scoped["cve_scope"], "referenced");
    assert_eq!(by_env["cve_scope"], "referenced");
    assert_eq!(scoped["sha256"], by_env["sha256"]);
    assert!(
        scoped["bytes"].as_u64() < full["bytes"].as_u64(),
        "{scoped} vs {full}"
    );
    assert!(records(&scoped, "nvd") < records(&full, "nvd"), "{scoped}");
    // The served EPSS file is the KEV subset: every score is of a KEV CVE, all kept.
    for source in ["kev", "osv", "epss"] {
        assert_eq!(records(&scoped, source), records(&full, source));
    }
}

#[test]
fn failing_final_rename_keeps_the_raw_files() {
    // The last step (renaming the new database over `kevgate.db`) fails when `kevgate.db` is
    // a non-empty directory, even for root: the raw directory swap must be rolled back.
    let tmp = TempDir::new("update-rename");
    let cache = tmp.path().join("cache");
    let server = Server::start("2025-01-24");
    let (code, _, err) = server.update(&cache);
    assert_eq!(code, 0, "{err}");
    let db = cache.join("kevgate.db");
    fs_err::remove_file(&db).expect("remove db");
    fs_err::create_dir_all(db.join("blocker")).expect("blocker dir");
    let before = hashes(&cache);

    server.set_kev("2025-05-06");
    let (code, _, err) = server.update(&cache);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cache `"), "{err}");
    assert!(err.contains("kevgate.db"), "{err}");
    assert_eq!(hashes(&cache), before, "raw files changed");
}

#[test]
fn connection_reset_is_retried_then_succeeds() {
    let tmp = TempDir::new("update-reset");
    let cache = tmp.path().join("cache");
    let server = Server::start("2025-08-25");
    let (fault, calls) = first("/kev/", || Reply::Reset);
    server.set_fault(Some(fault));
    let (code, _, err) = server.update(&cache);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("kev: ") && err.contains("retrying in"),
        "{err}"
    );
    assert!(err.contains("Connection reset by peer"), "{err}");
    assert_eq!(calls.load(Ordering::SeqCst), 2, "asked twice");
    assert_eq!(records(&status_json(&cache), "kev"), 1404);
}

#[test]
fn connection_resets_fail_after_the_attempts() {
    let fault = on("/kev/", || Reply::Reset);
    assert_fault_keeps_cache("update-resets", fault, "kev", "after 3 attempts");
}

#[test]
fn nvd_403_rate_limit_is_retried_then_succeeds() {
    // NVD answers 403 (not 429) when a client exceeds its rate limit, without Retry-After;
    // its docs say to wait and retry.
    let tmp = TempDir::new("update-nvd-403");
    let cache = tmp.path().join("cache");
    let server = Server::start("2025-08-25");
    let (fault, _) = first("/nvd/", || status(403, &[]));
    server.set_fault(Some(fault));
    let (code, _, err) = server.update(&cache);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("nvd: HTTP 403 Forbidden; retrying in 1 s"),
        "{err}"
    );
    assert_eq!(nvd_starts(&server), ["0", "0", "20"]);
    assert_eq!(records(&status_json(&cache), "nvd"), 38);
}

#[test]
fn http_403_from_other_sources_is_not_retried() {
    let tmp = TempDir::new("update-kev-403");
    let cache = tmp.path().join("cache");
    let server = Server::start("2025-08-25");
    server.set_fault(Some(on("/kev/", || status(403, &[]))));
    let (code, _, err) = server.update(&cache);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("kev: HTTP 403 Forbidden (`"), "{err}");
    let kev = server
        .take_log()
        .iter()
        .filter(|r| r.path.starts_with("/kev/"))
        .count();
    assert_eq!(kev, 1);
}

#[test]
fn progress_is_plain_lines_off_a_terminal() {
    // stderr is a pipe here: no bar, no `\r`, no escape codes; one summary line per file.
    let tmp = TempDir::new("update-progress");
    let cache = tmp.path().join("cache");
    let server = Server::start("2025-08-25");
    let (code, _, err) = server.update(&cache);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains('\r') && !err.contains('\x1b'), "{err:?}");
    for label in ["kev", "nvd", "osv", "epss"] {
        let line = err
            .lines()
            .find(|l| l.starts_with(&format!("{label}: ")) && l.contains(" bytes in "))
            .unwrap_or_else(|| panic!("no summary line for {label}: {err}"));
        let rest = line.split_once(": ").expect("label").1;
        let (bytes, rest) = rest.split_once(" bytes in ").expect("bytes");
        assert!(bytes.parse::<u64>().expect("a byte count") > 0, "{line}");
        assert!(rest.ends_with(" MiB/s)") && rest.contains(" s ("), "{line}");
    }
}

#[test]
fn bad_ssl_cert_file_fails_naming_it() {
    let tmp = TempDir::new("update-ssl-cert-file");
    let cache = tmp.path().join("cache");
    let pem = tmp.path().join("corporate-roots.pem");
    fs_err::write(&pem, "-----BEGIN CERTIFICATE-----\nnot base64!\n").expect("write");
    let server = Server::start("2025-08-25");
    let (code, _, err) = run(server.command(&cache).env("SSL_CERT_FILE", &pem));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("corporate-roots.pem"), "{err}");
    assert!(err.contains("SSL_CERT_FILE"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(server.take_log().is_empty(), "nothing downloaded");
    assert!(!cache.join("kevgate.db").exists());
}

#[test]
fn prebuilt_database_is_verified_and_installed() {
    let tmp = TempDir::new("update-prebuilt");
    let cache = tmp.path().join("cache");
    let server = Server::start("2025-08-25");
    let (code, _, err) = server.update_from(&cache, true);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("sha256 and signature verified"), "{err}");
    let paths: Vec<_> = server.take_log().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/prebuilt/kevgate.db",
            "/prebuilt/kevgate.db.sha256",
            "/prebuilt/kevgate.db.minisig"
        ],
        "only the prebuilt files, no feed"
    );
    assert_eq!(
        fs_err::read(cache.join("kevgate.db")).expect("db"),
        fs_err::read(fixture("update/prebuilt/kevgate.db")).expect("fixture")
    );
    let (code, _, err) = run(kevgate(tmp.path())
        .args(["db", "verify", "--cache-dir"])
        .arg(&cache));
    assert_eq!(code, 0, "{err}");
    // Status says where it came from and when it was fetched (now, not the feeds' times).
    let s = status_json(&cache);
    assert_eq!(s["prebuilt_url"], server.prebuilt_url().as_str(), "{s}");
    let today = jiff::Timestamp::now().to_string()[..10].to_string();
    for src in s["sources"].as_array().expect("sources") {
        let at = src["fetched_at"]
            .as_str()
            .unwrap_or_else(|| panic!("{src}"));
        assert!(at.starts_with(&today), "{src}");
    }

    // A feed update afterwards replaces it, and the status follows.
    let (code, _, err) = server.update(&cache);
    assert_eq!(code, 0, "{err}");
    let s = status_json(&cache);
    assert!(s["prebuilt_url"].is_null(), "{s}");
    assert_eq!(records(&s, "kev"), 1404);

    // The env forms of `--from` and `--public-key`, over a feed-built cache.
    let (code, _, err) = run(server
        .command(&cache)
        .env("KEVGATE_DB_FROM", server.prebuilt_url())
        .env(
            "KEVGATE_DB_PUBLIC_KEY",
            fixture("update/prebuilt/test-only.pub"),
        ));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        status_json(&cache)["prebuilt_url"],
        server.prebuilt_url().as_str()
    );
}

/// The packed download form (`kevgate db pack`, zstd) is verified against its own signature,
/// then installed as the database that was packed, byte for byte.
#[test]
fn packed_prebuilt_database_installs_as_built() {
    let tmp = TempDir::new("update-prebuilt-packed");
    let cache = tmp.path().join("cache");
    let server = Server::start("2025-08-25");
    let url = format!("{}.zst", server.prebuilt_url());
    let (code, _, err) = run(server
        .command(&cache)
        .args(["--from", &url, "--public-key"])
        .arg(fixture("update/prebuilt/test-only.pub")));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("sha256 and signature verified"), "{err}");
    let packed = fs_err::read(fixture("update/prebuilt/kevgate.db.zst")).expect("fixture");
    let plain = fs_err::read(fixture("update/prebuilt/kevgate.db")).expect("fixture");
    assert!(packed.len() < plain.len());
    assert_eq!(fs_err::read(cache.join("kevgate.db")).expect("db"), plain);
    let (code, _, err) = run(kevgate(tmp.path())
        .args(["db", "verify", "--cache-dir"])
        .arg(&cache));
    assert_eq!(code, 0, "{err}");

    // `db pack` of the installed file gives the published bytes again.
    let out = tmp.path().join("again.zst");
    let (code, _, err) = run(kevgate(tmp.path())
        .args(["db", "pack"])
        .arg(cache.join("kevgate.db"))
        .arg("--output")
        .arg(&out));
    assert_eq!(code, 0, "{err}");
    assert_eq!(fs_err::read(&out).expect("packed"), packed);
}

/// A feed-built cache, then `--from` with `fault` (and the TEST-ONLY key unless
/// `trust_test_key` is false): it must fail naming the problem and keep the cache
/// byte-identical.
fn assert_prebuilt_fault(name: &str, fault: Fault, trust_test_key: bool, reason: &str) {
    let tmp = TempDir::new(name);
    let cache = tmp.path().join("cache");
    let server = Server::start("2025-08-25");
    let (code, _, err) = server.update(&cache);
    assert_eq!(code, 0, "{err}");
    let before = hashes(&cache);
    server.set_fault(Some(fault));
    let (code, _, err) = server.update_from(&cache, trust_test_key);
    assert_eq!(code, 2, "{name}: {err}");
    assert!(err.contains("prebuilt: "), "{name}: {err}");
    assert!(err.contains(reason), "{name}: {err}");
    assert_eq!(hashes(&cache), before, "{name}: cache changed");
}

#[test]
fn prebuilt_bad_checksum_fails() {
    let fault = on("/prebuilt/kevgate.db.sha256", || {
        ok(format!("{}  kevgate.db\n", "0".repeat(64)).into_bytes())
    });
    assert_prebuilt_fault("prebuilt-checksum", fault, true, "checksum mismatch");
}

#[test]
fn prebuilt_bad_signature_fails() {
    // The real signature file with one character of the signature changed.
    let fault = on("/prebuilt/kevgate.db.minisig", || {
        let text =
            fs_err::read_to_string(fixture("update/prebuilt/kevgate.db.minisig")).expect("fixture");
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let sig = &mut lines[1];
        let i = sig.len() - 6;
        let c = if &sig[i..=i] == "A" { "B" } else { "A" };
        sig.replace_range(i..=i, c);
        ok((lines.join("\n") + "\n").into_bytes())
    });
    assert_prebuilt_fault("prebuilt-signature", fault, true, "bad signature");
}

#[test]
fn prebuilt_signed_with_another_key_fails() {
    // Signed with the TEST-ONLY key, verified with the project key built into the binary.
    let fault: Fault = Box::new(|_| None);
    assert_prebuilt_fault(
        "prebuilt-wrong-key",
        fault,
        false,
        "signed with a different key",
    );
}

#[test]
fn prebuilt_truncated_download_fails() {
    let fault = on("/prebuilt/kevgate.db", || {
        Reply::Truncated(fs_err::read(fixture("update/prebuilt/kevgate.db")).expect("fixture"))
    });
    assert_prebuilt_fault("prebuilt-truncated", fault, true, "truncated download");
}

#[test]
fn valid_ssl_cert_file_is_accepted() {
    // A real CA certificate bundle is added to the roots; the (plain HTTP) update proceeds.
    let tmp = TempDir::new("update-ssl-cert-file-ok");
    let cache = tmp.path().join("cache");
    let server = Server::start("2025-08-25");
    let (code, _, err) = run(server
        .command(&cache)
        .env("SSL_CERT_FILE", fixture("update/isrg-root-x1.pem")));
    assert_eq!(code, 0, "{err}");
    assert_eq!(records(&status_json(&cache), "kev"), 1404);
}

#[test]
fn unreadable_public_key_fails_naming_it() {
    let tmp = TempDir::new("update-prebuilt-key");
    let cache = tmp.path().join("cache");
    let server = Server::start("2025-08-25");
    let missing = tmp.path().join("mirror.pub");
    let (code, _, err) = run(server
        .command(&cache)
        .args(["--from", &server.prebuilt_url(), "--public-key"])
        .arg(&missing));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("mirror.pub"), "{err}");
    assert!(server.take_log().is_empty(), "nothing downloaded");
    let garbage = tmp.path().join("garbage.pub");
    fs_err::write(&garbage, "untrusted comment: x\nnot a key\n").expect("write");
    let (code, _, err) = run(server
        .command(&cache)
        .args(["--from", &server.prebuilt_url(), "--public-key"])
        .arg(&garbage));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a minisign public key"), "{err}");
}

/// A zip of one member `name` holding `len` zeros: deflated ~1000:1, a zip bomb.
fn zip_bomb(name: &str, len: usize) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(len as u64 >= u32::MAX as u64);
    zip.start_file(name, options).expect("zip member");
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..len / zeros.len() {
        zip.write_all(&zeros).expect("zip write");
    }
    zip.finish().expect("zip finish");
    out.into_inner()
}

/// Issue 10, item 6: an OSV archive whose member inflates to 64 MiB of zeros (a ~64 KB
/// download) stops at the per-document cap (8 MiB here, through `KEVGATE_MAX_ENTRY_BYTES`;
/// 256 MiB by default) with exit 2 naming the source and the cap; the cache is unchanged.
#[test]
fn zip_bomb_stops_at_the_entry_cap() {
    let bomb = Arc::new(zip_bomb("GHSA-bomb-bomb-bomb.json", 64 << 20));
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let fault = on("/osv/npm/all.zip", move || ok(bomb.to_vec()));
    // More changed records than `KEVGATE_OSV_MAX_CHANGED`: the whole export is downloaded.
    assert_fault_keeps_cache_with(
        "update-zip-bomb",
        fault,
        "osv",
        "the cap per document (`KEVGATE_MAX_ENTRY_BYTES`)",
        &[
            ("KEVGATE_MAX_ENTRY_BYTES", "8388608"),
            ("KEVGATE_OSV_MAX_CHANGED", "0"),
        ],
    );
}

/// `db build --osv` on the same bomb: exit 2, the member and the cap named, nothing written.
#[test]
fn db_build_stops_a_zip_bomb() {
    let tmp = TempDir::new("build-zip-bomb");
    let zip = tmp.path().join("all.zip");
    fs_err::write(&zip, zip_bomb("GHSA-bomb-bomb-bomb.json", 64 << 20)).expect("write");
    let out = tmp.path().join("out.db");
    let (code, _, err) = run(kevgate(tmp.path())
        .env("KEVGATE_MAX_ENTRY_BYTES", "8388608")
        .args(["db", "build", "--osv"])
        .arg(&zip)
        .arg("--output")
        .arg(&out));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("all.zip!GHSA-bomb-bomb-bomb.json"), "{err}");
    assert!(err.contains("more than 8388608 bytes"), "{err}");
    assert!(!out.exists());
}

/// An endless body stops at the per-source download cap (`KEVGATE_MAX_DOWNLOAD_BYTES`, 4 GiB
/// by default; 4 MiB here), once, without retries.
#[test]
fn endless_body_stops_at_the_download_cap() {
    assert_fault_keeps_cache_with(
        "update-endless",
        on("/epss/", || Reply::Endless),
        "epss",
        "the cap per source (`KEVGATE_MAX_DOWNLOAD_BYTES`",
        &[("KEVGATE_MAX_DOWNLOAD_BYTES", "4194304")],
    );
}

/// A server that sends one byte per 400 ms (each wait shorter than the 1 s timeout) stalls:
/// it fails at the stall limit (2 s here, `KEVGATE_HTTP_STALL_SECS`; 90 s by default).
#[test]
fn trickling_server_fails_at_the_stall_limit() {
    assert_fault_keeps_cache_with(
        "update-trickle",
        on("/kev/", || Reply::Trickle(Duration::from_millis(400))),
        "kev",
        "stalled: less than 16 KiB in 2 s",
        &[
            ("KEVGATE_HTTP_STALL_SECS", "2"),
            ("KEVGATE_HTTP_ATTEMPTS", "5"),
        ],
    );
}

/// A server that accepts the connection and never answers: each try times out (1 s), and
/// the retries stop at the stall limit (2 s) rather than running all 5 tries.
#[test]
fn silent_server_fails_at_the_stall_limit() {
    let tmp = TempDir::new("update-silent");
    let cache = tmp.path().join("cache");
    let server = Server::start("2025-08-25");
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let fault: Fault = Box::new(move |r: &Request| {
        (r.path.starts_with("/kev/") && c.fetch_add(1, Ordering::SeqCst) < usize::MAX)
            .then(|| Reply::Hang(Duration::from_secs(30)))
    });
    server.set_fault(Some(fault));
    let (code, _, err) = run(server
        .command(&cache)
        .env("KEVGATE_HTTP_STALL_SECS", "2")
        .env("KEVGATE_HTTP_ATTEMPTS", "5"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("kev: "), "{err}");
    assert!(err.contains("stalled"), "{err}");
    assert!(
        calls.load(Ordering::SeqCst) < 5,
        "stopped before the last try"
    );
    assert!(!cache.join("kevgate.db").exists());
}

/// `Retry-After: 100000` is not honoured for 28 hours: the wait passes the stall limit, so
/// the request fails at once, saying what the server asked.
#[test]
fn huge_retry_after_fails_at_once() {
    let tmp = TempDir::new("update-retry-after");
    let cache = tmp.path().join("cache");
    let server = Server::start("2025-08-25");
    server.set_fault(Some(on("/epss/", || {
        status(503, &[("Retry-After", "100000")])
    })));
    let (code, _, err) = server.update(&cache);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("epss: HTTP 503") && err.contains("not waiting 100000 s for attempt 2"),
        "{err}"
    );
    let asked = server
        .take_log()
        .iter()
        .filter(|r| r.path.starts_with("/epss/"))
        .count();
    assert_eq!(asked, 1);
    assert!(!cache.join("kevgate.db").exists());
}

/// `Retry-After` values at the edge of the types: `u64::MAX` seconds and an HTTP date in the
/// year 9000. Each fails at once, naming the source, with exit 2 (the first once overflowed
/// the stall arithmetic and aborted with a panic).
#[test]
fn extreme_retry_after_fails_at_once() {
    for value in ["18446744073709551615", "Wed, 01 Jan 9000 00:00:00 GMT"] {
        let tmp = TempDir::new("update-retry-after-max");
        let cache = tmp.path().join("cache");
        let server = Server::start("2025-08-25");
        server.set_fault(Some(on("/epss/", move || {
            status(503, &[("Retry-After", value)])
        })));
        let (code, _, err) = server.update(&cache);
        assert_eq!(code, 2, "{value}: {err}");
        assert!(
            err.contains("epss: HTTP 503") && err.contains("not waiting"),
            "{value}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert!(!cache.join("kevgate.db").exists());
    }
}

/// Issue 10, item 9: NVD redirecting to another origin (a second loopback server, another
/// port) is refused, and the second server never sees the `apiKey`; a KEV download (no
/// credentials) still follows the same kind of redirect.
#[test]
fn nvd_api_key_never_crosses_origins() {
    let tmp = TempDir::new("update-redirect");
    let cache = tmp.path().join("cache");
    let server = Server::start("2025-08-25");
    let other = Server::start("2025-08-25");
    let to = format!("http://{}", other.addr);
    server.set_fault(Some(Box::new(move |r: &Request| {
        let moved = |path: &str| Reply::Full {
            status: 302,
            headers: vec![("Location".into(), format!("{to}{path}"))],
            body: vec![],
        };
        if r.path.starts_with("/nvd/") {
            Some(moved(
                "/nvd/rest/json/cves/2.0?startIndex=0&resultsPerPage=2000",
            ))
        } else if r.path.starts_with("/kev/") {
            Some(moved(&r.path))
        } else {
            None
        }
    })));
    let (code, _, err) = server.update(&cache);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("nvd: HTTP 302 redirect to another origin"),
        "{err}"
    );
    let seen = other.take_log();
    assert!(
        seen.iter().all(|r| !r.headers.contains_key("apikey")),
        "{seen:?}"
    );
    assert!(
        !seen.iter().any(|r| r.path.starts_with("/nvd/")),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|r| r.path.starts_with("/kev/")),
        "the KEV redirect was followed: {seen:?}"
    );
    assert!(!err.contains("test-key"), "{err}");
}

/// `db update --from` with a prebuilt database of this server by file name (`older.db`),
/// trusting the TEST-ONLY key, plus `extra` arguments.
fn update_from_file(
    server: &Server,
    cache: &Path,
    file: &str,
    extra: &[&str],
) -> (i32, String, String) {
    let url = format!("http://{}/prebuilt/{file}", server.addr);
    run(server
        .command(cache)
        .args(["--from", &url, "--public-key"])
        .arg(fixture("update/prebuilt/test-only.pub"))
        .args(extra))
}

/// Rollback (issue 10, item 5): a validly signed database older than the installed one (an
/// older data date, or the same date with a lower build serial in the signed trusted
/// comment) is refused with exit 2 and the cache byte-identical, unless `--allow-downgrade`.
#[test]
fn prebuilt_rollback_is_refused() {
    let tmp = TempDir::new("update-prebuilt-rollback");
    let cache = tmp.path().join("cache");
    let server = Server::start("2025-08-25");
    // Data from 2025-11-03, serial 5.
    let (code, _, err) = update_from_file(&server, &cache, "kevgate.db", &[]);
    assert_eq!(code, 0, "{err}");
    let before = hashes(&cache);

    // Data from 2025-08-25, serial 3: refused by the data date.
    let (code, _, err) = update_from_file(&server, &cache, "older.db", &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("refusing a downgrade"), "{err}");
    assert!(
        err.contains("2025-08-25") && err.contains("2025-11-03"),
        "{err}"
    );
    assert!(err.contains("--allow-downgrade"), "{err}");
    assert_eq!(
        err.lines().last().map(|l| l.starts_with("error")),
        Some(true),
        "{err}"
    );
    assert_eq!(hashes(&cache), before, "cache changed");

    // The operator's choice: installed, serial 3 recorded.
    let (code, _, err) = update_from_file(&server, &cache, "older.db", &["--allow-downgrade"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        fs_err::read(cache.join("kevgate.db")).expect("db"),
        fs_err::read(fixture("update/prebuilt/older.db")).expect("fixture")
    );
    let before = hashes(&cache);

    // The same data date, serial 2 < 3: refused by the serial alone.
    let (code, _, err) = update_from_file(&server, &cache, "older-serial2.db", &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("build serial is 2"), "{err}");
    assert!(err.contains("is 3"), "{err}");
    assert_eq!(hashes(&cache), before, "cache changed");

    // Newer again: installed without a flag.
    let (code, _, err) = update_from_file(&server, &cache, "kevgate.db", &[]);
    assert_eq!(code, 0, "{err}");
}
