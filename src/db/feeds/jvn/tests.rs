//! The JVN parser on the real documents of `tests/fixtures/db/jvn` (one per shape) and on
//! hostile XML.

use super::*;
use crate::db::feeds::DocKind;

fn fixture(path: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    fs_err::read(&path).expect("fixture exists")
}

fn doc(name: &str, bytes: Vec<u8>) -> Doc {
    Doc {
        name: name.into(),
        kind: DocKind::Other,
        bytes,
    }
}

fn entries(name: &str) -> Vec<Parsed> {
    let (outcome, parsed) =
        parse(&doc(name, fixture(&format!("db/jvn/{name}")))).expect("a JVN document");
    assert_eq!(outcome, Outcome::Read(parsed.len()), "{name}");
    parsed
}

fn cvss(version: &str, score: f32, severity: &str, vector: &str) -> JvnCvss {
    JvnCvss {
        version: version.into(),
        score: Some(score),
        severity: Some(severity.into()),
        vector: Some(vector.into()),
    }
}

/// Each shape gives the JVNDB id, its CVEs, JVN's CVSS v3/v2 and the entry's page.
#[test]
fn reads_every_shape() {
    // jvnrss 2.0 yearly feed (old `mod_sec/` namespace): Log4Shell, v2 and v3.
    let log4j = entries("jvndb_2021.rdf");
    assert_eq!(log4j.len(), 1);
    assert_eq!(log4j[0].cves, ["CVE-2021-44228"]);
    assert_eq!(
        log4j[0].entry,
        JvnEntry {
            id: "JVNDB-2021-005429".into(),
            url: "https://jvndb.jvn.jp/ja/contents/2021/JVNDB-2021-005429.html".into(),
            title: Some("Apache Log4j における任意のコードが実行可能な脆弱性".into()),
            cvss: vec![
                cvss("2.0", 9.3, "High", "AV:N/AC:M/Au:N/C:C/I:C/A:C"),
                cvss(
                    "3.0",
                    10.0,
                    "Critical",
                    "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"
                ),
            ],
            modified: Some("2022-12-15T10:24+09:00".into()),
        }
    );

    // MyJVN getVulnOverviewList (mod_sec 3.0, pretty-printed: attributes and URLs on
    // continuation lines); the CVE listed twice (CVE and NVD) is kept once; an entry
    // without CVSS has none.
    let api = entries("getVulnOverviewList_hnd.xml");
    let ids: Vec<_> = api.iter().map(|p| p.entry.id.as_str()).collect();
    assert_eq!(ids, ["JVNDB-2025-002953", "JVNDB-2025-002884"]);
    assert_eq!(api[0].cves, ["CVE-2025-31084"]);
    assert_eq!(
        api[0].entry.cvss,
        [cvss(
            "3.0",
            9.8,
            "Critical",
            "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
        )]
    );
    assert_eq!(api[1].cves, ["CVE-2025-23120"]);
    assert!(api[1].entry.cvss.is_empty());

    // VULDEF (getVulnDetailInfo): CVEs from `RelatedItem type="advisory"`, no link in the
    // document, so the page is built from the id and `xml:lang`.
    let detail = entries("getVulnDetailInfo_hnd_JVNDB-2017-009608.xml");
    assert_eq!(detail.len(), 1);
    assert_eq!(detail[0].cves, ["CVE-2017-14937"]);
    assert_eq!(detail[0].entry.id, "JVNDB-2017-009608");
    assert_eq!(
        detail[0].entry.url,
        "https://jvndb.jvn.jp/ja/contents/2017/JVNDB-2017-009608.html"
    );
    let versions: Vec<_> = detail[0]
        .entry
        .cvss
        .iter()
        .map(|c| (c.version.as_str(), c.score))
        .collect();
    assert_eq!(versions, [("2.0", Some(1.9)), ("3.0", Some(4.7))]);
    assert!(detail[0].entry.modified.is_some());

    // An entry with no CVSS at all.
    let none = entries("getVulnDetailInfo_hnd_JVNDB-2021-002774.xml");
    assert_eq!(none[0].cves, ["CVE-2021-36745"]);
    assert!(none[0].entry.cvss.is_empty());

    // The detail feed: several entries, one with two CVEs.
    let feed = entries("jvndb_detail_2022.rdf");
    let ids: Vec<_> = feed
        .iter()
        .map(|p| (p.entry.id.as_str(), p.cves.len()))
        .collect();
    assert_eq!(ids.len(), 2, "{ids:?}");

    // v2 only (2007).
    let old = entries("jvndb_2007.rdf");
    assert_eq!(old[0].cves, ["CVE-2007-0851"]);
    assert_eq!(
        old[0]
            .entry
            .cvss
            .iter()
            .map(|c| c.version.as_str())
            .collect::<Vec<_>>(),
        ["2.0"]
    );
}

/// An XSD (or any other XML) is skipped with a reason, a non-XML file type too.
#[test]
fn skips_other_documents() {
    let (outcome, parsed) = parse(&doc(
        "mod_sec_3.0.xsd.xml",
        fixture("db/jvn/mod_sec_3.0.xsd"),
    ))
    .expect("skipped");
    assert!(parsed.is_empty());
    assert!(
        matches!(&outcome, Outcome::Skipped(why) if why.contains("root element `schema`")),
        "{outcome:?}"
    );
    let (outcome, _) = parse(&doc("mod_sec_3.0.xsd", Vec::new())).expect("skipped");
    assert!(matches!(outcome, Outcome::Skipped(_)), "{outcome:?}");
}

/// The MyJVN example published with an unquoted attribute (`retCd= 0`) is not XML: an
/// error naming the file, not a silent partial read.
#[test]
fn malformed_real_document_is_an_error() {
    let err = parse(&doc(
        "dataFeed_jvndb_rss_hnd.xml",
        fixture("db/jvn-bad/dataFeed_jvndb_rss_hnd.xml"),
    ))
    .expect_err("not well-formed");
    let msg = err.to_string();
    assert!(
        msg.starts_with("cannot read `dataFeed_jvndb_rss_hnd.xml`"),
        "{msg}"
    );
    assert!(msg.contains("attribute"), "{msg}");
}

/// DTDs and entities are refused: billion laughs, external entities (XXE), parameter
/// entities, and an undefined entity reference; predefined and character references work.
#[test]
fn refuses_dtds_and_entities() {
    let rss = |body: &str| {
        format!(
            r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:sec="http://jvn.jp/rss/mod_sec/3.0/"><item><title>{body}</title><link>https://jvndb.jvn.jp/ja/contents/2021/JVNDB-2021-005429.html</link><sec:identifier>JVNDB-2021-005429</sec:identifier><sec:references source="CVE" id="CVE-2021-44228"/></item></rdf:RDF>"#
        )
    };
    let laughs = format!(
        r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>{}"#,
        rss("&lol2;")
    );
    let xxe = format!(
        r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>{}"#,
        rss("&xxe;")
    );
    let param = format!(
        r#"<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:1/x.dtd"> %p;]>{}"#,
        rss("x")
    );
    for (what, xml) in [
        ("billion laughs", &laughs),
        ("xxe", &xxe),
        ("parameter", &param),
    ] {
        let err = read(xml.as_bytes()).expect_err(what);
        assert!(err.contains("DTD"), "{what}: {err}");
    }
    let err = read(rss("&xxe;").as_bytes()).expect_err("undefined entity");
    assert!(err.contains("undefined entity `&xxe`"), "{err}");
    let err = read(
        rss("x")
            .replace("source=\"CVE\"", "source=\"&xxe;\"")
            .as_bytes(),
    )
    .expect_err("entity in an attribute");
    assert!(err.contains("attribute"), "{err}");

    let Read::Document(d) = read(rss("a &amp; b &#x41;&#66; &lt;c&gt;").as_bytes()).expect("ok")
    else {
        panic!("a document")
    };
    assert_eq!(d.entries[0].entry.title.as_deref(), Some("a & b AB <c>"));
}

/// Forged or broken values fail with a reason instead of being stored.
#[test]
fn rejects_bad_values() {
    let item = |inner: &str| {
        format!(
            r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:sec="http://jvn.jp/rss/mod_sec/3.0/"><item>{inner}</item></rdf:RDF>"#
        )
    };
    let id = "<sec:identifier>JVNDB-2021-005429</sec:identifier>";
    let cases = [
        (item("<title>no id</title>"), "without a JVNDB id"),
        (
            item("<sec:identifier>CVE-2021-44228</sec:identifier>"),
            "not a JVNDB id",
        ),
        (
            item(&format!(r#"{id}<sec:cvss version="3.0" score="11" severity="Critical"/>"#)),
            "from 0 to 10",
        ),
        (
            item(&format!(r#"{id}<sec:cvss version="9.9" score="1.0"/>"#)),
            "version `9.9`",
        ),
        (
            item(&format!("{id}<link>javascript:alert(1)</link>")),
            "not an http(s) URL",
        ),
        (
            item(&format!("{id}{}", "<a>".repeat(MAX_DEPTH + 1))),
            "nested deeper",
        ),
        (
            r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:status="http://jvndb.jvn.jp/myjvn/Status"><status:Status retCd="1" errCd="E01" errMsg="bad parameter"/></rdf:RDF>"#.to_string(),
            "MyJVN API error: retCd `1`, errCd `E01`: bad parameter",
        ),
        ("<rdf:RDF><item></rdf:RDF>".to_string(), "invalid XML"),
        ("<rdf:RDF/><rdf:RDF/>".to_string(), "a second root element"),
        ("<rdf:RDF/></item>".to_string(), "does not match any open tag"),
        (String::new(), "no root element"),
    ];
    for (xml, want) in cases {
        let err = read(xml.as_bytes()).expect_err(want);
        assert!(err.contains(want), "{want}: {err}");
    }
}

/// The MyJVN status: paging counters, and an answer with no entry (`Result` root).
#[test]
fn reads_the_api_status() {
    let Read::Document(d) =
        read(&fixture("update/jvn/getVulnOverviewList_hnd.xml")).expect("valid")
    else {
        panic!("a document")
    };
    assert_eq!(
        d.status,
        Some(Status {
            total_res: Some(6),
            total_res_ret: Some(2),
            first_res: Some(1),
        })
    );
    let empty = r#"<?xml version="1.0" encoding="UTF-8"?><Result version="3.3" xmlns:status="http://jvndb.jvn.jp/myjvn/Status"><status:Status version="3.3" method="getVulnOverviewList" lang="ja" retCd="0" retMax="50" errCd="" errMsg="" totalRes="0" totalResRet="0" firstRes="0" feed="hnd"/></Result>"#;
    let Read::Document(d) = read(empty.as_bytes()).expect("valid") else {
        panic!("a document")
    };
    assert!(d.entries.is_empty());
    assert_eq!(d.status.and_then(|s| s.total_res), Some(0));
}
