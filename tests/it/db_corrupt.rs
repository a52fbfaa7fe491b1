//! A database record that cannot be decoded fails closed (issue 10, item 3): `scan` exits 2
//! naming the record instead of reading it as "no record", and `db verify` decodes every
//! record instead of trusting the CRC alone.

use crate::scan::build_kev_hits_db;
use crate::{TempDir, fixture, kevgate, run};
use kevgate::db::VulnDb;
use kevgate::db::format::{self, Codec, Source, Table};
use std::path::Path;

/// The database `bytes` with the value under `key` in table `table` (0 advisories, 1 NVD,
/// 2 KEV, 3 EPSS) replaced by `garbage`, recompressed by the real table writer and
/// checksummed by the real file writer: the container checks (length, checksums, block
/// bounds) all pass, only the record itself is bad.
fn corrupt_record(bytes: &[u8], table: usize, key: &str, garbage: &[u8]) -> Vec<u8> {
    let header = format::read_header(&Source::from(bytes)).expect("a valid database");
    let manifest = &bytes[header.manifest.clone()];
    let db = VulnDb::from_bytes(bytes.to_vec()).expect("a valid database");
    let tables = [
        ("advisories", Codec::Zstd),
        ("nvd", Codec::Zstd),
        ("kev", Codec::Zstd),
        ("epss", Codec::Raw),
    ];
    let mut written = Vec::new();
    let mut replaced = false;
    for (i, (name, codec)) in tables.into_iter().enumerate() {
        let mut entries = db.entries(name).expect("valid entries");
        for (k, v) in &mut entries {
            if i == table && k == key {
                *v = garbage.to_vec();
                replaced = true;
            }
        }
        written.push(format::write_table(&entries, codec).expect("table"));
    }
    assert!(replaced, "no key `{key}` in table {table}");
    format::write_file(manifest, &written).expect("file")
}

/// `scan sbom --db db --format json`: (exit code, stdout, stderr).
fn scan(dir: &Path, sbom: &Path, db: &Path) -> (i32, String, String) {
    run(kevgate(dir)
        .arg("scan")
        .arg(sbom)
        .arg("--db")
        .arg(db)
        .args(["--format", "json"]))
}

/// `db verify --db path`: (exit code, stdout, stderr).
fn verify(dir: &Path, db: &Path) -> (i32, String, String) {
    run(kevgate(dir).args(["db", "verify", "--db"]).arg(db))
}

/// The jQuery KEV hit (CVE-2020-11023) with its KEV record corrupted: before the fix the
/// scan passed with a medium warning; now it is exit 2 naming the record, and `db verify`
/// fails naming it too.
#[test]
fn corrupt_kev_record_fails_scan_and_verify() {
    let tmp = TempDir::new("corrupt-kev");
    let good = build_kev_hits_db(tmp.path());
    let sbom = fixture("kev-hits/sboms/other-cdxgen-cdx1.5-webgoat-maven-npm.json");
    let (code, _, stdout) = verify(tmp.path(), &good);
    assert_eq!(code, 0, "{stdout}");

    let bytes = fs_err::read(&good).expect("db");
    let bad = tmp.path().join("bad-kev.db");
    fs_err::write(
        &bad,
        corrupt_record(&bytes, 2, "CVE-2020-11023", b"\x00{not a kev entry"),
    )
    .expect("write");
    let (code, report, stderr) = scan(tmp.path(), &sbom, &bad);
    assert_eq!(code, 2, "{report} {stderr}");
    assert!(
        stderr.contains("database record `CVE-2020-11023` (kev) cannot be decoded"),
        "{stderr}"
    );
    assert!(stderr.contains("bad-kev.db"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");

    let (code, out, stderr) = verify(tmp.path(), &bad);
    assert_eq!(code, 2, "{out} {stderr}");
    assert!(
        stderr.contains("database record `CVE-2020-11023` (kev) cannot be decoded"),
        "{stderr}"
    );
}

/// jQuery's advisory list (`npm/jquery`) corrupted: before the fix, 0 findings and an
/// `unverified-version` note; now exit 2 naming the record, in `scan` and `db verify`.
#[test]
fn corrupt_advisory_record_fails_scan_and_verify() {
    let tmp = TempDir::new("corrupt-advisory");
    let good = build_kev_hits_db(tmp.path());
    let sbom = fixture("kev-hits/sboms/other-cdxgen-cdx1.5-webgoat-maven-npm.json");
    let bytes = fs_err::read(&good).expect("db");
    let bad = tmp.path().join("bad-advisory.db");
    fs_err::write(&bad, corrupt_record(&bytes, 0, "npm/jquery", &[0xff; 24])).expect("write");
    let (code, report, stderr) = scan(tmp.path(), &sbom, &bad);
    assert_eq!(code, 2, "{report} {stderr}");
    assert!(
        stderr.contains("database record `npm/jquery` (advisories) cannot be decoded"),
        "{stderr}"
    );
    let (code, out, stderr) = verify(tmp.path(), &bad);
    assert_eq!(code, 2, "{out} {stderr}");
    assert!(
        stderr.contains("database record `npm/jquery` (advisories) cannot be decoded"),
        "{stderr}"
    );
}

/// NVD and EPSS records are decoded on every query too: a corrupt one is exit 2, not a
/// finding without a score.
#[test]
fn corrupt_nvd_and_epss_records_fail_scan() {
    let tmp = TempDir::new("corrupt-nvd-epss");
    let good = build_kev_hits_db(tmp.path());
    let bytes = fs_err::read(&good).expect("db");
    for (table, name, cve, sbom, garbage) in [
        (
            1,
            "nvd",
            "CVE-2023-4911",
            "other-syft-cdx-image-python-latest.json",
            &b"[1,2"[..],
        ),
        (
            3,
            "epss",
            "CVE-2020-11023",
            "other-cdxgen-cdx1.5-webgoat-maven-npm.json",
            &b"short"[..],
        ),
    ] {
        let sbom = fixture(&format!("kev-hits/sboms/{sbom}"));
        let bad = tmp.path().join(format!("bad-{name}.db"));
        fs_err::write(&bad, corrupt_record(&bytes, table, cve, garbage)).expect("write");
        let (code, report, stderr) = scan(tmp.path(), &sbom, &bad);
        assert_eq!(code, 2, "{name}: {report} {stderr}");
        let want = format!("database record `{cve}` ({name}) cannot be decoded");
        assert!(stderr.contains(&want), "{stderr}");
        let (code, _, stderr) = verify(tmp.path(), &bad);
        assert_eq!(code, 2, "{name}: {stderr}");
        assert!(stderr.contains(&want), "{stderr}");
    }
}

/// `db verify` compares the file's sha256 with the one recorded beside it (`<db>.sha256`,
/// as `db update --from` publishes): a file changed since then fails, naming both.
#[test]
fn verify_checks_the_recorded_sha256() {
    let tmp = TempDir::new("verify-sha256");
    let db = build_kev_hits_db(tmp.path());
    let sum = tmp.path().join("kev-hits.db.sha256");
    fs_err::write(&sum, format!("{}  kev-hits.db\n", "0".repeat(64))).expect("write");
    let (code, out, stderr) = verify(tmp.path(), &db);
    assert_eq!(code, 2, "{out} {stderr}");
    assert!(stderr.contains("kev-hits.db.sha256"), "{stderr}");
    assert!(stderr.contains(&"0".repeat(64)), "{stderr}");
    fs_err::remove_file(&sum).expect("rm");
    let (code, out, stderr) = verify(tmp.path(), &db);
    assert_eq!(code, 0, "{stderr}");
    assert!(out.contains("records decoded"), "{out}");
}

/// Every block of every table claiming a 4 GiB decompressed size (the checksums recomputed,
/// so only the field is wrong): `db verify` and `scan` under a 1.5 GiB address-space limit end in
/// exit 2 naming the block, never an allocation abort. Before the fix the claimed size was
/// allocated up front.
#[test]
fn huge_block_length_is_an_error_not_an_allocation() {
    let tmp = TempDir::new("corrupt-rawlen");
    let good = build_kev_hits_db(tmp.path());
    let sbom = fixture("kev-hits/sboms/other-cdxgen-cdx1.5-webgoat-maven-npm.json");
    let bytes = fs_err::read(&good).expect("db");
    let source = Source::from(&bytes[..]);
    let header = format::read_header(&source).expect("a valid database");
    let field = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("u32"));
    let mut patched = bytes.clone();
    let mut at = header.manifest.end;
    for _ in 0..4 {
        let (_, end) = Table::read(&source, at as u64, header.version).expect("a valid table");
        let (blocks, codec) = (field(at + 4) as usize, field(at + 8));
        // Format 4: a 24-byte table header, then 28-byte block descriptors whose third field
        // is raw_len (a raw block must keep its length).
        assert_eq!(header.version, 4);
        let first = at + 24;
        for b in 0..blocks {
            if codec != 0 {
                let f = first + b * 28 + 8;
                patched[f..f + 4].copy_from_slice(&0xffff_fff0_u32.to_le_bytes());
            }
        }
        at = end as usize;
    }
    format::reseal(&mut patched).expect("checksums recomputed");
    let bad = tmp.path().join("bad-rawlen.db");
    fs_err::write(&bad, patched).expect("write");
    // `kevgate`'s program and environment, run through `sh` to set the limit first.
    let limited = |args: &[&str]| {
        let cmd = kevgate(tmp.path());
        let mut sh = std::process::Command::new("sh");
        sh.arg("-c")
            .arg("ulimit -v 1500000; exec \"$0\" \"$@\"")
            .arg(cmd.get_program())
            .args(args)
            .current_dir(tmp.path())
            .env_clear()
            .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))));
        run(&mut sh)
    };
    let bad_s = bad.to_str().expect("utf-8 path");
    let (code, out, stderr) = limited(&["db", "verify", "--db", bad_s]);
    assert_eq!(code, 2, "{out} {stderr}");
    // The key run's value lengths are checked against the claimed size before anything is
    // decompressed (format 3 checked the zstd frame's own size first, as format 4 still does).
    assert!(stderr.contains("the block holds 4294967280"), "{stderr}");
    let (code, out, stderr) = limited(&["scan", "--db", bad_s, sbom.to_str().expect("utf-8 path")]);
    assert_eq!(code, 2, "{out} {stderr}");
    assert!(stderr.contains("bad-rawlen.db"), "{stderr}");
}
