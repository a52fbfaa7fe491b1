//! JVN iPedia (IPA) as a source: `db build --jvn` on the real documents of
//! `tests/fixtures/db/jvn`, `db update` paging through a loopback MyJVN API that serves the
//! real `getVulnOverviewList` responses of `tests/fixtures/update/jvn`, and a scan whose
//! severity comes from JVN because NVD has no score for the CVE.

use crate::scan::build_db;
use crate::update::{Fault, Reply, Request, Server, hashes, ok, records, status_json};
use crate::{TempDir, fixture, kevgate, root, run};
use serde_json::Value;
use std::path::Path;

/// Entries the test MyJVN server puts in one page (the real API answers up to
/// `maxCountItem`, at most 50; fewer makes the client page).
const SERVER_PAGE: usize = 2;

/// The MyJVN API `getVulnOverviewList`: the 5 real entries of the 2022-05-18 response for a
/// full request, the 2 real entries of the 2025 response for one with a
/// `datePublishedStart*` date; `startItem` (1-based) and `maxCountItem` page through them,
/// and `status:Status` says `totalRes`, `totalResRet` and `firstRes` as the real API does.
pub(crate) fn myjvn(req: &Request) -> Reply {
    let file = if req.query.contains_key("datePublishedStartY") {
        "update/jvn/getVulnOverviewList_hnd.xml"
    } else {
        "update/jvn/getVulnOverviewList_hnd.2022-05-18.xml"
    };
    let num = |k: &str| req.query.get(k).and_then(|v| v.parse::<usize>().ok());
    let (Some(start), Some(max)) = (num("startItem"), num("maxCountItem")) else {
        return ok(b"<Result/>".to_vec());
    };
    ok(page(file, start, max.min(SERVER_PAGE)).into_bytes())
}

/// `count` items of `file` from the 1-based `start`, with the status rewritten.
fn page(file: &str, start: usize, count: usize) -> String {
    let text = fs_err::read_to_string(fixture(file)).expect("fixture");
    let first = text.find("<item ").expect("items");
    let end = text.rfind("</item>").expect("items") + "</item>".len();
    let mut items = Vec::new();
    let mut at = first;
    while let Some(i) = text[at..end].find("<item ") {
        let from = at + i;
        let to = from + text[from..].find("</item>").expect("closed") + "</item>".len();
        items.push(&text[from..to]);
        at = to;
    }
    let chosen: Vec<&str> = items.iter().skip(start - 1).take(count).copied().collect();
    let mut tail = text[end..].to_string();
    for (k, v) in [
        ("totalRes", items.len()),
        ("totalResRet", chosen.len()),
        ("firstRes", start),
    ] {
        tail = set_attr(&tail, k, &v.to_string());
    }
    format!("{}{}{tail}", &text[..first], chosen.join("\n    "))
}

fn set_attr(s: &str, name: &str, value: &str) -> String {
    let key = format!(" {name}=\"");
    let at = s.find(&key).expect("attribute") + key.len();
    let len = s[at..].find('"').expect("quoted");
    format!("{}{value}{}", &s[..at], &s[at + len..])
}

/// `db update` with JVN pointed at the server.
fn update(server: &Server, cache: &Path) -> (i32, String, String) {
    run(server
        .command(cache)
        .env("KEVGATE_JVN_URL", format!("http://{}/myjvn", server.addr)))
}

/// The MyJVN requests the server saw since the last look.
fn myjvn_requests(server: &Server) -> Vec<Request> {
    server
        .take_log()
        .into_iter()
        .filter(|r| r.path == "/myjvn")
        .collect()
}

/// First update: every entry (`rangeDate*=n`, no date), paged by `startItem` until
/// `totalRes`; second: only entries updated since the day before (JST), added to the kept
/// pages. `db status` lists the `jvn` source.
#[test]
fn update_pages_through_the_myjvn_api() {
    let tmp = TempDir::new("jvn-update");
    let cache = tmp.path().join("cache");
    let server = Server::start("2025-01-24");
    let (code, _, err) = update(&server, &cache);
    assert_eq!(code, 0, "{err}");
    let reqs = myjvn_requests(&server);
    let starts: Vec<&str> = reqs.iter().map(|r| r.query["startItem"].as_str()).collect();
    assert_eq!(starts, ["1", "3", "5"], "{err}");
    for r in &reqs {
        for (k, v) in [
            ("method", "getVulnOverviewList"),
            ("feed", "hnd"),
            ("maxCountItem", "50"),
            ("rangeDatePublic", "n"),
            ("rangeDatePublished", "n"),
            ("rangeDateFirstPublished", "n"),
        ] {
            assert_eq!(r.query.get(k).map(String::as_str), Some(v), "{k} in {r:?}");
        }
        assert!(!r.query.contains_key("datePublishedStartY"), "{r:?}");
    }
    let raw: Vec<String> = fs_err::read_dir(cache.join("raw/jvn"))
        .expect("raw/jvn")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        raw,
        ["full-0000001.xml", "full-0000003.xml", "full-0000005.xml"]
    );
    // The 5 entries of 2022-05 name 19 CVEs.
    let s = status_json(&cache);
    assert_eq!(records(&s, "jvn"), 19, "{s}");
    assert!(err.contains("jvn: "), "{err}");

    let (code, _, err) = update(&server, &cache);
    assert_eq!(code, 0, "{err}");
    let reqs = myjvn_requests(&server);
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    let q = &reqs[0].query;
    assert_eq!(q["startItem"], "1");
    assert_eq!(q["rangeDatePublished"], "n");
    assert_eq!(q["datePublishedStartY"].len(), 4, "{q:?}");
    for k in ["datePublishedStartM", "datePublishedStartD"] {
        let v: u32 = q[k].parse().expect("a number");
        assert!((1..=31).contains(&v), "{k}={v}");
    }
    // Plus CVE-2025-31084 and CVE-2025-23120.
    let s = status_json(&cache);
    assert_eq!(records(&s, "jvn"), 21, "{s}");
}

/// A MyJVN error (`retCd="1"`), a page with a DTD, or a page that starts elsewhere than
/// asked fails the update naming `jvn`; the cache stays byte-identical.
#[test]
fn bad_myjvn_answers_fail_and_keep_the_cache() {
    let error = r#"<?xml version="1.0" encoding="UTF-8"?><Result version="3.3" xmlns:status="http://jvndb.jvn.jp/myjvn/Status"><status:Status version="3.3" method="getVulnOverviewList" lang="ja" retCd="1" retMax="" errCd="1001" errMsg="parameter error" totalRes="" totalResRet="" firstRes="" feed="hnd"/></Result>"#;
    let cases: Vec<(&str, Fault, &str)> = vec![
        (
            "retcd",
            Box::new(move |r: &Request| (r.path == "/myjvn").then(|| ok(error.into()))),
            "MyJVN API error: retCd `1`, errCd `1001`: parameter error",
        ),
        (
            "dtd",
            Box::new(|r: &Request| {
                (r.path == "/myjvn").then(|| {
                    let body = page("update/jvn/getVulnOverviewList_hnd.xml", 1, 2);
                    let body = body.replacen(
                        "?>",
                        "?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>",
                        1,
                    );
                    ok(body.into_bytes())
                })
            }),
            "DTD",
        ),
        (
            "first-res",
            Box::new(|r: &Request| {
                (r.path == "/myjvn").then(|| {
                    let body = page("update/jvn/getVulnOverviewList_hnd.xml", 1, 2);
                    ok(set_attr(&body, "firstRes", "7").into_bytes())
                })
            }),
            "page starts at entry 7, asked for 1",
        ),
    ];
    for (name, fault, reason) in cases {
        let tmp = TempDir::new(&format!("jvn-fault-{name}"));
        let cache = tmp.path().join("cache");
        let server = Server::start("2025-01-24");
        let (code, _, err) = update(&server, &cache);
        assert_eq!(code, 0, "{err}");
        let before = hashes(&cache);
        server.set_fault(Some(fault));
        let (code, _, err) = update(&server, &cache);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.contains("jvn: "), "{name}: {err}");
        assert!(err.contains(reason), "{name}: {err}");
        assert_eq!(hashes(&cache), before, "{name}: cache changed");
    }
}

/// `db build --jvn` reads a directory of every real shape (API pages, RSS and detail feeds),
/// skips the XSD with a warning, and `db status` shows the source; the malformed MyJVN
/// example fails the build naming the file.
#[test]
fn build_reads_jvn_documents() {
    let tmp = TempDir::new("jvn-build");
    let out = tmp.path().join("jvn.db");
    let (code, _, err) = run(kevgate(tmp.path())
        .args([
            "db",
            "build",
            "--built-at",
            "2025-08-26T00:00:00Z",
            "--output",
        ])
        .arg(&out)
        .arg("--jvn")
        .arg(fixture("db/jvn")));
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("jvn: 8 entries read, 8 kept, 0 name no CVE"),
        "{err}"
    );
    assert!(
        err.contains("skipped jvn input `jvn/mod_sec_3.0.xsd`"),
        "{err}"
    );
    let (code, status, err) = run(kevgate(tmp.path())
        .args(["db", "status", "--format", "json", "--db"])
        .arg(&out));
    assert_eq!(code, 0, "{err}");
    let status: Value = serde_json::from_str(&status).expect("JSON");
    // CVE-2021-44228, -2025-31084, -2025-23120, -2017-14937, -2021-36745, -2007-0851, and
    // the 4 CVEs of the 2022 detail feed.
    assert_eq!(records(&status, "jvn"), 10, "{status}");

    let (code, _, err) = run(kevgate(tmp.path())
        .args(["db", "build", "--output"])
        .arg(tmp.path().join("bad.db"))
        .arg("--jvn")
        .arg(fixture("db/jvn-bad")));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot read `jvn-bad/dataFeed_jvndb_rss_hnd.xml`"),
        "{err}"
    );
    assert!(!tmp.path().join("bad.db").exists());
}

/// Log4Shell (CVE-2021-44228) in the example SBOM's log4j-core 2.14.1, with a database that
/// has no NVD record for it and no KEV: JVN's CVSS v3 10.0 makes it CRITICAL and fails the
/// gate; without `jvn` in the precedence the same finding has no severity and passes. The
/// JVNDB id is an alias, and the JSON, table and Markdown reports show its link.
#[test]
fn scan_takes_the_severity_from_jvn() {
    let tmp = TempDir::new("jvn-scan");
    let db = build_db(
        &tmp.path().join("jvn.db"),
        &[
            ("--osv", fixture("update/osv/GHSA-jfh8-c2jp-5v3q.json")),
            ("--jvn", fixture("db/jvn/jvndb_2021.rdf")),
        ],
    );
    let sbom = root().join("examples/trivy-sbom.cdx.json");
    let scan = |extra: &[&str]| {
        run(kevgate(tmp.path())
            .arg("scan")
            .arg(&sbom)
            .arg("--db")
            .arg(&db)
            .args(["--max-db-age", "100000"])
            .args(extra))
    };
    let log4shell = |report: &str| -> Value {
        let v: Value = serde_json::from_str(report).expect("JSON report");
        v["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["id"] == "CVE-2021-44228" && f["component"]["name"] == "log4j-core")
            .cloned()
            .unwrap_or_else(|| panic!("Log4Shell finding in {v}"))
    };
    let url = "https://jvndb.jvn.jp/ja/contents/2021/JVNDB-2021-005429.html";

    for order in [None, Some("nvd,jvn")] {
        let mut args = vec!["--format", "json"];
        if let Some(o) = order {
            args.extend(["--severity-source", o]);
        }
        let (code, out, err) = scan(&args);
        assert_eq!(code, 1, "{order:?}: {err}");
        let f = log4shell(&out);
        assert_eq!(f["severity"], "critical", "{f}");
        assert_eq!(f["decision"], "fail", "{f}");
        assert_eq!(f["cvss"]["source"], "jvn", "{f}");
        assert_eq!(f["cvss"]["score"], 10.0, "{f}");
        assert_eq!(
            f["cvss"]["vector"],
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"
        );
        assert!(
            f["aliases"]
                .as_array()
                .expect("aliases")
                .contains(&Value::from("JVNDB-2021-005429")),
            "{f}"
        );
        assert_eq!(
            f["jvn"],
            serde_json::json!([{"id": "JVNDB-2021-005429", "url": url}])
        );
    }

    let (code, out, err) = scan(&["--format", "json", "--severity-source", "nvd"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(log4shell(&out)["severity"], "unknown");

    // The config file's `severity-source` takes `jvn` too.
    fs_err::write(tmp.path().join(".kevgate.yaml"), "severity-source: [jvn]\n").expect("write");
    let (code, out, err) = scan(&["--format", "json"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(log4shell(&out)["cvss"]["source"], "jvn");
    fs_err::remove_file(tmp.path().join(".kevgate.yaml")).expect("remove");

    let (_, table, _) = scan(&["--format", "table"]);
    assert!(
        table.contains(&format!("jvn: JVNDB-2021-005429 {url}")),
        "{table}"
    );
    let (_, md, _) = scan(&["--format", "markdown"]);
    assert!(
        md.contains(&format!("<br>[JVNDB-2021-005429]({url})")),
        "{md}"
    );
}
