//! Round trip over the fixtures: build, load, query each kind; and hostile bytes.

use super::*;
use std::path::PathBuf;

fn fixtures() -> BuildInputs {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/db");
    BuildInputs {
        kev: vec![dir.join("kev")],
        nvd: vec![dir.join("nvd")],
        osv: vec![dir.join("osv")],
        epss: vec![dir.join("epss")],
        ..BuildInputs::default()
    }
}

fn built_at() -> jiff::Timestamp {
    "2025-09-01T00:00:00Z".parse().expect("valid timestamp")
}

fn fixture_db() -> Vec<u8> {
    build(&fixtures(), built_at()).expect("fixtures build")
}

/// Build from the fixtures, load, and query advisories, NVD, KEV and EPSS.
#[test]
fn round_trip() {
    let (bytes, stats) = build_with_stats(&fixtures(), built_at()).expect("fixtures build");
    let db = VulnDb::from_bytes(bytes).expect("loads");
    assert_eq!(db.manifest().format_version, format::FORMAT_VERSION);
    assert_eq!(db.manifest().built_at, "2025-09-01T00:00:00Z");
    let names: Vec<&str> = db
        .manifest()
        .sources
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["kev", "nvd", "osv", "epss"]);
    assert!(
        stats.osv_advisories > 5 && stats.nvd_records > 5,
        "{stats:?}"
    );

    // npm names are case-folded.
    let jq = db.advisories(Ecosystem::Npm, "jQuery").expect("query");
    let ghsa = jq
        .iter()
        .find(|a| a.id == "GHSA-jpcq-cgw6-v4j6")
        .expect("jQuery advisory");
    assert!(ghsa.affected.iter().all(|a| a.name == "jquery"));
    assert!(jq.windows(2).all(|w| w[0].id < w[1].id), "sorted by id");
    assert!(
        db.advisories(Ecosystem::Npm, "no-such-package")
            .expect("query")
            .is_empty()
    );

    let kev = db
        .kev("CVE-2020-11023")
        .expect("decodes")
        .expect("KEV entry");
    assert_eq!(kev.cve_id, "CVE-2020-11023");
    assert_eq!(
        db.kev("cve-2021-44228")
            .expect("decodes")
            .map(|k| k.cve_id)
            .as_deref(),
        Some("CVE-2021-44228")
    );
    assert!(db.kev("CVE-1999-0001").expect("decodes").is_none());

    let nvd = db
        .nvd("CVE-2025-6965")
        .expect("decodes")
        .expect("NVD record");
    assert_eq!(nvd.cvss[0].version, "4.0");
    // From the `.zip` of a JSON 1.1 feed.
    let zipped = db
        .nvd("CVE-2022-37199")
        .expect("decodes")
        .expect("NVD record from a zip member");
    assert!(
        zipped
            .cvss
            .iter()
            .all(|m| m.primary && m.source == "nvd@nist.gov")
    );
    assert!(db.nvd("CVE-1900-0001").expect("decodes").is_none());

    let epss = db
        .epss("CVE-1999-0001")
        .expect("decodes")
        .expect("EPSS score");
    assert!(epss.score > 0.0 && epss.percentile > 0.0);
    assert!(db.epss("CVE-1900-0001").expect("decodes").is_none());

    // Age counts from the newest source data date.
    let newest = db
        .manifest()
        .sources
        .iter()
        .filter_map(|s| s.data_date.clone())
        .max()
        .expect("dated sources");
    let newest: jiff::civil::Date = newest.parse().expect("YYYY-MM-DD");
    assert_eq!(db.data_date(), Some(newest));
    let today = newest
        .checked_add(jiff::Span::new().days(30))
        .expect("in range");
    assert_eq!(db.age_days(today), Some(30));
    assert!(db.check_age(today, 30).is_ok());
    assert!(matches!(
        db.check_age(today, 29),
        Err(DbError::Stale {
            age_days: 30,
            max_days: 29
        })
    ));
    insta::assert_json_snapshot!("fixture_manifest", db.manifest());
}

/// Duplicates across inputs: newest OSV `modified`, NVD `lastModified`, KEV catalog win;
/// files of other formats in the input directories are skipped with one warning each.
#[test]
fn merge_rules() {
    let (bytes, stats) = build_with_stats(&fixtures(), built_at()).expect("fixtures build");
    let db = VulnDb::from_bytes(bytes).expect("loads");
    // CVE-2024-1580 is in the Alpine (modified 2025-02-13) and Debian (2025-01-23) bundles;
    // the Debian file is read last and loses.
    let dav1d = db.advisories(Ecosystem::Debian, "dav1d").expect("query");
    assert_eq!(dav1d.len(), 1);
    assert_eq!(
        dav1d[0].modified.as_deref(),
        Some("2025-02-13T19:54:31.803537Z")
    );
    assert!(stats.osv_duplicates >= 1);
    // The same record is under the Alpine key with only its Alpine entries.
    let alpine = db.advisories(Ecosystem::Alpine, "dav1d").expect("query");
    assert!(
        alpine[0]
            .affected
            .iter()
            .all(|a| a.ecosystem.starts_with("Alpine"))
    );
    // CVE-2022-34668: NVD 1.1 feed (2022-08-29) vs API 2.0 response (2023-03-27).
    let nvd = db
        .nvd("CVE-2022-34668")
        .expect("decodes")
        .expect("NVD record");
    assert!(nvd.status.is_some(), "the API 2.0 record won: {nvd:?}");
    // CVE-2025-23006: ransomware use `Unknown` in 2025-01-24, `Known` in 2025-08-25.
    let kev = db
        .kev("CVE-2025-23006")
        .expect("decodes")
        .expect("KEV entry");
    assert_eq!(kev.known_ransomware_campaign_use, "Known");
    // The union of both catalogs (the older one's entries are all in the newer one).
    assert_eq!(stats.kev_entries, 30);
    // EPSS from the undated jgamblin CSV.
    assert!(db.epss("CVE-2020-11023").expect("decodes").is_some());
    let mut warnings = stats.warnings.clone();
    warnings.sort();
    insta::assert_debug_snapshot!("fixture_warnings", warnings);
}

/// The same inputs and `built_at` give the same bytes.
#[test]
fn deterministic() {
    assert_eq!(fixture_db(), fixture_db());
}

/// Every advisory stored under a package key keeps only that package's entries.
#[test]
fn split_per_package() {
    let db = VulnDb::from_bytes(fixture_db()).expect("loads");
    for eco in Ecosystem::ALL {
        for name in ["jquery", "openssl", "glibc", "log4j-core"] {
            for a in db.advisories(eco, name).expect("query") {
                for x in &a.affected {
                    assert_eq!(
                        eco.normalize_name(&x.name),
                        eco.normalize_name(name),
                        "{}",
                        a.id
                    );
                }
            }
        }
    }
}

/// Truncated, padded, bit-flipped, wrong-version and garbage bytes give a clear error, never
/// a panic.
#[test]
fn hostile_bytes() {
    let good = fixture_db();
    assert!(matches!(
        VulnDb::from_bytes(Vec::new()),
        Err(DbError::Format(m)) if m.contains("magic")
    ));
    assert!(matches!(
        VulnDb::from_bytes(b"{\"not\":\"a db\"}".to_vec()),
        Err(DbError::Format(_))
    ));
    for cut in [7, 8, 20, 31, 32, 100, good.len() / 2, good.len() - 1] {
        let err = VulnDb::from_bytes(good[..cut].to_vec()).expect_err("truncated");
        assert!(matches!(err, DbError::Format(_)), "cut {cut}: {err}");
    }
    let mut padded = good.clone();
    padded.push(0);
    assert!(VulnDb::from_bytes(padded).is_err());
    let mut version = good.clone();
    version[8] = 99;
    assert!(matches!(
        VulnDb::from_bytes(version),
        Err(DbError::Version { found: 99, .. })
    ));
    // Flip one bit at many positions across the file: the load or, for a bit inside a
    // block, the query that reads the block (`verify` reads them all) is a checksum error.
    let step = (good.len() / 97).max(1);
    for at in (format::HEADER_LEN..good.len()).step_by(step) {
        let mut bad = good.clone();
        bad[at] ^= 0x10;
        let err = VulnDb::from_bytes(bad)
            .and_then(|db| db.verify())
            .expect_err("bit flip");
        assert!(
            err.to_string().contains("checksum mismatch"),
            "at {at}: {err}"
        );
    }
    // A flipped header CRC is a checksum error on load.
    let mut bad = good.clone();
    bad[12] ^= 1;
    assert!(matches!(
        VulnDb::from_bytes(bad),
        Err(DbError::Checksum { .. })
    ));
}

/// A file opened from disk is read part by part and answers exactly as the same bytes in
/// memory; a bit flipped in a block on disk is an error naming the record when a query
/// reads it, never "no advisories".
#[test]
fn file_source_matches_memory_and_checks_blocks() {
    let good = fixture_db();
    let dir = std::env::temp_dir().join(format!("kevgate-db-open-{}", std::process::id()));
    fs_err::create_dir_all(&dir).expect("dir");
    let path = dir.join("k.db");
    fs_err::write(&path, &good).expect("write");
    let memory = VulnDb::from_bytes(good.clone()).expect("loads");
    let file = VulnDb::open(&path).expect("opens");
    assert_eq!(
        file.verify().expect("verifies"),
        memory.verify().expect("verifies")
    );
    for name in ["advisories", "nvd", "kev", "epss"] {
        assert_eq!(
            file.entries(name).expect("reads"),
            memory.entries(name).expect("reads")
        );
    }
    assert_eq!(
        file.sha256_hex().expect("hash"),
        crate::db::cache::sha256_hex(&good)
    );
    // The last stored byte of the advisories table's last block, flipped on disk.
    let advisories_end = {
        let source = format::Source::from(&good[..]);
        let header = format::read_header(&source).expect("header");
        format::Table::read(&source, header.manifest.end as u64, format::FORMAT_VERSION)
            .expect("table")
            .1
    };
    let mut bad = good.clone();
    bad[advisories_end as usize - 1] ^= 0x01;
    fs_err::write(&path, &bad).expect("write");
    let db = VulnDb::open(&path).expect("the header and indexes are intact");
    let err = db.verify().expect_err("a corrupt block");
    assert!(
        err.to_string().contains("checksum mismatch in block"),
        "{err}"
    );
    assert!(err.to_string().contains("(advisories)"), "{err}");
    let _ = fs_err::remove_dir_all(&dir);
}

/// A body that was altered and re-checksummed (a buggy writer) errors on query or load, but
/// never panics.
#[test]
fn corrupt_but_checksummed() {
    let good = fixture_db();
    let step = (good.len() / 301).max(1);
    for at in (format::HEADER_LEN..good.len()).step_by(step) {
        let mut bad = good.clone();
        bad[at] ^= 0xff;
        if format::reseal(&mut bad).is_err() {
            continue;
        }
        if let Ok(db) = VulnDb::from_bytes(bad) {
            let _ = db.advisories(Ecosystem::Npm, "jquery");
            let _ = db.advisories(Ecosystem::Debian, "openssl");
            let _ = db.nvd("CVE-2025-6965");
            let _ = db.kev("CVE-2020-11023");
            let _ = db.epss("CVE-1999-0001");
            let _ = db.verify();
        }
    }
}

/// A bad input file is an error naming the file; unknown file types are skipped with a
/// warning.
#[test]
fn bad_inputs() {
    let dir = std::env::temp_dir().join(format!("kevgate-db-test-{}", std::process::id()));
    fs_err::create_dir_all(&dir).expect("temp dir");
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.join(name);
        fs_err::write(&p, bytes).expect("write");
        p
    };
    let truncated_gz = {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut enc, b"{\"id\":\"X\"}\n").expect("gzip");
        let full = enc.finish().expect("gzip");
        full[..full.len() / 2].to_vec()
    };
    let cases = [
        (
            "osv-bad.json",
            &b"not json"[..],
            "cannot read `osv-bad.json`: expected",
        ),
        (
            "osv-trunc.jsonl.gz",
            &truncated_gz[..],
            "cannot read `osv-trunc.jsonl.gz`: bad gzip data",
        ),
        (
            "osv-shape.json",
            &b"{\"cves\":[]}"[..],
            "cannot read `osv-shape.json`: not an OSV record",
        ),
    ];
    for (name, bytes, want) in cases {
        let p = write(name, bytes);
        let inputs = BuildInputs {
            osv: vec![p],
            ..BuildInputs::default()
        };
        let err = build(&inputs, built_at()).expect_err(name).to_string();
        assert!(err.starts_with(want), "{name}: {err}");
        assert!(!err.contains('\n'));
    }
    let p = write("notes.txt", b"hello");
    let inputs = BuildInputs {
        osv: vec![p],
        ..BuildInputs::default()
    };
    let (_, stats) = build_with_stats(&inputs, built_at()).expect("skips unknown types");
    assert_eq!(stats.warnings.len(), 1, "{:?}", stats.warnings);
    let _ = fs_err::remove_dir_all(&dir);
}

/// Every key of a table.
fn keys(table: &format::Table, source: &format::Source<'_>) -> std::collections::BTreeSet<String> {
    table
        .iter(source)
        .map(|entry| String::from_utf8(entry.expect("entry").0).expect("utf-8 key"))
        .collect()
}

/// `CveScope::Referenced` keeps NVD and EPSS records for exactly the CVEs a stored advisory
/// (id, aliases, related, `UBUNTU-CVE-…`) or a KEV entry names, and nothing else changes.
/// Built with and without the KEV catalog: without it, only the advisories' names count.
#[test]
fn referenced_scope_keeps_exactly_the_named_cves() {
    let without_kev = BuildInputs {
        kev: Vec::new(),
        ..fixtures()
    };
    for inputs in [fixtures(), without_kev] {
        let all = VulnDb::from_bytes(build(&inputs, built_at()).expect("builds")).expect("loads");
        let inputs = BuildInputs {
            cve_scope: CveScope::Referenced,
            ..inputs
        };
        let (bytes, stats) = build_with_stats(&inputs, built_at()).expect("builds");
        let size = bytes.len();
        let referenced = VulnDb::from_bytes(bytes).expect("loads");
        assert_eq!(all.manifest().cve_scope, CveScope::All);
        assert_eq!(referenced.manifest().cve_scope, CveScope::Referenced);

        // What the stored advisories and KEV name, read back from the `all` database.
        let mut named = keys(&all.kev, &all.source);
        for package in keys(&all.advisories, &all.source) {
            let value = all
                .advisories
                .get(&all.source, package.as_bytes())
                .expect("read")
                .expect("present");
            let advisories: Vec<Advisory> =
                codec::decode(&value, format::FORMAT_VERSION).expect("decodes");
            for a in advisories {
                for id in std::iter::once(&a.id).chain(&a.aliases).chain(&a.related) {
                    let id = id.strip_prefix("UBUNTU-").unwrap_or(id);
                    if id.starts_with("CVE-") {
                        named.insert(id.to_string());
                    }
                }
            }
        }
        let (all_nvd, all_epss) = (keys(&all.nvd, &all.source), keys(&all.epss, &all.source));
        let want_nvd: Vec<_> = all_nvd.intersection(&named).cloned().collect();
        let want_epss: Vec<_> = all_epss.intersection(&named).cloned().collect();
        let got_nvd: Vec<_> = keys(&referenced.nvd, &referenced.source)
            .into_iter()
            .collect();
        let got_epss: Vec<_> = keys(&referenced.epss, &referenced.source)
            .into_iter()
            .collect();
        assert_eq!(got_nvd, want_nvd);
        assert_eq!(got_epss, want_epss);
        // The advisories name jQuery's and Log4Shell's CVEs (EPSS has them); the kept NVD
        // records are all KEV's (Struts, libwebp, glibc).
        assert_eq!(got_epss, ["CVE-2020-11023", "CVE-2021-44228"]);
        let kev_cves: &[&str] = if inputs.kev.is_empty() {
            &[]
        } else {
            &["CVE-2017-5638", "CVE-2023-4863", "CVE-2023-4911"]
        };
        assert_eq!(got_nvd, kev_cves);
        assert!(got_nvd.len() < all_nvd.len() && got_epss.len() < all_epss.len());
        assert_eq!(
            stats.nvd_out_of_scope as usize,
            all_nvd.len() - got_nvd.len()
        );
        assert_eq!(
            stats.epss_out_of_scope as usize,
            all_epss.len() - got_epss.len()
        );
        let records = |db: &VulnDb, name: &str| {
            db.manifest()
                .sources
                .iter()
                .find(|s| s.name == name)
                .map(|s| s.records)
        };
        assert_eq!(records(&referenced, "nvd"), Some(got_nvd.len() as u64));
        assert_eq!(records(&referenced, "epss"), Some(got_epss.len() as u64));
        // Advisories and KEV are untouched, kept records too; the file is smaller.
        assert_eq!(
            keys(&referenced.advisories, &referenced.source),
            keys(&all.advisories, &all.source)
        );
        assert_eq!(
            keys(&referenced.kev, &referenced.source),
            keys(&all.kev, &all.source)
        );
        for cve in &got_nvd {
            assert_eq!(
                referenced.nvd(cve).expect("decodes"),
                all.nvd(cve).expect("decodes")
            );
        }
        assert!(
            (size as u64) < all.source.len(),
            "{size} vs {}",
            all.source.len()
        );
    }
}

/// An `all` build leaves the scope out of the manifest, so its bytes are those of a build
/// before the option existed.
#[test]
fn all_scope_is_not_written_to_the_manifest() {
    let all = VulnDb::from_bytes(fixture_db()).expect("loads");
    let manifest = all
        .entries("advisories")
        .map(drop)
        .and(Ok(manifest_text(&all)));
    let manifest = manifest.expect("reads");
    assert!(!manifest.contains("cve_scope"), "{manifest}");
    let inputs = BuildInputs {
        cve_scope: CveScope::Referenced,
        ..fixtures()
    };
    let referenced =
        VulnDb::from_bytes(build(&inputs, built_at()).expect("builds")).expect("loads");
    let manifest = manifest_text(&referenced);
    assert!(
        manifest.contains(r#""cve_scope":"referenced""#),
        "{manifest}"
    );
}

/// The CVEs an advisory names, as `--cve-scope referenced` keeps them.
#[test]
fn advisory_cves() {
    let advisory = |id: &str, aliases: &[&str], related: &[&str]| -> Advisory {
        let json =
            serde_json::json!({"id": id, "aliases": aliases, "related": related, "affected": []});
        serde_json::from_value(json).expect("an advisory")
    };
    let cases: &[(Advisory, &[&str])] = &[
        (
            advisory("GHSA-jpcq-cgw6-v4j6", &["CVE-2020-11023"], &[]),
            &["CVE-2020-11023"],
        ),
        (
            advisory("DSA-603-1", &[], &["CVE-2004-0975"]),
            &["CVE-2004-0975"],
        ),
        (
            advisory("UBUNTU-CVE-2022-3219", &[], &[]),
            &["CVE-2022-3219"],
        ),
        (
            advisory("DEBIAN-CVE-2024-1580", &[], &[]),
            &["CVE-2024-1580"],
        ),
        (
            advisory("CVE-2016-7054", &["DSA-3773-1"], &[]),
            &["CVE-2016-7054"],
        ),
        (advisory("MAL-2024-2936", &[], &[]), &[]),
        (advisory("GO-2025-3451", &["GHSA-x"], &["PYSEC-1"]), &[]),
    ];
    for (a, want) in cases {
        let got: Vec<String> = a.cves().collect();
        assert_eq!(got, *want, "{}", a.id);
    }
}

/// A database of format 1 (before the malware flag) still loads and answers queries; its
/// advisories are malicious only by a `MAL-` id or alias.
#[test]
fn format_1_still_loads() {
    let advisory = |id: &str, aliases: &[&str]| -> Advisory {
        let json = serde_json::json!({"id": id, "aliases": aliases, "affected": [
            {"ecosystem": "crates.io", "name": "rustdecimal"}
        ]});
        serde_json::from_value(json).expect("an advisory")
    };
    let list = [
        advisory("GHSA-7pwq-f4pq-78gm", &["MAL-2022-1"]),
        advisory("RUSTSEC-2099-0001", &[]),
    ];
    // Format 1 wrote the same list without the trailing malware byte of each advisory:
    // encode each alone (count 1 .. malware) and keep the body.
    let mut v1 = vec![2u8];
    for a in &list {
        let one = codec::encode(std::slice::from_ref(a));
        v1.extend_from_slice(&one[1..one.len() - 1]);
    }
    let manifest = serde_json::to_vec(&Manifest {
        format_version: 1,
        built_at: "2025-01-01T00:00:00Z".into(),
        sources: Vec::new(),
        cve_scope: CveScope::All,
    })
    .expect("json");
    let tables = [
        format::write_table_as(
            1,
            &[("crates.io/rustdecimal".into(), v1)],
            format::Codec::Deflate,
        ),
        format::write_table_as(1, &[], format::Codec::Deflate),
        format::write_table_as(1, &[], format::Codec::Deflate),
        format::write_table_as(1, &[], format::Codec::Raw),
    ]
    .map(|t| t.expect("table"));
    let bytes = format::write_file_as(1, &manifest, &tables).expect("file");
    let db = VulnDb::from_bytes(bytes).expect("format 1 loads");
    let got = db
        .advisories(Ecosystem::Cargo, "rustdecimal")
        .expect("decodes");
    let flags: Vec<(&str, Malware)> = got.iter().map(|a| (a.id.as_str(), a.malware)).collect();
    assert_eq!(
        flags,
        [
            ("GHSA-7pwq-f4pq-78gm", Malware::Malicious),
            ("RUSTSEC-2099-0001", Malware::No)
        ]
    );
    db.verify().expect("verifies");
}

/// JVN is an optional fifth table: a build with `--jvn` has it (entries by CVE, sorted by
/// JVNDB id, a `jvn` manifest source); one without keeps the four-table layout.
#[test]
fn jvn_table_is_optional() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/db/jvn");
    let with = BuildInputs {
        jvn: vec![dir],
        ..fixtures()
    };
    let (bytes, stats) = build_with_stats(&with, built_at()).expect("builds");
    assert_eq!(
        format::read_header(&format::Source::from(&bytes[..]))
            .expect("header")
            .tables,
        5
    );
    let db = VulnDb::from_bytes(bytes).expect("loads");
    let jvn = db.jvn("cve-2021-44228").expect("decodes");
    assert_eq!(jvn.len(), 1);
    assert_eq!(jvn[0].id, "JVNDB-2021-005429");
    assert_eq!(
        jvn[0].url,
        "https://jvndb.jvn.jp/ja/contents/2021/JVNDB-2021-005429.html"
    );
    assert!(db.jvn("CVE-1999-0001").expect("decodes").is_empty());
    let source = db
        .manifest()
        .sources
        .iter()
        .find(|s| s.name == "jvn")
        .expect("jvn source");
    assert_eq!(source.records, db.counts().jvn as u64);
    assert_eq!(source.data_date.as_deref(), Some("2025-04-04"));
    // 8 entries in the fixture files (the XSD is skipped with a warning); each names CVEs.
    assert_eq!((stats.jvn_read, stats.jvn_entries), (8, 8), "{stats:?}");
    assert!(
        stats.warnings.iter().any(|w| w.contains("mod_sec_3.0.xsd")),
        "{:?}",
        stats.warnings
    );

    // `--cve-scope referenced` keeps JVN only for CVEs an advisory or KEV names: Log4Shell
    // (GHSA-jfh8-c2jp-5v3q in the OSV fixtures), not a 2025 CVE no advisory names.
    let scoped = BuildInputs {
        cve_scope: CveScope::Referenced,
        ..with
    };
    let (bytes, stats) = build_with_stats(&scoped, built_at()).expect("builds");
    let db = VulnDb::from_bytes(bytes).expect("loads");
    assert_eq!(db.jvn("CVE-2021-44228").expect("decodes").len(), 1);
    assert!(db.jvn("CVE-2025-31084").expect("decodes").is_empty());
    assert_eq!(stats.jvn_cves + stats.jvn_out_of_scope, 10, "{stats:?}");
    assert_eq!(db.counts().jvn as u64, stats.jvn_cves);

    let without = fixture_db();
    assert_eq!(
        format::read_header(&format::Source::from(&without[..]))
            .expect("header")
            .tables,
        4
    );
    let db = VulnDb::from_bytes(without).expect("loads");
    assert!(db.jvn("CVE-2021-44228").expect("decodes").is_empty());
    assert_eq!(db.counts().jvn, 0);
}

/// The manifest JSON of a loaded database, as stored.
fn manifest_text(db: &VulnDb) -> String {
    let bytes = db
        .source
        .read(db.manifest_range.start as u64, db.manifest_range.len())
        .expect("manifest");
    String::from_utf8(bytes.into_owned()).expect("utf-8")
}

/// `db build` encodes each advisory alone and concatenates the copies of a package under one
/// count (issue 14, bounded memory): every stored list is exactly what `codec::encode` writes
/// for the decoded list, and the lists are sorted by id.
#[test]
fn concatenated_lists_are_what_the_codec_writes() {
    let db = VulnDb::from_bytes(fixture_db()).expect("loads");
    let mut lists = 0;
    for entry in db.advisories.iter(&db.source) {
        let (key, value) = entry.expect("entry");
        let list = codec::decode(&value, db.version).expect("decodes");
        assert_eq!(
            codec::encode(&list),
            &value[..],
            "{}",
            String::from_utf8_lossy(&key)
        );
        assert!(list.windows(2).all(|w| w[0].id < w[1].id));
        lists += usize::from(list.len() > 1);
    }
    assert!(lists > 0, "some package has several advisories");
}

/// The fixture database rewritten in format 3 (the layout `kevgate` wrote before format 4:
/// every key in the index): its own header version, the same manifest, keys and values.
fn as_format_3(db: &VulnDb) -> Vec<u8> {
    let tables: Vec<Vec<u8>> = db
        .tables()
        .into_iter()
        .filter_map(|(name, table)| table.map(|_| name))
        .map(|name| {
            let codec = if name == "epss" {
                format::Codec::Raw
            } else {
                format::Codec::Zstd
            };
            let entries = db.entries(name).expect("entries");
            format::write_table_as(3, &entries, codec).expect("table")
        })
        .collect();
    format::write_file_as(3, manifest_text(db).as_bytes(), &tables).expect("file")
}

/// A format 3 file (a cache filled before format 4) still loads, from memory and part by
/// part from disk, and answers every query exactly as the format 4 file: every key of every
/// table, absent keys between and around them; `db verify` counts the same.
#[test]
fn format_3_answers_as_format_4() {
    let v4 = VulnDb::from_bytes(fixture_db()).expect("loads");
    let v3_bytes = as_format_3(&v4);
    let dir = std::env::temp_dir().join(format!("kevgate-db-v3-{}", std::process::id()));
    fs_err::create_dir_all(&dir).expect("dir");
    let path = dir.join("v3.db");
    fs_err::write(&path, &v3_bytes).expect("write");
    let from_file = VulnDb::open(&path).expect("opens");
    assert!(
        matches!(from_file.source, format::Source::File { .. }),
        "read part by part"
    );
    for v3 in [
        VulnDb::from_bytes(v3_bytes.clone()).expect("loads"),
        from_file,
    ] {
        assert_eq!(v3.version, 3);
        assert_eq!(
            v3.verify().expect("verifies"),
            v4.verify().expect("verifies")
        );
        for (name, table) in v4.tables() {
            let Some(table) = table else { continue };
            let old = v3
                .tables()
                .into_iter()
                .find(|(n, _)| *n == name)
                .expect("table")
                .1;
            let old = old.expect("same tables");
            let mut probes = vec![String::new(), "\u{10ffff}".to_string()];
            for entry in table.iter(&v4.source) {
                let key = String::from_utf8(entry.expect("entry").0).expect("utf-8");
                probes.push(format!("{key}\u{0}"));
                probes.push(key[..key.len() - 1].to_string());
                probes.push(key);
            }
            for key in &probes {
                let got = |t: &format::Table, db: &VulnDb| {
                    t.get(&db.source, key.as_bytes())
                        .expect("reads")
                        .map(|v| v.to_vec())
                };
                assert_eq!(got(old, &v3), got(table, &v4), "{name} `{key}`");
            }
        }
    }
    let _ = fs_err::remove_dir_all(&dir);
}

/// A scratch directory for one test, removed first if a previous run left it.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kevgate-{name}-{}", std::process::id()));
    let _ = fs_err::remove_dir_all(&dir);
    fs_err::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A zip of `members` (name, bytes), as osv.dev's `all.zip` holds one record per member.
fn zip_of(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    for (name, bytes) in members {
        zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .expect("zip member");
        std::io::Write::write_all(&mut zip, bytes).expect("zip write");
    }
    zip.finish().expect("zip finish");
    out.into_inner()
}

/// The parallel build is the sequential one (issue 14): whatever the batch size — 1 byte
/// (every document and every line of a JSON-lines document a batch of its own, records cut at
/// every boundary), a few records, or `usize::MAX` (one batch: parsed in order on one thread,
/// the sequential build) — the bytes, the stats and the warnings are the same. The inputs mix
/// the fixtures (zip'd NVD 1.1, `.jsonl.gz`, duplicates across files, an Alpine secdb file
/// skipped), an `all.zip` of one record per member, a JSON-lines file of several records, and
/// a JSON-lines file of another format whose later lines are not JSON: skipped whole, as the
/// sequential parse stops at its first line.
#[test]
fn every_batch_size_builds_the_same_bytes() {
    let dir = scratch("batches");
    let fixtures_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let records: Vec<(String, Vec<u8>)> =
        fs_err::read_to_string(fixtures_dir.join("malware/osv.jsonl"))
            .expect("fixture")
            .lines()
            .enumerate()
            .map(|(i, line)| (format!("r{i:02}.json"), line.as_bytes().to_vec()))
            .collect();
    let osv = dir.join("osv");
    fs_err::create_dir_all(&osv).expect("osv dir");
    fs_err::write(osv.join("all.zip"), zip_of(&records)).expect("zip");
    fs_err::copy(
        fixtures_dir.join("malware/osv.jsonl"),
        osv.join("malware.jsonl"),
    )
    .expect("copy");
    fs_err::write(
        osv.join("tracker.jsonl"),
        b"{\"candidate\":\"CVE-2024-1580\"}\nnot json\n{\"id\": 5}\n",
    )
    .expect("write");
    let mut inputs = fixtures();
    inputs.osv.push(osv);
    inputs.cve_scope = CveScope::Referenced;

    let run = |batch| build::build_batched(&inputs, built_at(), batch).map_err(|e| e.to_string());
    let (bytes, stats) = run(usize::MAX).expect("builds");
    assert!(stats.osv_read > 20 && stats.nvd_read > 0, "{stats:?}");
    assert!(
        stats.warnings.iter().any(|w| w.contains("tracker.jsonl")),
        "{:?}",
        stats.warnings
    );
    for batch in [1, 300, 4096, 1 << 20] {
        let (b, s) = run(batch).expect("builds");
        assert_eq!(s, stats, "batch {batch}");
        assert!(b == bytes, "batch {batch}: other bytes");
    }
    let _ = fs_err::remove_dir_all(&dir);
}

/// With several bad records, the error is the first in input order, named by its file and
/// line, whatever the batch size (the workers may meet a later one first).
#[test]
fn first_error_in_input_order() {
    let dir = scratch("first-error");
    let good = fs_err::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/db/osv/families.jsonl"),
    )
    .expect("fixture");
    let mut a = good.clone();
    a.push_str("{\"id\": \"BAD-1\", \"affected\": 3}\n");
    a.push_str(&good);
    a.push_str("not json\n");
    fs_err::write(dir.join("a.jsonl"), a).expect("write");
    fs_err::write(dir.join("b.json"), b"not json").expect("write");
    let bad_line = good.lines().count() + 1;
    let inputs = BuildInputs {
        osv: vec![dir.clone()],
        ..BuildInputs::default()
    };
    for batch in [usize::MAX, 1, 64, 1000] {
        let err = build::build_batched(&inputs, built_at(), batch)
            .expect_err("bad records")
            .to_string();
        let want = format!(
            "`{}/a.jsonl:{bad_line}`",
            dir.file_name().expect("name").to_string_lossy()
        );
        assert!(err.contains(&want), "batch {batch}: {err}");
    }
    let _ = fs_err::remove_dir_all(&dir);
}
